/**
 * `emon bench --edl` over EDL user types (issue 13, benchmark): with the edltypes enclave, a 64-byte struct
 * [in] by pointer and by value, a struct array swept by count, a 2-D array, and a deep-copied struct whose
 * member buffer is swept like a sized buffer each become cases whose calls succeed and whose byte counts are
 * what crosses the gate. (Timing is the benchmark's business, not the test's.)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { edlSuite, SIZES_QUICK } from '../../bench/edl/suite.js';

const root = path.resolve(__dirname, '..', '..');
const edl = path.join(root, 'enclaves/edltypes/edltypes.edl');
const wasm = path.join(root, 'build/enclaves/edltypes.wasm');
const have = existsSync(wasm);

describe.skipIf(!have)(have ? 'emon bench --edl over struct and array parameters' : 'emon bench --edl over struct and array parameters -- SKIPPED: run npm run build first', () => {
  it('builds one case per struct/array ECALL and sweeps struct arrays and deep-copied members', async () => {
    const suite = await edlSuite(edl, wasm);
    const cases = await suite.setup({ quick: true });
    const by = new Map(cases.map((c) => [c.name, c]));
    expect(by.get('take_rec')?.bytes).toBe(64);
    expect(by.get('take_rec_value')?.bytes).toBe(64);
    expect(by.get('take_grid')?.bytes).toBe(64);
    for (const s of SIZES_QUICK) {
      expect(by.get(`take_buf/${s}`)?.bytes).toBe(s);
      expect(by.get(`take_recs/${s}`)?.bytes).toBe(Math.max(1, Math.floor(s / 64)) * 64);
      // msg_t is 12 bytes on wasm32, its data member gets the swept size.
      expect(by.get(`take_msg/${s}`)?.bytes).toBe(12 + s);
    }
    expect(by.get('bump_rec')?.bytes).toBe(128);
    expect(by.has('make_rec')).toBe(true);
    expect(by.has('ocall:ocall_make')).toBe(true);
    for (const c of cases) c.run(3);
    const extra = (await suite.extra!()) as { skipped: unknown[]; returnValues: Record<string, number> };
    expect(extra.skipped).toEqual([]);
    // The enclave saw the deep-copied bytes: the first data byte (the bench's pattern at byte 16 of the image,
    // right after the 12-byte struct rounded to 8) plus the length.
    expect(extra.returnValues['take_msg/1024']).toBe(((16 * 31 + 7) & 0xff) + 1024);
    await suite.teardown?.();
  });
});
