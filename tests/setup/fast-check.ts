/**
 * vitest setupFiles: every fast-check property of the run uses the seed chosen in ./fast-check-seed.ts, so one
 * printed number replays a failure (fast-check, "configureGlobal": seed applies to every fc.assert).
 */
import fc from 'fast-check';

const seed = Number(process.env['FC_SEED']);
if (Number.isInteger(seed)) fc.configureGlobal({ seed });
