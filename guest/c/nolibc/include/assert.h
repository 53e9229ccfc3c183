/* assert() in Solo5's format ("Solo5: ABORT: file:line: Assertion `expr' failed"), guest/c/bindings/log.c. */
#ifndef SOLO5_NOLIBC_ASSERT_H
#define SOLO5_NOLIBC_ASSERT_H
void __assert_fail(const char *expr, const char *file, int line, const char *func) __attribute__((noreturn));
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((void)((e) || (__assert_fail(#e, __FILE__, __LINE__, __func__), 0)))
#endif
#endif
