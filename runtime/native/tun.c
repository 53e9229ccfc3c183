/*
 * emon's reach into the Linux TUN/TAP driver (Documentation/networking/tuntap.rst), as a Node-API addon built
 * by clang against node-api-headers: Node has no ioctl, and a TAP file descriptor is useless without
 * TUNSETIFF. This is what Solo5's tenders do in tenders/common/tap_attach.c (open /dev/net/tun, TUNSETIFF with
 * IFF_TAP | IFF_NO_PI, refuse a device whose name came back different), plus the read/write/poll the NIC's
 * hot path needs, so a guest's worker thread moves frames between the TAP and its own memory with one
 * syscall each and no thread hop.
 *
 * Every function returns a number; failures are -errno, never a JS exception, so the caller can name the
 * interface and the guest in its own error (see runtime/monitor/tun.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <node_api.h>

/* Largest frame read from a TAP: anything longer than this is read whole and reported oversized. */
#define BOUNCE_BYTES 65536
/* Per thread: each guest runs in its own worker thread and reads through its own bounce buffer. */
static __thread unsigned char bounce[BOUNCE_BYTES];

#define MAX_POLL_FDS 64

static napi_value num(napi_env env, double v)
{
    napi_value out;
    napi_create_double(env, v, &out);
    return out;
}

static int arg_int(napi_env env, napi_value v, int *out)
{
    return napi_get_value_int32(env, v, out) == napi_ok ? 0 : -1;
}

/* A Uint8Array argument's bytes, with `off`/`len` checked to lie inside it. */
static unsigned char *arg_span(napi_env env, napi_value arr, napi_value offv, napi_value lenv, size_t *len_out)
{
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_value ab;
    size_t byte_offset;
    int off, len;
    if (napi_get_typedarray_info(env, arr, &type, &length, &data, &ab, &byte_offset) != napi_ok)
        return NULL;
    if (type != napi_uint8_array || arg_int(env, offv, &off) || arg_int(env, lenv, &len))
        return NULL;
    if (off < 0 || len < 0 || (size_t)off + (size_t)len > length)
        return NULL;
    *len_out = (size_t)len;
    return (unsigned char *)data + off;
}

/*
 * ifIndex(name) -> index | 0: the interface's index in this process's network namespace (if_nametoindex, which
 * asks the kernel, so it is right even where /sys shows another namespace); 0 when there is none.
 */
static napi_value if_index(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    char name[IFNAMSIZ + 1];
    size_t name_len = 0;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len) != napi_ok ||
        name_len == 0 || name_len >= IFNAMSIZ)
        return num(env, 0);
    return num(env, (double)if_nametoindex(name));
}

/* openTun() -> fd | -errno: a fresh, not yet attached /dev/net/tun descriptor, non-blocking, close-on-exec. */
static napi_value open_tun(napi_env env, napi_callback_info info)
{
    (void)info;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    return num(env, fd < 0 ? -errno : fd);
}

/* attachTap(fd, ifname) -> 0 | -errno: TUNSETIFF as Solo5's tap_attach does it. */
static napi_value attach_tap(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2];
    int fd;
    char name[IFNAMSIZ + 1];
    size_t name_len = 0;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || arg_int(env, argv[0], &fd) ||
        napi_get_value_string_utf8(env, argv[1], name, sizeof name, &name_len) != napi_ok)
        return num(env, -EINVAL);
    if (name_len == 0 || name_len >= IFNAMSIZ || strchr(name, '%') != NULL)
        return num(env, -EINVAL);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, name, name_len);
    if (ioctl(fd, TUNSETIFF, (void *)&ifr) == -1)
        return num(env, -errno);
    /* A different name back means the kernel made a new device rather than attaching the one asked for. */
    if (strncmp(ifr.ifr_name, name, IFNAMSIZ) != 0)
        return num(env, -EINVAL);
    return num(env, 0);
}

