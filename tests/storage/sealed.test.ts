/** Design 3 (sealed blocks outside, keys and hash tree inside): round trips, reopen, ciphertext only. */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { geometry } from '../../runtime/storage/layout.js';
import { openSealed, pattern, scratchDir } from './helpers.js';

const tmp = scratchDir('sealed');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('SealedStore', () => {
  it('formats, reads back what was written, and keeps it across reopen', () => {
    const st = path.join(tmp, 'st1');
    const img = path.join(tmp, 'a.img');
    const s = openSealed(st, img, { blockSize: 4096, blocks: 200 });
    expect(s.blocks).toBe(200);
    const out = new Uint8Array(4096);
    s.read(7, out);
    expect(out.every((b) => b === 0)).toBe(true); // never written: zeros
    for (let i = 0; i < 300; i++) s.write(i % 200, pattern(i % 200, i, 4096));
    s.read(199, out);
    expect(out).toEqual(pattern(199, 199, 4096));
    s.close();
    const r = openSealed(st, img);
    expect(r.blocks).toBe(200);
    expect(r.blockSize).toBe(4096);
    for (const b of [0, 99, 100, 150, 199]) {
      r.read(b, out);
      const last = b < 100 ? 200 + b : b;
      expect(out).toEqual(pattern(b, last, 4096));
    }
    r.close();
  });

  it('the image holds only ciphertext', () => {
    const st = path.join(tmp, 'st2');
    const img = path.join(tmp, 'b.img');
    const s = openSealed(st, img, { blockSize: 512, blocks: 16 });
    const secret = new Uint8Array(512).fill(0x41);
    secret.set(new TextEncoder().encode('TOP-SECRET-MARKER'), 100);
    for (let b = 0; b < 16; b++) s.write(b, secret);
    s.close();
    const bytes = readFileSync(img);
    expect(bytes.length).toBe(geometry(512, 16).totalBytes);
    expect(bytes.includes(Buffer.from('TOP-SECRET-MARKER'))).toBe(false);
    expect(bytes.includes(Buffer.alloc(64, 0x41))).toBe(false);
  });

  it('refuses an image with no store unless told to create one', () => {
    expect(() => openSealed(path.join(tmp, 'st3'), path.join(tmp, 'none.img'))).toThrow(/cannot open secure block image/);
  });
});

describe('formatting', () => {
  it('never formats over an image that holds data, and names it', async () => {
    const { writeFileSync } = await import('node:fs');
    const img = path.join(tmp, 'plain.img');
    const data = Buffer.alloc(64 * 1024);
    data.write('someone else\'s data', 20000);
    writeFileSync(img, data);
    expect(() => openSealed(path.join(tmp, 'st4'), img, { blockSize: 4096, blocks: 4 })).toThrow(/holds data but no secure store/);
    expect(readFileSync(img).equals(data)).toBe(true);
    data.fill(0);
    writeFileSync(img, data);
    const s = openSealed(path.join(tmp, 'st4'), img, { blockSize: 4096, blocks: 4 }); // all zero: formatted
    expect(s.blocks).toBe(4);
    s.close();
  });
});
