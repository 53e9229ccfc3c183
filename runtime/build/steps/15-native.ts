/**
 * Builds emon's Node-API addon for TAP interfaces (runtime/native/tun.c) into build/native/tun.node with
 * clang, against the Node-API headers of the node-api-headers package, so nothing is downloaded and no
 * node-gyp is needed. Without clang the addon is skipped and `--net:NAME=IFACE` says how to get it.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { TUN_ADDON_PATH } from '../../monitor/tun.js';
import { projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';

const tunAddon = TUN_ADDON_PATH;
const source = path.join(projectRoot, 'runtime', 'native', 'tun.c');

function haveClang(): boolean {
  try {
    execFileSync('which', ['clang'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const step: BuildStep = {
  name: 'native',
  async run({ force, verbose }) {
    if (process.platform !== 'linux') {
      console.log('build: skipped the TAP addon: TAP interfaces are a Linux feature');
      return;
    }
    if (!haveClang()) {
      console.log('build: skipped the TAP addon: clang not installed (apt install clang)');
      return;
    }
    if (!force && existsSync(tunAddon) && statSync(tunAddon).mtimeMs > statSync(source).mtimeMs) return;
    const headers = path.join(path.dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')), 'include');
    mkdirSync(path.dirname(tunAddon), { recursive: true });
    try {
      execFileSync('clang', ['-O2', '-Wall', '-shared', '-fPIC', '-I', headers, '-o', tunAddon, source], { stdio: ['ignore', 'inherit', 'pipe'] });
    } catch (e) {
      throw new EmonError('E_BUILD', `clang failed on runtime/native/tun.c: ${String((e as { stderr?: Buffer }).stderr ?? e)}`);
    }
    if (verbose) console.log(`build: TAP addon -> ${path.relative(projectRoot, tunAddon)}`);
  },
};
