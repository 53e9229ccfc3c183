/*
 * errno for C unikernels built against Debian's wasi-libc with TLS (`emon cc`). wasi-libc's own <__errno.h>
 * declares `extern _Thread_local int errno`, but the library is built without the atomics and bulk-memory
 * features, so clang made its errno an ordinary global. The application and the bindings are compiled with
 * those features (for real `__thread`), and would reach errno as a TLS variable, which wasm-ld refuses
 * ("relocation R_WASM_MEMORY_ADDR_TLS_SLEB cannot be used against non-TLS symbol `errno`"). This header,
 * found before the sysroot's through -isystem, declares errno as what the library defines: one global,
 * shared by every TLS block (fine for a unikernel with one thread of control).
 */
#ifndef __wasilibc___errno_h
#define __wasilibc___errno_h

#ifdef __cplusplus
extern "C" {
#endif

extern int errno;

#define errno errno

#ifdef __cplusplus
}
#endif

#endif
