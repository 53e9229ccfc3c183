/**
 * Build step: the enclaves and the guests that use them. For each enclaves/NAME/enclave.json (EDL path and the
 * config to sign: ISV product id, SVN, heap pages, threads, debug) it generates the EDL bridge into
 * enclaves/NAME/generated/, compiles enclaves/NAME/index.ts with asc, embeds the EDL and signs the result with
 * the build's development signer key (build/keys/dev-signer.key, made on first build) into
 * build/enclaves/NAME.wasm (the unsigned module stays beside it as NAME.unsigned.wasm for re-signing). Then
 * each guest/examples/enclave-*\/ gets stubs for the EDLs its manifest lists ("edl": repo-relative path) and is
 * compiled like any example guest into build/guests/.
 */
import asc from 'assemblyscript/asc';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateAll, readEdl } from '../../enclave/edl/generate.js';
import { embeddableEdl } from '../../enclave/edl/print.js';
import { DEFAULT_CONFIG, readSignerKey, signEnclave, writeNewSignerKey } from '../../enclave/signing.js';
import { EmonError } from '../../errors.js';
import type { EnclaveConfig } from '../../hw/sgx/measurement.js';
import { embedManifest } from '../../monitor/manifest.js';
import { buildDir, projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';
import { inputsDigest, packageVersion, recordInputs, runtimeInputs, upToDate } from '../inputs.js';
import { clangArgs, compileAssemblyScript, guestOutDir } from './20-guests.js';
import { execFileSync } from 'node:child_process';

export const enclaveOutDir = path.join(buildDir, 'enclaves');
export const devKeyFile = path.join(buildDir, 'keys', 'dev-signer.key');
const enclavesDir = path.join(projectRoot, 'enclaves');
const examplesDir = path.join(projectRoot, 'guest', 'examples');
const sharedDirs = [path.join(enclavesDir, 'lib'), path.join(enclavesDir, 'sdk')];

/** The emon code that writes generated stubs (an output's source as much as the EDL is). */
const EDL_CODE = ['enclave/edl'];
/** The emon code that measures, signs and embeds into a signed enclave. */
const SIGNING_CODE = ['enclave/signing.js', 'hw/sgx/sigstruct.js', 'hw/sgx/measurement.js', 'hw/sgx/wasm-sections.js', 'hw/sgx/enclave.js'];
const MANIFEST_CODE = ['monitor/manifest.js', 'monitor/wasmbin.js'];

/**
 * Everything a signed enclave is made from: its folder (sources, enclave.json), its EDL, the shared enclave
 * library and SDK, the signer key, and the emon code that generates its bridge and signs it.
 */
export function enclaveInputs(dir: string, edlFile: string): string[] {
  return [dir, edlFile, ...sharedDirs, devKeyFile, ...runtimeInputs(...EDL_CODE, ...SIGNING_CODE, 'build/steps/30-enclaves.js')];
}

interface EnclaveJson extends Partial<EnclaveConfig> {
  readonly edl: string;
}

function readEnclaveJson(file: string): EnclaveJson {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as EnclaveJson;
    if (typeof j.edl !== 'string') throw new Error('"edl" (path of the EDL file) is missing');
    return j;
  } catch (e) {
    throw new EmonError('E_BUILD', `${path.relative(projectRoot, file)}: ${(e as Error).message}`, { hint: 'enclave.json is {"edl": "NAME.edl", "isvProdId": 0, "isvSvn": 0, ...}' });
  }
}

async function compileEnclave(entry: string, output: string): Promise<void> {
  let errors = '';
  const result = await asc.main(
    [path.relative(projectRoot, entry), '--outFile', output, '-O3', '--runtime', 'stub', '--baseDir', projectRoot],
    { stderr: { write: (s: string | Uint8Array) => ((errors += String(s)), true) } as never, stdout: { write: () => true } as never },
  );
  for (const ext of ['.js', '.d.ts']) rmSync(output.replace(/\.wasm$/, ext), { force: true });
  if (result.error) {
    throw new EmonError('E_BUILD', `asc failed on ${path.relative(projectRoot, entry)}: ${result.error.message}\n${errors}`, {
      hint: 'fix the AssemblyScript error above and run `npm run build` again',
    });
  }
}

function devKey(): Uint8Array {
  if (!existsSync(devKeyFile)) {
    mkdirSync(path.dirname(devKeyFile), { recursive: true, mode: 0o700 });
    writeNewSignerKey(devKeyFile);
  }
  return readSignerKey(devKeyFile);
}

