/*
 * WASI for C unikernels linked with wasi-libc (WASI snapshot preview1, github.com/WebAssembly/WASI
 * legacy/preview1/docs.md), served inside the guest over Solo5 calls instead of imported from the host.
 * wasi-libc reaches WASI only through the functions __imported_wasi_snapshot_preview1_NAME; defining them
 * here resolves those symbols at link time, so they never become imports. Served: fd_write to stdout and
 * stderr (the Solo5 console), fd_read of stdin (always end of file), fd_close, fd_seek (not seekable),
 * fd_fdstat_get, fd_prestat_get (no preopened directories), args_* (the command line, see ../bindings/main.c),
 * environ_* (empty), clock_time_get and clock_res_get (Solo5's monotonic and wall clocks), poll_oneoff for
 * clock subscriptions (solo5_yield), sched_yield, random_get and proc_exit (solo5_exit). Anything else a
 * program uses (files, sockets) stays a WASI import, which emon refuses by name when it loads the guest:
 * a unikernel has block and net devices, not a file system.
 *
 * random_get has no Solo5 call to stand on: it is a xorshift generator seeded from the clocks, fine for
 * hash seeds and rand(), NOT for keys (use an enclave's sealing or quoting service for secrets).
 */
#include <stdint.h>
#include <string.h>
#include "../bindings/bindings.h"

#define WASI_ESUCCESS 0
#define WASI_EBADF 8
#define WASI_EINVAL 28
#define WASI_ENOTSUP 58
#define WASI_ESPIPE 70
#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_RIGHT_FD_READ (1ULL << 1)
#define WASI_RIGHT_FD_WRITE (1ULL << 6)
#define WASI_CLOCK_REALTIME 0
#define WASI_CLOCK_MONOTONIC 1
#define WASI_EVENTTYPE_CLOCK 0
#define WASI_SUBCLOCKFLAGS_ABSTIME 1

int solo5__argv(char ***argv_out);

struct wasi_iovec {
    uint32_t buf;
    uint32_t len;
};

