/**
 * vitest globalSetup: one fast-check seed for the whole run, from FC_SEED when given, else drawn here. It is
 * printed first, so a failing property in CI output can be replayed exactly with `FC_SEED=N npx vitest run`.
 * The forked test workers inherit it through the environment (tests/setup/fast-check.ts applies it).
 */
export default function setup(): void {
  const given = process.env['FC_SEED'];
  const seed = given !== undefined && /^-?\d+$/.test(given) ? Number(given) : (Math.random() * 2 ** 31) | 0;
  process.env['FC_SEED'] = String(seed);
  process.stdout.write(`fast-check seed ${seed} (${given !== undefined ? 'from FC_SEED' : 'drawn'}; replay with FC_SEED=${seed})\n`);
}
