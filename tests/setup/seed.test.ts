/** The fast-check seed printed at the start of the run is the one every property in this worker uses. */
import fc from 'fast-check';
import { expect, it } from 'vitest';

it('fast-check runs with the seed from FC_SEED (printed by the global setup)', () => {
  expect(process.env['FC_SEED']).toMatch(/^-?\d+$/);
  expect(fc.readConfigureGlobal().seed).toBe(Number(process.env['FC_SEED']));
});
