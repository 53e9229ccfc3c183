/* bindings-c: what emon's Solo5 bindings give a freestanding C unikernel (built with `emon cc --no-libc`):
 * `__thread` TLS switched with solo5_set_tls_base, the stack protector, Solo5-format assert and abort, and
 * the small printf. The first argument picks the check: tls, ssp, assert, abort, printf. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "solo5.h"

__thread int counter = 42;
__thread char name[8] = "main";
__thread long zeroed[4];

/* TLS addresses are constant within a function (as for any thread), so the checks read them in callees. */
__attribute__((noinline)) static int get_counter(void) { return counter; }
__attribute__((noinline)) static void set_counter(int v) { counter = v; }
__attribute__((noinline)) static const char *get_name(void) { return name; }
__attribute__((noinline)) static void set_name(const char *s);
__attribute__((noinline)) static long get_zeroed(void) { return zeroed[0] | zeroed[3]; }

static void strncpy_(char *d, const char *s)
{
    size_t i = 0;
    for (; s[i] != '\0' && i < 7; i++)
        d[i] = s[i];
    d[i] = '\0';
}

__attribute__((noinline)) static void set_name(const char *s) { strncpy_(name, s); }

static int check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "ok:" : "FAIL:", what);
    return ok ? 0 : 1;
}

static int tls(void)
{
    int bad = 0;
    size_t size = solo5_tls_size();
    bad |= check(size >= sizeof(int) + 8 + 4 * sizeof(long), "solo5_tls_size covers the __thread variables");
    bad |= check(get_counter() == 42 && strcmp(get_name(), "main") == 0, "the first block starts with the initial values");
    static unsigned char a[256] __attribute__((aligned(16))), b[256] __attribute__((aligned(16)));
    memset(a, 0xaa, sizeof a);
    memset(b, 0xbb, sizeof b);
    bad |= check(size <= sizeof a, "the blocks are large enough");
    bad |= check(solo5_tls_init((uintptr_t)a) == SOLO5_R_OK && solo5_tls_init((uintptr_t)b) == SOLO5_R_OK, "solo5_tls_init");
    bad |= check(solo5_tls_init((uintptr_t)a + 1) == SOLO5_R_EINVAL, "solo5_tls_init refuses a misaligned block");
    bad |= check(get_counter() == 42, "solo5_tls_init leaves the current block current");
    set_counter(7);
    solo5_set_tls_base(solo5_tls_tp_offset((uintptr_t)a));
    bad |= check(get_counter() == 42 && strcmp(get_name(), "main") == 0 && get_zeroed() == 0, "block A starts with the initial values, .tbss zeroed");
    set_counter(1);
    set_name("alpha");
    solo5_set_tls_base(solo5_tls_tp_offset((uintptr_t)b));
    bad |= check(get_counter() == 42 && strcmp(get_name(), "main") == 0, "block B is untouched by A's writes");
    set_counter(2);
    set_name("beta");
    for (int round = 0; round < 3; round++) {
        solo5_set_tls_base(solo5_tls_tp_offset((uintptr_t)a));
        bad |= check(get_counter() == 1 + round && strcmp(get_name(), "alpha") == 0, "back in A: A's values");
        set_counter(get_counter() + 1);
        solo5_set_tls_base(solo5_tls_tp_offset((uintptr_t)b));
        bad |= check(get_counter() == 2 && strcmp(get_name(), "beta") == 0, "back in B: B's values");
    }
    printf("tls: %s (block %zu bytes)\n", bad ? "FAILED" : "OK", size);
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
    const char *what = argc > 1 ? argv[1] : "printf";
    if (strcmp(what, "tls") == 0)
        return tls();
    if (strcmp(what, "ssp") == 0) {
        overflow("abcd", 64);
        puts("FAIL: the overflow went unnoticed");
        return 1;
    }
    if (strcmp(what, "assert") == 0) {
        assert(argc == 99);
        return 1;
    }
    if (strcmp(what, "abort") == 0)
        abort();
    if (strcmp(what, "exit") == 0)
        exit(5);
    printf("printf: [%d] [%5d] [%-5d] [%05d] [%+d] [%u] [%x] [%X] [%lld] [%s] [%.2s] [%c] [%%] [%zu]\n",
           -42, 42, 42, 42, 42, 4000000000u, 0xbeef, 0xbeef, -1234567890123LL, "str", "abc", 'z', (size_t)7);
    char small[8];
    int n = snprintf(small, sizeof small, "%s", "truncated!");
    printf("snprintf: %d '%s'\n", n, small);
    return 0;
}
