/**
 * Build step: compiles the trusted crypto core (enclaves/lib/core.ts) with AssemblyScript into
 * build/crypto/core-simd.wasm (`--enable simd`: ASC_FEATURE_SIMD selects the v128 paths) and
 * build/crypto/core-scalar.wasm, from the same sources. Skipped when both are newer than every source.
 */
import asc from 'assemblyscript/asc';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BuildStep } from '../main.js';
import { buildDir, projectRoot } from '../../paths.js';
import { EmonError } from '../../errors.js';

const libDir = path.join(projectRoot, 'enclaves', 'lib');
const outDir = path.join(buildDir, 'crypto');

const flavors = [
  { name: 'simd', flags: ['--enable', 'simd'] },
  { name: 'scalar', flags: [] as string[] },
] as const;

async function newestSource(): Promise<number> {
  let newest = 0;
  for (const f of await readdir(libDir)) {
    if (f.endsWith('.ts')) newest = Math.max(newest, (await stat(path.join(libDir, f))).mtimeMs);
  }
  return newest;
}

async function mtime(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

export const step: BuildStep = {
  name: 'crypto core (enclaves/lib -> build/crypto/core-{simd,scalar}.wasm)',
  async run({ force, verbose }) {
    await mkdir(outDir, { recursive: true });
    const newest = await newestSource();
    for (const flavor of flavors) {
      const out = path.join(outDir, `core-${flavor.name}.wasm`);
      if (!force && (await mtime(out)) > newest) continue;
      const args = [
        path.relative(projectRoot, path.join(libDir, 'core.ts')),
        '--outFile', path.relative(projectRoot, out),
        '--runtime', 'stub',
        '--optimizeLevel', '3', '--shrinkLevel', '0', '--noAssert',
        '--config', path.relative(projectRoot, path.join(libDir, 'asconfig.json')),
        '--baseDir', projectRoot,
        ...flavor.flags,
      ];
      let errors = '';
      const { error } = await asc.main(args, {
        stdout: { write: (chunk: Uint8Array | string) => { if (verbose) process.stdout.write(chunk); } },
        stderr: { write: (chunk: Uint8Array | string) => { errors += String(chunk); } },
      });
      if (error) {
        throw new EmonError('E_BUILD_CRYPTO', `compiling the ${flavor.name} crypto core from enclaves/lib failed: ${error.message}\n${errors}`, {
          hint: 'fix the AssemblyScript error above, then run `npm run build`',
        });
      }
    }
  },
};
