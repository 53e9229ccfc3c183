/*
 * emon's solo5.h: the Solo5 guest ABI (Solo5 include/solo5.h, v0.7+) for unikernels compiled to wasm32 with
 * clang. The declarations, types, result codes and structures are Solo5's, so code written against Solo5's
 * header compiles unchanged; each function is a WebAssembly import from module "solo5", named without the
 * solo5_ prefix. Pointers are offsets into the guest's exported memory (wasm32: 4-byte size_t/uintptr_t).
 *
 * The bindings (guest/c/bindings: entry point, stack protector, TLS, --solo5: log levels, abort/assert) give
 * a unikernel what Solo5's bindings give it; link them with `emon cc` (docs/c-guests.md):
 *   emon cc -o app.wasm app.c              (with wasi-libc: printf, malloc, main(argc, argv), ...)
 *   emon cc --no-libc -o app.wasm app.c    (freestanding, with a small printf and real TLS)
 */
#ifndef __SOLO5_H__
#define __SOLO5_H__

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define SOLO5__IMPORT(name) __attribute__((import_module("solo5"), import_name(#name)))

/* Result of a Solo5 call. */
typedef enum {
    SOLO5_R_OK,      /* The operation completed successfully. */
    SOLO5_R_AGAIN,   /* The operation cannot be completed at this time; retry (net_read with nothing queued). */
    SOLO5_R_EINVAL,  /* Invalid argument: bad pointer or size, unaligned/out-of-range I/O, bad handle. */
    SOLO5_R_EUNSPEC  /* The operation failed for an unspecified reason (host I/O error). */
} solo5_result_t;

/* Exit status values for solo5_exit(). SOLO5_EXIT_ABORT is what solo5_abort() exits with. */
#define SOLO5_EXIT_SUCCESS 0
#define SOLO5_EXIT_FAILURE 1
#define SOLO5_EXIT_ABORT   255

/* Information the monitor passes to solo5_app_main(). The command line is NUL-terminated; the heap is the
 * free memory from heap_start (grow the memory for more). */
struct solo5_start_info {
    const char *cmdline;
    uintptr_t heap_start;
    size_t heap_size;
};

/* The application entry point; its return value is the exit status. */
int solo5_app_main(const struct solo5_start_info *info);

/* Exits the application with status. Does not return. */
SOLO5__IMPORT(exit) void solo5_exit(int status) __attribute__((noreturn));

/* Aborts the application (exit status SOLO5_EXIT_ABORT). Does not return. */
SOLO5__IMPORT(abort) void solo5_abort(void) __attribute__((noreturn));

/*
 * Thread-local storage (bindings, guest/c/bindings/tls.c). A TLS block is solo5_tls_size() bytes;
 * solo5_tls_init(tls) copies the initial `__thread` data into the block at tls (aligned to the TLS alignment,
 * else EINVAL); solo5_tls_tp_offset(tls) is the value to give solo5_set_tls_base() to make that block the
 * current one, after which `__thread` variables are those of the block. On wasm32 the thread pointer is the
 * block's address (clang's TLS model, the global __tls_base). Without TLS support in the build (a libc build
 * on clang 14), `__thread` variables are plain globals and solo5_tls_size() is 0.
 */
size_t solo5_tls_size(void);
solo5_result_t solo5_tls_init(uintptr_t tls);
uintptr_t solo5_tls_tp_offset(uintptr_t tls);

/* Makes base the thread pointer (see above) and tells the monitor; EINVAL if base is 0 or misaligned. */
solo5_result_t solo5_set_tls_base(uintptr_t base);

/* Time in nanoseconds. */
typedef uint64_t solo5_time_t;

/* Monotonic time since an unspecified point in the past (boot). */
SOLO5__IMPORT(clock_monotonic) solo5_time_t solo5_clock_monotonic(void);

/* Wall clock time since the Unix epoch. */
SOLO5__IMPORT(clock_wall) solo5_time_t solo5_clock_wall(void);

/* Handles for devices; a bit per handle in a handle set. */
typedef uint64_t solo5_handle_t;
typedef uint64_t solo5_handle_set_t;

/* Suspends until the monotonic clock reaches deadline or a network device has a packet to read. On return,
 * *ready_set holds the handles with data ready (0 if the deadline passed). */
SOLO5__IMPORT(yield) void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

/* Writes size bytes at buf to the console. */
SOLO5__IMPORT(console_write) void solo5_console_write(const char *buf, size_t size);

/* Network devices (NET_BASIC). */
#define SOLO5_NET_ALEN 6
#define SOLO5_NET_HLEN 14

struct solo5_net_info {
    uint8_t mac_address[SOLO5_NET_ALEN];
    size_t mtu; /* Not including the Ethernet header. */
};

/* Acquires the network device declared as name in the manifest; EINVAL if there is none or it was already
 * acquired. */
SOLO5__IMPORT(net_acquire)
solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle, struct solo5_net_info *info);

/* Sends one frame of size bytes (at most mtu + SOLO5_NET_HLEN). */
SOLO5__IMPORT(net_write)
solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf, size_t size);

/* Receives one frame into buf; *read_size is its length. AGAIN if none is queued, EINVAL if it does not
 * fit in size bytes (the frame is dropped). */
SOLO5__IMPORT(net_read)
solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size, size_t *read_size);

/* Block devices (BLOCK_BASIC). */
typedef uint64_t solo5_off_t;

struct solo5_block_info {
    solo5_off_t capacity;   /* Capacity of the device in bytes. */
    solo5_off_t block_size; /* Minimum I/O unit in bytes. */
};

/* Acquires the block device declared as name in the manifest. */
SOLO5__IMPORT(block_acquire)
solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle, struct solo5_block_info *info);

/* Writes/reads size bytes at byte offset; both must be multiples of block_size and inside the device, else
 * EINVAL. A write is durable when the call returns. */
SOLO5__IMPORT(block_write)
solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset, const uint8_t *buf, size_t size);

SOLO5__IMPORT(block_read)
solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset, uint8_t *buf, size_t size);

#if defined(__wasm32__)
/* The layouts the monitor reads and writes (runtime/monitor/abi.ts). */
_Static_assert(sizeof(struct solo5_start_info) == 12, "solo5_start_info is 12 bytes on wasm32");
_Static_assert(sizeof(struct solo5_block_info) == 16, "solo5_block_info is 16 bytes on wasm32");
_Static_assert(sizeof(struct solo5_net_info) == 12, "solo5_net_info is 12 bytes on wasm32");
_Static_assert(__builtin_offsetof(struct solo5_net_info, mtu) == 8, "solo5_net_info.mtu is at offset 8");
#endif

#endif /* __SOLO5_H__ */
