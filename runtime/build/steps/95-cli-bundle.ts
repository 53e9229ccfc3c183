/**
 * Bundles the CLI's fast path (runtime/cli/fast.ts: `emon run`, `emon inspect`) into dist/runtime/fast.bundle.js
 * with rolldown, so starting a guest loads a handful of files instead of a few dozen modules (Node's ES module
 * loader pays per module). Packages stay imports; dynamic imports (the supervisor, extensions) become chunks
 * next to it, in dist/runtime/ like paths.js so that paths computed from import.meta.url are the same.
 * Optional: without rolldown (a devDependency) the step says so and `emon` loads the modules themselves;
 * runtime/cli/main.ts also ignores a bundle older than the compiled modules.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';

const outDir = path.join(projectRoot, 'dist', 'runtime');

export const step: BuildStep = {
  name: 'CLI fast-path bundle (dist/runtime/fast.bundle.js)',
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
      input: { 'fast.bundle': path.join(outDir, 'cli', 'fast.js') },
      platform: 'node',
      external: [/^node:/, /^[a-z@][^:]*$/],
      output: { dir: outDir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'fast.bundle-[name]-[hash].js' },
      logLevel: 'silent',
    });
  },
};
