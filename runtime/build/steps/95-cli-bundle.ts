/**
 * Bundles the CLI's fast path (runtime/cli/fast.ts: a plain `emon run` or `emon inspect`) with rolldown into
 * one CommonJS file, dist/runtime/fast.bundle.cjs, which the executable (runtime/cli/emon.cts) loads with
 * require(): starting a guest then reads one file instead of a few dozen ES modules and skips Node's ES
 * module loader. The supervisor, the extensions and the cost model are left out (the fast path hands such
 * runs to the full program before using them), and packages stay requires of their own.
 * Optional: without rolldown (a devDependency) the step says so and `emon` loads the modules themselves;
 * emon.cts also ignores a bundle older than the compiled fast.js.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';

const outDir = path.join(projectRoot, 'dist', 'runtime');
/** Modules the fast path never loads: reached only through dynamic imports it does not take. */
const LEFT_OUT = /(\/monitor\/supervisor|\/monitor\/extensions|\/hw\/epc\/sgx-link|\/hw\/cost\/emulate)\.js$/;

export const step: BuildStep = {
  name: 'CLI fast-path bundle (dist/runtime/fast.bundle.cjs)',
  async run() {
    for (const f of readdirSync(outDir)) if (f.startsWith('fast.bundle')) rmSync(path.join(outDir, f));
    let rolldown: { build(options: unknown): Promise<unknown> };
    try {
      rolldown = (await import('rolldown' as string)) as typeof rolldown;
    } catch {
      console.log('build: skipped the CLI bundle: rolldown is not installed (npm ci installs it); emon loads its modules one by one');
      return;
    }
    await rolldown.build({
      input: path.join(outDir, 'cli', 'fast.js'),
      platform: 'node',
      external: (id: string) => id.startsWith('node:') || /^[a-z@][^:]*$/.test(id) || LEFT_OUT.test(id),
      output: { file: path.join(outDir, 'fast.bundle.cjs'), format: 'cjs', inlineDynamicImports: true },
      logLevel: 'silent',
    });
  },
};
