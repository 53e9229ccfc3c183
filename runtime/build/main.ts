/**
 * `npm run build`, after tsc: runs every build step in runtime/build/steps in file-name order (10-crypto,
 * 20-guests, ...). Each step compiles AssemblyScript/C sources or generates code into build/ or a `generated/`
 * folder; steps skip work that is up to date: guests and enclaves when the digest of all their inputs (sources,
 * SDKs, and the emon code that generates and signs them; ./inputs.ts) is the one recorded beside the output,
 * the crypto core and EPC workloads when their output is newer than their sources.
 */
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeError } from '../errors.js';

export interface BuildStep {
  readonly name: string;
  run(options: { force: boolean; verbose: boolean }): Promise<void>;
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force');
  const verbose = process.argv.includes('--verbose');
  const stepsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'steps');
  if (!existsSync(stepsDir)) return;
  const files = (await readdir(stepsDir)).filter((f) => f.endsWith('.js')).sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(stepsDir, file)).href)) as { step?: BuildStep };
    if (!mod.step) continue;
    const t0 = performance.now();
    await mod.step.run({ force, verbose });
    console.log(`build: ${mod.step.name} (${Math.round(performance.now() - t0)} ms)`);
  }
}

main().catch((e: unknown) => {
  console.error(describeError(e));
  process.exit(1);
});
