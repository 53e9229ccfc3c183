/** Block attachments: image creation and sizing on request, sector sizes, and refusal of unusable images. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { blockDevice } from '../../runtime/monitor/devices/block.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-blk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('--block:NAME=PATH[,size=][,sector=]', () => {
  it('creates an image with size=, extends a smaller one, never shrinks', () => {
    const img = path.join(tmp, 'a.img');
    blockDevice.prepare('g', 'd', `${img},size=4K`);
    expect(statSync(img).size).toBe(4096);
    blockDevice.prepare('g', 'd', `${img},size=1M`);
    expect(statSync(img).size).toBe(1024 * 1024);
    blockDevice.prepare('g', 'd', `${img},size=8K`);
    expect(statSync(img).size).toBe(1024 * 1024);
  });
  it('refuses a missing image, an empty one, and one that is not a whole number of blocks (Solo5), untouched', () => {
    expect(() => blockDevice.prepare('g', 'd', path.join(tmp, 'none.img'))).toThrow(/cannot open block image .*none\.img for device "d" of guest g: ENOENT/);
    const empty = path.join(tmp, 'empty.img');
    writeFileSync(empty, '');
    expect(() => blockDevice.prepare('g', 'd', empty)).toThrow(/is empty/);
    const small = path.join(tmp, 'small.img');
    writeFileSync(small, Buffer.alloc(1000));
    expect(() => blockDevice.prepare('g', 'd', `${small},sector=4096`)).toThrow(/image size 1000 is not a multiple of the block size \(4096\)/);
    expect(() => blockDevice.prepare('g', 'd', `${small},size=4096,sector=4096`)).not.toThrow(); // size= extends first
    writeFileSync(small, Buffer.alloc(5000));
    expect(() => blockDevice.prepare('g', 'd', `${small},size=4096,sector=4096`)).toThrow(/image size 5000 is not a multiple/);
    expect(statSync(small).size).toBe(5000);
  });
  it('refuses bad options', () => {
    const img = path.join(tmp, 'b.img');
    expect(() => blockDevice.prepare('g', 'd', `${img},size=lots`)).toThrow(/unknown option "size=lots"/);
    expect(() => blockDevice.prepare('g', 'd', `${img},colour=red`)).toThrow(/unknown option/);
    expect(() => blockDevice.prepare('g', 'd', `${img},sector=1000`)).toThrow(/not a power of two/);
    expect(() => blockDevice.prepare('g', 'd', `${img},size=1000`)).toThrow(/not a multiple of the 512-byte block size/);
    expect(() => blockDevice.prepare('g', 'd', '')).toThrow(/no image path/);
  });
});