async function buildEnclave(dir: string, force: boolean, verbose: boolean): Promise<void> {
  const name = path.basename(dir);
  const cfgFile = path.join(dir, 'enclave.json');
  const cfg = readEnclaveJson(cfgFile);
  const edlFile = path.resolve(dir, cfg.edl);
  const iface = readEdl(edlFile);
  generateAll(iface, path.join(dir, 'generated'));
  const unsigned = path.join(enclaveOutDir, `${name}.unsigned.wasm`);
  const signed = path.join(enclaveOutDir, `${name}.wasm`);
  const key = devKey(); // made on the first build, before it is hashed as an input
  const digest = inputsDigest(enclaveInputs(dir, edlFile), [packageVersion('assemblyscript')]);
  if (!force && upToDate(digest, signed, unsigned)) return;
  await compileEnclave(path.join(dir, 'index.ts'), unsigned);
  const config: EnclaveConfig = {
    heapPages: cfg.heapPages ?? DEFAULT_CONFIG.heapPages,
    threads: cfg.threads ?? DEFAULT_CONFIG.threads,
    isvProdId: cfg.isvProdId ?? DEFAULT_CONFIG.isvProdId,
    isvSvn: cfg.isvSvn ?? DEFAULT_CONFIG.isvSvn,
    debug: cfg.debug ?? DEFAULT_CONFIG.debug,
  };
  const { signed: bytes } = signEnclave(new Uint8Array(readFileSync(unsigned)), unsigned, key, config, embeddableEdl(iface, readFileSync(edlFile, 'utf8')));
  writeFileSync(signed, bytes);
  recordInputs(digest, signed);
  if (verbose) console.log(`build: enclave ${name} -> ${path.relative(projectRoot, signed)}`);
}

function haveClang(): boolean {
  try {
    execFileSync('which', ['clang'], { stdio: 'ignore' });
    execFileSync('which', ['wasm-ld'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function buildEnclaveGuest(dir: string, force: boolean, verbose: boolean): Promise<void> {
  const name = path.basename(dir);
  const manifestFile = path.join(dir, 'manifest.json');
  const asEntry = path.join(dir, 'index.ts');
  const cEntry = path.join(dir, 'main.c');
  const isAs = existsSync(asEntry);
  if ((!isAs && !existsSync(cEntry)) || !existsSync(manifestFile)) return;
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { enclaves?: Array<{ edl?: string }> };
  const edls = (manifest.enclaves ?? []).flatMap((e) => (typeof e.edl === 'string' ? [path.resolve(projectRoot, e.edl)] : []));
  for (const edl of edls) generateAll(readEdl(edl), path.join(dir, 'generated'));
  const out = path.join(guestOutDir, `${name}.wasm`);
  const sdk = path.join(projectRoot, 'guest', isAs ? 'as' : 'c');
  const digest = inputsDigest([dir, sdk, ...edls, ...runtimeInputs(...EDL_CODE, ...MANIFEST_CODE, 'build/steps/20-guests.js', 'build/steps/30-enclaves.js')], [packageVersion('assemblyscript'), isAs ? 'as' : 'c']);
  if (!force && upToDate(digest, out)) return;
  if (isAs) await compileAssemblyScript(asEntry, out);
  else {
    if (!haveClang()) {
      console.log(`build: skipped C guest ${name}: clang/wasm-ld not installed (apt install clang lld)`);
      return;
    }
    try {
      execFileSync('clang', [...clangArgs(cEntry, out), '-I', dir], { stdio: ['ignore', 'inherit', 'pipe'] });
    } catch (e) {
      throw new EmonError('E_BUILD', `clang failed on ${path.relative(projectRoot, cEntry)}: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
    }
  }
  writeFileSync(out, embedManifest(readFileSync(out), manifestFile, out));
  recordInputs(digest, out);
  if (verbose) console.log(`build: enclave guest ${name} -> ${path.relative(projectRoot, out)}`);
}

export const step: BuildStep = {
  name: 'enclaves (EDL stubs, enclaves/* -> build/enclaves, guest/examples/enclave-* -> build/guests)',
  async run({ force, verbose }) {
    mkdirSync(enclaveOutDir, { recursive: true });
    mkdirSync(guestOutDir, { recursive: true });
    for (const name of readdirSync(enclavesDir).sort()) {
      const dir = path.join(enclavesDir, name);
      if (statSync(dir).isDirectory() && existsSync(path.join(dir, 'enclave.json'))) await buildEnclave(dir, force, verbose);
    }
    if (!existsSync(examplesDir)) return;
    for (const name of readdirSync(examplesDir).sort()) {
      const dir = path.join(examplesDir, name);
      if (name.startsWith('enclave-') && statSync(dir).isDirectory()) await buildEnclaveGuest(dir, force, verbose);
    }
  },
};
