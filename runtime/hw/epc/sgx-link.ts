/**
 * Puts SGX enclaves (runtime/hw/sgx/enclave.ts) in the platform EPC: the life-cycle hooks there call into this
 * module when an image is compiled (instrument it, or give it the resident mode), when an instance is linked
 * (add the `emon_epc` imports and page-aware ENCLU leaves) and once it exists (EADD, start, hold the gate's
 * marshalling area). As in SGX, the EPC is below the enclave's measurement: MRENCLAVE covers the image as
 * signed, not the instrumented module.
 *
 * hw code other than enclave code reads and writes enclave memory directly in two places, and both must see
 * resident pages: the ENCLU leaves (EGETKEY's key, EREPORT's report, RDRAND's buffer, the untrusted-memory
 * copies) hold their enclave-side buffers resident for the duration of the leaf (large copies go page by page);
 * the ECALL gate copies only inside the marshalling area (`__emon_ms`, `__emon_ms_size`), which stays held while
 * the instance lives. The OCALL gate reads and writes the enclave's own buffers, wherever they lie, so it goes
 * through `EnclaveMemoryAccess` (page by page, faulting as the enclave would); closing an instance EREMOVEs it. A paged enclave's maximum size is chosen so that its memory, residency map included,
 * stays within the signed heap size the gate enforces.
 *
 * One Epc per worker (`platformEpc`): the platform budget comes from the monitor as `workerData.epcBudget`
 * (a SharedArrayBuffer made by EpcBudget.create in the main thread); a worker started without one gets its own.
 */
import { workerData } from 'node:worker_threads';
import { EmonError } from '../../errors.js';
import { KEY_SIZE, KEYREQUEST_SIZE } from '../sgx/egetkey.js';
import { REPORT_DATA_SIZE, REPORT_SIZE, TARGETINFO_SIZE } from '../sgx/ereport.js';
import { sgxHooks, type EnclaveMemoryAccess } from '../sgx/enclave.js';
import { emulateCost } from '../cost/emulate.js';
import { EpcBudget } from './budget.js';
import { Epc, type EpcFault } from './epc.js';
import path from 'node:path';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { defaultStateDir, loadPlatform } from '../sgx/platform.js';
import { instrumentCached, type DiskCache } from './cache.js';
import { EPC_IMPORT, type EpcLayout, type EpcMode } from './instrument.js';
import { DEFAULT_EPC_BYTES, PAGE_SIZE, parseEpcSize, WASM_PAGE } from './size.js';
import type { EnclaveSpace } from './space.js';

let workerEpc: Epc | null = null;

/** This worker's view of the platform EPC, created on first use from `--epc` (default 93.5 MiB). */
export function platformEpc(epcOption?: string | number | boolean): Epc {
  if (workerEpc) return workerEpc;
  const shared = (workerData as { epcBudget?: unknown } | null)?.epcBudget;
  let budget: EpcBudget;
  if (shared instanceof SharedArrayBuffer) budget = EpcBudget.attach(shared);
  else {
    const pages = typeof epcOption === 'string' ? parseEpcSize(epcOption) : typeof epcOption === 'number' ? parseEpcSize(String(epcOption)) : DEFAULT_EPC_BYTES / PAGE_SIZE;
    budget = EpcBudget.create(pages);
  }
  workerEpc = new Epc({ budget });
  return workerEpc;
}

/** Largest virtual size (64 KiB pages) whose memory plus residency map fits in `total` pages. */
function pagedSizeWithin(total: number): number {
  for (let v = total - 1; v > 0; v--) {
    const pages4k = v * (WASM_PAGE / PAGE_SIZE);
    const mapPages = Math.ceil((pages4k + (pages4k >>> 12) + 64) / WASM_PAGE);
    if (v + mapPages <= total) return v;
  }
  return 0;
}

export interface SgxEpcOptions {
  /** Enclave files (as the loader names them) to run resident; all others are paged. */
  readonly resident?: (file: string) => boolean;
  /** Keep instrumented modules on disk too (authenticated; see cache.ts). */
  readonly diskCache?: DiskCache;
  /** One line per enclave instance: which mode it runs in (for `emon run -v`). */
  readonly log?: (line: string) => void;
}

interface Pending {
  space: EnclaveSpace;
}

/**
 * Installs the EPC into the SGX life-cycle hooks of this worker; returns the function that removes it.
 * Enclave images compiled while installed are instrumented for this EPC.
 */
