/*
 * BSD's <err.h> (err, errx, warn, warnx and their v* forms; 4.4BSD err(3)), which Debian's wasi-libc
 * declares but does not build: "PROGNAME: message" on stderr, with ": strerror(errno)" for the forms without
 * x, then exit(status) for err/errx. The program name is argv[0] of ../bindings/main.c.
 */
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int solo5__argv(char ***argv_out);

static void report(int with_errno, const char *fmt, va_list ap)
{
    int saved = errno;
    char **argv;
    solo5__argv(&argv);
    fprintf(stderr, "%s: ", argv[0]);
    if (fmt != NULL)
        vfprintf(stderr, fmt, ap);
    if (with_errno)
        fprintf(stderr, "%s%s", fmt != NULL ? ": " : "", strerror(saved));
    fputc('\n', stderr);
}

void vwarn(const char *fmt, va_list ap) { report(1, fmt, ap); }
void vwarnx(const char *fmt, va_list ap) { report(0, fmt, ap); }
_Noreturn void verr(int status, const char *fmt, va_list ap) { report(1, fmt, ap); exit(status); }
_Noreturn void verrx(int status, const char *fmt, va_list ap) { report(0, fmt, ap); exit(status); }

void warn(const char *fmt, ...) { va_list ap; va_start(ap, fmt); vwarn(fmt, ap); va_end(ap); }
void warnx(const char *fmt, ...) { va_list ap; va_start(ap, fmt); vwarnx(fmt, ap); va_end(ap); }
_Noreturn void err(int status, const char *fmt, ...) { va_list ap; va_start(ap, fmt); verr(status, fmt, ap); }
_Noreturn void errx(int status, const char *fmt, ...) { va_list ap; va_start(ap, fmt); verrx(status, fmt, ap); }
