/**
 * Build step: compiles the victim enclaves of the side-channel observatory (enclaves/victims, AssemblyScript,
 * plus the region helper it shares with enclaves/workloads) to build/attack/victims.wasm. Skipped when the
 * output is newer than every source.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { buildDir, projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';

export const victimsSource = path.join(projectRoot, 'enclaves', 'victims');
export const victimsWasm = path.join(buildDir, 'attack', 'victims.wasm');

async function newestSource(): Promise<number> {
  let newest = (await stat(path.join(projectRoot, 'enclaves', 'workloads', 'region.ts'))).mtimeMs;
  for (const f of await readdir(victimsSource)) {
    if (f.endsWith('.ts')) newest = Math.max(newest, (await stat(path.join(victimsSource, f))).mtimeMs);
  }
  return newest;
}

/** Compiles the victims unless build/attack/victims.wasm is up to date; returns the output path. */
export async function buildVictims(force = false): Promise<string> {
  const out = await stat(victimsWasm).catch(() => null);
  if (!force && out && out.mtimeMs >= (await newestSource())) return victimsWasm;
  await mkdir(path.dirname(victimsWasm), { recursive: true });
  const asc = (await import('assemblyscript/asc')).default;
  let log = '';
  const sink = { write: (s: string | Uint8Array): boolean => ((log += String(s)), true) };
  const { error } = await asc.main([path.join(victimsSource, 'index.ts'), '-O3', '--runtime', 'stub', '-o', victimsWasm], { stdout: sink, stderr: sink });
  if (error) {
    throw new EmonError('E_BUILD', `compiling the victim enclaves (${victimsSource}) failed: ${error.message}\n${log}`, {
      hint: 'fix the AssemblyScript error above and run `npm run build` again',
    });
  }
  return victimsWasm;
}

export const step: BuildStep = {
  name: 'victim enclaves',
  async run({ force }) {
    await buildVictims(force);
  },
};
