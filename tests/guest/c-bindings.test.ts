/**
 * emon's Solo5 bindings for C unikernels (guest/c) and `emon cc`: the stack protector, TLS blocks switched
 * with solo5_set_tls_base (freestanding and with wasi-libc), Solo5-format abort and assert, the small printf, `--solo5:` options taken off a
 * command line that reaches the guest whole, wasi-libc with WASI served inside the guest, main(argc, argv),
 * and WASI the guest cannot have refused by name at load. The example guests are built by `npm run build`;
 * tests that need clang or wasi-libc say they were skipped when those are absent.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { haveClang, haveWasiLibc } from '../../runtime/build/cc.js';
import { emon, guests } from '../cli/helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-cbind-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const clang = haveClang();
const libc = clang && haveWasiLibc();
const SKIP_CLANG = ' -- SKIPPED: clang/wasm-ld not installed (apt install clang lld)';
const SKIP_LIBC = ' -- SKIPPED: clang or wasi-libc not installed (apt install clang lld wasi-libc libclang-rt-dev-wasm32)';
const withClang = (title: string, fn: () => void) => it.skipIf(!clang)(clang ? title : title + SKIP_CLANG, fn, 60_000);
const withLibc = (title: string, fn: () => void) => it.skipIf(!libc)(libc ? title : title + SKIP_LIBC, fn, 60_000);

const bindings = path.join(guests, 'bindings-c.wasm');
const helloLibc = path.join(guests, 'hello-libc.wasm');
const bindingsLibc = path.join(guests, 'bindings-libc.wasm');

/** The checks of bindings-libc's `tls`: every line ok, A's and B's values kept over three rounds. */
function expectTlsOk(r: { stdout: string; stderr: string; status: number | null }): void {
  expect(r.stdout).not.toMatch(/FAIL/);
  expect(r.stdout).toContain('ok: two blocks from aligned_alloc, initialised with solo5_tls_init');
  expect(r.stdout).toContain('ok: __thread variables moved to block A');
  expect(r.stdout).toContain('ok: block A starts with the initial values, .tbss zeroed');
  expect(r.stdout).toContain('ok: block B is untouched by A\'s writes');
  expect(r.stdout.match(/ok: back in A: A's values/g)).toHaveLength(3);
  expect(r.stdout.match(/ok: back in B: B's values/g)).toHaveLength(3);
  expect(r.stdout).toContain('ok: the first block kept its own value');
  expect(r.stdout).toMatch(/tls: OK \(block \d+ bytes, libc\)/);
  expect(r.status, r.stderr).toBe(0);
}

describe('the bindings, freestanding (emon cc --no-libc)', () => {
  withClang('two TLS blocks switched back and forth keep their own __thread values, starting from the initial ones', () => {
    const r = emon(['run', bindings, 'tls']);
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toContain('ok: block A starts with the initial values, .tbss zeroed');
    expect(r.stdout).toContain('ok: block B is untouched by A\'s writes');
    expect(r.stdout.match(/ok: back in A: A's values/g)).toHaveLength(3);
    expect(r.stdout).toMatch(/tls: OK \(block \d+ bytes\)/);
    expect(r.status, r.stderr).toBe(0);
  });
  withClang('the stack protector catches an overflow: Solo5: ABORT: Stack corruption detected, status 255', () => {
    const r = emon(['run', bindings, 'ssp']);
    expect(r.stdout).toMatch(/Solo5: ABORT: Stack corruption detected\n$/);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(255);
    // -fstack-protector-strong's guard and handler come from the bindings, not from the monitor.
    const imports = JSON.parse(emon(['inspect', '--json', bindings]).stdout) as { imports: { module: string; name: string }[] };
    expect(imports.imports.every((i) => i.module === 'solo5')).toBe(true);
  });
  withClang('assert and abort print Solo5\'s format and exit 255; exit() gives its status', () => {
    const a = emon(['run', bindings, 'assert']);
    expect(a.stdout).toMatch(/^Solo5: ABORT: .*guest\/examples\/bindings-c\/main\.c:\d+: Assertion `argc == 99' failed\n$/);
    expect(a.status).toBe(255);
    const b = emon(['run', bindings, 'abort']);
    expect(b.stdout).toBe('Solo5: ABORT: abort() called\n');
    expect(b.status).toBe(255);
    expect(emon(['run', bindings, 'exit']).status).toBe(5);
  });
  withClang('the small printf formats as C\'s', () => {
    const r = emon(['run', bindings, 'printf']);
    expect(r.stdout).toContain('printf: [-42] [   42] [42   ] [00042] [+42] [4000000000] [beef] [BEEF] [-1234567890123] [str] [ab] [z] [%] [7]\n');
    expect(r.stdout).toContain("snprintf: 10 'truncat'\n");
    expect(r.status).toBe(0);
  });
});

describe('wasi-libc guests (emon cc)', () => {
  withLibc('main(argc, argv) gets the command line; printf, malloc, qsort, snprintf, clock_gettime work', () => {
    const r = emon(['run', helloLibc, 'sort', '3', '-1', '2']);
    expect(r.stdout).toContain('hello from libc: argc=5 argv[0]=unikernel\n');
    expect(r.stdout).toContain('sorted: -1 2 3\n');
    expect(r.stdout).toContain('2.500 done\n');
    expect(r.status, r.stderr).toBe(0);
  });
  withLibc('exit() and main\'s return value are the exit status; err.h writes to stderr (the console)', () => {
    const e = emon(['run', helloLibc, 'exit', '7']);
    expect(e.status).toBe(7);
    expect(e.stdout).toContain('exiting with 7\n');
    const w = emon(['run', helloLibc, 'warn']);
    expect(w.status).toBe(3);
    expect(w.stdout).toContain('unikernel: a warning on stderr, 42\n');
  });
  withLibc('--solo5: options on a command line given whole (--cmdline=) are taken off by the bindings', () => {
    const r = emon(['run', '--cmdline=--solo5:debug sort 2 1', helloLibc]);
    expect(r.stdout).toContain('hello from libc: argc=4');
    expect(r.stdout).toContain('sorted: 1 2\n');
    expect(r.stdout).not.toContain('solo5:');
  });
  withLibc('a program using WASI that a unikernel does not have is refused by name at load, status 1', () => {
    const src = path.join(tmp, 'files.c');
    writeFileSync(src, '#include <stdio.h>\nint main(void) { FILE *f = fopen("/etc/passwd", "r"); return f == NULL; }\n');
    const out = path.join(tmp, 'files.wasm');
    const built = emon(['cc', '-o', out, src]);
    expect(built.status, built.stderr).toBe(0);
    const r = emon(['run', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^emon: guest files \(.*\) imports function "wasi_snapshot_preview1"\."(path_open|fd_[a-z_]+)", which emon does not provide\n {2}hint: a unikernel has no file system/);
    // With a block device attached, the refusal comes before the image is created or touched.
    const withDisk = path.join(tmp, 'files-blk.wasm');
    expect(emon(['cc', `--manifest=${path.join('guest', 'examples', 'blk-c', 'manifest.json')}`, '-o', withDisk, src]).status).toBe(0);
    const img = path.join(tmp, 'never.img');
    const refused = emon(['run', `--block:storage=${img},size=64K`, withDisk]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/which emon does not provide/);
    expect(existsSync(img)).toBe(false);
  });
});

describe('the bindings with wasi-libc (emon cc): libc, TLS and the stack protector in one guest', () => {
  withLibc('two TLS blocks from aligned_alloc, switched with solo5_set_tls_base, keep their own __thread values', () => {
    expectTlsOk(emon(['run', bindingsLibc, 'tls']));
  });
  withLibc('the stack protector catches an overflow under libc: Solo5: ABORT: Stack corruption detected, status 255', () => {
    const r = emon(['run', bindingsLibc, 'ssp']);
    expect(r.stdout).toMatch(/Solo5: ABORT: Stack corruption detected\n$/);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.status).toBe(255);
    const imports = JSON.parse(emon(['inspect', '--json', bindingsLibc]).stdout) as { imports: { module: string; name: string }[] };
    expect(imports.imports.every((i) => i.module === 'solo5')).toBe(true);
    expect(imports.imports.map((i) => i.name)).toContain('set_tls_base');
  });
  withLibc('errno is libc\'s one global: strtol\'s ERANGE is seen whichever TLS block is current', () => {
    const r = emon(['run', bindingsLibc, 'errno']);
    expect(r.stdout).toContain('ok: strtol sets errno to ERANGE, seen from any block\n');
    expect(r.status, r.stderr).toBe(0);
  });
  withLibc('one emon cc line builds a program using libc, errno, __thread and -fstack-protector-strong', () => {
    const src = path.join(tmp, 'tls-libc.c');
    writeFileSync(src, [
      '#include <errno.h>', '#include <stdio.h>', '#include <stdlib.h>', '#include <string.h>', '#include "solo5.h"',
      '__thread int depth = 3;',
      '__attribute__((noinline)) static int get(void) { return depth; }',
      '__attribute__((noinline)) static void put(int v) { depth = v; }',
      'int main(int argc, char **argv) {',
      '    char buf[32];',
      '    errno = 0;',
      '    snprintf(buf, sizeof buf, "%s", argc > 1 ? argv[1] : "none");',
      '    void *blk = aligned_alloc(16, (solo5_tls_size() + 15) & ~(size_t)15);',
      '    if (solo5_tls_size() == 0 || solo5_tls_init((uintptr_t)blk) != SOLO5_R_OK) return 2;',
      '    uintptr_t first = (uintptr_t)__builtin_wasm_tls_base();',
      '    put(9);',
      '    solo5_set_tls_base(solo5_tls_tp_offset((uintptr_t)blk));',
      '    int in_new = get();',
      '    put(4);',
      '    solo5_set_tls_base(first);',
      '    printf("%s: first %d, new block %d, errno %d\\n", buf, get(), in_new, errno);',
      '    return 0;',
      '}',
    ].join('\n'));
    const out = path.join(tmp, 'tls-libc.wasm');
    const built = emon(['cc', '-o', out, src]);
    expect(built.status, built.stderr).toBe(0);
    const r = emon(['run', out, 'arg']);
    expect(r.stdout).toBe('arg: first 9, new block 3, errno 0\n');
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('emon cc', () => {
  it('--dry-run prints the one clang line, with or without libc', () => {
    const withLibc = emon(['cc', '--dry-run', '-o', 'app.wasm', 'app.c', '-DX=1']);
    expect(withLibc.status).toBe(0);
    expect(withLibc.stdout).toMatch(/^clang --target=wasm32-wasi -nostartfiles -matomics -mbulk-memory -ftls-model=local-exec -Wl,--shared-memory -Wl,--max-memory=4294967296 -Wl,--no-check-features -isystem \S+guest\/c\/libc\/include -O2 -fstack-protector-strong -I \S+guest\/c -Wl,--no-entry -DX=1 -o app\.wasm app\.c \S+bindings\/cmdline\.c .*libc\/wasi\.c\n# then: the memory's shared flag is cleared/);
    const bare = emon(['cc', '--no-libc', '--dry-run', '-o', 'app.wasm', 'app.c']);
    expect(bare.stdout).toMatch(/^clang --target=wasm32 -ffreestanding -nostdlib -matomics -mbulk-memory .*-Wl,--shared-memory .*nolibc\/nolibc\.c\n# then: the memory's shared flag is cleared/);
  });
  it('refuses a missing output or source with one line, and clang\'s errors come back as an emon error', () => {
    const noOut = emon(['cc', 'app.c']);
    expect(noOut.status).toBe(1);
    expect(noOut.stderr).toMatch(/^emon: no output file\n {2}hint: give -o OUT\.wasm/);
    expect(emon(['cc', '-o', 'x.wasm']).stderr).toMatch(/^emon: no C source file given/);
    expect(emon(['cc', '--help']).stdout).toMatch(/Usage: emon cc/);
  });
  withClang('a C error is reported with clang\'s message, no stack trace', () => {
    const src = path.join(tmp, 'broken.c');
    writeFileSync(src, 'int solo5_app_main(void) { return undeclared; }\n');
    const r = emon(['cc', '--no-libc', '-o', path.join(tmp, 'broken.wasm'), src]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^emon: clang failed building .*broken\.wasm:\n.*undeclared/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
  withClang('--manifest embeds the devices, as for blk-c', () => {
    const out = path.join(tmp, 'blk.wasm');
    const r = emon(['cc', '--no-libc', `--manifest=${path.join('guest', 'examples', 'blk-c', 'manifest.json')}`, '-o', out, path.join('guest', 'examples', 'blk-c', 'main.c')]);
    expect(r.status, r.stderr).toBe(0);
    expect(emon(['inspect', out]).stdout).toMatch(/storage BLOCK_BASIC/);
  });
});
