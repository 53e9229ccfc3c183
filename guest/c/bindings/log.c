/*
 * The bindings' messages in Solo5's formats (bindings/log.c, bindings/abort.c, include/solo5.h's assert):
 * "Solo5: " lines filtered by the --solo5: log level, "Solo5: ABORT: file:line: message" for a panic, and
 * "Solo5: ABORT: file:line: Assertion `expr' failed" for a failed assert(); both end with solo5_abort()
 * (exit status 255). abort() and __assert_fail() are defined here so C code, with or without libc, aborts
 * the Solo5 way rather than with a bare trap.
 */
#include "bindings.h"

static void write_str(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    solo5_console_write(s, n);
}

void solo5__log(int level, const char *fmt, ...)
{
    if (level > solo5__log_level)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    solo5__vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    write_str("Solo5: ");
    write_str(line);
    write_str("\n");
}

void solo5__abort_at(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    solo5__vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char out[700];
    solo5__snprintf(out, sizeof out, "Solo5: ABORT: %s:%d: %s\n", file, line, msg);
    write_str(out);
    solo5_abort();
}

__attribute__((noreturn)) void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
    (void)func;
    char out[700];
    solo5__snprintf(out, sizeof out, "Solo5: ABORT: %s:%d: Assertion `%s' failed\n", file, line, expr);
    write_str(out);
    solo5_abort();
}

__attribute__((noreturn)) void abort(void)
{
    write_str("Solo5: ABORT: abort() called\n");
    solo5_abort();
}
