/**
 * Design 3 against an adversarial monitor: each attack of the storage issue is detected and named (a
 * StorageViolation of the right kind), and a guest reading through the device gets EUNSPEC, never wrong data.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { openSecure } from '../../runtime/monitor/devices/secure-block.js';
import { SOLO5_R_EUNSPEC, SOLO5_R_OK } from '../../runtime/monitor/abi.js';
import { blockOffset, SUPER_SLOT_BYTES } from '../../runtime/storage/layout.js';
import { StorageViolation, type ViolationKind } from '../../runtime/storage/store.js';
import type { SealedStore } from '../../runtime/storage/sealed.js';
import { droppingBacking, ImageAdversary } from './adversary.js';
import { openSealed, pattern, scratchDir } from './helpers.js';

const tmp = scratchDir('adv');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const BS = 4096;
const N = 300; // three leaf pages

function violation(kind: ViolationKind, f: () => unknown): StorageViolation {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected a ${kind} violation`).toBeInstanceOf(StorageViolation);
  expect((thrown as StorageViolation).kind, (thrown as Error).message).toBe(kind);
  return thrown as StorageViolation;
}

let n = 0;
let state: string;
let image: string;
let adv: ImageAdversary;
const out = new Uint8Array(BS);

/** A store with blocks 0..9 written twice (so both slots hold ciphertext) and closed. */
function fresh(): void {
  n++;
  state = path.join(tmp, `st${n}`);
  image = path.join(tmp, `img${n}`);
  const s = openSealed(state, image, { blockSize: BS, blocks: N });
  for (let round = 0; round < 2; round++) for (let b = 0; b < 10; b++) s.write(b, pattern(b, round, BS));
  s.write(200, pattern(200, 1, BS));
  s.close();
  adv = new ImageAdversary(image, BS, N);
}
const reopen = (): SealedStore => openSealed(state, image);

describe('design 3 against an adversarial monitor', () => {
  beforeEach(fresh);

  it('an untouched image reads back exactly', () => {
    const s = reopen();
    for (let b = 0; b < 10; b++) {
      s.read(b, out);
      expect(out).toEqual(pattern(b, 1, BS));
    }
    s.close();
  });

  it('bit flips in a block: altered', () => {
    adv.flipBlock(3);
    const s = reopen();
    expect(violation('altered', () => s.read(3, out)).message).toMatch(/block 3 fails authentication/);
    s.read(4, out); // the others are untouched
    expect(out).toEqual(pattern(4, 1, BS));
    s.close();
  });

  it('two blocks swapped: moved, naming where each came from', () => {
    adv.swapBlocks(2, 5);
    const s = reopen();
    expect(violation('moved', () => s.read(2, out)).message).toMatch(/block 2 holds the contents of block 5/);
    expect(violation('moved', () => s.read(5, out)).message).toMatch(/block 5 holds the contents of block 2/);
    s.close();
  });

  it('a block moved over another: moved', () => {
    adv.moveBlock(1, 7);
    const s = reopen();
    expect(violation('moved', () => s.read(7, out)).message).toMatch(/block 7 holds the contents of block 1/);
    s.close();
  });

  it('one block rolled back to an older copy: altered', () => {
    const old = adv.snapshot();
    const s = reopen();
    s.write(4, pattern(4, 9, BS));
    s.write(4, pattern(4, 10, BS));
    s.close();
    adv.rollbackBlock(4, old);
    const r = reopen();
    violation('altered', () => r.read(4, out));
    r.close();
  });

  it('the whole image rolled back, metadata and superblocks included: rollback, across restarts', () => {
    const old = adv.snapshot();
    const s = reopen();
    s.write(0, pattern(0, 5, BS));
    s.close();
    adv.restore(old);
    expect(violation('rollback', reopen).code).toBe('E_STORAGE_ROLLBACK');
  });

  it('a superblock replayed from an older copy: rollback; one copied into the other slot: superblock', () => {
    const old = adv.snapshot();
    reopen().close(); // every open commits: the generation moves on
    adv.replaySuperblock(0, old);
    adv.replaySuperblock(1, old);
    violation('rollback', reopen);
    const now = adv.snapshot();
    adv.restore(old);
    adv.replaySuperblock(1, now, 0);
    adv.replaySuperblock(0, now, 0);
    expect(() => reopen()).toThrow(StorageViolation);
  });

  it('both superblocks damaged: superblock', () => {
    adv.flipSuperblocks();
    expect(violation('superblock', reopen).message).toMatch(/no superblock slot is authentic/);
  });

  it('a leaf page of the hash tree altered: metadata', () => {
    adv.flipLeafPage(0);
    expect(violation('metadata', reopen).message).toMatch(/do not match the sealed root/);
  });

  it('truncated at rest: truncated; truncated under a running store: truncated on read', () => {
    const size = statSync(image).size;
    adv.truncate(size - 4096);
    violation('truncated', reopen);
    fresh();
    const s = reopen();
    adv.truncate(blockOffset(adv.geo, 1, 0));
    violation('truncated', () => s.read(200, out));
    s.close();
  });

  it('a dropped block write: altered on the next read, even after reopen', () => {
    const s = openSealed(state, image, undefined, (b) => droppingBacking(b, (o) => o >= blockOffset(adv.geo, 6, 0) && o < blockOffset(adv.geo, 7, 0)));
    s.write(6, pattern(6, 7, BS));
    violation('altered', () => s.read(6, out));
    s.close();
    const r = reopen();
    violation('altered', () => r.read(6, out));
    r.close();
  });

  it('a dropped superblock write: rollback at the next open', () => {
    let dropping = false;
    const s = openSealed(state, image, undefined, (b) => droppingBacking(b, (o) => dropping && o < 2 * SUPER_SLOT_BYTES));
    dropping = true;
    s.write(8, pattern(8, 3, BS));
    s.close();
    violation('rollback', reopen);
  });

  it('the guest reading through the device gets EUNSPEC, not data, and the attack is logged by name', () => {
    adv.flipBlock(2);
    const lines: string[] = [];
    const disk = openSecure('g', 'storage', { path: image, size: undefined, sector: BS, secure: 'sealed' }, { stateDir: state }, (l) => lines.push(l));
    const mem = new Uint8Array(3 * BS).fill(0xee);
    expect(disk.io(false, 1 * BS, mem, 0, BS)).toBe(SOLO5_R_OK);
    expect(mem.subarray(0, BS)).toEqual(pattern(1, 1, BS));
    expect(disk.io(false, 2 * BS, mem, BS, BS)).toBe(SOLO5_R_EUNSPEC);
    expect(mem.subarray(BS, 2 * BS).every((b) => b === 0xee)).toBe(true); // nothing of the block reached the guest
    expect(lines.join('\n')).toMatch(/secure block device "storage" of guest g: altered: .*block 2 fails authentication/);
    disk.close();
  });

  it('the platform state restored to an older copy (counter behind the store): counter', () => {
    const oldState = path.join(tmp, `old-state-${n}`);
    cpSync(state, oldState, { recursive: true });
    for (let i = 0; i < 3; i++) reopen().close();
    rmSync(state, { recursive: true });
    cpSync(oldState, state, { recursive: true });
    expect(violation('counter', reopen).code).toBe('E_STORAGE_ROLLBACK');
  });
});
