/**
 * The Solo5 hypercall ABI carried over to WebAssembly (DESIGN.md §3), after Solo5's include/solo5.h: the
 * guest imports these functions from module "solo5"; pointers are i32 offsets into the guest's exported
 * memory, times are i64 nanoseconds, handles i64, result codes as solo5_result_t. Every pointer or length a
 * guest passes is bounds-checked by the handler; a bad one is EINVAL (or a clean abort where Solo5 aborts).
 */

/** solo5_result_t. */
export const SOLO5_R_OK = 0;
/** The operation would block (net_read with no frame queued). */
export const SOLO5_R_AGAIN = 1;
/** Invalid argument: bad pointer/length, unaligned or out-of-range block I/O, unknown or twice-acquired device. */
export const SOLO5_R_EINVAL = 2;
/** Unspecified error (the host I/O failed). */
export const SOLO5_R_EUNSPEC = 3;

/** SOLO5_EXIT_SUCCESS / FAILURE / ABORT, as in solo5.h. */
export const SOLO5_EXIT_SUCCESS = 0;
export const SOLO5_EXIT_FAILURE = 1;
export const SOLO5_EXIT_ABORT = 255;

/** The Wasm import module the hypercalls live in. */
export const SOLO5_IMPORT_MODULE = 'solo5';

/**
 * The limits Solo5 puts on a manifest (mft_abi.h: MFT_MAX_ENTRIES is 64 with entry 0 reserved, so 63 devices;
 * MFT_NAME_SIZE - 1 bytes of name).
 */
export const MAX_DEVICES = 63;
export const MAX_DEVICE_NAME_BYTES = 67;

/** Solo5's command line limit (SOLO5_CMDLINE_SIZE). */
export const MAX_CMDLINE_BYTES = 8192;

/**
 * struct solo5_start_info, wasm32 layout:
 *   const char *cmdline @0; uintptr_t heap_start @4; size_t heap_size @8; (12 bytes)
 * struct solo5_block_info: solo5_off_t capacity @0; solo5_off_t block_size @8; (16 bytes)
 * struct solo5_net_info: uint8_t mac_address[6] @0; size_t mtu @8; (12 bytes, 2 bytes padding)
 */
export const START_INFO_SIZE = 12;
export const BLOCK_INFO_SIZE = 16;
export const NET_INFO_SIZE = 12;
export const NET_INFO_MTU_OFFSET = 8;

/**
 * The hypercalls and their Wasm signatures (what clang emits for solo5.h on wasm32). Semantics:
 *
 * console_write(buf: i32, size: i32): void
 *   Writes size bytes at buf to the console. An out-of-bounds buffer aborts the guest (Solo5 has no error
 *   return here).
 * clock_monotonic(): i64 — nanoseconds since an arbitrary point fixed at boot, never going backwards.
 * clock_wall(): i64 — nanoseconds since the Unix epoch.
 * yield(deadline: i64, ready_set: i32): void
 *   Blocks until the monotonic clock reaches deadline or a net handle has a frame queued; writes the
 *   u64 bitmask of ready handles (bit = handle) at ready_set (0 when the deadline passed). A ready_set
 *   out of bounds aborts the guest.
 * exit(status: i32): noreturn — ends the guest with status.
 * abort(): noreturn — ends the guest with status 255 (SOLO5_EXIT_ABORT).
 * set_tls_base(base: i32): i32 — records the TLS base (Wasm has no TLS register); OK.
 * block_acquire(name: i32, handle_out: i32, info_out: i32): i32
 *   Acquires the declared BLOCK_BASIC device named by the NUL-terminated string at name; writes the u64
 *   handle and struct solo5_block_info. EINVAL if the name is not a declared block device, was already
 *   acquired, or a pointer is out of bounds.
 * block_write(handle: i64, offset: i64, buf: i32, size: i32): i32
 * block_read(handle: i64, offset: i64, buf: i32, size: i32): i32
 *   offset and size must be whole multiples of block_size, size > 0 and offset+size within capacity, buf
 *   within memory, else EINVAL; EUNSPEC if the host I/O fails. Writes are durable when the call returns.
 * net_acquire(name: i32, handle_out: i32, info_out: i32): i32 — as block_acquire for NET_BASIC devices,
 *   writing struct solo5_net_info (MAC, MTU 1500).
 * net_write(handle: i64, buf: i32, size: i32): i32 — sends one Ethernet frame; EINVAL if size > MTU + 14
 *   (the Ethernet header) or buf is out of bounds.
 * net_read(handle: i64, buf: i32, size: i32, read_size_out: i32): i32
 *   Receives one frame into buf and writes its length (size_t) at read_size_out; AGAIN when none is queued;
 *   EINVAL when the frame is larger than size (the frame is dropped, as Solo5 does) or a pointer is bad.
 */
export const HYPERCALLS = [
  'console_write',
  'clock_monotonic',
  'clock_wall',
  'yield',
  'exit',
  'abort',
  'set_tls_base',
  'block_acquire',
  'block_write',
  'block_read',
  'net_acquire',
  'net_write',
  'net_read',
] as const;

export type HypercallName = (typeof HYPERCALLS)[number];

/** Wasm signatures ("params -> results") of the hypercalls, as clang emits them for solo5.h on wasm32. */
export const HYPERCALL_SIGNATURES: Readonly<Record<HypercallName, string>> = {
  console_write: 'i32 i32 ->',
  clock_monotonic: '-> i64',
  clock_wall: '-> i64',
  yield: 'i64 i32 ->',
  exit: 'i32 ->',
  abort: '->',
  set_tls_base: 'i32 -> i32',
  block_acquire: 'i32 i32 i32 -> i32',
  block_write: 'i64 i64 i32 i32 -> i32',
  block_read: 'i64 i64 i32 i32 -> i32',
  net_acquire: 'i32 i32 i32 -> i32',
  net_write: 'i64 i32 i32 -> i32',
  net_read: 'i64 i32 i32 i32 -> i32',
};

/** Ethernet header (dst MAC, src MAC, ethertype) on top of the MTU. */
export const ETHERNET_HEADER = 14;
export const NET_MTU = 1500;
