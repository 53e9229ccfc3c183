/* enclave-fs-c: design 1 of secure storage (the storage-fs enclave's file system) from C, through the
 * generated guest stubs (generated/storagefs_u.h). The sealed log lives in this guest's memory; the guest
 * writes a file, fsyncs, closes the enclave, opens a fresh instance that mounts the log, and reads the file
 * back; then it flips one bit of the log and checks the next mount is refused. */
#include "solo5.h"
#include "generated/storagefs_u.h"

static void puts_(const char *s)
{
    solo5_console_write(s, emon_strlen_(s));
}

#define LOG_RECORDS 8
#define RECORD_MAX 4096
static uint8_t log_data[LOG_RECORDS][RECORD_MAX];
static size_t log_len[LOG_RECORDS];
static uint32_t log_count;

/* OCALL handlers declared by storagefs.edl: the untrusted side keeps sealed records it cannot read. */
int ocall_log_append(const uint8_t *rec, size_t len)
{
    if (log_count == LOG_RECORDS || len > RECORD_MAX) return -28;
    volatile uint8_t *d = log_data[log_count]; /* volatile: no memcpy call in a -nostdlib guest */
    for (size_t i = 0; i < len; i++) d[i] = rec[i];
    log_len[log_count++] = len;
    return 0;
}

int ocall_log_read(uint32_t index, uint8_t *rec, size_t cap)
{
    if (index >= log_count) return 0;
    if (log_len[index] > cap) return -22;
    volatile uint8_t *d = rec;
    for (size_t i = 0; i < log_len[index]; i++) d[i] = log_data[index][i];
    return (int)log_len[index];
}

int ocall_log_reset(void)
{
    log_count = 0;
    return 0;
}

static int fail(const char *what)
{
    puts_("fs-c: ");
    puts_(what);
    puts_(" failed\n");
    return SOLO5_EXIT_FAILURE;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    int32_t h;
    int rc = 0, fd = 0, n = 0;
    static const char text[] = "written from C";
    static char back[64];
    if (storagefs_open("fs", &h) != 0) return fail("enclave open");
    if (fs_mount(h, &rc) != 0 || rc != 0) return fail("first mount");
    if (fs_mkdir(h, &rc, "/c") != 0 || rc != 0) return fail("mkdir");
    if (fs_open(h, &fd, "/c/hello.txt", 1) != 0 || fd < 0) return fail("create");
    if (fs_write(h, &n, fd, 0, (const uint8_t *)text, sizeof text) != 0 || n != (int)sizeof text) return fail("write");
    if (fs_fsync(h, &rc) != 0 || rc != 0) return fail("fsync");
    storagefs_close(h);
    if (storagefs_open("fs", &h) != 0) return fail("enclave reopen");
    if (fs_mount(h, &rc) != 0 || rc != 1) return fail("remount");
    if (fs_open(h, &fd, "/c/hello.txt", 0) != 0 || fd < 0) return fail("open after remount");
    if (fs_read(h, &n, fd, 0, (uint8_t *)back, sizeof back) != 0 || n != (int)sizeof text) return fail("read");
    puts_("fs-c: after remount /c/hello.txt reads '");
    puts_(back);
    puts_("'\n");
    storagefs_close(h);
    log_data[0][100] ^= 1;
    if (storagefs_open("fs", &h) != 0) return fail("enclave reopen");
    if (fs_mount(h, &rc) != 0 || rc != -5) return fail("refusing an altered log");
    puts_("fs-c: an altered log is refused at mount\n");
    return SOLO5_EXIT_SUCCESS;
}
