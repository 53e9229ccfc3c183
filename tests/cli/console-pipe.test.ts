/**
 * A guest's console goes to the monitor's stdout. When that is a pipe whose reader is slower than the guest,
 * Node's non-blocking pipe gives EAGAIN; when the reader goes away, EPIPE. Neither may lose earlier output or
 * crash the monitor.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOLO5_IMPORTS, wat } from '../monitor/helpers.js';
import { root } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-pipe-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const WRITES = 64;
const CHUNK = 65536;

/** Writes WRITES chunks of CHUNK bytes ('a'..'z' repeating, one '\n' per chunk) to the console. */
async function floodGuest(): Promise<string> {
  const bytes = await wat(`(module ${SOLO5_IMPORTS}
    (memory (export "memory") 2)
    (func (export "solo5_app_main") (param i32) (result i32) (local $i i32)
      (loop $fill
        (i32.store8 (local.get $i) (i32.add (i32.const 97) (i32.rem_u (local.get $i) (i32.const 26))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $fill (i32.lt_u (local.get $i) (i32.const ${CHUNK}))))
      (i32.store8 (i32.const ${CHUNK - 1}) (i32.const 10))
      (local.set $i (i32.const 0))
      (loop $w
        (call $console_write (i32.const 0) (i32.const ${CHUNK}))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $w (i32.lt_u (local.get $i) (i32.const ${WRITES}))))
      (i32.const 0)))`);
  const file = path.join(tmp, 'flood.wasm');
  writeFileSync(file, bytes);
  return file;
}

function runEmon(args: string[]) {
  return spawn(process.execPath, [path.join(root, 'dist', 'runtime', 'cli', 'main.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('console on a pipe', () => {
  it('a slow reader gets every byte and the guest exits 0', async () => {
    const child = runEmon(['run', await floodGuest()]);
    let received = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.pause();
    // Let the pipe fill up while nobody reads, then drain it.
    await new Promise((r) => setTimeout(r, 700));
    child.stdout.on('data', (d: Buffer) => (received += d.length));
    child.stdout.resume();
    const status = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(received).toBe(WRITES * CHUNK);
  });

  it('a reader that goes away ends console output without a crash or stack trace', async () => {
    const child = runEmon(['run', await floodGuest()]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((r) => child.on('close', r));
    expect(stderr).not.toMatch(/at .*\.js:\d+|internal error|crashed/);
    expect(status).toBe(0);
  });
});
