/**
 * The platform's root secrets: what SGX keeps in fuses (the Root Seal Key, from which EGETKEY derives every
 * seal and report key; Intel SGX Explained, Costan & Devadas 2016, §5.7.5) and emon keeps in a file under the
 * platform state directory (`--state-dir`, default ~/.emon/platform). Created on first use, directory 0700 and
 * file 0600, written atomically so that two emon processes starting together agree on one secret; an existing
 * file is never overwritten, because every sealed blob depends on it.
 */
import { readRegularFile } from '../../files.js';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EmonError } from '../../errors.js';

const ROOT_FILE = 'sgx-root.key';
const ROOT_SIZE = 64;

// The root secrets' shape is shared by both backends (../enclave-instance.ts); re-exported for SGX-side callers.
import type { PlatformSecrets } from '../enclave-instance.js';
export type { PlatformSecrets } from '../enclave-instance.js';

export function defaultStateDir(): string {
  return process.env['EMON_STATE_DIR'] || path.join(homedir(), '.emon', 'platform');
}

const cache = new Map<string, PlatformSecrets>();

/** Load (or create on first use) the root secrets under `stateDir`. */
export function loadPlatform(stateDir: string = defaultStateDir()): PlatformSecrets {
  const dir = path.resolve(stateDir);
  const hit = cache.get(dir);
  if (hit) return hit;
  const file = path.join(dir, ROOT_FILE);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new EmonError('E_PLATFORM_STATE', `cannot create the platform state directory ${dir}: ${(e as Error).message}`, {
      hint: 'pass a writable directory with --state-dir',
    });
  }
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new EmonError('E_PLATFORM_STATE', `cannot read the platform root secrets ${file}: ${(e as Error).message}`, {
        hint: 'check the permissions of the state directory',
      });
    }
    bytes = createRoot(dir, file);
  }
  if (bytes.length !== ROOT_SIZE) {
    throw new EmonError('E_PLATFORM_STATE', `the platform root secrets ${file} are damaged (${bytes.length} bytes, expected ${ROOT_SIZE})`, {
      hint: 'restore the file from a backup; removing it makes every sealed blob of this platform unreadable',
    });
  }
  const mode = statSync(file).mode & 0o077;
  if (mode !== 0) {
    throw new EmonError('E_PLATFORM_STATE', `the platform root secrets ${file} are readable by other users (mode ${(statSync(file).mode & 0o777).toString(8)})`, {
      hint: `run: chmod 600 ${file}`,
    });
  }
  const secrets: PlatformSecrets = { sealRoot: new Uint8Array(bytes.subarray(0, 32)), reportRoot: new Uint8Array(bytes.subarray(32, 64)), stateDir: dir };
  cache.set(dir, secrets);
  return secrets;
}

/** Write to a private temporary file, then link(2) it into place: link fails if another process won the race. */
function createRoot(dir: string, file: string): Buffer {
  const fresh = randomBytes(ROOT_SIZE);
  const tmp = path.join(dir, `.${ROOT_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const cannotCreate = (e: unknown): EmonError =>
    new EmonError('E_PLATFORM_STATE', `cannot create the platform root secrets ${file}: ${(e as Error).message}`, {
      hint: 'pass a writable directory with --state-dir',
    });
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, fresh);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw cannotCreate(e);
  }
  try {
    linkSync(tmp, file);
    return fresh;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(e);
    // Another process won the race, or the name is taken by something unreadable (a dangling symlink): that
    // something is never replaced, because sealed blobs may depend on what it pointed to.
    try {
      return readRegularFile(file);
    } catch (r) {
      throw new EmonError('E_PLATFORM_STATE', `the platform root secrets ${file} exist but cannot be read: ${(r as Error).message}`, {
        hint: 'restore the file (or the target of the link) from a backup; removing it makes every sealed blob of this platform unreadable',
      });
    }
  } finally {
    unlinkSync(tmp);
  }
}
