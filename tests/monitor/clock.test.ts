/** The clock adapter's bytes are exactly its WAT source, and the clocks it serves behave as Solo5's. */
import { describe, expect, it } from 'vitest';
import { CLOCK_ADAPTER, CLOCK_ADAPTER_WAT, clockHypercalls } from '../../runtime/monitor/clock.js';
import { wat } from './helpers.js';

describe('clock adapter', () => {
  it('is the encoding of its WAT source', async () => {
    expect([...(await wat(CLOCK_ADAPTER_WAT))]).toEqual([...CLOCK_ADAPTER]);
  });
  it('monotonic counts ns from the base and never goes back; wall is ns since the epoch', () => {
    const state = { clockBase: performance.now() };
    const c = clockHypercalls(state);
    let last = c.clock_monotonic();
    for (let i = 0; i < 1000; i++) {
      const now = c.clock_monotonic();
      expect(now >= last).toBe(true);
      last = now;
    }
    state.clockBase = performance.now() - 1000; // 1 s ago
    expect(c.clock_monotonic() >= 1_000_000_000n).toBe(true);
    expect(Math.abs(Number(c.clock_wall() / 1_000_000n) - Date.now())).toBeLessThan(5000);
  });
});