export function installSgxEpc(epc: Epc, options: SgxEpcOptions = {}): () => void {
  const layouts = new Map<string, EpcLayout>();
  let pending: Pending | null = null;
  const saved = { ...sgxHooks };

  sgxHooks.prepareModule = (image, what, heapBytes) => {
    const heap = heapBytes ?? 64 * WASM_PAGE;
    const mode: EpcMode = options.resident?.(what) ? 'resident' : 'paged';
    const maxBytes = mode === 'paged' ? pagedSizeWithin(Math.floor(heap / WASM_PAGE)) * WASM_PAGE : heap;
    if (maxBytes <= 0) throw new EmonError('E_EPC_INSTRUMENT', `${what}: a heap of ${heap} bytes leaves no room for paging`, { hint: 'give the enclave a larger heap' });
    const prepared = instrumentCached(image, { mode, maxBytes, name: what }, options.diskCache);
    layouts.set(what, prepared.layout);
    return prepared.bytes;
  };

  sgxHooks.link = (imports, what) => {
    const layout = layouts.get(what);
    if (!layout) return imports;
    const space = epc.open(layout, what);
    pending = { space };
    const sgx = imports['sgx'] as Record<string, (...a: number[]) => number> | undefined;
    return { ...imports, ...(sgx ? { sgx: pageAwareLeaves(space, sgx) } : {}), [EPC_IMPORT]: space.imports };
  };

  sgxHooks.onInstance = (instance, memory, identity, what) => {
    const p = pending;
    pending = null;
    if (p) {
      epc.start(p.space, instance, {});
      const ms = instance.exports['__emon_ms'];
      const msSize = instance.exports['__emon_ms_size'];
      if (typeof ms === 'function' && typeof msSize === 'function') {
        const base = Number(ms()) >>> 0;
        const size = Number(msSize()) >>> 0;
        if (!p.space.hold(base, size, true)) {
          throw new EmonError('E_ENCLAVE_EXPORTS', `${what}: the marshalling area [${base}, +${size}) lies outside the enclave's memory`);
        }
      }
      const space = p.space;
      const l = space.layout;
      options.log?.(
        p.space.mode === 'resident'
          ? `enclave ${what}: EPC resident mode (${l.maxWasmPages * 64} KiB pinned, no residency checks)`
          : `enclave ${what}: EPC paged mode (up to ${l.maxWasmPages * 64} KiB, demand-paged in 4 KiB pages through a ${epc.budget.capacity}-page EPC)`,
      );
      saved.onInstance(instance, memory, identity, what);
      return { access: space.mode === 'paged' ? pagedAccess(space) : null, destroy: () => epc.destroy(space) };
    }
    return saved.onInstance(instance, memory, identity, what);
  };

  return () => {
    Object.assign(sgxHooks, saved);
    // `link` is optional: when there was none before, the EPC's must go too, or later enclaves link to a dead EPC.
    if (!('link' in saved)) delete sgxHooks.link;
  };
}

/** The gate's way into a paged enclave's memory outside the marshalling area: page by page, through the pager. */
function pagedAccess(space: EnclaveSpace): EnclaveMemoryAccess {
  return {
    size: () => space.sizeBytes,
    read: (addr, out) => space.read(addr, out),
    write: (addr, data) => space.write(addr, data),
    strlen: (addr, limit) => space.strlen(addr, limit),
  };
}

/**
 * The ENCLU leaves with their enclave-side buffers held resident while they run. Linear copies go page by page
 * so that a buffer larger than the EPC works; an unknown leaf in a paged enclave is refused.
 */
