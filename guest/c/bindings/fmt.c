/*
 * A small printf formatter for the bindings and for C unikernels without libc (the C standard's fprintf
 * conversions, C11 7.21.6.1, minus floating point and %n): %d %i %u %x %X %o %p %s %c %%, the flags - 0 +
 * and space, a width (or *), a precision (or .*) for strings and integers, and the length modifiers
 * hh h l ll z j t. Output is cut at size - 1 bytes and always NUL-terminated; the return value is the length
 * the whole output would have had, as vsnprintf's.
 */
#include "bindings.h"

struct out {
    char *buf;
    size_t size;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

static void put_uint(struct out *o, unsigned long long v, unsigned base, int upper, char sign, int width, int prec, int left, int zero)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v != 0);
    if (prec == 0 && n == 1 && tmp[0] == '0')
        n = 0;
    int zeros = prec > n ? prec - n : 0;
    int total = n + zeros + (sign ? 1 : 0);
    if (!left && !(zero && prec < 0))
        pad(o, ' ', width - total);
    if (sign)
        put(o, sign);
    if (!left && zero && prec < 0)
        pad(o, '0', width - total);
    pad(o, '0', zeros);
    while (n > 0)
        put(o, tmp[--n]);
    if (left)
        pad(o, ' ', width - total);
}

int solo5__vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        int left = 0, zero = 0, width = 0, prec = -1;
        char plus = 0;
        for (;; p++) {
            if (p[1] == '-') left = 1;
            else if (p[1] == '0') zero = 1;
            else if (p[1] == '+') plus = '+';
            else if (p[1] == ' ') { if (!plus) plus = ' '; }
            else break;
        }
        p++;
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) { left = 1; width = -width; }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t/ptrdiff_t/intmax_t */
        while (*p == 'h') p++;
        if (*p == 'l') { lng = 1; p++; if (*p == 'l') { lng = 2; p++; } }
        else if (*p == 'z' || *p == 't') { lng = 3; p++; }
        else if (*p == 'j') { lng = 2; p++; }
        switch (*p) {
        case 'd': case 'i': {
            long long v = lng == 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : lng == 3 ? (long long)va_arg(ap, ptrdiff_t) : va_arg(ap, int);
            unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            put_uint(&o, u, 10, 0, v < 0 ? '-' : plus, width, prec, left, zero);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            unsigned long long v = lng == 2 ? va_arg(ap, unsigned long long) : lng == 1 ? va_arg(ap, unsigned long) : lng == 3 ? va_arg(ap, size_t) : va_arg(ap, unsigned);
            put_uint(&o, v, *p == 'u' ? 10 : *p == 'o' ? 8 : 16, *p == 'X', 0, width, prec, left, zero);
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void *);
            put(&o, '0');
            put(&o, 'x');
            put_uint(&o, v, 16, 0, 0, width > 2 ? width - 2 : 0, prec, left, zero);
            break;
        }
        case 'c': {
            if (!left) pad(&o, ' ', width - 1);
            put(&o, (char)va_arg(ap, int));
            if (left) pad(&o, ' ', width - 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            int n = 0;
            while (s[n] != '\0' && (prec < 0 || n < prec))
                n++;
            if (!left) pad(&o, ' ', width - n);
            for (int i = 0; i < n; i++)
                put(&o, s[i]);
            if (left) pad(&o, ' ', width - n);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            p--;
            break;
        default:
            put(&o, '%');
            put(&o, *p);
            break;
        }
    }
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int solo5__snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = solo5__vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
