/* enclave-seal-c: the sealer enclave from C, through the generated guest stubs (generated/sealer_u.h, from
 * `emon edl gen enclaves/sealer/sealer.edl`). Seals a message in memory, unseals it, and checks that a blob
 * with one flipped bit is refused. */
#include "solo5.h"
#include "generated/sealer_u.h"

static void puts_(const char *s)
{
    solo5_console_write(s, emon_strlen_(s));
}

/* OCALL handler declared by sealer.edl. */
void ocall_log(const char *msg)
{
    puts_("  enclave says: ");
    puts_(msg);
    puts_("\n");
}

static uint8_t blob[512];
static uint8_t out[128];

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    int32_t h;
    if (sealer_open("sealer", &h) != 0) {
        puts_("cannot open the sealer enclave\n");
        return SOLO5_EXIT_FAILURE;
    }
    static const char secret[] = "sealed from C";
    static const char aad[] = "c-guest";
    int n = 0;
    if (seal_data(h, &n, 1, (const uint8_t *)aad, sizeof aad - 1, (const uint8_t *)secret, sizeof secret, blob, sizeof blob) != 0 || n <= 0) {
        puts_("seal failed\n");
        return SOLO5_EXIT_FAILURE;
    }
    int m = 0;
    if (unseal_data(h, &m, blob, (size_t)n, out, sizeof out) != 0 || m != (int)sizeof secret) {
        puts_("unseal failed\n");
        return SOLO5_EXIT_FAILURE;
    }
    puts_("unsealed: ");
    puts_((const char *)out);
    puts_("\n");
    blob[n - 1] ^= 1;
    if (unseal_data(h, &m, blob, (size_t)n, out, sizeof out) != 0 || m >= 0) {
        puts_("a tampered blob was accepted\n");
        return SOLO5_EXIT_FAILURE;
    }
    uint32_t svn = 0;
    if (isv_svn(h, &svn) != 0 || svn != 1) {
        puts_("unexpected ISV SVN\n");
        return SOLO5_EXIT_FAILURE;
    }
    puts_("tampered blob refused; ISV SVN 1\n");
    return SOLO5_EXIT_SUCCESS;
}
