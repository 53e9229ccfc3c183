/**
 * Crash consistency under power loss, in process: a write-heavy workload on design 3 (commit per write) and
 * design 2 (flush every few writes) runs on a PowerLossDisk that cuts power at a random write or sync; the
 * platter then keeps a random subset of unsynced writes, some torn. Reopened, the store must hold exactly
 * the state after some write k, at or after the last acknowledged flush, and be writable again. The
 * hardware counter lives in a real platform state directory on tmpfs when there is one.
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
import type { BlockStore, Design } from '../../runtime/storage/store.js';
import { PowerCut, PowerLossDisk } from './power.js';

const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const tmp = mkdtempSync(path.join(base, 'emon-power-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const crypto = WasmCrypto.create();
const BS = 512;
const BLOCKS = 40;
const CRASHES_PER_DESIGN = Number(process.env["EMON_POWER_CUTS"] ?? 600);

function open(design: Design, disk: PowerLossDisk, state: string, create: boolean, readOnly = false): BlockStore {
  const opts = { platform: loadPlatform(state), stateDir: state, crypto, ...(create ? { create: { blockSize: BS, blocks: BLOCKS } } : {}), ...(readOnly ? { readOnly } : {}) };
  return design === 'epc' && !readOnly ? EpcStore.open(disk, opts) : SealedStore.open(disk, opts);
}

function content(write: number): Uint8Array {
  const b = new Uint8Array(BS);
  const dv = new DataView(b.buffer);
  for (let o = 0; o < BS; o += 4) dv.setUint32(o, (write * 2654435761 + o) >>> 0, true);
  return b;
}

describe.each(['sealed', 'epc'] as const)('power cuts during writes to design %s', (design) => {
  it(`${CRASHES_PER_DESIGN} cuts at random writes and syncs: every reopen is exactly a state at or after the last acknowledged flush`, () => {
    const rnd = fc.sample(fc.integer({ min: 0, max: 2 ** 31 - 1 }), CRASHES_PER_DESIGN * 4);
    let r = 0;
    const random = () => rnd[r++ % rnd.length]! / 2 ** 31;
    const state = path.join(tmp, design);
    let cuts = 0;
    for (let trial = 0; trial < CRASHES_PER_DESIGN; trial++) {
      const disk = new PowerLossDisk();
      const blocksOf: number[] = []; // write i -> block
      let acked = -1;
      const flushEvery = design === 'epc' ? 3 : 1;
      disk.crashAt = 1 + Math.floor(random() * 60);
      try {
        const s = open(design, disk, state, true);
        for (let i = 0; ; i++) {
          const b = Math.floor(random() * BLOCKS);
          blocksOf.push(b);
          s.write(b, content(i));
          if ((i + 1) % flushEvery === 0) {
            s.flush();
            acked = i;
          }
        }
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        cuts++;
      }
      const platter = new PowerLossDisk(disk.afterCut(random));
      if (acked < 0 && platter.size() === 0) continue;
      let s: BlockStore;
      try {
        s = open(design, platter, state, false, true);
      } catch (e) {
        // Cut before the first commit was durable: nothing was ever acknowledged, and no store exists yet.
        expect(acked, `no store after a cut, yet write ${acked} was acknowledged: ${(e as Error).message}`).toBe(-1);
        continue;
      }
      const got: Uint8Array[] = [];
      for (let b = 0; b < BLOCKS; b++) {
        const out = new Uint8Array(BS);
        s.read(b, out);
        got.push(out);
      }
      s.close();
      // Find k: the state after writes 0..k (k = -1: nothing) that the store holds exactly.
      const matches = (k: number): boolean => {
        const want: (number | undefined)[] = new Array(BLOCKS);
        for (let i = 0; i <= k; i++) want[blocksOf[i]!] = i;
        return got.every((g, b) => (want[b] === undefined ? g.every((x) => x === 0) : Buffer.from(g).equals(Buffer.from(content(want[b]!)))));
      };
      let k = -2;
      for (let c = blocksOf.length - 1; c >= -1; c--) {
        if (matches(c)) {
          k = c;
          break;
        }
      }
      expect(k, `trial ${trial}: the reopened store is no prefix state`).toBeGreaterThanOrEqual(-1);
      expect(k, `trial ${trial}: write ${acked} was acknowledged, the store came back at ${k}`).toBeGreaterThanOrEqual(acked);
      // and it is writable again
      const again = open(design, platter, state, false);
      again.write(0, content(999));
      again.close();
    }
    expect(cuts).toBe(CRASHES_PER_DESIGN);
  }, 300_000);
});
