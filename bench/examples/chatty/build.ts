/**
 * Builds the chatty example guest (./chatty.wat) into a Solo5-style unikernel: assemble the WAT with wabt and
 * embed ./manifest.json as the `solo5.manifest` section, as the guest build does for guest/examples.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { embedManifest } from '../../../runtime/monitor/manifest.js';
import { projectRoot } from '../../../runtime/paths.js';
import { watToWasm } from '../../wat.js';

/** The example's source folder (the .wat and manifest are not compiled, so read them from the source tree). */
export const chattySourceDir = path.join(projectRoot, 'bench', 'examples', 'chatty');

export async function buildChattyGuest(): Promise<Uint8Array> {
  const wat = readFileSync(path.join(chattySourceDir, 'chatty.wat'), 'utf8');
  const wasm = await watToWasm('chatty', wat);
  return embedManifest(wasm, path.join(chattySourceDir, 'manifest.json'), 'chatty guest');
}

