/* The small stdio of emon's bindings for C unikernels built without libc (guest/c/nolibc/nolibc.c). */
#ifndef SOLO5_NOLIBC_STDIO_H
#define SOLO5_NOLIBC_STDIO_H
#include <stdarg.h>
#include <stddef.h>
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int puts(const char *s);
int putchar(int c);
#endif
