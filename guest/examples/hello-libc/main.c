/* hello-libc: an ordinary C program as a Solo5 unikernel, built with `emon cc` against wasi-libc (WASI served
 * inside the guest by guest/c/libc over Solo5 calls). main() gets the command line as argv; its return value,
 * or exit(), is the exit status. Try: emon run build/guests/hello-libc.wasm sort 3 1 2 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int by_value(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    printf("hello from libc: argc=%d argv[0]=%s\n", argc, argv[0]);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);

    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 1600000000)
        errx(2, "clock_gettime(CLOCK_REALTIME) is not the wall clock");

    if (argc > 1 && strcmp(argv[1], "sort") == 0) {
        long *v = malloc(sizeof *v * (size_t)argc);
        if (v == NULL)
            err(1, "malloc");
        int n = 0;
        for (int i = 2; i < argc; i++)
            v[n++] = strtol(argv[i], NULL, 10);
        qsort(v, (size_t)n, sizeof *v, by_value);
        char line[256] = "sorted:";
        for (int i = 0; i < n; i++) {
            size_t used = strlen(line);
            snprintf(line + used, sizeof line - used, " %ld", v[i]);
        }
        puts(line);
        free(v);
    } else if (argc > 2 && strcmp(argv[1], "exit") == 0) {
        fprintf(stderr, "exiting with %s\n", argv[2]);
        exit(atoi(argv[2]));
    } else if (argc > 1 && strcmp(argv[1], "warn") == 0) {
        warnx("a warning on stderr, %d", 42);
        return 3;
    }
    printf("%.3f %s\n", 2.5, "done");
    return 0;
}
