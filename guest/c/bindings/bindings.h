/*
 * Internal interface between the parts of emon's Solo5 bindings (guest/c/bindings, guest/c/libc,
 * guest/c/nolibc), as Solo5's bindings/bindings.h is for its own: the log level, the formatter, the parsed
 * command line and the start-up steps. Not for applications.
 */
#ifndef SOLO5_BINDINGS_H
#define SOLO5_BINDINGS_H

#include <stdarg.h>
#include "../solo5.h"

/* Solo5's log levels (bindings/log.h), set by --solo5:quiet|error|warn|info|debug. */
#define SOLO5__LOG_QUIET 0
#define SOLO5__LOG_ERROR 1
#define SOLO5__LOG_WARN 2
#define SOLO5__LOG_INFO 3
#define SOLO5__LOG_DEBUG 4
extern int solo5__log_level;

/* Solo5's limit on the command line (including its NUL). */
#define SOLO5__CMDLINE_SIZE 8192

/* The command line after the --solo5: options were taken off (start.c). */
extern const char *solo5__cmdline;

/* A small vsnprintf: %d %i %u %x %X %o %p %s %c %%, flags - 0 +, width, precision for %s, length h l ll z j t. */
int solo5__vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int solo5__snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes a formatted line with the "Solo5: " prefix when level is at or below the log level. */
void solo5__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Solo5's PANIC: "Solo5: ABORT: file:line: message", then solo5_abort(). */
void solo5__abort_at(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

/* Start-up steps, in the order start.c runs them. */
void solo5__ssp_init(void);
const char *solo5__cmdline_parse(const char *cmdline);
void solo5__tls_init_main(struct solo5_start_info *si);

#endif
