/* blk-c: Solo5's tests/test_blk in C against guest/c/solo5.h: writes a pattern to every block of the
 * "storage" device (up to 64), reads it back and compares, and checks that unaligned and out-of-range I/O
 * and a second acquire are refused with SOLO5_R_EINVAL. */
#include "solo5.h"

#define MAX_BLOCKS 64
#define MAX_BLOCK_SIZE 4096

static uint8_t wbuf[MAX_BLOCK_SIZE], rbuf[MAX_BLOCK_SIZE];

static size_t strlen_(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

static void puts_(const char *s)
{
    solo5_console_write(s, strlen_(s));
}

static int fail(const char *why)
{
    puts_("FAILURE: ");
    puts_(why);
    puts_("\n");
    return SOLO5_EXIT_FAILURE;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    solo5_handle_t h, h2;
    struct solo5_block_info bi;

    if (solo5_block_acquire("storage", &h, &bi) != SOLO5_R_OK)
        return fail("block_acquire(storage)");
    if (solo5_block_acquire("storage", &h2, &bi) != SOLO5_R_EINVAL)
        return fail("second block_acquire was not refused");
    if (bi.block_size == 0 || bi.block_size > MAX_BLOCK_SIZE || bi.capacity < bi.block_size)
        return fail("unusable block_info");

    solo5_off_t blocks = bi.capacity / bi.block_size;
    if (blocks > MAX_BLOCKS)
        blocks = MAX_BLOCKS;
    for (solo5_off_t b = 0; b < blocks; b++) {
        for (size_t i = 0; i < bi.block_size; i++)
            wbuf[i] = (uint8_t)('0' + (b + i) % 10);
        if (solo5_block_write(h, b * bi.block_size, wbuf, bi.block_size) != SOLO5_R_OK)
            return fail("block_write");
    }
    for (solo5_off_t b = 0; b < blocks; b++) {
        if (solo5_block_read(h, b * bi.block_size, rbuf, bi.block_size) != SOLO5_R_OK)
            return fail("block_read");
        for (size_t i = 0; i < bi.block_size; i++)
            if (rbuf[i] != (uint8_t)('0' + (b + i) % 10))
                return fail("data read back differs");
    }
    if (solo5_block_write(h, 1, wbuf, bi.block_size) != SOLO5_R_EINVAL ||
        solo5_block_read(h, 0, rbuf, bi.block_size - 1) != SOLO5_R_EINVAL ||
        solo5_block_read(h, bi.capacity, rbuf, bi.block_size) != SOLO5_R_EINVAL)
        return fail("bad I/O was not refused");

    puts_("SUCCESS\n");
    return SOLO5_EXIT_SUCCESS;
}