/*
 * read(fd, u8, off, len) -> bytes | -errno. The frame goes through the thread's bounce buffer so that a frame
 * longer than `len` is still taken whole off the TAP: the result is then its full length, larger than `len`,
 * and nothing was copied (the caller drops it and counts it).
 */
static napi_value tap_read(napi_env env, napi_callback_info info)
{
    size_t argc = 4;
    napi_value argv[4];
    int fd;
    size_t len;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 4 || arg_int(env, argv[0], &fd))
        return num(env, -EINVAL);
    unsigned char *p = arg_span(env, argv[1], argv[2], argv[3], &len);
    if (p == NULL)
        return num(env, -EFAULT);
    ssize_t n = read(fd, bounce, sizeof bounce);
    if (n < 0)
        return num(env, -errno);
    if ((size_t)n <= len)
        memcpy(p, bounce, (size_t)n);
    return num(env, (double)n);
}

/* write(fd, u8, off, len) -> bytes | -errno: one frame from the caller's memory onto the TAP. */
static napi_value tap_write(napi_env env, napi_callback_info info)
{
    size_t argc = 4;
    napi_value argv[4];
    int fd;
    size_t len;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 4 || arg_int(env, argv[0], &fd))
        return num(env, -EINVAL);
    unsigned char *p = arg_span(env, argv[1], argv[2], argv[3], &len);
    if (p == NULL)
        return num(env, -EFAULT);
    ssize_t n = write(fd, p, len);
    return num(env, n < 0 ? -errno : (double)n);
}

/*
 * poll(fds: Int32Array, timeoutMs) -> bitmask | -errno: bit i set when fds[i] is readable or in error
 * (a read will then say which). EINTR counts as nothing ready.
 */
static napi_value tap_poll(napi_env env, napi_callback_info info)
{
    size_t argc = 2;
    napi_value argv[2];
    napi_typedarray_type type;
    size_t count;
    void *data;
    napi_value ab;
    size_t byte_offset;
    int timeout;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 2 || napi_get_typedarray_info(env, argv[0], &type, &count, &data, &ab, &byte_offset) != napi_ok ||
        type != napi_int32_array || count > 31 || arg_int(env, argv[1], &timeout))
        return num(env, -EINVAL);
    struct pollfd pfd[MAX_POLL_FDS];
    const int *fds = (const int *)data;
    for (size_t i = 0; i < count; i++) {
        pfd[i].fd = fds[i];
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
    }
    int r = poll(pfd, (nfds_t)count, timeout < 0 ? 0 : timeout);
    if (r < 0)
        return num(env, errno == EINTR ? 0 : -errno);
    int mask = 0;
    for (size_t i = 0; i < count; i++)
        if (pfd[i].revents != 0)
            mask |= 1 << i;
    return num(env, mask);
}

/* close(fd) -> 0 | -errno. */
static napi_value tap_close(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    int fd;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || arg_int(env, argv[0], &fd))
        return num(env, -EINVAL);
    return num(env, close(fd) < 0 ? -errno : 0);
}

NAPI_MODULE_INIT()
{
    napi_property_descriptor props[] = {
        { "ifIndex", NULL, if_index, NULL, NULL, NULL, napi_enumerable, NULL },
        { "openTun", NULL, open_tun, NULL, NULL, NULL, napi_enumerable, NULL },
        { "attachTap", NULL, attach_tap, NULL, NULL, NULL, napi_enumerable, NULL },
        { "read", NULL, tap_read, NULL, NULL, NULL, napi_enumerable, NULL },
        { "write", NULL, tap_write, NULL, NULL, NULL, napi_enumerable, NULL },
        { "poll", NULL, tap_poll, NULL, NULL, NULL, napi_enumerable, NULL },
        { "close", NULL, tap_close, NULL, NULL, NULL, napi_enumerable, NULL },
    };
    napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
    return exports;
}
