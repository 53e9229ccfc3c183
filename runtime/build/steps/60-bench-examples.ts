/**
 * Build step: the benchmark/tracing examples of bench/examples (WAT sources assembled with wabt), into
 * build/guests/ beside the other example unikernels. Today: the chatty guest that `emon trace summary` is shown
 * on in the README.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildChattyGuest, chattySourceDir } from '../../../bench/examples/chatty/build.js';
import { buildDir } from '../../paths.js';
import type { BuildStep } from '../main.js';

const out = path.join(buildDir, 'guests', 'chatty.wasm');
const mtime = (f: string): number => (existsSync(f) ? statSync(f).mtimeMs : 0);

export const step: BuildStep = {
  name: 'bench examples (chatty guest)',
  async run({ force }) {
    const newest = Math.max(mtime(path.join(chattySourceDir, 'chatty.wat')), mtime(path.join(chattySourceDir, 'manifest.json')));
    if (!force && mtime(out) > newest) return;
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, await buildChattyGuest());
  },
};
