/**
 * `emon run` as a drop-in for Solo5's tenders (issue: Solo5 compatibility): the tender's command line, Solo5's
 * block image checks (exit 1 before the guest starts, image untouched), the manifest limits with Solo5's
 * wording, and `--solo5:` log levels taken off the command line.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withCustomSection } from '../../runtime/monitor/wasmbin.js';
import { wat } from '../monitor/helpers.js';
import { emon, guests } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-tender-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hello = path.join(guests, 'hello.wasm');
const blk = path.join(guests, 'blk.wasm');

function image(name: string, bytes: number): string {
  const f = path.join(tmp, name);
  writeFileSync(f, Buffer.alloc(bytes, 0xa5));
  return f;
}

describe('the Solo5 tender command line', () => {
  it('takes everything after the guest file as its arguments, with or without -- before it', () => {
    for (const args of [[hello, 'ARG', '--mem=8'], ['--', hello, 'ARG', '--mem=8'], [hello, '--', 'ARG', '--mem=8']]) {
      const r = emon(['run', ...args]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("Command line is: 'ARG --mem=8'");
    }
    const img = image('ok.img', 64 * 1024);
    const r = emon(['run', `--block:storage=${img}`, '--', blk]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('--block-sector-size:NAME=N sets the block size the guest sees', () => {
    const img = image('4k.img', 128 * 1024);
    const r = emon(['run', `--block:storage=${img}`, '--block-sector-size:storage=4096', blk]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/block size 4096/);
  });

  it('refuses a bad block size or an image of the wrong size with status 1 before the guest starts, image untouched', () => {
    const odd = image('odd.img', 64 * 1024 + 100);
    const before = readFileSync(odd);
    const wrong = emon(['run', `--block:storage=${odd}`, blk]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr.trim().split('\n')[0]).toMatch(/^emon: block image .*odd\.img for device "storage" of guest blk: image size 65636 is not a multiple of the block size \(512\)$/);
    expect(wrong.stdout).toBe(''); // the guest never started
    const img = image('8k.img', 8 * 1024 + 512);
    const snapshot = readFileSync(img);
    const notMultiple = emon(['run', `--block:storage=${img}`, '--block-sector-size:storage=4096', blk]);
    expect(notMultiple.status).toBe(1);
    expect(notMultiple.stderr).toMatch(/image size 8704 is not a multiple of the block size \(4096\)/);
    for (const bad of ['1000', '256', 'x']) {
      const r = emon(['run', `--block:storage=${img}`, `--block-sector-size:storage=${bad}`, blk]);
      expect(r.status, bad).toBe(1);
      expect(r.stderr, bad).toMatch(new RegExp(`^emon: --block-sector-size:storage=${bad}: the block size must be a power of two of at least 512`));
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    }
    // ,size= may not extend an image whose final size is not a whole number of blocks either.
    const grow = emon(['run', `--block:storage=${odd},size=100000`, blk]);
    expect(grow.status).toBe(1);
    expect(readFileSync(odd).equals(before)).toBe(true);
    expect(readFileSync(img).equals(snapshot)).toBe(true);
    expect(statSync(odd).size).toBe(64 * 1024 + 100);
  });

  it('--solo5:quiet is taken off the command line and silences the monitor about that guest', async () => {
    const r = emon(['run', hello, '--solo5:quiet', 'x']);
    expect(r.stdout).toContain("Command line is: 'x'");
    const trap = path.join(tmp, 'trap.wasm');
    writeFileSync(trap, await wat('(module (memory (export "memory") 1) (func (export "solo5_app_main") (param i32) (result i32) unreachable))'));
    const loud = emon(['run', trap]);
    expect(loud.status).toBe(255);
    expect(loud.stderr).toMatch(/guest trap trapped/);
    const quiet = emon(['run', trap, '--solo5:quiet']);
    expect(quiet.status).toBe(255);
    expect(quiet.stderr).toBe('');
    const debug = emon(['run', hello, '--solo5:debug']);
    expect(debug.stderr).toMatch(/emon: starting guest hello/);
    expect(debug.stderr).toMatch(/emon: guest hello ended \(return\) with status 0/);
    const bad = emon(['run', hello, '--solo5:loud']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^emon: .*hello\.wasm: unknown Solo5 option --solo5:loud\n/);
    expect(bad.stdout).toBe('');
  });

  it('runs several guests introduced by --guest', () => {
    const r = emon(['run', '--guest', '--name=one', hello, 'a', '--guest', '--name=two', hello, 'b']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("one| Command line is: 'a'");
    expect(r.stdout).toContain("two| Command line is: 'b'");
    // The older alternating form is now one guest with arguments; emon says how to write several.
    const old = emon(['run', '--name=one', hello, '--name=two', hello]);
    expect(old.stdout).toContain(`Command line is: '--name=two ${hello}'`);
    expect(old.stderr).toMatch(/^emon: note: everything after .*hello\.wasm is its command line .*start each with --guest/);
  });
});

describe('manifest limits as Solo5', () => {
  const devices = (n: number, nameLen = 8) => Array.from({ length: n }, (_, i) => ({ name: `d${String(i).padStart(nameLen - 1, '0')}`, type: 'BLOCK_BASIC' }));
  const write = (name: string, value: unknown) => {
    const f = path.join(tmp, name);
    writeFileSync(f, JSON.stringify(value));
    return f;
  };
  it('accepts 63 devices and names of 67 bytes; refuses a 64th device and a 68-byte name', () => {
    const out = path.join(tmp, 'm.wasm');
    expect(emon(['manifest', 'embed', write('63.json', { type: 'solo5.manifest', version: 1, devices: devices(63) }), hello, '-o', out]).status).toBe(0);
    expect(emon(['manifest', 'embed', write('67.json', { type: 'solo5.manifest', version: 1, devices: devices(1, 67) }), hello, '-o', out]).status).toBe(0);
    const many = emon(['manifest', 'embed', write('64.json', { type: 'solo5.manifest', version: 1, devices: devices(64) }), hello, '-o', out]);
    expect(many.status).toBe(1);
    expect(many.stderr).toMatch(/^emon: the solo5\.manifest of .*64\.json is invalid: too many entries, maximum 63/);
    const long = emon(['manifest', 'embed', write('68.json', { type: 'solo5.manifest', version: 1, devices: devices(1, 68) }), hello, '-o', out]);
    expect(long.status).toBe(1);
    expect(long.stderr).toMatch(/devices\[0\]: name too long, maximum 67 bytes/);
  });
  it('refuses at load a module whose manifest section has 64 devices', () => {
    const text = JSON.stringify({ type: 'solo5.manifest', version: 1, devices: devices(64) });
    const f = path.join(tmp, 'sixty-four.wasm');
    writeFileSync(f, withCustomSection(readFileSync(hello), 'solo5.manifest', new TextEncoder().encode(text), f));
    for (const cmd of [['run', f], ['inspect', f]]) {
      const r = emon(cmd);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^emon: the solo5\.manifest of guest sixty-four .* is invalid: too many entries, maximum 63 \(64 devices declared\)/);
    }
  });
});
