/** Shared fixtures of the storage tests: a platform state directory and stores on temporary images. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { FileBacking } from '../../runtime/monitor/devices/file-backing.js';
import { SealedStore } from '../../runtime/storage/sealed.js';
import type { Backing } from '../../runtime/storage/store.js';

export function scratchDir(tag: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `emon-${tag}-`));
}

export function openSealed(stateDir: string, image: string, create?: { blockSize: number; blocks: number }, wrap: (b: Backing) => Backing = (b) => b): SealedStore {
  return SealedStore.open(wrap(FileBacking.open(image, create !== undefined)), {
    platform: loadPlatform(stateDir),
    stateDir,
    ...(create ? { create } : {}),
  });
}

export function pattern(block: number, tag: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + block * 7 + tag * 13) & 0xff;
  return b;
}
