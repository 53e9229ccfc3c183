/*
 * `int main(int argc, char **argv)` for unikernels: when the application defines no solo5_app_main of its
 * own, this one (weak) splits the command line at spaces into argv (argv[0] is "unikernel", as the Solo5
 * command line has no program name), calls main, and makes main's return value the exit status. With libc
 * (wasm32-wasi) it goes through exit(), so atexit handlers run and stdio is flushed, as after a C main.
 */
#include "bindings.h"
#ifdef __wasi__
#include <stdlib.h>
#endif

#ifdef __wasi__
/* For WASI, clang names main by its parameters. */
extern int __main_argc_argv(int argc, char **argv) __attribute__((weak));
extern int __main_void(void) __attribute__((weak));
#define MAIN_ARGC_ARGV __main_argc_argv
#else
extern int main(int argc, char **argv) __attribute__((weak));
#define MAIN_ARGC_ARGV main
#endif

#define MAX_ARGS 256
static char args_buf[SOLO5__CMDLINE_SIZE];
static char *argv_buf[MAX_ARGS + 1];

/* Also used by the WASI args_get of guest/c/libc. */
int solo5__argv(char ***argv_out)
{
    static int argc = -1;
    if (argc < 0) {
        size_t i = 0;
        const char *s = solo5__cmdline;
        for (; s[i] != '\0' && i < sizeof args_buf - 1; i++)
            args_buf[i] = s[i];
        args_buf[i] = '\0';
        argc = 0;
        argv_buf[argc++] = "unikernel";
        char *p = args_buf;
        while (*p != '\0' && argc < MAX_ARGS) {
            while (*p == ' ')
                *p++ = '\0';
            if (*p == '\0')
                break;
            argv_buf[argc++] = p;
            while (*p != '\0' && *p != ' ')
                p++;
        }
        argv_buf[argc] = NULL;
    }
    *argv_out = argv_buf;
    return argc;
}

__attribute__((weak)) int solo5_app_main(const struct solo5_start_info *si)
{
    (void)si;
    char **argv;
    int argc = solo5__argv(&argv);
    int status;
    if (MAIN_ARGC_ARGV)
        status = MAIN_ARGC_ARGV(argc, argv);
#ifdef __wasi__
    else if (__main_void)
        status = __main_void();
#endif
    else
        solo5__abort_at(__FILE__, __LINE__, "the unikernel defines neither solo5_app_main nor main");
#ifdef __wasi__
    exit(status);
#else
    return status;
#endif
}
