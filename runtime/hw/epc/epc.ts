/**
 * The EPC of one simulated SGX platform, as seen from one worker (DESIGN.md §5; Intel SDM Vol. 3D §34.1, §36.5):
 * it creates enclaves' page spaces, services page faults (EWB a victim, ELDU the wanted page, both through the
 * Wasm crypto core), enforces the platform-wide budget (budget.ts) and publishes every fault on the fault
 * channel. The channel is exactly what the untrusted OS learns in SGX: (enclave, page number, read/write, time)
 * of each fault, the controlled channel of Xu et al. (IEEE S&P 2015). Resident-bit samples taken for CLOCK are
 * not faults and are not published.
 *
 * A page that fails to open on reload (altered, swapped, moved to another enclave, replayed, dropped) tears the
 * enclave down: its memory is wiped, its frames freed, and the ECALL in progress ends with E_EPC_INTEGRITY, so
 * nothing the enclave computed from then on can reach the guest.
 */
import { EmonError } from '../../errors.js';
import type { WasmCrypto } from '../crypto/index.js';
import { UntrustedMemoryStore, type BackingStore } from './backing.js';
import { EpcBudget } from './budget.js';
import { instrumentCached } from './cache.js';
import { EPC_IMPORT, type EpcMode, type InstrumentedModule } from './instrument.js';
import { FrameRing, policies, type EvictionPolicy, type PolicyName, type ReferenceBits } from './policy.js';
import { PageSealer, SEALED_PAGE_BYTES } from './seal.js';
import { DEFAULT_EPC_BYTES, PAGE_SIZE } from './size.js';
import { EnclaveSpace, EVICTED, HELD, KEY_PAGE_BITS, MAP_CLEAN, MAP_WRITABLE, RESIDENT, type FaultService } from './space.js';
import { versionArrayPages } from './versions.js';
import type { OsPageView } from './pte.js';

/** One EPC fault, as the monitor sees it. */
export interface EpcFault {
  /** The enclave's id within this EPC. */
  readonly enclave: number;
  readonly name: string;
  /** 4 KiB page number within the enclave's memory. */
  readonly page: number;
  readonly access: 'read' | 'write';
  /** performance.now() when the fault was taken, ms. */
  readonly time: number;
}
export type FaultListener = (fault: EpcFault) => void;

export interface EpcOptions {
  /** The platform budget shared by all workers (default: a new one of `pages`). */
  readonly budget?: EpcBudget;
  /** EPC size in 4 KiB pages when no budget is given (default 93.5 MiB). */
  readonly pages?: number;
  readonly policy?: PolicyName | EvictionPolicy;
  /** Where evicted pages go (monitor memory); default a plain in-memory store. */
  readonly backing?: BackingStore;
  /** The Wasm crypto core instance to use (default: a new one). */
  readonly crypto?: WasmCrypto;
}

export interface EnclaveMemoryOptions {
  /** Name for messages and the fault channel (e.g. `guest/enclave`). */
  readonly name: string;
  /** The enclave's configured size in bytes (heap and everything): the most its memory may grow to. */
  readonly maxBytes: number;
  /** `resident`: pinned whole in the EPC, no residency checks (must fit). Default `paged`. */
  readonly mode?: EpcMode;
}

export interface EpcStats {
  faults: number;
  evictions: number;
  /** Evictions of clean pages: dropped without sealing (their current sealed copy is still valid). */
  cleanEvictions: number;
  samples: number;
  residentFrames: number;
  enclaves: number;
}

const MAX_SLOTS = 1 << (31 - KEY_PAGE_BITS);

export class Epc implements FaultService {
  readonly budget: EpcBudget;
  readonly policy: EvictionPolicy;
  readonly backing: BackingStore;
  private readonly sealer: PageSealer;
  private readonly ring = new FrameRing();
  private readonly spaces: (EnclaveSpace | null)[] = [];
  private readonly freeSlots: number[] = [];
  private nextId = 1;
  private listeners: FaultListener[] = [];
  private readonly bits: ReferenceBits;
  readonly stats: EpcStats = { faults: 0, evictions: 0, cleanEvictions: 0, samples: 0, residentFrames: 0, enclaves: 0 };

