/**
 * Build step: compiles the EPC workloads (enclaves/workloads, AssemblyScript) to build/epc/workloads.wasm, the
 * enclave-side kernels the EPC tests and benchmark page in and out. Skipped when the output is newer than
 * every source.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { buildDir, projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';

export const workloadsSource = path.join(projectRoot, 'enclaves', 'workloads');
export const workloadsWasm = path.join(buildDir, 'epc', 'workloads.wasm');

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const f of await readdir(workloadsSource)) {
    if (f.endsWith('.ts')) newest = Math.max(newest, (await stat(path.join(workloadsSource, f))).mtimeMs);
  }
  return newest;
}

/** Compiles the workloads unless build/epc/workloads.wasm is up to date; returns the output path. */
export async function buildWorkloads(force = false): Promise<string> {
  const out = await stat(workloadsWasm).catch(() => null);
  if (!force && out && out.mtimeMs >= (await newestSource())) return workloadsWasm;
  await mkdir(path.dirname(workloadsWasm), { recursive: true });
  const asc = (await import('assemblyscript/asc')).default;
  let log = '';
  const sink = { write: (s: string | Uint8Array): boolean => ((log += String(s)), true) };
  const { error } = await asc.main(
    [path.join(workloadsSource, 'index.ts'), '-O3', '--runtime', 'stub', '--enable', 'simd', '-o', workloadsWasm],
    { stdout: sink, stderr: sink },
  );
  if (error) {
    throw new EmonError('E_BUILD', `compiling the EPC workloads (${workloadsSource}) failed: ${error.message}\n${log}`, {
      hint: 'fix the AssemblyScript error above and run `npm run build` again',
    });
  }
  return workloadsWasm;
}

export const step: BuildStep = {
  name: 'epc workloads',
  async run({ force }) {
    await buildWorkloads(force);
  },
};
