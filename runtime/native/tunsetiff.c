/*
 * The alternative to the TAP addon (./tun.c) that issue 12 asked to measure: a small helper process that does
 * only the ioctl Node lacks. emon opens /dev/net/tun itself (Node can open it, not ioctl it) and hands the
 * descriptor to this program as fd 3; the program attaches it to IFNAME with TUNSETIFF(IFF_TAP | IFF_NO_PI),
 * as Solo5's tenders/common/tap_attach.c does, and exits. The attachment belongs to the open file description,
 * so emon's own descriptor is attached when this exits, and emon then moves frames with Node's fs calls
 * (runtime/monitor/tap-helper.ts). Handing the descriptor over by inheritance, rather than as SCM_RIGHTS on a
 * unix socket, is the only way Node can take it: its sockets do not receive descriptors.
 *
 * Not built by `npm run build`: `emon bench hostnet` and the TAP tests compile it with clang to compare the two
 * designs (bench/netns.ts, buildTunHelper).
 *
 * Usage: tunsetiff IFNAME   (fd 3: an open /dev/net/tun). Exit status 0, or the errno of the failure.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return EINVAL;
    size_t len = strlen(argv[1]);
    /* As the addon: refuse what the kernel would rewrite (a template with %) or truncate. */
    if (len == 0 || len >= IFNAMSIZ || strchr(argv[1], '%') != NULL)
        return EINVAL;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, argv[1], len);
    if (ioctl(3, TUNSETIFF, (void *)&ifr) == -1)
        return errno;
    /* A different name back means the kernel made a new device rather than attaching the one asked for. */
    if (strncmp(ifr.ifr_name, argv[1], IFNAMSIZ) != 0)
        return EINVAL;
    return 0;
}
