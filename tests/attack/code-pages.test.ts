/**
 * Code pages (code-fetch.ts): each function of a victim fetches its code page on entry, so a secret-dependent
 * branch between two functions that work on the same data shows up in the pages the OS sees, in the code
 * region only; the enclave's memory cannot grow into that region.
 */
import { describe, expect, it } from 'vitest';
import { instrumentCodeFetch } from '../../runtime/hw/epc/index.js';
import { VictimEnclave } from '../../runtime/attack/victim.js';
import { isEmonError } from '../../runtime/errors.js';
import { victimBytes } from './fixtures.js';

/** The pages the OS sees accessed between consecutive OCALLs of one run of `entry` on `secret`. */
function accessedPerSymbol(v: VictimEnclave, entry: string, secret: number[]): number[][] {
  const seen: number[][] = [];
  v.run(entry, Uint8Array.from(secret), { enter: () => void v.view.scan(true), ocall: () => void seen.push(v.view.scan(true).accessed) }, null);
  return seen;
}

describe('code-page fetches', () => {
  it('the branch victim leaks its bit through a code page and nothing else', async () => {
    const v = await VictimEnclave.load(await victimBytes(), { name: 'code/branch' });
    const seen = accessedPerSymbol(v, 'branch_naive', [0, 1, 0, 1]);
    const zero = new Set(seen[2]);
    const one = new Set(seen[3]);
    const onlyOne = [...one].filter((p) => !zero.has(p));
    const onlyZero = [...zero].filter((p) => !one.has(p));
    expect(onlyZero).toEqual([]);
    expect(onlyOne.length).toBeGreaterThan(0);
    for (const p of onlyOne) {
      expect(p).toBeGreaterThanOrEqual(v.codePages.first);
      expect(p).toBeLessThan(v.codePages.end);
    }
    // The hardened version touches the same pages for either bit.
    const h = accessedPerSymbol(v, 'branch_hardened', [0, 1, 0, 1]);
    expect(h[2]).toEqual(h[3]);
    v.destroy();
  });

  it('an evicted code page faults on the next entry of its function, with its page number', async () => {
    const v = await VictimEnclave.load(await victimBytes(), { name: 'code/faults' });
    const faults: number[] = [];
    const unsub = v.epc.subscribe((f) => faults.push(f.page));
    v.run('branch_naive', Uint8Array.from([1, 1]), { ocall: () => void v.view.evictAll() }, null);
    unsub();
    expect(faults.some((p) => p >= v.codePages.first && p < v.codePages.end)).toBe(true);
    v.destroy();
  });

  it("the enclave's memory grows up to the code region and no further", async () => {
    const bytes = await victimBytes();
    // 1 MiB configured (16 x 64 KiB), one 64 KiB code page at the top; the victim's tables take 3.
    const a = await VictimEnclave.load(bytes, { name: 'code/grow-a' });
    a.run('lut_naive', new Uint8Array(16), null, null);
    expect(a.codePages).toEqual({ first: 240, end: 256 });
    a.churn(12 * 16, 0, 1);
    a.destroy();
    const b = await VictimEnclave.load(bytes, { name: 'code/grow-b' });
    b.run('lut_naive', new Uint8Array(16), null, null);
    expect(() => b.churn(13 * 16, 0, 1)).toThrow(/unreachable/);
    b.destroy();
  });

  it('a module that is not Wasm is refused with a typed error', () => {
    try {
      instrumentCodeFetch(new Uint8Array([1, 2, 3]), { name: 'junk', maxBytes: 1 << 20 });
      expect.unreachable();
    } catch (e) {
      expect(isEmonError(e, 'E_BAD_WASM')).toBe(true);
    }
  });
});
