/*
 * The unikernel's entry point, as Solo5's bindings' _start (bindings/hvt/start.c): the monitor calls the export
 * "solo5_app_main", which is this function; it sets up what the bindings promise (stack protector guard,
 * --solo5: options taken off the command line, the main TLS block, C constructors) and then calls the
 * application's own solo5_app_main() with the cleaned-up start info.
 */
#include "bindings.h"

extern void __wasm_call_ctors(void);

/* This frame is live while the guard changes, so it must not check the guard itself. */
__attribute__((export_name("solo5_app_main"), no_stack_protector))
int solo5__start(const struct solo5_start_info *si)
{
    struct solo5_start_info info = *si;
    solo5__ssp_init();
    info.cmdline = solo5__cmdline_parse(si->cmdline);
    solo5__tls_init_main(&info);
    __wasm_call_ctors();
    return solo5_app_main(&info);
}
