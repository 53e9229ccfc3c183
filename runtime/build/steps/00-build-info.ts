/**
 * Records what `emon --version` prints (runtime/cli/version.ts): the package version and the commit the
 * build was made from (`git rev-parse HEAD`, with `-dirty` when tracked files differ from it), or "unknown"
 * outside a git checkout. Written on every build, it is one small JSON file in dist/.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../paths.js';
import type { BuildStep } from '../main.js';

/** The commit checked out in dir, or "unknown" when dir is not in a git checkout (or git is absent). */
export function commitOf(dir: string): string {
  const git = (args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git(['rev-parse', 'HEAD']);
    if (!/^[0-9a-f]{40}$/.test(head)) return 'unknown';
    const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return 'unknown';
  }
}

export const buildInfoFile = fileURLToPath(new URL('../../../build-info.json', import.meta.url));

export const step: BuildStep = {
  name: 'build info (version, commit)',
  async run() {
    const { version } = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(buildInfoFile, `${JSON.stringify({ version, commit: commitOf(projectRoot) })}\n`);
  },
};
