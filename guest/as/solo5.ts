// The Solo5 hypercalls as WebAssembly imports (module "solo5"), one declaration per function of Solo5's
// include/solo5.h without the solo5_ prefix. Semantics and result codes: runtime/monitor/abi.ts and
// guest/c/solo5.h. Pointers are offsets into this module's memory; times are u64 nanoseconds.

export const SOLO5_R_OK: i32 = 0;
export const SOLO5_R_AGAIN: i32 = 1;
export const SOLO5_R_EINVAL: i32 = 2;
export const SOLO5_R_EUNSPEC: i32 = 3;

export const SOLO5_EXIT_SUCCESS: i32 = 0;
export const SOLO5_EXIT_FAILURE: i32 = 1;
export const SOLO5_EXIT_ABORT: i32 = 255;

@external("solo5", "console_write")
export declare function console_write(buf: usize, size: usize): void;

@external("solo5", "clock_monotonic")
export declare function clock_monotonic(): u64;

@external("solo5", "clock_wall")
export declare function clock_wall(): u64;

@external("solo5", "yield")
export declare function solo5_yield(deadline: u64, ready_set: usize): void;

@external("solo5", "exit")
export declare function solo5_exit(status: i32): void;

@external("solo5", "abort")
export declare function solo5_abort(): void;

@external("solo5", "set_tls_base")
export declare function set_tls_base(base: usize): i32;

@external("solo5", "block_acquire")
export declare function block_acquire(name: usize, handle: usize, info: usize): i32;

@external("solo5", "block_write")
export declare function block_write(handle: u64, offset: u64, buf: usize, size: usize): i32;

@external("solo5", "block_read")
export declare function block_read(handle: u64, offset: u64, buf: usize, size: usize): i32;

@external("solo5", "net_acquire")
export declare function net_acquire(name: usize, handle: usize, info: usize): i32;

@external("solo5", "net_write")
export declare function net_write(handle: u64, buf: usize, size: usize): i32;

@external("solo5", "net_read")
export declare function net_read(handle: u64, buf: usize, size: usize, read_size: usize): i32;
