/**
 * The example unikernels of guest/examples, built by `npm run build` into build/guests/, run through the real
 * `emon run`: AssemblyScript SDK (console, command line, clocks, yield, block, net) and the C header.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emon, guests, root } from '../cli/helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-ex-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function hasTool(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveClang = hasTool('clang') && hasTool('wasm-ld');

describe('AssemblyScript examples', () => {
  it('hello prints its command line', () => {
    const r = emon(['run', path.join(guests, 'hello.wasm'), '--', 'a', 'b']);
    expect(r.stdout, r.stderr).toBe("Hello, World\nCommand line is: 'a b'\n");
    expect(r.status).toBe(0);
  });

  it('blk writes, reads back and verifies blocks on a created image, durably', () => {
    const img = path.join(tmp, 'disk.img');
    const r = emon(['run', `--block:storage=${img},size=32K`, path.join(guests, 'blk.wasm')]);
    expect(r.stdout, r.stderr).toContain('verified 16 blocks');
    expect(r.stdout, r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const data = readFileSync(img);
    expect(data.length).toBe(32 * 1024);
    for (const [blk, i] of [[0, 0], [3, 100], [15, 511]]) expect(data[blk! * 512 + i!]).toBe((i! * 7 + blk! * 13) & 0xff);
    expect(data.subarray(16 * 512).every((b) => b === 0)).toBe(true);
  });

  it('blk with 4096-byte sectors', () => {
    const r = emon(['run', `--block:storage=${path.join(tmp, 'big.img')},size=128K,sector=4096`, path.join(guests, 'blk.wasm')]);
    expect(r.stdout, r.stderr).toContain('block size 4096');
    expect(r.status).toBe(0);
  });

  it('timer sleeps with yield and reads both clocks', () => {
    const r = emon(['run', path.join(guests, 'timer.wasm')]);
    expect(r.stdout, r.stderr).toContain('tick 3');
    expect(r.stdout, r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('net-ping and net-pong exchange frames through the in-process switch', () => {
    const r = emon(['run', '--guest', '--net:service=switch:sw0', path.join(guests, 'net-pong.wasm'), '--guest', '--net:service=switch:sw0', '--net-mac:service=02:00:00:00:00:02', path.join(guests, 'net-ping.wasm'), '4']);
    expect(r.stdout, r.stderr).toMatch(/net-ping\| ping: MAC 02:00:00:00:00:02/);
    expect(r.stdout, r.stderr).toMatch(/net-ping\| ping: pong 3 from/);
    expect(r.stdout, r.stderr).toMatch(/net-pong\| pong: answered 4 pings, quitting/);
    expect(r.status).toBe(0);
  });

  it('net-ping and net-pong in two emon processes joined by a UDP tunnel on loopback', async () => {
    const a = 20000 + Math.floor(Math.random() * 20000);
    const b = a + 1;
    const cli = path.join(root, 'dist', 'runtime', 'cli', 'main.js');
    const pong = spawn(process.execPath, [cli, 'run', '--timeout=20', `--net:service=udp:${a}:127.0.0.1:${b}`, path.join(guests, 'net-pong.wasm')]);
    let pongOut = '';
    pong.stdout.on('data', (d: Buffer) => (pongOut += d.toString()));
    const pongDone = new Promise<number>((resolve) => pong.on('exit', (c) => resolve(c ?? -1)));
    while (!pongOut.includes('waiting for pings')) await new Promise((r) => setTimeout(r, 20));
    const ping = emon(['run', '--timeout=20', `--net:service=udp:${b}:127.0.0.1:${a}`, path.join(guests, 'net-ping.wasm'), '--', '3']);
    expect(ping.stdout, ping.stderr).toMatch(/ping: pong 2 from/);
    expect(ping.status).toBe(0);
    expect(await pongDone).toBe(0);
    expect(pongOut).toContain('answered 3 pings');
  });
});

describe('C guests', () => {
  const title = 'hello-c built with emon cc --no-libc against guest/c/solo5.h runs';
  it.skipIf(!haveClang)(haveClang ? title : `${title} -- SKIPPED: clang/wasm-ld not installed (apt install clang lld)`, () => {
    expect(existsSync(path.join(guests, 'hello-c.wasm'))).toBe(true);
    const r = emon(['run', path.join(guests, 'hello-c.wasm'), '--', 'from', 'C']);
    expect(r.stdout, r.stderr).toContain("Command line is: 'from C'");
    expect(r.stdout, r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  const blkTitle = 'blk-c fills, reads back and checks a block device through the C header';
  it.skipIf(!haveClang)(haveClang ? blkTitle : `${blkTitle} -- SKIPPED: clang/wasm-ld not installed (apt install clang lld)`, () => {
    const img = path.join(tmp, 'c.img');
    const r = emon(['run', `--block:storage=${img},size=8K`, path.join(guests, 'blk-c.wasm')]);
    expect(r.stdout, r.stderr).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const data = readFileSync(img);
    for (const [b, i] of [[0, 0], [5, 17], [15, 511]]) expect(data[b! * 512 + i!]).toBe('0'.charCodeAt(0) + ((b! + i!) % 10));
  });
});
