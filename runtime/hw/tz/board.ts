/**
 * The simulated TrustZone board as this worker sees it: a secure world (./secure-world.ts) with its carve-out,
 * TA directory and secure devices, shared by the EDL enclaves run as TAs (./backend.ts) and by the guest's GP
 * TEE Client API. The carve-out is one per emon process: its count comes from the monitor as
 * `workerData.secureMem`, so every guest's TAs draw on the same secure memory. The TA instances and sessions
 * live in this worker, because a Wasm instance belongs to the thread that made it and each guest that uses the
 * board runs in a worker of its own: with one guest per process this is the one secure world; with several,
 * each guest's worker has its own instances (a single-instance TA is single per guest). The world is made when
 * its first user attaches and goes when the last one detaches.
 */
import path from 'node:path';
import { workerData } from 'node:worker_threads';
import { buildDir } from '../../paths.js';
import { emulateCost } from '../cost/emulate.js';
import type { BackendGuest } from '../backend.js';
import { Carveout, parseSecureMem } from './carveout.js';
import { INTEGRITY_TA, integrityClaims } from './integrity.js';
import { psaIssuer } from '../psa/token.js';
import { loadPlatform } from '../sgx/platform.js';
import { SecureWorld, taDirOption, type SecureDevice } from './secure-world.js';
import type { SecureBlock } from './secure-block.js';

let world: SecureWorld | null = null;
let users = 0;
const devices = new Map<string, SecureDevice>();
const blocks = new Map<string, SecureBlock>();
let normal: (() => WebAssembly.Memory | null) | null = null;
let alert: ((code: number, detail: string) => void) | null = null;

/** This worker's board for `guest`; call the returned function when done with it. */
export function attachBoard(guest: BackendGuest): { world: SecureWorld; release: () => void } {
  if (world === null) {
    const shared = (workerData as { secureMem?: unknown } | null)?.secureMem;
    const carveout = shared instanceof SharedArrayBuffer ? Carveout.attach(shared) : Carveout.create(parseSecureMem(guest.options['secureMem']));
    const emulate = guest.options['emulateCost'] === true;
    world = new SecureWorld({
      taDir: taDirOption(guest.options['taDir']),
      carveout,
      client: guest.name,
      log: (line) => guest.log(line),
      trace: guest.trace,
      spin: emulate ? { smc: () => emulateCost('tz', 'smc'), invoke: () => emulateCost('tz', 'ta_invoke') } : null,
      devices,
      blocks,
      normalWorld: () => normal?.() ?? null,
      onIntegrityAlert: (code, detail) => alert?.(code, detail),
      // The board's attestation service (TF-M's initial attestation, as `emon attest --type psa` signs): the
      // device key of the state directory, so `emon attest collateral`'s PSA key verifies the token.
      integrityToken: (nonce, report) => {
        const platform = loadPlatform(typeof guest.options['stateDir'] === 'string' ? guest.options['stateDir'] : undefined);
        return psaIssuer(platform.sealRoot).issue(integrityClaims(nonce, report, platform.reportRoot));
      },
      verbose: guest.options['verbose'] === true,
      // The integrity TA ships with emon, like OP-TEE's early TAs built into the TEE core.
      builtin: new Map([[INTEGRITY_TA, path.join(buildDir, 'ta', `${INTEGRITY_TA}.ta`)]]),
    });
  }
  users++;
  const w = world;
  let released = false;
  return {
    world: w,
    release: () => {
      if (released) return;
      released = true;
      if (--users === 0) {
        w.shutdown();
        if (world === w) world = null;
        devices.clear();
        for (const b of blocks.values()) b.close();
        blocks.clear();
        normal = null;
        alert = null;
      }
    },
  };
}

/** Assign a device to the secure world of this worker's board (`--secure:NAME=...`). */
export function assignSecureDevice(name: string, device: SecureDevice): void {
  devices.set(name, device);
}

/** Assign a block device to the secure world of this worker's board (`--secure:NAME=block:PATH`). */
export function assignSecureBlock(block: SecureBlock): void {
  blocks.get(block.name)?.close();
  blocks.set(block.name, block);
}

/** The normal world's memory, for TAs that read it (integrity monitoring), and where integrity alerts go. */
export function connectNormalWorld(memory: () => WebAssembly.Memory | null, onAlert: (code: number, detail: string) => void): void {
  normal = memory;
  alert = onAlert;
}

/** The carve-out a monitor running several guests hands each guest's worker (`workerData.secureMem`). */
export function processCarveout(secureMem: string | number | boolean | undefined): SharedArrayBuffer {
  return Carveout.create(parseSecureMem(secureMem)).buffer;
}