int32_t __imported_wasi_snapshot_preview1_fd_write(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nwritten)
{
    if (fd != 1 && fd != 2)
        return WASI_EBADF;
    const struct wasi_iovec *iov = (const struct wasi_iovec *)(uintptr_t)iovs;
    uint32_t total = 0;
    for (int32_t i = 0; i < iovs_len; i++) {
        solo5_console_write((const char *)(uintptr_t)iov[i].buf, iov[i].len);
        total += iov[i].len;
    }
    *(uint32_t *)(uintptr_t)nwritten = total;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_fd_read(int32_t fd, int32_t iovs, int32_t iovs_len, int32_t nread)
{
    (void)iovs;
    (void)iovs_len;
    if (fd != 0)
        return WASI_EBADF;
    *(uint32_t *)(uintptr_t)nread = 0;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_fd_close(int32_t fd)
{
    return fd >= 0 && fd <= 2 ? WASI_ESUCCESS : WASI_EBADF;
}

int32_t __imported_wasi_snapshot_preview1_fd_seek(int32_t fd, int64_t offset, int32_t whence, int32_t newoffset)
{
    (void)offset;
    (void)whence;
    (void)newoffset;
    return fd >= 0 && fd <= 2 ? WASI_ESPIPE : WASI_EBADF;
}

int32_t __imported_wasi_snapshot_preview1_fd_fdstat_get(int32_t fd, int32_t out)
{
    if (fd < 0 || fd > 2)
        return WASI_EBADF;
    uint8_t *stat = (uint8_t *)(uintptr_t)out;
    memset(stat, 0, 24);
    stat[0] = WASI_FILETYPE_CHARACTER_DEVICE;
    uint64_t rights = fd == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE;
    memcpy(stat + 8, &rights, 8);
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_fd_prestat_get(int32_t fd, int32_t out)
{
    (void)fd;
    (void)out;
    return WASI_EBADF;
}

int32_t __imported_wasi_snapshot_preview1_fd_prestat_dir_name(int32_t fd, int32_t path, int32_t len)
{
    (void)fd;
    (void)path;
    (void)len;
    return WASI_EBADF;
}

int32_t __imported_wasi_snapshot_preview1_args_sizes_get(int32_t argc_out, int32_t size_out)
{
    char **argv;
    int argc = solo5__argv(&argv);
    uint32_t size = 0;
    for (int i = 0; i < argc; i++)
        size += strlen(argv[i]) + 1;
    *(uint32_t *)(uintptr_t)argc_out = (uint32_t)argc;
    *(uint32_t *)(uintptr_t)size_out = size;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_args_get(int32_t argv_out, int32_t buf_out)
{
    char **argv;
    int argc = solo5__argv(&argv);
    uint32_t *ptrs = (uint32_t *)(uintptr_t)argv_out;
    char *buf = (char *)(uintptr_t)buf_out;
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        memcpy(buf, argv[i], n);
        ptrs[i] = (uint32_t)(uintptr_t)buf;
        buf += n;
    }
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_environ_sizes_get(int32_t count_out, int32_t size_out)
{
    *(uint32_t *)(uintptr_t)count_out = 0;
    *(uint32_t *)(uintptr_t)size_out = 0;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_environ_get(int32_t environ_out, int32_t buf_out)
{
    (void)environ_out;
    (void)buf_out;
    return WASI_ESUCCESS;
}

static int32_t clock_now(int32_t id, uint64_t *out)
{
    if (id == WASI_CLOCK_REALTIME)
        *out = solo5_clock_wall();
    else if (id == WASI_CLOCK_MONOTONIC)
        *out = solo5_clock_monotonic();
    else
        return WASI_EINVAL;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_clock_time_get(int32_t id, int64_t precision, int32_t out)
{
    (void)precision;
    uint64_t t;
    int32_t r = clock_now(id, &t);
    if (r == WASI_ESUCCESS)
        memcpy((void *)(uintptr_t)out, &t, 8);
    return r;
}

int32_t __imported_wasi_snapshot_preview1_clock_res_get(int32_t id, int32_t out)
{
    uint64_t t;
    if (clock_now(id, &t) != WASI_ESUCCESS)
        return WASI_EINVAL;
    uint64_t res = 1000;
    memcpy((void *)(uintptr_t)out, &res, 8);
    return WASI_ESUCCESS;
}

/* subscription_t: userdata u64 @0, tag u8 @8, clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40 (48 bytes).
 * event_t: userdata u64 @0, error u16 @8, type u8 @10 (32 bytes). Only clock subscriptions can be served. */
int32_t __imported_wasi_snapshot_preview1_poll_oneoff(int32_t in, int32_t out, int32_t nsubs, int32_t nevents)
{
    const uint8_t *subs = (const uint8_t *)(uintptr_t)in;
    uint64_t deadline = UINT64_MAX;
    for (int32_t i = 0; i < nsubs; i++) {
        const uint8_t *s = subs + 48 * i;
        if (s[8] != WASI_EVENTTYPE_CLOCK)
            return WASI_ENOTSUP;
        uint32_t id;
        uint64_t timeout, now;
        uint16_t flags;
        memcpy(&id, s + 16, 4);
        memcpy(&timeout, s + 24, 8);
        memcpy(&flags, s + 40, 2);
        if (clock_now((int32_t)id, &now) != WASI_ESUCCESS)
            return WASI_EINVAL;
        /* Turn the deadline into Solo5's monotonic time. */
        uint64_t rel = (flags & WASI_SUBCLOCKFLAGS_ABSTIME) ? (timeout > now ? timeout - now : 0) : timeout;
        uint64_t d = solo5_clock_monotonic() + rel;
        if (d < deadline)
            deadline = d;
    }
    if (nsubs > 0) {
        solo5_handle_set_t ready;
        while (solo5_clock_monotonic() < deadline)
            solo5_yield(deadline, &ready);
    }
    uint8_t *events = (uint8_t *)(uintptr_t)out;
    for (int32_t i = 0; i < nsubs; i++) {
        uint8_t *e = events + 32 * i;
        memset(e, 0, 32);
        memcpy(e, subs + 48 * i, 8);
        e[10] = WASI_EVENTTYPE_CLOCK;
    }
    *(uint32_t *)(uintptr_t)nevents = (uint32_t)nsubs;
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_sched_yield(void)
{
    solo5_handle_set_t ready;
    solo5_yield(0, &ready);
    return WASI_ESUCCESS;
}

int32_t __imported_wasi_snapshot_preview1_random_get(int32_t buf, int32_t len)
{
    static uint64_t state;
    if (state == 0)
        state = (solo5_clock_wall() ^ (solo5_clock_monotonic() << 32)) | 1;
    uint8_t *p = (uint8_t *)(uintptr_t)buf;
    for (int32_t i = 0; i < len; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        p[i] = (uint8_t)(state >> 24);
    }
    return WASI_ESUCCESS;
}

__attribute__((noreturn)) void __imported_wasi_snapshot_preview1_proc_exit(int32_t status)
{
    solo5_exit(status);
}
