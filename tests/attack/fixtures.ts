/** Shared fixtures of the side-channel tests: the built-in victim enclaves, built from enclaves/victims if missing. */
import { readFileSync } from 'node:fs';
import { buildVictims } from '../../runtime/build/steps/45-victims.js';

let cached: Uint8Array | null = null;
export async function victimBytes(): Promise<Uint8Array> {
  if (!cached) cached = new Uint8Array(readFileSync(await buildVictims()));
  return cached;
}
