/**
 * The victim loader takes the user's own module: any bytes (random, or the built-in victims with bytes flipped)
 * either load or are refused with a typed EmonError, never a crash; a secret longer than a victim takes is
 * refused; a victim trap during an attacked ECALL leaves the monitor's hooks detached.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEmonError } from '../../runtime/errors.js';
import { VictimEnclave } from '../../runtime/attack/victim.js';
import { victimBytes } from './fixtures.js';

async function loadOrTypedError(bytes: Uint8Array): Promise<void> {
  try {
    const v = await VictimEnclave.load(bytes, { name: 'fuzz' });
    v.destroy();
  } catch (e) {
    expect(isEmonError(e), String(e)).toBe(true);
  }
}

describe('victim modules are untrusted input', () => {
  it('random bytes are refused with a typed error', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (b) => loadOrTypedError(b)), { numRuns: 100 });
  });

  it('the built-in victims with a byte flipped load or are refused with a typed error', async () => {
    const good = await victimBytes();
    await fc.assert(
      fc.asyncProperty(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const b = good.slice();
        b[at]! ^= x;
        await loadOrTypedError(b);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('a secret longer than a victim takes is refused', async () => {
    const v = await VictimEnclave.load(await victimBytes(), { name: 'long' });
    try {
      v.run('lut_naive', new Uint8Array(4097), null, null);
      expect.unreachable();
    } catch (e) {
      expect(isEmonError(e, 'E_ATTACK_ARG')).toBe(true);
    }
    v.destroy();
  });

  it('a trap inside the ECALL detaches the monitor; the next run is unobserved', async () => {
    const v = await VictimEnclave.load(await victimBytes(), { name: 'trap' });
    let seen = 0;
    const hooks = { ocall: (): void => {
      seen++;
      throw new Error('monitor gave up');
    } };
    expect(() => v.run('lut_naive', new Uint8Array(8), hooks, null)).toThrow(/monitor gave up/);
    expect(v.run('lut_naive', new Uint8Array(8), null, null)).toBe(8);
    expect(seen).toBe(1);
    v.destroy();
  });
});
