/**
 * Build step: the example trusted applications. Every enclaves/NAME/ folder with a ta.json is an AssemblyScript
 * TA, one with a user_ta_header_defines.h a C TA (built when clang and wasm-ld are installed); each is compiled,
 * signed with the build's development key and installed as build/ta/<uuid>.ta (the TA directory for
 * `emon run --backend=tz --ta-dir=build/ta`). See runtime/build/ta.ts.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { readSignerKey, writeNewSignerKey } from '../../enclave/signing.js';
import { TA_SUFFIX } from '../../hw/tz/ta-image.js';
import { buildDir, projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';
import { buildTa, propsFromHeader, readTaJson } from '../ta.js';
import { execFileSync } from 'node:child_process';
import { devKeyFile } from './30-enclaves.js';

export const taOutDir = path.join(buildDir, 'ta');
const enclavesDir = path.join(projectRoot, 'enclaves');
const sdkDirs = ['tasdk', 'lib'].map((d) => path.join(enclavesDir, d));

function haveClang(): boolean {
  try {
    execFileSync('which', ['clang'], { stdio: 'ignore' });
    execFileSync('which', ['wasm-ld'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const s = statSync(full);
    t = Math.max(t, s.isDirectory() ? newest(full) : s.mtimeMs);
  }
  return t;
}

export const step: BuildStep = {
  name: 'trusted applications (enclaves/*/ta.json -> build/ta/<uuid>.ta)',
  async run({ force, verbose }) {
    mkdirSync(taOutDir, { recursive: true });
    if (!existsSync(devKeyFile)) {
      mkdirSync(path.dirname(devKeyFile), { recursive: true, mode: 0o700 });
      writeNewSignerKey(devKeyFile);
    }
    const key = readSignerKey(devKeyFile);
    const clang = haveClang();
    for (const name of readdirSync(enclavesDir).sort()) {
      const dir = path.join(enclavesDir, name);
      const isAs = existsSync(path.join(dir, 'ta.json'));
      const isC = !isAs && existsSync(path.join(dir, 'user_ta_header_defines.h'));
      if (!isAs && !isC) continue;
      if (isC && !clang) {
        console.log(`build: skipped C TA ${name}: clang/wasm-ld not installed (apt install clang lld)`);
        continue;
      }
      const out = path.join(taOutDir, (isAs ? readTaJson(dir) : propsFromHeader(dir)).uuid + TA_SUFFIX);
      const inputs = Math.max(newest(dir), ...sdkDirs.map(newest), statSync(devKeyFile).mtimeMs, ...(name === 'ta-single' ? [newest(path.join(enclavesDir, 'ta-hello'))] : []));
      if (!force && existsSync(out) && statSync(out).mtimeMs > inputs) continue;
      await buildTa(dir, taOutDir, key);
      if (verbose) console.log(`build: TA ${name} -> ${path.relative(projectRoot, out)}`);
    }
  },
};
