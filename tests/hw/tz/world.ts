/**
 * Test fixtures for the TrustZone secure world: a normal world (a plain Wasm memory) that lays out
 * TEEC_Operations the way the GP client library does, and a secure world over build/ta (the example TAs).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildDir } from '../../../runtime/paths.js';
import { Carveout } from '../../../runtime/hw/tz/carveout.js';
import { SecureWorld, type SecureWorldOptions } from '../../../runtime/hw/tz/secure-world.js';
import { TEEC_OPERATION_SIZE } from '../../../runtime/hw/tz/operation.js';

export const HELLO = '8aaaf200-2450-11e4-abe2-0002a5d5c51b';
export const SINGLE = '5b9e0e40-2636-11e1-ad9e-0002a5d5c51b';
export const CMD = { INC: 0, DEC: 1, SHA256: 2, ECHO: 3, NULL: 4, ALLOC: 5, TRAP: 6, RANDOM: 7, TIME: 8, COUNT: 9 } as const;
export const taDir = path.join(buildDir, 'ta');
export const OP = 1024;

export type Param = { value: [number, number] } | { buf: number; size: number } | null;

export class NormalWorld {
  readonly memory = new WebAssembly.Memory({ initial: 2, maximum: 16 });
  readonly log: string[] = [];
  u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
  dv(): DataView {
    return new DataView(this.memory.buffer);
  }
  /** Writes a TEEC_Operation at `at` (wasm32 layout) and returns `at`. */
  op(types: number, params: readonly Param[], at = OP): number {
    const dv = this.dv();
    this.u8().fill(0, at, at + TEEC_OPERATION_SIZE);
    dv.setUint32(at + 4, types, true);
    params.forEach((p, i) => {
      const o = at + 8 + 12 * i;
      if (p === null) return;
      if ('value' in p) {
        dv.setUint32(o, p.value[0], true);
        dv.setUint32(o + 4, p.value[1], true);
      } else {
        dv.setUint32(o, p.buf, true);
        dv.setUint32(o + 4, p.size, true);
      }
    });
    return at;
  }
  /** Param i of the operation at `at`: [a or buffer, b or size]. */
  param(i: number, at = OP): [number, number] {
    const dv = this.dv();
    return [dv.getUint32(at + 8 + 12 * i, true), dv.getUint32(at + 8 + 12 * i + 4, true)];
  }
}

export function secureWorld(nw: NormalWorld, extra: Partial<SecureWorldOptions> = {}): SecureWorld {
  return new SecureWorld({
    taDir,
    carveout: Carveout.create(16 * 1024 * 1024),
    client: 'test',
    log: (l) => nw.log.push(l),
    trace: null,
    spin: null,
    normalWorld: () => nw.memory,
    ...extra,
  });
}

export const tempDir = (): string => mkdtempSync(path.join(tmpdir(), 'emon-tz-'));
