/**
 * `emon run`, `inspect`, `manifest` and `demo` from the command line: --help everywhere, errors that name the
 * bad input with a non-zero exit, Solo5-shaped options, exit statuses.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOLO5_IMPORTS, wat } from '../monitor/helpers.js';
import { emon, guests, root } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function watFile(name: string, text: string): Promise<string> {
  const f = path.join(tmp, name);
  writeFileSync(f, await wat(text));
  return f;
}

describe('help', () => {
  for (const cmd of [['run'], ['inspect'], ['manifest'], ['manifest', 'embed'], ['demo']]) {
    it(`emon ${cmd.join(' ')} --help`, () => {
      const r = emon([...cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout, r.stderr).toMatch(/Usage: emon/);
    });
  }
  it('run --help lists the device options registered by the device modules', () => {
    const r = emon(['run', '--help']);
    expect(r.stdout, r.stderr).toMatch(/--block:NAME=PATH/);
    expect(r.stdout, r.stderr).toMatch(/--net:NAME=IFACE \| switch:SW/);
  });
});

describe('emon run errors', () => {
  it('a missing file', () => {
    const r = emon(['run', path.join(tmp, 'absent.wasm')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr, r.stdout).toMatch(/^emon: cannot read guest .*absent\.wasm: no such file/m);
    expect(r.stderr, r.stdout).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
  it.skipIf(!existsSync('/dev/zero'))('a device instead of a file is refused, not read forever', () => {
    for (const args of [['run', '/dev/zero'], ['inspect', '/dev/zero'], ['enclave', 'measure', '/dev/zero']]) {
      const r = emon(args, { timeoutMs: 20000 });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^emon: cannot read (guest|enclave) \/dev\/zero: not a regular file/);
    }
    const hello = path.join(guests, 'hello.wasm');
    const more: Array<[string[], RegExp]> = [
      [['manifest', 'embed', '/dev/zero', hello, '-o', path.join(tmp, 'm.wasm')], /^emon: cannot read manifest \/dev\/zero: not a regular file/],
      [['edl', 'check', '/dev/zero'], /^emon: cannot read EDL file \/dev\/zero: not a regular file/],
      [['bench', 'compare', '/dev/zero', '/dev/zero'], /^emon: cannot read benchmark result \/dev\/zero: not a regular file/],
      [['enclave', 'sign', '-k', '/dev/zero', '-o', path.join(tmp, 's.wasm'), path.join(root, 'build', 'enclaves', 'sealer.wasm')], /^emon: cannot read signer key \/dev\/zero: not a regular file/],
      [['run', '--enclave:sealer=/dev/zero', `--block:storage=${path.join(tmp, 'z.img')},size=64K`, path.join(guests, 'enclave-seal.wasm')], /^emon: enclave sealer: cannot read \/dev\/zero: not a regular file/],
    ];
    for (const [args, said] of more) {
      const r = emon(args, { timeoutMs: 20000 });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(said);
    }
  });
  it('a file that is not Wasm', () => {
    const f = path.join(tmp, 'notes.wasm');
    writeFileSync(f, '#!/bin/sh\necho hi\n');
    const r = emon(['run', f]);
    expect(r.status).not.toBe(0);
    expect(r.stderr, r.stdout).toMatch(/guest notes \(.*notes\.wasm\) is not a WebAssembly module/);
  });
  it('a device declared but not attached, and one attached but not declared', () => {
    let r = emon(['run', path.join(guests, 'blk.wasm')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr, r.stdout).toMatch(/declares BLOCK_BASIC device "storage" but it is not attached/);
    expect(r.stderr, r.stdout).toMatch(/hint: add --block:storage=PATH/);
    r = emon(['run', `--block:other=${path.join(tmp, 'd.img')}`, path.join(guests, 'hello.wasm')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr, r.stdout).toMatch(/--block:other=.* attaches a device that guest hello does not declare/);
  });
  it('an import emon does not provide', async () => {
    const f = await watFile('wasi.wasm', '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) i32.const 0))');
    const r = emon(['run', f]);
    expect(r.status).not.toBe(0);
    expect(r.stderr, r.stdout).toMatch(/imports function "wasi_snapshot_preview1"\."fd_write", which emon does not provide/);
  });
  it('a --trace path that cannot take the trace is refused before the guest runs', () => {
    const hello = path.join(guests, 'hello.wasm');
    for (const [trace, why] of [[tmp, /it is a directory/], [path.join(tmp, 'no', 'such', 't.json'), /the folder .* does not exist/]] as const) {
      const r = emon(['run', `--trace=${trace}`, hello]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^emon: --trace=.*: cannot write the trace there/);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toContain('internal error');
      expect(r.stdout).not.toContain('Hello'); // refused before the guest ran
    }
  });
  it('--trace of a guest making 300 000 hypercalls writes them all (more than a call takes arguments)', async () => {
    const f = await watFile('chatty-loop.wasm', `(module ${SOLO5_IMPORTS} (memory (export "memory") 1)
      (func (export "solo5_app_main") (param i32) (result i32) (local i32)
        (loop $l (call $console_write (i32.const 0) (i32.const 0))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get 1) (i32.const 300000))))
        (i32.const 0)))`);
    const trace = path.join(tmp, 'chatty.json');
    const r = emon(['run', `--trace=${trace}`, f], { timeoutMs: 120000 });
    expect(r.stderr).not.toMatch(/RangeError|at .*\.js:\d+/);
    expect(r.status, r.stderr).toBe(0);
    const m = /wrote (\d+) trace events/.exec(r.stderr);
    expect(Number(m?.[1])).toBeGreaterThan(300000);
  });
  it('unknown options, and options after the guest file are its arguments (the grammar itself: tests/monitor/runargs.test.ts)', () => {
    const hello = path.join(guests, 'hello.wasm');
    const unknown = emon(['run', '--frobnicate', hello]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr, unknown.stdout).toMatch(/^emon: unknown option --frobnicate\n {2}hint: see `emon run --help`/m);
    const late = emon(['run', hello, '--mem=8']);
    expect(late.status, late.stderr).toBe(0);
    expect(late.stdout).toContain("Command line is: '--mem=8'");
  });
});

describe('emon run', () => {
  it('passes the command line after -- and exits with the guest status', async () => {
    const r = emon(['run', path.join(guests, 'hello.wasm'), '--', 'one', '--two', '-h']);
    expect(r.status).toBe(0);
    expect(r.stdout, r.stderr).toContain("Command line is: 'one --two -h'");
    const exit7 = await watFile('exit7.wasm', `(module ${SOLO5_IMPORTS} (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) (call $exit (i32.const 7)) (i32.const 0)))`);
    expect(emon(['run', exit7]).status).toBe(7);
    const trap = await watFile('trap.wasm', '(module (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) unreachable))');
    const t = emon(['run', trap]);
    expect(t.status).toBe(255);
    expect(t.stderr).toMatch(/emon: guest trap trapped: unreachable/);
  });
  it('--mem caps the memory a guest may grow to', async () => {
    const grow = await watFile('grow.wasm', '(module (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) (i32.eq (memory.grow (i32.const 100)) (i32.const -1))))');
    expect(emon(['run', '--mem=2', grow]).status).toBe(1); // growth refused inside the guest
    expect(emon(['run', '--mem=16', grow]).status).toBe(0);
  });
  it('--timeout stops a runaway guest with status 124', async () => {
    const spin = await watFile('spin.wasm', '(module (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) (loop $l (br $l)) (i32.const 0)))');
    const r = emon(['run', '--timeout=0.3', spin]);
    expect(r.status).toBe(124);
    expect(r.stderr, r.stdout).toMatch(/guest spin stopped after 0.3 s/);
  });
});

describe('emon manifest and inspect', () => {
  it('embeds a validated manifest that inspect then shows', () => {
    const m = path.join(tmp, 'manifest.json');
    writeFileSync(m, JSON.stringify({ type: 'solo5.manifest', version: 1, devices: [{ name: 'scratch', type: 'BLOCK_BASIC' }], enclaves: [{ name: 'kv' }] }));
    const out = path.join(tmp, 'hello-scratch.wasm');
    const e = emon(['manifest', 'embed', m, path.join(guests, 'hello.wasm'), '-o', out]);
    expect(e.status).toBe(0);
    const i = emon(['inspect', out]);
    expect(i.status).toBe(0);
    expect(i.stdout).toMatch(/scratch BLOCK_BASIC/);
    expect(i.stdout).toMatch(/solo5\.console_write \(function i32 i32 ->\)\n/);
    expect(i.stdout).toMatch(/manifest "enclaves": \[\{"name":"kv"\}\]/);
    const j = JSON.parse(emon(['inspect', '--json', out]).stdout) as { devices: unknown[]; exports: Array<{ name: string }> };
    expect(j.devices).toEqual([{ name: 'scratch', type: 'BLOCK_BASIC' }]);
    expect(j.exports.map((x) => x.name).sort()).toEqual(['memory', 'solo5_app_main']);
    expect(JSON.parse(emon(['manifest', 'show', out]).stdout).enclaves).toEqual([{ name: 'kv' }]);
  });
  it('inspect shows import signatures and flags a hypercall imported with the wrong one, which run refuses', async () => {
    const f = await watFile('badsig.wasm', '(module (import "solo5" "clock_wall" (func (param i32))) (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) i32.const 0))');
    const i = emon(['inspect', f]);
    expect(i.status).toBe(0);
    expect(i.stdout, i.stderr).toMatch(/solo5\.clock_wall \(function i32 ->\) {2}<- wrong signature, the hypercall is \(-> i64\)/);
    const r = emon(['run', f]);
    expect(r.status).not.toBe(0);
    expect(r.stderr, r.stdout).toMatch(/imports "solo5"\."clock_wall" as \(i32 ->\), but the hypercall is \(-> i64\)/);
  });
  it('refuses an invalid manifest without writing anything', () => {
    const m = path.join(tmp, 'bad.json');
    writeFileSync(m, JSON.stringify({ devices: [{ name: 'a', type: 'BLOCK_BASIC' }, { name: 'a', type: 'NET_BASIC' }] }));
    const out = path.join(tmp, 'never.wasm');
    const r = emon(['manifest', 'embed', m, path.join(guests, 'hello.wasm'), '-o', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr, r.stdout).toMatch(/device "a" is declared twice/);
    expect(emon(['inspect', out]).stderr).toMatch(/no such file/);
  });
});

describe('emon demo', () => {
  it('runs the chosen steps of what `npm start` shows and exits 0', () => {
    const r = emon(['demo', 'hello', 'network ping-pong'], { timeoutMs: 120000 });
    expect(r.stdout, r.stderr).toMatch(/=== 1\/2 hello ===/);
    expect(r.stdout, r.stderr).toContain("Command line is: 'from the emon demo'");
    expect(r.stdout, r.stderr).toContain('--- network ping-pong: ok');
    expect(r.stdout, r.stderr).toMatch(/all 2 demo steps ran\./);
    expect(r.status).toBe(0);
  }, 130000);
  it('names the steps when asked for one that does not exist', () => {
    const r = emon(['demo', 'fireworks']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no demo step is called "fireworks"[\s\S]*"hello", "block device"/);
  });
});

describe('emon bench errors', () => {
  it('outputs that cannot be written are refused before any suite runs', () => {
    const file = path.join(tmp, 'plain.txt');
    writeFileSync(file, 'x');
    for (const [args, said] of [
      [['-o', tmp], /^emon: --out .*: cannot write there \(it is a directory\)/],
      [['-o', path.join(file, 'r.json')], /^emon: --out .*: cannot write there \(.*plain\.txt is not a directory\)/],
      [['--html', tmp], /^emon: --html .*: cannot write there \(it is a directory\)/],
      [['--screenshot', path.join(tmp, 'r.png')], /^emon: --screenshot needs --html/],
    ] as const) {
      const r = emon(['bench', 'hypercalls', '--quick', '--no-progress', ...args], { timeoutMs: 120000 });
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(said);
      expect(r.stdout).not.toContain('hypercalls/'); // no case ran
    }
  });
  it('bench report into a folder, or under a file, is a named error', () => {
    const file = path.join(tmp, 'plain2.txt');
    writeFileSync(file, 'x');
    for (const output of [tmp, path.join(file, 'r.html')]) {
      const r = emon(['bench', 'report', path.join(tmp, 'absent.json'), '--output', output]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^emon: --output .*: cannot write there/);
    }
  });
});