  constructor(options: EpcOptions = {}) {
    this.budget = options.budget ?? EpcBudget.create(options.pages ?? DEFAULT_EPC_BYTES / PAGE_SIZE);
    const p = options.policy ?? 'clock';
    const policy = typeof p === 'string' ? policies[p] : p;
    if (!policy) throw new EmonError('E_EPC_POLICY', `unknown EPC eviction policy "${String(p)}"`, { hint: `use one of ${Object.keys(policies).join(', ')}` });
    this.policy = policy;
    this.backing = options.backing ?? new UntrustedMemoryStore();
    this.sealer = new PageSealer(this.budget.platformId(), options.crypto);
    const spaces = this.spaces;
    this.bits = {
      referenced(key) {
        const s = spaces[key >>> KEY_PAGE_BITS]!;
        return s.u8[s.mapBase + (key & ((1 << KEY_PAGE_BITS) - 1))] !== 0;
      },
      clear(key) {
        const s = spaces[key >>> KEY_PAGE_BITS]!;
        s.u8[s.mapBase + (key & ((1 << KEY_PAGE_BITS) - 1))] = 0;
      },
    };
  }

  /** Subscribes to the fault channel; returns the unsubscribe function. */
  subscribe(listener: FaultListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Instruments an enclave module for this EPC (see instrument.ts), through the content-addressed cache. */
  prepare(bytes: Uint8Array, options: EnclaveMemoryOptions): InstrumentedModule {
    return instrumentCached(bytes, { mode: options.mode ?? 'paged', maxBytes: options.maxBytes, name: options.name });
  }

  /**
   * Creates the enclave's page space and instantiates its prepared module with the `emon_epc` imports; EADDs
   * the initial pages (evicting others if the EPC is full) and then runs the module's start function.
   */
  async instantiate(
    prepared: InstrumentedModule,
    module: WebAssembly.Module,
    imports: WebAssembly.Imports,
    name: string,
  ): Promise<{ instance: WebAssembly.Instance; space: EnclaveSpace }> {
    const space = this.open(prepared.layout, name);
    try {
      const instance = await WebAssembly.instantiate(module, { ...imports, [EPC_IMPORT]: space.imports });
      this.start(space, instance, imports);
      return { instance, space };
    } catch (e) {
      if (space.alive) this.teardown(space, null);
      throw e;
    }
  }

  /**
   * ECREATE: a page space for an enclave about to be instantiated from a module prepared with `layout`; give
   * `space.imports` as the `emon_epc` import module, then call `start` once the instance exists.
   */
  open(layout: InstrumentedModule['layout'], name: string): EnclaveSpace {
    return this.createSpace(name, layout);
  }

  /** EADD of the initial pages once the instance exists, then the module's deferred start function. */
  start(space: EnclaveSpace, instance: WebAssembly.Instance, imports: WebAssembly.Imports): void {
    const layout = space.layout;
    const memory = layout.memoryExport
      ? instance.exports[layout.memoryExport]
      : (imports[layout.memoryImport![0]] as Record<string, WebAssembly.ImportValue> | undefined)?.[layout.memoryImport![1]];
    if (!(memory instanceof WebAssembly.Memory)) {
      throw new EmonError('E_EPC_INSTRUMENT', `enclave ${space.name}: its memory is not reachable after instantiation`);
    }
    space.attach(memory);
    if (layout.startExport) (instance.exports[layout.startExport] as () => void)();
  }

  /** Prepares, compiles and instantiates in one step (tests, benchmarks, simple loaders). */
  async load(bytes: Uint8Array, imports: WebAssembly.Imports, options: EnclaveMemoryOptions): Promise<{ instance: WebAssembly.Instance; space: EnclaveSpace }> {
    const prepared = this.prepare(bytes, options);
    return this.instantiate(prepared, new WebAssembly.Module(prepared.bytes as Uint8Array<ArrayBuffer>), imports, options.name);
  }

  private createSpace(name: string, layout: InstrumentedModule['layout']): EnclaveSpace {
    const slot = this.freeSlots.pop() ?? this.spaces.length;
    if (slot >= MAX_SLOTS) throw new EmonError('E_EPC_FULL', `cannot create enclave ${name}: this worker already has ${MAX_SLOTS} enclaves`);
    const space = new EnclaveSpace(this, this.nextId++, slot, name, layout);
    // Pinned pages: the version array of a paged enclave, the whole maximum of a resident one (SGX1 commits it).
    const pinned = layout.mode === 'paged' ? versionArrayPages(space.maxPages) : space.maxPages;
    // A paged enclave's few version-array pages may overdraw the budget when this worker has nothing of its own
    // to evict (another worker's enclaves hold the EPC): as with a frame at a fault, the workers holding pages
    // pay the overdraft back at their next fault. Without this, the second guest to start could not open a
    // paged enclave at all while the first held the EPC. A resident enclave never overdraws.
    const overdraw = layout.mode === 'paged' && pinned <= Math.max(1, this.budget.capacity >> 3);
    let reserved = this.reservePinned(pinned);
    if (!reserved && overdraw) {
      this.budget.forceTake(pinned);
      reserved = true;
    }
    if (!reserved) {
      if (slot < this.spaces.length) this.freeSlots.push(slot);
      throw new EmonError('E_EPC_FULL', `cannot create enclave ${name}: it needs ${pinned} pinned EPC pages (${layout.mode} mode) and the EPC of ${this.budget.capacity} pages cannot make room`, {
        hint: layout.mode === 'resident' ? 'use paged mode for this enclave, or a larger --epc' : 'use a larger --epc',
      });
    }
    space.pinned = pinned;
    this.spaces[slot] = space;
    this.stats.enclaves++;
    return space;
  }

  reservePinned(pages: number): boolean {
    while (!this.budget.tryTake(pages)) {
      const f = this.policy.victim(this.ring, this.bits, -1, -1);
      if (f < 0) return false;
      this.evictFrame(f);
      this.ring.remove(f);
      this.budget.give(1);
    }
    return true;
  }

  /** A frame for a page about to come in: a free page of the budget, or a victim's frame. */
  private frame(pinA: number, pinB: number): number {
    while (this.budget.over > 0) {
      const f = this.policy.victim(this.ring, this.bits, pinA, pinB);
      if (f < 0) break;
      this.evictFrame(f);
      this.ring.remove(f);
      this.budget.give(1);
    }
    if (this.budget.tryTake(1)) return this.ring.insert(-1);
    const f = this.policy.victim(this.ring, this.bits, pinA, pinB);
    if (f >= 0) {
      this.evictFrame(f);
      return f;
    }
    this.budget.forceTake(1);
    return this.ring.insert(-1);
  }

  /**
   * EWB: seal the frame's page into backing storage and wipe it from enclave memory. A clean page (not written
   * since it was reloaded from its sealed copy) is only wiped: the copy the monitor holds is still the current
   * version, so reloading it is exactly as safe as reloading a freshly sealed one, and any older copy still
   * fails on its version. This is an OS's dirty-bit optimisation; the monitor learns which evicted pages were
   * written, which an SGX OS also learns from the dirty bits of its page tables (Wang et al., CCS 2017).
   */
  private evictFrame(f: number): void {
    const key = this.ring.keyOf(f);
    const s = this.spaces[key >>> KEY_PAGE_BITS]!;
    const page = key & ((1 << KEY_PAGE_BITS) - 1);
    const addr = page * PAGE_SIZE;
    if (s.dirty[page] === 0) {
      s.u8.fill(0, addr, addr + PAGE_SIZE);
      this.stats.cleanEvictions++;
      this.dropped(s, page);
      return;
    }
    const out = this.backing.slot(s.id, page);
    if (!(out instanceof Uint8Array) || out.length < SEALED_PAGE_BYTES) {
      throw new EmonError('E_EPC_BACKING', `the monitor gave no usable backing memory for page ${page} of enclave ${s.name}`, {
        hint: 'the backing store must return a Uint8Array of at least 4112 bytes per evicted page',
      });
    }
    const plain = s.u8.subarray(addr, addr + PAGE_SIZE);
    this.sealer.seal(s.id, page, s.versions.next(page, s.name), plain, out);
    plain.fill(0);
    s.dirty[page] = 0;
    this.dropped(s, page);
  }

  private dropped(s: EnclaveSpace, page: number): void {
    s.u8[s.mapBase + page] = 0;
    s.state[page] = EVICTED;
    s.frameOf[page] = -1;
    s.evictions++;
    this.stats.evictions++;
  }

  /** Gives `page` of `s` the frame `f` and marks it resident; `dirty` when its bytes are not its sealed copy's. */
  private place(s: EnclaveSpace, page: number, f: number, dirty: boolean): void {
    this.ring.setKey(f, s.key(page));
    s.frameOf[page] = f;
    s.state[page] = RESIDENT;
    s.pte.walk(page, dirty);
    s.dirty[page] = dirty ? 1 : 0;
    s.u8[s.mapBase + page] = dirty ? MAP_WRITABLE : MAP_CLEAN;
  }

  /** The OS's handles on every live enclave of this EPC (pte.ts): what the monitor that owns the EPC can act on. */
  osViews(): OsPageView[] {
    const out: OsPageView[] = [];
    for (const s of this.spaces) if (s && s.alive) out.push(this.osView(s));
    return out;
  }

  /**
   * The untrusted OS's handle on one enclave's pages (pte.ts): residency, EWB of its choice, A/D bits. What any
   * SGX OS can do with its page tables; the monitor gets this, never the space itself.
   */
  osView(s: EnclaveSpace): OsPageView {
    const evict = (page: number): boolean => {
      if (!s.alive || page < 0 || page >= s.maxPages) return false;
      const f = s.frameOf[page]!;
      if (f < 0) return false;
      this.evictFrame(f);
      this.ring.remove(f);
      this.budget.give(1);
      return true;
    };
    return {
      enclave: s.id,
      name: s.name,
      maxPages: s.maxPages,
      resident: (page) => s.alive && s.state[page] === RESIDENT,
      evict,
      evictAll: () => {
        let n = 0;
        for (let p = 0; p < s.maxPages; p++) if (s.frameOf[p]! >= 0 && evict(p)) n++;
        return n;
      },
      scan: (clear) => {
        const sample = s.pte.read(clear);
        // The TLB flush: a page's map byte is non-zero only after a walk, which set its A bit, so the pages just
        // read are the only ones whose map bytes may need clearing for the next access to walk again.
        if (clear && s.alive && s.mode === 'paged') for (const p of sample.accessed) if (s.state[p] === RESIDENT) s.u8[s.mapBase + p] = 0;
        return sample;
      },
    };
  }

  add(s: EnclaveSpace, page: number): void {
    let f: number;
    try {
      f = this.frame(-1, -1);
    } catch (e) {
      this.teardown(s, e instanceof EmonError ? e : null);
      throw e;
    }
    // A new zero page has no sealed copy yet: it is dirty until its first eviction seals it.
    this.place(s, page, f, true);
  }

  fault(s: EnclaveSpace, page: number, write: boolean, pinA: number, pinB: number): void {
    const time = this.listeners.length > 0 ? performance.now() : 0;
    let f = -1;
    try {
      f = this.frame(pinA, pinB);
      // ELDU: the sealed copy must be exactly the latest one hw wrote for this (platform, enclave, page).
      const addr = page * PAGE_SIZE;
      const sealed = this.backing.fetch(s.id, page);
      const ok = sealed !== undefined && this.sealer.open(s.id, page, s.versions.current(page), sealed, s.u8.subarray(addr, addr + PAGE_SIZE));
      if (!ok) {
        throw new EmonError('E_EPC_INTEGRITY', `enclave ${s.name}: evicted page ${page} ${sealed === undefined ? 'was not returned' : 'failed its integrity check'} on reload (altered, swapped, moved, replayed or dropped by the untrusted monitor); the enclave was torn down`, {
          hint: 'the monitor or its backing storage tampered with enclave memory; restart the enclave on a trusted host',
        });
      }
    } catch (e) {
      // The frame taken for the page (its previous page, if any, is already evicted) goes back to the budget.
      if (f >= 0) {
        this.ring.remove(f);
        this.budget.give(1);
      }
      this.teardown(s, e instanceof EmonError ? e : null);
      throw e;
    }
    // Reloaded for a store: dirty at once (the store would mark it on its next slow path anyway).
    this.place(s, page, f, write);
    s.faults++;
    this.stats.faults++;
    const listeners = this.listeners;
    if (listeners.length > 0) {
      const event: EpcFault = { enclave: s.id, name: s.name, page, access: write ? 'write' : 'read', time };
      for (const l of listeners) {
        try {
          l(event);
        } catch {
          // The monitor's listener cannot disturb the enclave (it is untrusted code observing a channel).
        }
      }
    }
  }

  /** Takes a resident page off the ring: no policy can evict it until `unhold` (hw-side accesses in flight). */
  hold(s: EnclaveSpace, page: number): void {
    const f = s.frameOf[page]!;
    if (f >= 0) {
      this.ring.remove(f);
      s.frameOf[page] = HELD;
    }
  }

  unhold(s: EnclaveSpace, page: number): void {
    if (s.frameOf[page] === HELD && s.alive) s.frameOf[page] = this.ring.insert(s.key(page));
  }

  /** Destroys every enclave of this pager (the guest ended): its pages go back to the platform budget. */
  destroyAll(): void {
    for (const s of this.spaces) if (s && s.alive) this.teardown(s, null);
  }

  /** Destroys an enclave's pages (EREMOVE of all its pages); its instance must not be called again. */
  destroy(s: EnclaveSpace): void {
    if (s.alive) this.teardown(s, null);
  }

  private teardown(s: EnclaveSpace, cause: EmonError | null): void {
    s.alive = false;
    s.deathCause = cause;
    for (let p = 0; p < s.maxPages; p++) {
      const f = s.frameOf[p]!;
      if (f >= 0) this.ring.remove(f);
      if (f >= 0 || f === HELD) {
        this.budget.give(1);
        s.frameOf[p] = -1;
      }
    }
    s.state.fill(0);
    s.dirty.fill(0);
    this.budget.give(s.pinned);
    s.pinned = 0;
    s.u8.fill(0);
    this.backing.release(s.id);
    this.spaces[s.slot] = null;
    this.freeSlots.push(s.slot);
    this.stats.enclaves--;
  }

  /** Resident 4 KiB pages of this worker's paged enclaves right now. */
  get residentFrames(): number {
    return this.ring.size;
  }
}
