/* ping-serve: an ARP and ICMP echo responder, the job of Solo5's tests/test_ping_serve, in C for Solo5's
 * NET_BASIC ABI (RFC 826 ARP, RFC 791 IPv4, RFC 792 ICMP echo). It also echoes UDP datagrams sent to port 7
 * (RFC 862), which is what a user-mode network's port forward can carry to a guest that has no TCP.
 * Command line: `IP [COUNT] [hello=HOST:PORT]` (default 10.0.0.2): answer for IP until COUNT echoes were
 * answered (0 = forever); with hello=, first resolve HOST (on the first NIC's link) by ARP and send it one UDP
 * datagram "hello from ping-serve" to PORT, which shows a user-mode network's NAT carrying the guest out.
 * `flood=N` instead writes N full-size broadcast frames (EtherType 0x88b5) as fast as it can and exits: what a
 * monitor must survive from a guest flooding its link.
 * ping-serve-dual builds the same file with two NICs: `IP0 IP1 [COUNT]`. Frames are answered in place, in
 * the buffer they were read into. */
#include "solo5.h"

#ifndef NICS
#define NICS 1
static const char *const nic_names[NICS] = { "service" };
#else
static const char *const nic_names[NICS] = { "service0", "service1" };
#endif

#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IP 0x0800
#define FRAME_MAX 1514

static uint8_t frame[FRAME_MAX];
static solo5_handle_t handles[NICS];
static struct solo5_net_info infos[NICS];
static uint32_t my_ip[NICS];
static uint64_t answered;
static uint64_t limit;
static uint32_t hello_ip;
static uint16_t hello_port;
static int hello_sent;
static uint8_t out[64];
static uint64_t flood;

static size_t strlen_(const char *s) { size_t n = 0; while (s[n] != '\0') n++; return n; }
static void puts_(const char *s) { solo5_console_write(s, strlen_(s)); }

static void putu(uint64_t v)
{
    char b[21];
    int i = 20;
    b[i] = '\0';
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v != 0);
    puts_(&b[i]);
}

static void puthex2(uint8_t v)
{
    const char *h = "0123456789abcdef";
    char b[3] = { h[v >> 4], h[v & 15], '\0' };
    puts_(b);
}

/* Parses a dotted quad at *p, advancing past it; returns 0 when malformed. */
static int parse_ip(const char **p, uint32_t *out)
{
    uint32_t ip = 0;
    for (int part = 0; part < 4; part++) {
        uint32_t v = 0;
        int digits = 0;
        while (**p >= '0' && **p <= '9' && digits < 3) { v = v * 10 + (uint32_t)(**p - '0'); (*p)++; digits++; }
        if (digits == 0 || v > 255) return 0;
        ip = (ip << 8) | v;
        if (part < 3) { if (**p != '.') return 0; (*p)++; }
    }
    *out = ip;
    return 1;
}

static uint16_t get16(const uint8_t *b) { return (uint16_t)((b[0] << 8) | b[1]); }
static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }
static uint32_t get32(const uint8_t *b) { return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3]; }
static void put32(uint8_t *b, uint32_t v) { put16(b, (uint16_t)(v >> 16)); put16(b + 2, (uint16_t)v); }

