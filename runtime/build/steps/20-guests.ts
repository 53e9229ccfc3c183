/**
 * Builds the example unikernels of guest/examples into build/guests/NAME.wasm: AssemblyScript examples
 * (index.ts) with asc's JS API, C examples (main.c) with `emon cc` (../cc.ts: clang with the Solo5 bindings;
 * the options in the example's cc.args, else --no-libc) when clang and wasm-ld are installed, and wasi-libc
 * for the examples that use it; then embeds the example's manifest.json as the `solo5.manifest` custom section, as Solo5's
 * solo5-elftool does for ELF unikernels. Folders named enclave-* belong to the enclave build.
 *
 * AssemblyScript guests use the `stub` runtime on purpose: a unikernel allocates its buffers up front and
 * then runs its loop, so a bump allocator without a collector gives the smallest module, no GC pauses in the
 * middle of a hypercall loop, and the fastest boot. Guests that free memory in a loop should pick
 * `--runtime incremental` in their own build.
 */
import asc from 'assemblyscript/asc';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { embedManifest } from '../../monitor/manifest.js';
import { buildDir, projectRoot } from '../../paths.js';
import { cc, ccArgs, cDir, haveWasiLibc } from '../cc.js';
import type { BuildStep } from '../main.js';
import { inputsDigest, packageVersion, recordInputs, runtimeInputs, upToDate } from '../inputs.js';

export const guestOutDir = path.join(buildDir, 'guests');
const sdkDir = path.join(projectRoot, 'guest', 'as');
const examplesDir = path.join(projectRoot, 'guest', 'examples');
const cHeaderDir = path.join(projectRoot, 'guest', 'c');

function has(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The bare clang line, header only and no bindings, that C code built before the bindings library used (the
 * enclave build's C guests still do); C examples are built with ../cc.ts.
 */
export function clangArgs(source: string, output: string): string[] {
  return [
    '--target=wasm32', '-nostdlib', '-O2', '-I', cHeaderDir,
    '-Wl,--no-entry', '-Wl,--export=solo5_app_main',
    '-o', output, source,
  ];
}

export async function compileAssemblyScript(entry: string, output: string): Promise<void> {
  const abortUse = `abort=${path.relative(projectRoot, path.join(sdkDir, 'index')).split(path.sep).join('/')}/abortHandler`;
  let errors = '';
  const result = await asc.main(
    [path.relative(projectRoot, entry), '--outFile', output, '-O3', '--runtime', 'stub', '--use', abortUse, '--baseDir', projectRoot],
    { stderr: { write: (s: string | Uint8Array) => { errors += String(s); return true; } } as never, stdout: { write: () => true } as never },
  );
  for (const ext of ['.js', '.d.ts']) rmSync(output.replace(/\.wasm$/, ext), { force: true });
  if (result.error) {
    throw new EmonError('E_BUILD', `asc failed on ${path.relative(projectRoot, entry)}: ${result.error.message}\n${errors}`, {
      hint: 'fix the AssemblyScript error above and run `npm run build` again',
    });
  }
}

async function buildExample(dir: string, force: boolean, verbose: boolean, haveClang: boolean): Promise<void> {
  const name = path.basename(dir);
  const out = path.join(guestOutDir, `${name}.wasm`);
  const asEntry = path.join(dir, 'index.ts');
  const cEntry = path.join(dir, 'main.c');
  const isAs = existsSync(asEntry);
  if (!isAs && !existsSync(cEntry)) return;
  if (!isAs && !haveClang) {
    console.log(`build: skipped C guest ${name}: clang/wasm-ld not installed (apt install clang lld)`);
    return;
  }
  const ccArgsFile = path.join(dir, 'cc.args');
  const libc = !isAs && existsSync(ccArgsFile) && readFileSync(ccArgsFile, 'utf8').split(/\s+/).includes('--libc');
  if (libc && !haveWasiLibc()) {
    console.log(`build: skipped C guest ${name}: wasi-libc not installed (apt install wasi-libc libclang-rt-dev-wasm32)`);
    return;
  }
  const digest = inputsDigest([dir, isAs ? sdkDir : cDir, ...runtimeInputs('monitor/manifest.js', 'monitor/wasmbin.js', 'build/cc.js', 'build/steps/20-guests.js')], [
    isAs ? packageVersion('assemblyscript') : ccArgs({ sources: ['main.c'], output: 'out.wasm', libc }).join(' '),
  ]);
  if (!force && upToDate(digest, out)) return;
  if (isAs) await compileAssemblyScript(asEntry, out);
  else cc({ sources: [cEntry], output: out, libc });
  const manifest = path.join(dir, 'manifest.json');
  if (existsSync(manifest)) writeFileSync(out, embedManifest(readFileSync(out), manifest, out));
  recordInputs(digest, out);
  if (verbose) console.log(`build: guest ${name} -> ${path.relative(projectRoot, out)}`);
}

export const step: BuildStep = {
  name: 'guests',
  async run({ force, verbose }) {
    mkdirSync(guestOutDir, { recursive: true });
    const haveClang = has('clang') && has('wasm-ld');
    for (const name of readdirSync(examplesDir).sort()) {
      if (name.startsWith('enclave-')) continue;
      const dir = path.join(examplesDir, name);
      if (statSync(dir).isDirectory()) await buildExample(dir, force, verbose, haveClang);
    }
  },
};
