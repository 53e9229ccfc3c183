/**
 * fast-check against a reference model: random sequences of writes, reads, flushes and reopen (clean close)
 * on designs 3 and 2 behave like a plain array of blocks; and an adversary flipping any byte of the image
 * between runs never makes a read return data other than what was written: it returns the right data or a
 * StorageViolation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { WasmCrypto } from '../../runtime/hw/crypto/index.js';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { EpcStore } from '../../runtime/storage/epc.js';
import { SealedStore } from '../../runtime/storage/sealed.js';
import { StorageViolation, type BlockStore, type Design } from '../../runtime/storage/store.js';
import { PowerLossDisk } from './power.js';

const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const tmp = mkdtempSync(path.join(base, 'emon-model-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const crypto = WasmCrypto.create();
const BS = 512;
const BLOCKS = 150; // two leaf pages
let stores = 0;

function open(design: Design, disk: PowerLossDisk, state: string, create: boolean, residentBlocks?: number): BlockStore {
  const opts = { platform: loadPlatform(state), stateDir: state, crypto, ...(create ? { create: { blockSize: BS, blocks: BLOCKS } } : {}) };
  return design === 'epc' ? EpcStore.open(disk, { ...opts, ...(residentBlocks ? { residentBlocks } : {}) }) : SealedStore.open(disk, opts);
}

const fill = (seed: number) => new Uint8Array(BS).map((_, i) => (seed * 31 + i * 7) & 0xff);

type Op = { op: 'write'; block: number; seed: number } | { op: 'read'; block: number } | { op: 'flush' } | { op: 'reopen' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('write' as const), block: fc.integer({ min: 0, max: BLOCKS - 1 }), seed: fc.nat(1000) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('read' as const), block: fc.integer({ min: 0, max: BLOCKS - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
);

describe.each(['sealed', 'epc'] as const)('design %s against a reference model', (design) => {
  it('random operation sequences read back what the model holds', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 8 }), (ops, resident) => {
        const state = path.join(tmp, `m${++stores}`);
        const disk = new PowerLossDisk();
        const model = new Map<number, number>();
        let s = open(design, disk, state, true, resident);
        const out = new Uint8Array(BS);
        for (const o of ops) {
          if (o.op === 'write') {
            s.write(o.block, fill(o.seed));
            model.set(o.block, o.seed);
          } else if (o.op === 'read') {
            s.read(o.block, out);
            const seed = model.get(o.block);
            const want = seed === undefined ? new Uint8Array(BS) : fill(seed);
            if (!Buffer.from(out).equals(Buffer.from(want))) throw new Error(`block ${o.block} read back other data than the model holds`);
          } else if (o.op === 'flush') s.flush();
          else {
            s.close();
            s = open(design, disk, state, false, resident);
          }
        }
        s.close();
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('an adversary flipping any byte of a design 3 image', () => {
  it('never makes a read return wrong data', () => {
    const state = path.join(tmp, 'flip');
    const disk = new PowerLossDisk();
    const s = open('sealed', disk, state, true);
    for (let b = 0; b < BLOCKS; b += 3) s.write(b, fill(b));
    s.close();
    const clean = new Uint8Array(disk.size());
    disk.read(0, clean);
    let detected = 0;
    let harmless = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: clean.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const img = clean.slice();
        img[at]! ^= mask;
        let r: BlockStore;
        try {
          r = SealedStore.open(new PowerLossDisk(img), { platform: loadPlatform(state), stateDir: state, crypto, readOnly: true });
        } catch (e) {
          expect(e).toBeInstanceOf(StorageViolation);
          detected++;
          return;
        }
        const out = new Uint8Array(BS);
        for (let b = 0; b < BLOCKS; b++) {
          try {
            r.read(b, out);
          } catch (e) {
            expect(e).toBeInstanceOf(StorageViolation);
            detected++;
            continue;
          }
          const want = b % 3 === 0 ? fill(b) : new Uint8Array(BS);
          if (!Buffer.from(out).equals(Buffer.from(want))) throw new Error(`byte ${at} ^ ${mask}: block ${b} read back wrong data`);
        }
        r.close();
        harmless++;
      }),
      { numRuns: 400 },
    );
    expect(detected).toBeGreaterThan(0);
  }, 120_000);
});