/* RFC 1071 Internet checksum. */
static uint16_t checksum(const uint8_t *b, size_t n)
{
    uint32_t sum = 0;
    for (; n > 1; n -= 2, b += 2) sum += (uint32_t)((b[0] << 8) | b[1]);
    if (n == 1) sum += (uint32_t)(b[0] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void swap_macs(uint8_t *f, const uint8_t *mine)
{
    for (int i = 0; i < 6; i++) { f[i] = f[6 + i]; f[6 + i] = mine[i]; }
}

/* ARP request (RFC 826) for hello_ip from the first NIC, broadcast. */
static void send_arp_request(void)
{
    const uint8_t *mac = infos[0].mac_address;
    for (int i = 0; i < 6; i++) { out[i] = 0xff; out[6 + i] = mac[i]; }
    put16(out + 12, ETHERTYPE_ARP);
    uint8_t *a = out + 14;
    put16(a, 1); put16(a + 2, ETHERTYPE_IP); a[4] = 6; a[5] = 4; put16(a + 6, 1);
    for (int i = 0; i < 6; i++) { a[8 + i] = mac[i]; a[18 + i] = 0; }
    put32(a + 14, my_ip[0]);
    put32(a + 24, hello_ip);
    solo5_net_write(handles[0], out, 42);
}

/* One UDP datagram from port 4242 to hello_ip:hello_port, to the MAC that answered the ARP request. */
static void send_hello(const uint8_t *dst_mac)
{
    static const char msg[] = "hello from ping-serve";
    const size_t n = sizeof msg - 1;
    const uint8_t *mac = infos[0].mac_address;
    for (int i = 0; i < 6; i++) { out[i] = dst_mac[i]; out[6 + i] = mac[i]; }
    put16(out + 12, ETHERTYPE_IP);
    uint8_t *ip = out + 14;
    ip[0] = 0x45; ip[1] = 0; put16(ip + 2, (uint16_t)(20 + 8 + n)); put16(ip + 4, 1); put16(ip + 6, 0x4000);
    ip[8] = 64; ip[9] = 17; put16(ip + 10, 0);
    put32(ip + 12, my_ip[0]);
    put32(ip + 16, hello_ip);
    put16(ip + 10, checksum(ip, 20));
    uint8_t *udp = ip + 20;
    put16(udp, 4242); put16(udp + 2, hello_port); put16(udp + 4, (uint16_t)(8 + n)); put16(udp + 6, 0);
    for (size_t i = 0; i < n; i++) udp[8 + i] = (uint8_t)msg[i];
    solo5_net_write(handles[0], out, 14 + 20 + 8 + n);
    hello_sent = 1;
    puts_("ping-serve: sent hello\n");
}

/* Returns the length of the reply built in place, or 0 for no reply. */
static size_t answer(int nic, size_t len)
{
    const uint8_t *mac = infos[nic].mac_address;
    if (len < 14) return 0;
    uint16_t type = get16(frame + 12);
    if (type == ETHERTYPE_ARP) {
        uint8_t *a = frame + 14;
        if (len >= 42 && hello_ip != 0 && !hello_sent && nic == 0 && get16(a + 6) == 2 && get32(a + 14) == hello_ip) {
            send_hello(a + 8);
            return 0;
        }
        /* Ethernet/IPv4 request (op 1) for our address. */
        if (len < 42 || get16(a) != 1 || get16(a + 2) != ETHERTYPE_IP || a[4] != 6 || a[5] != 4 || get16(a + 6) != 1) return 0;
        if (get32(a + 24) != my_ip[nic]) return 0;
        for (int i = 0; i < 10; i++) a[18 + i] = a[8 + i];   /* target := sender (MAC and IP) */
        for (int i = 0; i < 6; i++) a[8 + i] = mac[i];
        put32(a + 14, my_ip[nic]);
        put16(a + 6, 2);
        swap_macs(frame, mac);
        return 42;
    }
    if (type != ETHERTYPE_IP || len < 34) return 0;
    uint8_t *ip = frame + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    size_t total = get16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || 14 + total > len) return 0;
    if (get32(ip + 16) != my_ip[nic] || (get16(ip + 6) & 0x3fff) != 0) return 0; /* ours, not a fragment */
    uint8_t *l4 = ip + ihl;
    size_t l4len = total - ihl;
    if (ip[9] == 1) {                      /* ICMP echo request -> echo reply */
        if (l4len < 8 || l4[0] != 8) return 0;
        l4[0] = 0;
        put16(l4 + 2, 0);
        put16(l4 + 2, checksum(l4, l4len));
    } else if (ip[9] == 17) {              /* UDP echo, port 7 */
        if (l4len < 8 || get16(l4 + 2) != 7) return 0;
        uint16_t sport = get16(l4);
        put16(l4, 7);
        put16(l4 + 2, sport);
        put16(l4 + 6, 0);                  /* no UDP checksum (allowed over IPv4) */
    } else {
        return 0;
    }
    uint32_t src = get32(ip + 12);
    put32(ip + 12, my_ip[nic]);
    put32(ip + 16, src);
    ip[8] = 64;
    put16(ip + 10, 0);
    put16(ip + 10, checksum(ip, ihl));
    swap_macs(frame, mac);
    answered++;
    return 14 + total;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *p = si->cmdline;
    for (int i = 0; i < NICS; i++) {
        while (*p == ' ') p++;
        if (*p == '\0') my_ip[i] = (10u << 24) | (uint32_t)(2 + i); /* 10.0.0.2, 10.0.0.3 */
        else if (!parse_ip(&p, &my_ip[i])) {
            puts_("ping-serve: bad address on the command line (expected a dotted quad)\n");
            return SOLO5_EXIT_FAILURE;
        }
    }
    for (;;) {
        while (*p == ' ') p++;
        if (*p >= '0' && *p <= '9') {
            while (*p >= '0' && *p <= '9') limit = limit * 10 + (uint64_t)(*p++ - '0');
        } else if (p[0] == 'h' && p[1] == 'e' && p[2] == 'l' && p[3] == 'l' && p[4] == 'o' && p[5] == '=') {
            uint32_t port = 0;
            p += 6;
            if (!parse_ip(&p, &hello_ip) || *p++ != ':') hello_ip = 0;
            while (*p >= '0' && *p <= '9') port = port * 10 + (uint32_t)(*p++ - '0');
            if (hello_ip == 0 || port == 0 || port > 65535) {
                puts_("ping-serve: expected hello=A.B.C.D:PORT\n");
                return SOLO5_EXIT_FAILURE;
            }
            hello_port = (uint16_t)port;
        } else if (p[0] == 'f' && p[1] == 'l' && p[2] == 'o' && p[3] == 'o' && p[4] == 'd' && p[5] == '=') {
            p += 6;
            while (*p >= '0' && *p <= '9') flood = flood * 10 + (uint64_t)(*p++ - '0');
        } else if (*p == '\0') {
            break;
        } else {
            puts_("ping-serve: unknown argument (expected COUNT or hello=A.B.C.D:PORT)\n");
            return SOLO5_EXIT_FAILURE;
        }
    }
    for (int i = 0; i < NICS; i++) {
        if (solo5_net_acquire(nic_names[i], &handles[i], &infos[i]) != SOLO5_R_OK) {
            puts_("ping-serve: cannot acquire net device ");
            puts_(nic_names[i]);
            puts_("\n");
            return SOLO5_EXIT_FAILURE;
        }
        puts_("ping-serve: ");
        puts_(nic_names[i]);
        puts_(" MAC ");
        for (int b = 0; b < 6; b++) { puthex2(infos[i].mac_address[b]); if (b < 5) puts_(":"); }
        puts_(" IP ");
        for (int b = 3; b >= 0; b--) { putu((my_ip[i] >> (8 * b)) & 255); if (b > 0) puts_("."); }
        puts_("\n");
    }
    if (flood != 0) {
        uint64_t refused = 0;
        for (int i = 0; i < 6; i++) { frame[i] = 0xff; frame[6 + i] = infos[0].mac_address[i]; }
        put16(frame + 12, 0x88b5);
        for (size_t i = 14; i < FRAME_MAX; i++) frame[i] = (uint8_t)i;
        for (uint64_t n = 0; n < flood; n++)
            if (solo5_net_write(handles[0], frame, FRAME_MAX) != SOLO5_R_OK) refused++;
        puts_("ping-serve: flooded ");
        putu(flood);
        puts_(" frames, ");
        putu(refused);
        puts_(" refused\n");
        return SOLO5_EXIT_SUCCESS;
    }
    solo5_time_t next_arp = 0;
    for (;;) {
        solo5_handle_set_t ready = 0;
        if (hello_ip != 0 && !hello_sent && solo5_clock_monotonic() >= next_arp) {
            send_arp_request();
            next_arp = solo5_clock_monotonic() + 200000000ULL;
        }
        solo5_yield(solo5_clock_monotonic() + (hello_ip != 0 && !hello_sent ? 200000000ULL : 1000000000ULL), &ready);
        for (int i = 0; i < NICS; i++) {
            if (!(ready & (1ULL << handles[i]))) continue;
            size_t len;
            solo5_result_t r;
            while ((r = solo5_net_read(handles[i], frame, sizeof frame, &len)) != SOLO5_R_AGAIN) {
                if (r != SOLO5_R_OK) continue;
                size_t out = answer(i, len);
                if (out != 0) solo5_net_write(handles[i], frame, out);
                if (limit != 0 && answered >= limit) {
                    puts_("ping-serve: answered ");
                    putu(answered);
                    puts_(" echoes\n");
                    return SOLO5_EXIT_SUCCESS;
                }
            }
        }
    }
}
