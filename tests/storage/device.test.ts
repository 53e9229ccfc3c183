/**
 * Secure block devices from the command line: the unchanged blk examples (AssemblyScript and C) run on
 * `--block:NAME=PATH,secure=sealed|epc`, the image holds only ciphertext, a restored older image is refused
 * with a named rollback, and bad options are named errors.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { emon, guests } from '../cli/helpers.js';
import { blockDevice } from '../../runtime/monitor/devices/block.js';
import { scratchDir } from './helpers.js';

const tmp = scratchDir('secdev');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const state = path.join(tmp, 'platform');
const haveBlkC = existsSync(path.join(guests, 'blk-c.wasm'));

/** What blk writes to block `blk` at byte i. */
const blkByte = (blk: number, i: number) => (i * 7 + blk * 13) & 0xff;

describe.each(['sealed', 'epc'] as const)('--block:storage=PATH,secure=%s', (design) => {
  const img = path.join(tmp, `${design}.img`);

  it('runs the unchanged blk example, and again on the reopened store', () => {
    for (const extra of [',size=64K', '']) {
      const r = emon(['run', `--state-dir=${state}`, `--block:storage=${img},secure=${design}${extra}`, path.join(guests, 'blk.wasm')]);
      expect(r.stdout, r.stderr).toContain('blk: capacity 65536 bytes, block size 4096');
      expect(r.stdout, r.stderr).toContain('SUCCESS');
      expect(r.status).toBe(0);
    }
  });

  it('leaves only ciphertext in the image', () => {
    const bytes = readFileSync(img);
    const plain = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) plain[i] = blkByte(3, i);
    expect(bytes.includes(plain)).toBe(false);
  });

  it('refuses a restored older copy of the whole image as a rollback', () => {
    const old = path.join(tmp, `${design}-old.img`);
    copyFileSync(img, old);
    const again = emon(['run', `--state-dir=${state}`, `--block:storage=${img},secure=${design}`, path.join(guests, 'blk.wasm')]);
    expect(again.status).toBe(0);
    copyFileSync(old, img);
    const r = emon(['run', `--state-dir=${state}`, `--block:storage=${img},secure=${design}`, path.join(guests, 'blk.wasm')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/rollback detected: the newest authentic superblock has generation \d+ but the store's hardware monotonic counter is at \d+/);
    expect(r.stdout).not.toContain('SUCCESS');
  });
});

describe('blk-c on a secure device', () => {
  for (const design of ['sealed', 'epc'] as const) {
    const title = `the C blk example runs unchanged on secure=${design}`;
    it.skipIf(!haveBlkC)(haveBlkC ? title : `${title} -- SKIPPED: build/guests/blk-c.wasm not built (clang/wasm-ld missing)`, () => {
      const r = emon(['run', `--state-dir=${state}`, `--block:storage=${path.join(tmp, `c-${design}.img`)},secure=${design},size=16K`, path.join(guests, 'blk-c.wasm')]);
      expect(r.stdout, r.stderr).toMatch(/SUCCESS/);
      expect(r.status).toBe(0);
    });
  }
});

describe('secure= option errors', () => {
  it('names an unknown design and a missing image', () => {
    expect(() => blockDevice.prepare('g', 'd', `${path.join(tmp, 'x.img')},secure=zfs`)).toThrow(/unknown secure design "zfs"/);
    expect(() => blockDevice.prepare('g', 'd', `${path.join(tmp, 'missing.img')},secure=sealed`)).toThrow(/does not exist/);
    expect(() => blockDevice.prepare('g', 'd', `${path.join(tmp, 'zero.img')},secure=epc,size=0`)).toThrow(/needs at least one 4096-byte block/);
    const r = emon(['run', `--state-dir=${state}`, '--block:storage=/dev/zero,secure=sealed,size=64K', path.join(guests, 'blk.wasm')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/secure block image \/dev\/zero is not a regular file/);
    expect(r.stderr).not.toMatch(/internal error|    at /);
  });
});
