/**
 * Secure block devices: `--block:NAME=PATH,secure=sealed|epc[,size=BYTES][,sector=BYTES]` gives the guest an
 * ordinary Solo5 BLOCK_BASIC device whose blocks a trusted store (runtime/storage) keeps confidential,
 * authentic and fresh; the monitor's file holds only ciphertext. `sealed` is design 3 (every write sealed and
 * committed before block_write returns, the durability of a plain O_DSYNC device); `epc` is design 2 (blocks
 * in trusted memory, sealed to the file at exit). size= is the capacity the guest sees, used to format a new
 * image; an existing store keeps its own. A block that fails its checks is reported on stderr, named, and the
 * guest's call returns EUNSPEC: never wrong data.
 */
import fs from 'node:fs';
import { EmonError } from '../../errors.js';
import { defaultStateDir, loadPlatform } from '../../hw/sgx/platform.js';
import { EpcStore } from '../../storage/epc.js';
import { SealedStore } from '../../storage/sealed.js';
import { StorageViolation, type BlockStore, type Design } from '../../storage/store.js';
import { SOLO5_R_EUNSPEC, SOLO5_R_OK } from '../abi.js';
import { FileBacking } from './file-backing.js';

export const SECURE_DESIGNS: readonly Design[] = ['sealed', 'epc'];
export const SECURE_DEFAULT_SECTOR = 4096;

export interface SecureSpec {
  readonly path: string;
  readonly size: number | undefined;
  readonly sector: number;
  readonly secure: Design;
}

/** Before any guest starts: an existing image, or size= to create one. */
export function prepareSecure(guest: string, name: string, spec: SecureSpec): void {
  if (spec.size === 0) {
    throw new EmonError('E_ATTACH', `--block:${name}=${spec.path},secure=${spec.secure},size=0 for guest ${guest}: a secure device needs at least one ${spec.sector}-byte block`, {
      hint: 'give size= a whole number of blocks, e.g. size=1M',
    });
  }
  if (spec.size === undefined && !fs.existsSync(spec.path)) {
    throw new EmonError('E_ATTACH', `secure block image ${spec.path} for device "${name}" of guest ${guest} does not exist`, {
      hint: `add ,size=BYTES to create it (e.g. --block:${name}=${spec.path},secure=${spec.secure},size=1M)`,
    });
  }
}

/** One opened secure device: the store and the two hypercall bodies over guest memory. */
export interface SecureDisk {
  readonly capacity: number;
  readonly blockSize: number;
  io(write: boolean, offset: number, mem: Uint8Array, buf: number, size: number): number;
  close(): void;
}

export function openSecure(guest: string, name: string, spec: SecureSpec, options: Readonly<Record<string, unknown>>, log: (line: string) => void): SecureDisk {
  const stateDir = typeof options['stateDir'] === 'string' ? options['stateDir'] : defaultStateDir();
  const create = spec.size === undefined ? undefined : { blockSize: spec.sector, blocks: spec.size / spec.sector };
  let backing: FileBacking | undefined;
  let store: BlockStore;
  try {
    backing = FileBacking.open(spec.path, spec.size !== undefined);
    const opts = { platform: loadPlatform(stateDir), stateDir, ...(create ? { create } : {}) };
    store = spec.secure === 'epc' ? EpcStore.open(backing, opts) : SealedStore.open(backing, opts);
  } catch (e) {
    backing?.close();
    if (e instanceof EmonError) {
      throw new EmonError(e.code, `secure block device "${name}" of guest ${guest}: ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), cause: e });
    }
    throw e;
  }
  const bs = store.blockSize;
  const reported = new Set<string>();
  return {
    capacity: store.blocks * bs,
    blockSize: bs,
    io(write, offset, mem, buf, size) {
      try {
        if (write) store.writeRun(offset / bs, mem.subarray(buf, buf + size));
        else for (let done = 0; done < size; done += bs) store.read((offset + done) / bs, mem.subarray(buf + done, buf + done + bs));
        return SOLO5_R_OK;
      } catch (e) {
        const what = e instanceof StorageViolation ? `${e.kind}: ${e.message}` : `I/O failed: ${(e as Error).message}`;
        if (!reported.has(what)) {
          reported.add(what);
          log(`emon: secure block device "${name}" of guest ${guest}: ${what}`);
        }
        return SOLO5_R_EUNSPEC;
      }
    },
    close() {
      try {
        store.close();
      } catch (e) {
        log(`emon: secure block device "${name}" of guest ${guest}: final flush failed: ${(e as Error).message}`);
      }
    },
  };
}
