/*
 * Solo5's bindings take their own options off the front of the command line before the application sees it
 * (bindings/cmdline.c): --solo5:quiet|error|warn|info|debug set the log level. emon's monitor already does
 * this for arguments given after the guest file; this covers a command line that reaches the guest whole
 * (e.g. `--cmdline=`).
 */
#include "bindings.h"

int solo5__log_level = SOLO5__LOG_INFO;
const char *solo5__cmdline = "";

static char cmdline_buf[SOLO5__CMDLINE_SIZE];

static int starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

static int word_is(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i] != '\0'; i++)
        if (s[i] != word[i])
            return 0;
    return i == n && word[i] == '\0';
}

const char *solo5__cmdline_parse(const char *cmdline)
{
    static const char *const levels[] = { "quiet", "error", "warn", "info", "debug" };
    const char *p = cmdline;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!starts_with(p, "--solo5:"))
            break;
        const char *opt = p + 8;
        size_t n = 0;
        while (opt[n] != '\0' && opt[n] != ' ')
            n++;
        int found = -1;
        for (int i = 0; i < 5; i++)
            if (word_is(opt, n, levels[i]))
                found = i;
        if (found < 0)
            solo5__log(SOLO5__LOG_WARN, "unknown option --solo5:%.*s ignored", (int)n, opt);
        else
            solo5__log_level = found;
        p = opt + n;
    }
    size_t len = 0;
    while (p[len] != '\0' && len < sizeof cmdline_buf - 1) {
        cmdline_buf[len] = p[len];
        len++;
    }
    cmdline_buf[len] = '\0';
    solo5__cmdline = cmdline_buf;
    return cmdline_buf;
}
