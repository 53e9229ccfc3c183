/* hello-c: Solo5's tests/test_hello in C, built with `emon cc --no-libc` against guest/c/solo5.h. Prints
 * its command line, checks the clocks move and the heap the monitor offers is writable. */
#include "solo5.h"

static size_t strlen_(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

static void puts_(const char *s)
{
    solo5_console_write(s, strlen_(s));
}

int solo5_app_main(const struct solo5_start_info *si)
{
    puts_("Hello from C, World\nCommand line is: '");
    solo5_console_write(si->cmdline, strlen_(si->cmdline));
    puts_("'\n");

    solo5_time_t t0 = solo5_clock_monotonic();
    solo5_handle_set_t ready = ~0ULL;
    solo5_yield(t0 + 1000000ULL, &ready);
    if (solo5_clock_monotonic() < t0 + 1000000ULL || ready != 0) {
        puts_("FAILURE: yield returned early\n");
        return SOLO5_EXIT_FAILURE;
    }
    if (si->heap_size < 16) {
        puts_("FAILURE: no heap\n");
        return SOLO5_EXIT_FAILURE;
    }
    volatile uint8_t *heap = (volatile uint8_t *)si->heap_start;
    heap[0] = 0x5a;
    heap[si->heap_size - 1] = 0xa5;
    if (solo5_set_tls_base(si->heap_start) != SOLO5_R_OK) {
        puts_("FAILURE: set_tls_base\n");
        return SOLO5_EXIT_FAILURE;
    }
    puts_("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
