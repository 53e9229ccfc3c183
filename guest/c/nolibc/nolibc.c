/*
 * What a C unikernel without libc most often needs, as Solo5's bindings carry their own (bindings/lib.c,
 * bindings/printf.c): printf and friends over the console (the formatter is ../bindings/fmt.c), the
 * mem and str functions clang may also call on its own, and exit(). Link with wasi-libc instead
 * (guest/c/libc) for the whole C library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../bindings/bindings.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return solo5__vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = solo5__vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = solo5__vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    solo5_console_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    return n;
}

int puts(const char *s)
{
    solo5_console_write(s, strlen(s));
    solo5_console_write("\n", 1);
    return 1;
}

int putchar(int c)
{
    char ch = (char)c;
    solo5_console_write(&ch, 1);
    return c;
}

void exit(int status)
{
    solo5_exit(status);
}

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s)
        while (n--)
            *d++ = *s++;
    else
        while (n--)
            d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n > 0; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n > 0; n--, a++, b++) {
        if (*a != *b || *a == '\0')
            return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}
