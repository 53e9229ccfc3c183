/*
 * Thread-local storage, Solo5's TLS interface (include/solo5.h: solo5_tls_size, solo5_tls_init,
 * solo5_tls_tp_offset, solo5_set_tls_base) on clang's wasm32 TLS model: a `__thread` variable is an offset
 * from the global __tls_base; wasm-ld lays the initialised TLS data out as a template (the .tdata segment,
 * zeros included for .tbss) that __wasm_init_tls(block) copies into a block and makes current. So a block is
 * solo5_tls_size() bytes aligned to __builtin_wasm_tls_align(), the thread pointer is the block's address
 * (no TCB, offset 0), and solo5_set_tls_base() really switches which block `__thread` variables use.
 *
 * clang 14 keeps `__thread` only when compiling with -matomics -mbulk-memory, and wasm-ld 14 lays out TLS
 * only for --shared-memory; `emon cc` does both, with or without wasi-libc (runtime/build/cc.ts says how the
 * library, built without them, is linked in), and clears the shared flag after linking. Code compiled
 * without those features by some other build gets `__thread` as plain globals from clang: there is then no
 * TLS block, solo5_tls_size() is 0 and set_tls_base only records the base.
 */
#include "bindings.h"

SOLO5__IMPORT(set_tls_base) solo5_result_t solo5__hypercall_set_tls_base(uintptr_t base);

#if defined(__wasm_atomics__) && defined(__wasm_bulk_memory__)
#define SOLO5__REAL_TLS 1
extern void __wasm_init_tls(void *block);

static void set_base(uintptr_t base)
{
    __asm__ volatile("local.get %0\n\tglobal.set __tls_base" : : "r"(base));
}

size_t solo5_tls_size(void)
{
    return __builtin_wasm_tls_size();
}

static size_t tls_align(void)
{
    size_t a = __builtin_wasm_tls_align();
    return a != 0 ? a : 1;
}
#else
size_t solo5_tls_size(void)
{
    return 0;
}

static size_t tls_align(void)
{
    return 1;
}
#endif

uintptr_t solo5_tls_tp_offset(uintptr_t tls)
{
    return tls;
}

solo5_result_t solo5_tls_init(uintptr_t tls)
{
    if (tls == 0 || (tls & (tls_align() - 1)) != 0)
        return SOLO5_R_EINVAL;
#ifdef SOLO5__REAL_TLS
    uintptr_t saved = (uintptr_t)__builtin_wasm_tls_base();
    __wasm_init_tls((void *)tls);
    set_base(saved);
#endif
    return SOLO5_R_OK;
}

solo5_result_t solo5_set_tls_base(uintptr_t base)
{
#ifdef SOLO5__REAL_TLS
    if (base == 0 || (base & (tls_align() - 1)) != 0)
        return SOLO5_R_EINVAL;
    set_base(base);
#endif
    return solo5__hypercall_set_tls_base(base);
}

/* The first thread's block comes off the front of the heap the monitor offers. */
void solo5__tls_init_main(struct solo5_start_info *si)
{
    size_t size = solo5_tls_size();
    if (size == 0)
        return;
    uintptr_t align = tls_align();
    uintptr_t block = (si->heap_start + align - 1) & ~(align - 1);
    uintptr_t end = (block + size + 15) & ~(uintptr_t)15;
    if (end > si->heap_start + si->heap_size)
        solo5__abort_at(__FILE__, __LINE__, "no heap left for the %zu-byte TLS block", size);
    si->heap_size -= end - si->heap_start;
    si->heap_start = end;
    solo5_tls_init(block);
    solo5_set_tls_base(solo5_tls_tp_offset(block));
}
