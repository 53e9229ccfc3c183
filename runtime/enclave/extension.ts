/**
 * The monitor extension that serves a guest's "emon" import module (./abi.ts): it checks the manifest's
 * `enclaves` against the `--enclave:NAME=PATH` attachments, loads and EINITs every attached enclave before the
 * guest starts (so a tampered or wrongly signed enclave stops the launch with the reason), and opens instances
 * when the guest asks. Guests only ever get status codes back; problems are logged on the monitor's stderr.
 */
import { EmonError, isEmonError } from '../errors.js';
import { emulateCost } from '../hw/cost/emulate.js';
import type { EnclaveBackend } from '../hw/backend.js';
import { defaultStateDir } from '../hw/sgx/platform.js';
import type { GuestHost, MonitorExtension } from '../monitor/extension.js';
import { EINVAL, EUNSPEC, OK } from './abi.js';
import { loadEnclaveImage, openEnclave, type EnclaveImage, type OpenEnclave } from './host.js';
import { backendFor, hwTrace } from './backends.js';
import { enclaveDecls } from './manifest.js';

/** Instances one guest may have open at once (SGX's limit is EPC; this one bounds a hostile guest's loop). */
export const MAX_OPEN = 64;
const MAX_NAME = 64;

async function guestImports(host: GuestHost): Promise<Record<string, WebAssembly.ImportValue>> {
  const decls = enclaveDecls(host.manifest, host.name);
  for (const [name] of host.attachments) {
    if (!decls.some((d) => d.name === name)) {
      throw new EmonError('E_ATTACH', `guest ${host.name}: --enclave:${name} is attached but the guest's manifest declares no enclave "${name}"`, {
        hint: `declared enclaves: ${decls.map((d) => d.name).join(', ') || '(none)'}`,
      });
    }
  }
  // The backend (runtime/hw/backend.ts) is run-wide: SGX pages the enclaves through the platform EPC (issue 6),
  // TZ runs them as TAs in the board's secure world.
  const backend: EnclaveBackend = await backendFor(host.options['backend']);
  const trace = hwTrace(backend, host.trace);
  // A guest with the thread to itself replaces whatever the thread's last guest left attached; guests sharing a
  // thread (a fleet's shared worker) each keep their own attachment.
  if (host.sharesThread === true) detachers.get(host)?.();
  else detachEpc?.();
  const attached = decls.length > 0 ? backend.attachGuest({ ...host, trace }) : null;
  if (host.sharesThread === true) {
    if (attached !== null) detachers.set(host, attached);
    else detachers.delete(host);
  } else detachEpc = attached;
  const images = new Map<string, EnclaveImage>();
  try {
    for (const d of decls) {
      const file = host.attachments.get(d.name);
      if (file === undefined) {
        throw new EmonError('E_ATTACH', `guest ${host.name} needs enclave "${d.name}" but it is not attached`, { hint: `add --enclave:${d.name}=PATH/TO/ENCLAVE.wasm` });
      }
      images.set(d.name, loadEnclaveImage(d.name, file, d.mrsigner, backend));
    }
  } catch (e) {
    // The guest will not start, and the monitor calls dispose only for guests that did: undo the EPC here.
    attached?.();
    if (host.sharesThread === true) detachers.delete(host);
    else detachEpc = null;
    throw e;
  }
  const stateDir = typeof host.options['stateDir'] === 'string' ? host.options['stateDir'] : defaultStateDir();
  const platform = images.size > 0 ? backend.platform(stateDir) : null;
  const emulate = host.options['emulateCost'] === true;
  const { ecall: ecallCost, ocall: ocallCost } = backend.transitions;
  const spinEcall = emulate && ecallCost !== null ? () => emulateCost(backend.name, ecallCost) : null;
  const spinOcall = emulate ? () => emulateCost(backend.name, ocallCost) : null;

  /**
   * Open instances by handle. Handles are never reused within a boot; a closed one is deleted, so a guest that
   * opens and closes in a loop holds nothing for the instances it closed.
   */
  const open = new Map<number, OpenEnclave>();
  let nextHandle = 0;
  /**
   * The runner may boot the same guest again with these imports: each boot starts with no enclave open (the
   * runner says so through `boot`; a host without a runner shows a new boot as a new memory).
   */
  let bootMemory: WebAssembly.Memory | null = null;
  /**
   * The instance of the last handle an ECALL named: a guest calls one enclave over and over, and the map lookup
   * was about a tenth of a null ECALL. Forgotten whenever an instance leaves `open`.
   */
  let lastHandle = -1;
  let last: OpenEnclave | undefined;
  const forget = (): void => {
    lastHandle = -1;
    last = undefined;
  };
  const reboot = (): void => {
    forget();
    for (const e of open.values()) e.close();
    open.clear();
    nextHandle = 0;
  };
  reboots.set(host, reboot);
  /** enclave_open calls in progress: an enclave's start may make OCALLs into the guest before it is in `open`. */
  let opening = 0;
  busies.set(host, () => {
    if (opening > 0) return true;
    for (const e of open.values()) if (e.busy()) return true;
    return false;
  });

  const u8 = (): Uint8Array => new Uint8Array(host.memory().buffer);
  const inGuest = (p: number, n: number): boolean => p >= 0 && n >= 0 && p + n <= host.memory().buffer.byteLength;

  function enclave_open(namePtr: number, nameLen: number, scratchPtr: number, scratchLen: number, handleOut: number): number {
    opening++;
    try {
      return openOne(namePtr, nameLen, scratchPtr, scratchLen, handleOut);
    } finally {
      opening--;
    }
  }

  function openOne(namePtr: number, nameLen: number, scratchPtr: number, scratchLen: number, handleOut: number): number {
    namePtr >>>= 0;
    nameLen >>>= 0;
    scratchPtr >>>= 0;
    scratchLen >>>= 0;
    handleOut >>>= 0;
    const memory = host.memory();
    if (memory !== bootMemory) {
      reboot();
      bootMemory = memory;
    }
    if (nameLen > MAX_NAME || !inGuest(namePtr, nameLen) || !inGuest(scratchPtr, scratchLen) || !inGuest(handleOut, 4)) return EINVAL;
    const name = new TextDecoder('utf-8', { fatal: false }).decode(u8().slice(namePtr, namePtr + nameLen));
    const image = images.get(name);
    if (image === undefined) {
      host.log(`enclave_open: the manifest declares no enclave "${name}"`);
      return EINVAL;
    }
    if (open.size >= MAX_OPEN) {
      host.log(`enclave_open(${name}): ${MAX_OPEN} enclaves are already open`);
      return EINVAL;
    }
    const t0 = host.trace === null ? 0 : performance.now();
    try {
      const inst = openEnclave(image, {
        guest: host.name,
        platform: platform!,
        guestMemory: () => host.memory(),
        guestExports: () => host.exports(),
        scratch: { ptr: scratchPtr, len: scratchLen },
        trace,
        spinEcall,
        spinOcall,
        onLost: (reason) => host.log(`enclave ${name} is lost: ${reason}`),
        ...(host.options['verbose'] === true ? { onReject: (e: EmonError) => host.log(`${e.code}: ${e.message}`) } : {}),
      });
      const handle = nextHandle++;
      open.set(handle, inst);
      if (host.trace !== null) {
        host.trace.record({ kind: 'enclave', name: 'open', track: `${host.name}/${name}`, start: t0, dur: performance.now() - t0, args: { handle } });
      }
      new DataView(host.memory().buffer).setUint32(handleOut, handle, true);
      return OK;
    } catch (e) {
      host.log(`enclave_open(${name}) failed: ${isEmonError(e) ? e.message : String(e)}`);
      return isEmonError(e, 'E_GATE_OCALL') ? EINVAL : EUNSPEC;
    }
  }

  function enclave_close(handle: number): number {
    const e = open.get(handle);
    if (e === undefined) return EINVAL;
    if (e.busy()) {
      host.log(`enclave_close(${handle}): enclave ${e.image.name} is running an ECALL (the guest is inside one of its OCALLs); close it after the ECALL returns`);
      return EINVAL;
    }
    open.delete(handle);
    forget();
    e.close();
    return OK;
  }

  function ecall(handle: number, fn: number, frame: number): number {
    let e = last;
    if (handle !== lastHandle) {
      e = open.get(handle);
      if (e === undefined) return EINVAL;
      lastHandle = handle;
      last = e;
    }
    if (e === undefined) return EINVAL;
    const f = e.ecalls[fn];
    return f === undefined ? EINVAL : f(frame);
  }

  return { enclave_open, enclave_close, ecall };
}

/** The EPC attachment of the thread's guest (one guest per thread), or of each guest sharing the thread. */
let detachEpc: (() => void) | null = null;
const detachers = new WeakMap<GuestHost, () => void>();
const reboots = new WeakMap<GuestHost, () => void>();
const busies = new WeakMap<GuestHost, () => boolean>();

export const enclaveExtension: MonitorExtension = {
  importModule: 'emon',
  attachmentKind: 'enclave',
  imports: guestImports,
  boot: (host) => reboots.get(host)?.(),
  // Its own count of calls in progress (the gate's nesting depth, enclave_open's), so a shared worker leaves
  // the "emon" functions unwrapped: the ECALL path pays nothing for fleets.
  busy: (host) => busies.get(host)?.() ?? false,
  dispose: (host) => {
    reboots.get(host)?.(); // close the instances (TZ: their sessions give the carve-out back)
    if (host.sharesThread === true) {
      detachers.get(host)?.();
      detachers.delete(host);
    } else {
      detachEpc?.();
      detachEpc = null;
    }
  },
};
