/* abort() and exit() for C unikernels built without libc (Solo5's abort and exit, guest/c/bindings). */
#ifndef SOLO5_NOLIBC_STDLIB_H
#define SOLO5_NOLIBC_STDLIB_H
#include <stddef.h>
void abort(void) __attribute__((noreturn));
void exit(int status) __attribute__((noreturn));
#endif