function pageAwareLeaves(space: EnclaveSpace, leaves: Record<string, (...a: number[]) => number>): Record<string, (...a: number[]) => number> {
  const EINVAL = 2;
  const held = (ranges: [number, number, boolean][], call: () => number): number => {
    let n = 0;
    try {
      for (const [a, len, w] of ranges) {
        if (!space.hold(a >>> 0, len, w)) return EINVAL;
        n++;
      }
      return call();
    } finally {
      for (let i = 0; i < n; i++) space.release(ranges[i]![0] >>> 0, ranges[i]![1]);
    }
  };
  /** Runs `leaf` on each page-bounded piece of the enclave buffer [e, e+len). */
  const pieces = (e: number, len: number, write: boolean, leaf: (e: number, off: number, n: number) => number): number => {
    e >>>= 0;
    len >>>= 0;
    if (e + len > space.sizeBytes) return EINVAL;
    for (let off = 0; off < len; ) {
      const n = Math.min(len - off, PAGE_SIZE - ((e + off) & (PAGE_SIZE - 1)));
      const r = held([[e + off, n, write]], () => leaf(e + off, off, n));
      if (r !== 0) return r;
      off += n;
    }
    return 0;
  };
  const known: Record<string, (...a: number[]) => number> = {
    egetkey: (req, out) => held([[req!, KEYREQUEST_SIZE, false], [out!, KEY_SIZE, true]], () => leaves['egetkey']!(req!, out!)),
    ereport: (target, data, out) =>
      held([...(target === 0 ? [] : [[target!, TARGETINFO_SIZE, false] as [number, number, boolean]]), [data!, REPORT_DATA_SIZE, false], [out!, REPORT_SIZE, true]], () => leaves['ereport']!(target!, data!, out!)),
    rdrand: (dst, len) => pieces(dst!, len!, true, (e, _o, n) => leaves['rdrand']!(e, n)),
    read_untrusted: (src, len, dst) => pieces(dst!, len!, true, (e, o, n) => leaves['read_untrusted']!((src! >>> 0) + o, n, e)),
    write_untrusted: (dst, src, len) => pieces(src!, len!, false, (e, o, n) => leaves['write_untrusted']!((dst! >>> 0) + o, e, n)),
  };
  const out: Record<string, (...a: number[]) => number> = {};
  for (const name of Object.keys(leaves)) {
    const k = known[name];
    if (!k) {
      throw new EmonError('E_EPC_UNSUPPORTED', `enclave ${space.name}: the EPC does not know which buffers the ENCLU leaf "${name}" touches`, {
        hint: 'run this enclave in resident EPC mode',
      });
    }
    out[name] = space.mode === 'resident' ? leaves[name]! : k;
  }
  return out;
}

/** The fault as a trace event (kind 'epc_fault'), for the monitor's trace sink; hw does not import the trace. */
export function faultTraceEvent(f: EpcFault, guest: string): { kind: 'epc_fault'; name: string; track: string; start: number; dur: number; args: Record<string, string | number> } {
  return { kind: 'epc_fault', name: 'fault', track: `${guest}/${f.name}`, start: f.time, dur: 0, args: { page: f.page, access: f.access, enclave: f.enclave } };
}

/** What one guest's worker hands the EPC (a structural subset of the monitor's GuestHost; hw imports no monitor code). */
export interface GuestEpcContext {
  readonly name: string;
  readonly manifest: Readonly<Record<string, unknown>>;
  /** `--enclave:NAME=PATH`: NAME -> PATH. */
  readonly attachments: ReadonlyMap<string, string>;
  readonly options: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly trace: { record(event: ReturnType<typeof faultTraceEvent>): void } | null;
  /** The guest shares this thread with other guests (a fleet's shared worker): see attachSharedGuestEpc. */
  readonly sharesThread?: boolean;
  log(message: string): void;
}

/**
 * Puts one guest's enclaves in this worker's platform EPC: `--epc=SIZE` sizes it, a manifest entry
 * `{"name": ..., "epc": "resident"}` asks for resident mode, `-v` logs each enclave's mode, and with tracing on
 * every fault becomes an 'epc_fault' event on the `guest/enclave` track. Returns the undo function.
 */
/** The manifest's enclaves that are attached: enclave file -> its manifest name, and the files asked to stay resident. */
function manifestEnclaves(host: GuestEpcContext, list: readonly unknown[]): { residentFiles: Set<string>; nameOf: Map<string, string> } {
  const residentFiles = new Set<string>();
  const nameOf = new Map<string, string>();
  for (const e of list) {
    const d = e as Record<string, unknown> | null;
    const file = typeof d?.['name'] === 'string' ? host.attachments.get(d['name']) : undefined;
    if (file === undefined) continue;
    nameOf.set(file, d!['name'] as string);
    if (d!['epc'] === 'resident') residentFiles.add(file);
  }
  return { residentFiles, nameOf };
}

