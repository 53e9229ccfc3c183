/**
 * Design 1, the enclave file system (enclaves/storage-fs, guest/examples/enclave-fs): files and directories
 * persist across boots as a sealed log, the log is compacted when full, the image holds no plaintext, and a
 * record that is altered or moved within the log is refused at mount. On a design 3 device the log also gets
 * rollback protection.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emon, guests, root } from '../cli/helpers.js';
import { scratchDir } from './helpers.js';

const tmp = scratchDir('efs');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const state = path.join(tmp, 'platform');
const enclave = path.join(root, 'build', 'enclaves', 'storage-fs.wasm');
const guest = path.join(guests, 'enclave-fs.wasm');
const run = (block: string) => emon(['run', `--state-dir=${state}`, `--block:storage=${block}`, `--enclave:fs=${enclave}`, guest], { timeoutMs: 60000 });

describe('design 1: the enclave file system', () => {
  const img = path.join(tmp, 'fs.img');

  it('creates, renames, truncates and unlinks, then finds it all again on later boots', () => {
    const first = run(`${img},size=64K,sector=4096`);
    expect(first.stdout, first.stderr).toContain('fs: created /docs/note.txt; /docs holds: note.txt');
    expect(first.status).toBe(0);
    const second = run(`${img},sector=4096`); // the log's layout is in blocks: keep the block size
    // 40 fsyncs into a 15-record log: compacted twice, so far fewer than 40 records remain.
    expect(second.stdout, second.stderr).toMatch(/fs: mounted (\d+) sealed record\(s\); \/docs\/note.txt reads 'kept by an enclave'; \/docs holds: note.txt run1/);
    expect(Number(/mounted (\d+)/.exec(second.stdout)![1])).toBeLessThan(15);
    const third = run(`${img},sector=4096`);
    expect(third.stdout, third.stderr).toContain('/docs holds: note.txt run1 run2');
  });

  it('leaves no plaintext on the device', () => {
    const bytes = readFileSync(img);
    expect(bytes.includes(Buffer.from('kept by an enclave'))).toBe(false);
    expect(bytes.includes(Buffer.from('note.txt'))).toBe(false);
  });

  it('refuses a log record the monitor altered', () => {
    const bad = path.join(tmp, 'flipped.img');
    const bytes = readFileSync(img);
    bytes[4096 + 100]! ^= 1; // inside record 0
    writeFileSync(bad, bytes);
    const r = run(`${bad},sector=4096`);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/fs: mount \(the sealed log was altered, reordered or is not this enclave's\) failed: -5/);
  });

  it('refuses records reordered inside the log', () => {
    const bad = path.join(tmp, 'swapped.img');
    const bytes = readFileSync(img);
    const h = Buffer.from(bytes.subarray(8, 24)); // entries 0 and 1 of the header
    bytes.writeUInt32LE(h.readUInt32LE(8), 8);
    bytes.writeUInt32LE(h.readUInt32LE(12), 12);
    bytes.writeUInt32LE(h.readUInt32LE(0), 16);
    bytes.writeUInt32LE(h.readUInt32LE(4), 20);
    writeFileSync(bad, bytes);
    const r = run(`${bad},sector=4096`);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('fs: mount (the sealed log was altered');
  });

  it('runs on a design 3 device, which adds rollback protection to the log', () => {
    const sec = path.join(tmp, 'fs-sealed.img');
    expect(run(`${sec},secure=sealed,size=64K`).status).toBe(0);
    const old = path.join(tmp, 'fs-sealed-old.img');
    copyFileSync(sec, old);
    expect(run(`${sec},secure=sealed`).stdout).toContain('/docs holds: note.txt run1');
    copyFileSync(old, sec);
    const r = run(`${sec},secure=sealed`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/rollback detected/);
  });

  const cGuest = path.join(guests, 'enclave-fs-c.wasm');
  const title = 'the C guest library: write, fsync, remount in a fresh enclave, read back; an altered log refused';
  it.skipIf(!existsSync(cGuest))(existsSync(cGuest) ? title : `${title} -- SKIPPED: enclave-fs-c.wasm not built (clang/wasm-ld missing)`, () => {
    const r = emon(['run', `--state-dir=${state}`, `--enclave:fs=${enclave}`, cGuest], { timeoutMs: 60000 });
    expect(r.stdout, r.stderr).toContain("fs-c: after remount /c/hello.txt reads 'written from C'");
    expect(r.stdout).toContain('fs-c: an altered log is refused at mount');
    expect(r.status).toBe(0);
  });
});
