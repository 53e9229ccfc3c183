/**
 * What a build output was made from, so the build rebuilds exactly when an input changed: a SHA-256 over the
 * path and content of every input file (sources, SDKs, and the emon code that shapes the output — the build
 * step, the EDL generators, the signing and measurement code, the manifest embedding) plus tool versions and
 * settings. It is stored beside the output as OUTPUT.inputs. Timestamps alone missed inputs outside the
 * source folders (re-signing after a change to the signing code needed --force) and trusted clocks; a
 * content digest has neither problem (the approach of Bazel's action keys and Nix's derivation hashes).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { distModule, projectRoot } from '../paths.js';

/** Every file under `p` (a file or a folder; `generated/` folders are outputs, not inputs), sorted. */
export function filesUnder(p: string): string[] {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return [p];
  const out: string[] = [];
  for (const name of readdirSync(p).sort()) {
    if (name === 'generated') continue;
    out.push(...filesUnder(path.join(p, name)));
  }
  return out;
}

/** The compiled emon modules (dist/runtime/...) an output depends on, e.g. 'enclave/signing.js'. */
export function runtimeInputs(...modules: string[]): string[] {
  return modules.map((m) => distModule(m));
}

/** The version of an npm package the build uses (its compiler is an input too). */
export function packageVersion(name: string): string {
  try {
    return `${name}@${(JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ?? '?'}`;
  } catch {
    return `${name}@?`;
  }
}

/** Digest of the files under `paths` (missing ones count as missing) and the `settings` strings. */
export function inputsDigest(paths: readonly string[], settings: readonly string[] = []): string {
  const h = createHash('sha256');
  for (const s of settings) h.update(`setting\0${s}\0`);
  for (const p of paths) {
    const files = filesUnder(p);
    if (files.length === 0) h.update(`missing\0${path.relative(projectRoot, p)}\0`);
    for (const f of files) {
      const content = readFileSync(f);
      h.update(`file\0${path.relative(projectRoot, f)}\0${content.length}\0`);
      h.update(content);
    }
  }
  return h.digest('hex');
}

const stampOf = (output: string): string => `${output}.inputs`;

/** True when every output exists and the first one's recorded inputs digest is `digest`. */
export function upToDate(digest: string, ...outputs: string[]): boolean {
  if (outputs.length === 0 || !outputs.every((o) => existsSync(o))) return false;
  try {
    return readFileSync(stampOf(outputs[0]!), 'utf8').trim() === digest;
  } catch {
    return false;
  }
}

/** Records that the outputs (the first one's stamp stands for all) were built from `digest`. */
export function recordInputs(digest: string, output: string): void {
  writeFileSync(stampOf(output), `${digest}\n`);
}
