/* bindings-libc: the bindings' TLS and stack protector in an ordinary libc program (built with `emon cc`,
 * wasi-libc linked): `__thread` variables live in blocks the program allocates with aligned_alloc and
 * switches with solo5_set_tls_base, as a green-thread scheduler would; errno stays libc's one global.
 * The first argument picks the check: tls (default), ssp, errno. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "solo5.h"

__thread int counter = 42;
__thread char name[16] = "main";
__thread long zeroed[4];

/* A function may keep a __thread address it computed (as on any machine), so the checks read in callees. */
__attribute__((noinline)) static int get_counter(void) { return counter; }
__attribute__((noinline)) static void set_counter(int v) { counter = v; }
__attribute__((noinline)) static const char *get_name(void) { return name; }
__attribute__((noinline)) static void set_name(const char *s) { snprintf(name, sizeof name, "%s", s); }
__attribute__((noinline)) static long get_zeroed(void) { return zeroed[0] | zeroed[3]; }
/* The empty asm keeps clang from taking this for a pure function and reusing its first result. */
__attribute__((noinline)) static int *counter_address(void)
{
    int *p = &counter;
    __asm__ volatile("" : "+r"(p));
    return p;
}

static int check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok:" : "FAIL:", what);
    return ok ? 0 : 1;
}

/* A TLS block as Solo5 asks for one: solo5_tls_size() bytes; 16-byte alignment is always enough. */
static uintptr_t new_block(void)
{
    size_t size = (solo5_tls_size() + 15) & ~(size_t)15;
    void *block = aligned_alloc(16, size);
    if (block == NULL)
        return 0;
    memset(block, 0xcc, size);
    if (solo5_tls_init((uintptr_t)block) != SOLO5_R_OK)
        return 0;
    return solo5_tls_tp_offset((uintptr_t)block);
}

static int tls(void)
{
    int bad = 0;
    size_t size = solo5_tls_size();
    bad |= check(size >= sizeof(int) + 16 + 4 * sizeof(long), "solo5_tls_size covers the __thread variables");
    bad |= check(get_counter() == 42 && strcmp(get_name(), "main") == 0 && get_zeroed() == 0, "the first block starts with the initial values");
    int *main_counter = counter_address();
    uintptr_t a = new_block(), b = new_block();
    bad |= check(a != 0 && b != 0 && a != b, "two blocks from aligned_alloc, initialised with solo5_tls_init");
    if (a == 0 || b == 0)
        return 1;
    bad |= check(solo5_tls_init(a + 1) == SOLO5_R_EINVAL, "solo5_tls_init refuses a misaligned block");
    set_counter(7);
    bad |= check(solo5_set_tls_base(a) == SOLO5_R_OK, "solo5_set_tls_base(A)");
    bad |= check(counter_address() != main_counter, "__thread variables moved to block A");
    bad |= check(get_counter() == 42 && strcmp(get_name(), "main") == 0 && get_zeroed() == 0, "block A starts with the initial values, .tbss zeroed");
    set_counter(1);
    set_name("alpha");
    solo5_set_tls_base(b);
    bad |= check(get_counter() == 42 && strcmp(get_name(), "main") == 0, "block B is untouched by A's writes");
    set_counter(2);
    set_name("beta");
    for (int round = 0; round < 3; round++) {
        solo5_set_tls_base(a);
        bad |= check(get_counter() == 1 + round && strcmp(get_name(), "alpha") == 0, "back in A: A's values");
        set_counter(get_counter() + 1);
        solo5_set_tls_base(b);
        bad |= check(get_counter() == 2 && strcmp(get_name(), "beta") == 0, "back in B: B's values");
    }
    bad |= check(*main_counter == 7, "the first block kept its own value");
    printf("tls: %s (block %zu bytes, libc)\n", bad ? "FAILED" : "OK", size);
    return bad;
}

/* errno is libc's plain global, the same whichever TLS block is current. */
static int errno_check(void)
{
    int bad = 0;
    errno = 0;
    long v = strtol("99999999999999999999", NULL, 10);
    int seen = errno;
    uintptr_t a = new_block();
    solo5_set_tls_base(a);
    bad |= check(v == LONG_MAX && seen == ERANGE && errno == ERANGE, "strtol sets errno to ERANGE, seen from any block");
    printf("errno: %s (%s)\n", bad ? "FAILED" : "OK", strerror(seen));
    return bad;
}

__attribute__((noinline)) static void overflow(const char *src, int n)
{
    char buf[8];
    volatile char *p = buf;
    for (int i = 0; i < n; i++)
        p[i] = src[i % 4];
    printf("copied %d bytes into %p\n", n, (void *)buf);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "tls";
    if (strcmp(what, "ssp") == 0) {
        overflow("abcd", 64);
        puts("FAIL: the overflow went unnoticed");
        return 1;
    }
    if (strcmp(what, "errno") == 0)
        return errno_check();
    return tls();
}