export function attachGuestEpc(host: GuestEpcContext): () => void {
  const list = Array.isArray(host.manifest['enclaves']) ? (host.manifest['enclaves'] as unknown[]) : [];
  if (list.length === 0) return () => undefined;
  if (host.sharesThread === true) return attachSharedGuestEpc(host, list);
  const epc = platformEpc(host.options['epc']);
  const { residentFiles, nameOf } = manifestEnclaves(host, list);
  const verbose = host.options['verbose'] === true;
  const uninstall = installSgxEpc(epc, {
    diskCache: platformDiskCache(typeof host.options['stateDir'] === 'string' ? host.options['stateDir'] : defaultStateDir()),
    resident: (file) => residentFiles.has(file),
    ...(verbose ? { log: (line: string) => host.log(line) } : {}),
  });
  const trace = host.trace;
  const unsubscribe = trace
    ? epc.subscribe((f) => trace.record(faultTraceEvent({ ...f, name: nameOf.get(f.name) ?? f.name }, host.name)))
    : () => undefined;
  // --emulate-cost: each fault also takes the modeled time of an SGX page swap (EWB + ELDU), spent in the fault.
  const unsubscribeCost = host.options['emulateCost'] === true ? epc.subscribe(() => emulateCost('sgx', 'epc_fault')) : () => undefined;
  return () => {
    unsubscribeCost();
    unsubscribe();
    uninstall();
    epc.destroyAll();
  };
}

/** The one EPC install of a thread whose guests share it, and what each of them asked of it. */
interface SharedInstall {
  guests: number;
  /** Enclave file -> guests that want it resident. */
  readonly resident: Map<string, number>;
  /** The `-v` logs of the guests that asked for them; a mode line goes to the first. */
  readonly logs: Set<(line: string) => void>;
  uninstall: () => void;
  unsubscribeCost: () => void;
}
let sharedInstall: SharedInstall | null = null;

/**
 * attachGuestEpc for a guest sharing its thread (a fleet's shared worker): the SGX life-cycle hooks are a
 * thread's, so its guests share one install, made by the first and removed with the thread's enclaves when the
 * last detaches; each guest adds its resident files and its log while it is attached. Run-wide options (state
 * folder, --emulate-cost) come from the first guest; a fleet gives every guest the same.
 */
function attachSharedGuestEpc(host: GuestEpcContext, list: readonly unknown[]): () => void {
  const epc = platformEpc(host.options['epc']);
  const { residentFiles, nameOf } = manifestEnclaves(host, list);
  if (sharedInstall === null) {
    const s: SharedInstall = { guests: 0, resident: new Map(), logs: new Set(), uninstall: () => undefined, unsubscribeCost: () => undefined };
    s.uninstall = installSgxEpc(epc, {
      diskCache: platformDiskCache(typeof host.options['stateDir'] === 'string' ? host.options['stateDir'] : defaultStateDir()),
      resident: (file) => (s.resident.get(file) ?? 0) > 0,
      log: (line: string) => {
        for (const l of s.logs) return l(line);
      },
    });
    if (host.options['emulateCost'] === true) s.unsubscribeCost = epc.subscribe(() => emulateCost('sgx', 'epc_fault'));
    sharedInstall = s;
  }
  const s = sharedInstall;
  s.guests++;
  for (const f of residentFiles) s.resident.set(f, (s.resident.get(f) ?? 0) + 1);
  const log = host.options['verbose'] === true ? (line: string) => host.log(line) : null;
  if (log !== null) s.logs.add(log);
  const trace = host.trace;
  const unsubscribe = trace
    ? epc.subscribe((f) => trace.record(faultTraceEvent({ ...f, name: nameOf.get(f.name) ?? f.name }, host.name)))
    : () => undefined;
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    unsubscribe();
    if (log !== null) s.logs.delete(log);
    for (const f of residentFiles) s.resident.set(f, s.resident.get(f)! - 1);
    if (--s.guests === 0) {
      s.unsubscribeCost();
      s.uninstall();
      epc.destroyAll();
      if (sharedInstall === s) sharedInstall = null;
    }
  };
}

/** STATE_DIR/epc-cache, keyed by a MAC key derived from the platform's seal root (which never leaves hw). */
function platformDiskCache(stateDir: string): DiskCache {
  const platform = loadPlatform(stateDir);
  return { dir: path.join(platform.stateDir, 'epc-cache'), key: hmac(sha256, platform.sealRoot, new TextEncoder().encode('emon/epc-module-cache/1')) };
}

const processBudgets = new Map<string, EpcBudget>();

/**
 * The platform EPC budget of this process for `--epc` (main thread): the monitor passes its buffer to every guest
 * worker as `workerData.epcBudget`, so all enclaves of all guests share one EPC.
 */
export function processEpcBudget(epcOption: string | number | boolean | undefined): SharedArrayBuffer {
  const key = String(epcOption ?? '');
  let b = processBudgets.get(key);
  if (!b) {
    const pages = typeof epcOption === 'string' || typeof epcOption === 'number' ? parseEpcSize(String(epcOption)) : DEFAULT_EPC_BYTES / PAGE_SIZE;
    processBudgets.set(key, (b = EpcBudget.create(pages)));
  }
  return b.buffer;
}
