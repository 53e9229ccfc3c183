/*
 * The stack protector's runtime, as in Solo5's bindings (bindings/ssp.c): clang's -fstack-protector-strong
 * puts __stack_chk_guard below the locals of functions with arrays or address-taken locals (on wasm32 those
 * live on the shadow stack in linear memory, where an overflow can reach it) and calls __stack_chk_fail when
 * it changed on return.
 */
#include "bindings.h"

uintptr_t __stack_chk_guard = 0x00000aff;

/* Solo5 seeds the guard from the TSC; here the two clocks. The low byte stays 0 so a C string overflow
 * cannot write the guard back (the terminator stops the copy). */
void solo5__ssp_init(void)
{
    uint64_t t = solo5_clock_wall() ^ (solo5_clock_monotonic() << 21);
    uintptr_t g = (uintptr_t)(t ^ (t >> 32));
    g &= ~(uintptr_t)0xff;
    __stack_chk_guard = g != 0 ? g : (uintptr_t)0xe5e5e500;
}

__attribute__((noreturn)) void __stack_chk_fail(void)
{
    static const char msg[] = "Solo5: ABORT: Stack corruption detected\n";
    solo5_console_write(msg, sizeof msg - 1);
    solo5_abort();
}
