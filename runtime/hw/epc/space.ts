/**
 * One enclave's pages in the EPC: its residency map, page states, version counters, and the `emon_epc` imports
 * its instrumented code calls on a residency miss, a bulk memory operation or a change of size (instrument.ts).
 * This is the enclave-facing half of the page-fault path; Epc (epc.ts) owns the frames, the budget and the
 * crypto. Access semantics are Wasm's: an access past the enclave's current size traps as it would have
 * without paging, and bulk operations check their whole range before writing anything.
 */
import { EmonError } from '../../errors.js';
import type { EpcLayout, EpcMode } from './instrument.js';
import { PAGE_SHIFT, PAGE_SIZE, WASM_PAGE } from './size.js';
import { PageTableBits } from './pte.js';
import { VersionArray } from './versions.js';

export const NOT_ADDED = 0;
export const RESIDENT = 1;
export const EVICTED = 2;

/**
 * Residency map bytes (instrument.ts): 0 = no access without hw (evicted, not added, past the size, or
 * resident with its reference bit cleared by CLOCK); CLEAN = resident, loads only (a store first goes through
 * hw, which marks the page dirty); WRITABLE = resident and dirty, loads and stores. WRITABLE & CLEAN = CLEAN, so
 * a load's guard tests the AND of its pages' bytes against 0 and a store's guard tests it against WRITABLE.
 */
export const MAP_CLEAN = 1;
export const MAP_WRITABLE = 3;

/** frameOf value of a resident page taken off the ring while hw accesses it (Epc.hold). */
export const HELD = -2;

/** Pages of the EPC never held, so that faults can always find a frame (an access pins at most two). */
const HOLD_RESERVE = 8;

/** Page number bits in a frame key; the rest is the enclave's slot in its Epc. */
export const KEY_PAGE_BITS = 20;

/** What a space needs from its Epc: the fault path and frames. */
export interface FaultService {
  /** `page` of `space` is evicted: reload it, evicting another page if needed (never `pinA` / `pinB`). */
  fault(space: EnclaveSpace, page: number, write: boolean, pinA: number, pinB: number): void;
  /** A new zero page was added at `page` (EADD/EAUG): give it a frame. */
  add(space: EnclaveSpace, page: number): void;
  /** Pins `pages` more pages for a resident enclave; false if the EPC cannot make room. */
  reservePinned(pages: number): boolean;
  hold(space: EnclaveSpace, page: number): void;
  unhold(space: EnclaveSpace, page: number): void;
  readonly budget: { readonly capacity: number };
}

function oob(): WebAssembly.RuntimeError {
  return new WebAssembly.RuntimeError('memory access out of bounds');
}

export class EnclaveSpace {
  readonly id: number;
  readonly slot: number;
  readonly name: string;
  readonly mode: EpcMode;
  readonly layout: EpcLayout;
  /** 4 KiB pages the enclave may grow to. */
  readonly maxPages: number;
  readonly state: Uint8Array;
  readonly frameOf: Int32Array;
  readonly versions: VersionArray;
  /**
   * 1 for a resident page written since it was last sealed (or never sealed: EADD/EAUG pages). Only dirty pages
   * are sealed again on eviction; a clean one is dropped and its current sealed copy stays the one to reload.
   */
  readonly dirty: Uint8Array;
  /** The page-table A/D bits the untrusted OS reads and clears (pte.ts); set by every walk. */
  readonly pte: PageTableBits;
  /** Counters, for reports and tests. */
  faults = 0;
  evictions = 0;
  /** Misses on resident pages whose access bit CLOCK had cleared (not EPC faults). */
  samples = 0;
  /** Stores that found their resident page clean and marked it dirty (not EPC faults). */
  dirtyMarks = 0;
  alive = true;
  /** Distinct pages held now, and how many holds each page has (holds nest: a leaf's buffer may lie in the held marshalling area). */
  private heldPages = 0;
  private readonly holds: Uint32Array;
  /** EPC pages held for this enclave outside the frame ring (version array, or all of a resident enclave). */
  pinned = 0;
  /** Why the enclave was torn down, once it was. */
  deathCause: EmonError | null = null;
  memory: WebAssembly.Memory | null = null;
  /** The enclave's memory; hw never gives this view to anyone else. Valid after attach. */
  u8 = new Uint8Array(0);
  private sizeWasmPages: number;
  /** Memory may grow to this many 64 KiB pages (below the code region, if there is one). */
  private growLimit: number;
  /** The code region of code-fetch instrumentation (code-fetch.ts), [codeBase, codeEnd); empty without it. */
  codeBase = 0;
  codeEnd = 0;
  private readonly epc: FaultService;
  readonly imports: Record<string, WebAssembly.ImportValue>;

  constructor(epc: FaultService, id: number, slot: number, name: string, layout: EpcLayout) {
    this.epc = epc;
    this.id = id;
    this.slot = slot;
    this.name = name;
    this.mode = layout.mode;
    this.layout = layout;
    this.maxPages = layout.maxWasmPages * (WASM_PAGE / PAGE_SIZE);
    this.state = new Uint8Array(this.maxPages);
    this.frameOf = new Int32Array(this.maxPages).fill(-1);
    this.dirty = new Uint8Array(this.maxPages);
    this.holds = new Uint32Array(this.maxPages);
    this.pte = new PageTableBits(this.maxPages);
    this.versions = new VersionArray(this.mode === 'paged' ? this.maxPages : 0);
    this.sizeWasmPages = layout.initialWasmPages;
    this.growLimit = layout.maxWasmPages;
    this.imports = {
      miss: (ptr: number, off: number, size: number, write: number): void => this.miss(ptr, off, size, write !== 0),
      copy: (d: number, s: number, n: number): void => this.copy(d >>> 0, s >>> 0, n >>> 0),
      fill: (d: number, v: number, n: number): void => this.fill(d >>> 0, v & 0xff, n >>> 0),
      range: (d: number, n: number): void => this.range(d >>> 0, n >>> 0),
      grow: (delta: number): number => this.grow(delta >>> 0),
      size: (): number => this.sizeWasmPages,
    };
  }

  /** Current virtual size in bytes. */
  get sizeBytes(): number {
    return this.sizeWasmPages * WASM_PAGE;
  }
  get mapBase(): number {
    return this.layout.mapBase;
  }
  key(page: number): number {
    return (this.slot << KEY_PAGE_BITS) | page;
  }

  /**
   * Before attach: the top `wasmPages` of the configured size hold the code region of a module instrumented by
   * code-fetch.ts. They are EADDed with the initial pages, accessible though above the current size, and the
   * enclave's memory stops growing below them.
   */
  reserveCode(wasmPages: number): void {
    if (this.mode !== 'paged' || this.memory !== null || wasmPages <= 0 || wasmPages >= this.layout.maxWasmPages - this.layout.initialWasmPages + 1) {
      throw new EmonError('E_EPC_INSTRUMENT', `enclave ${this.name}: a code region of ${wasmPages} x 64 KiB cannot be reserved`, { hint: 'code fetches need a paged enclave whose configured size leaves room above its initial memory' });
    }
    this.growLimit = this.layout.maxWasmPages - wasmPages;
    this.codeBase = this.growLimit * WASM_PAGE;
    this.codeEnd = this.layout.maxWasmPages * WASM_PAGE;
  }

  /** Called once the memory exists (after instantiation): EADD of the initial pages. */
  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
    if (this.mode === 'paged') {
      const have = memory.buffer.byteLength / WASM_PAGE;
      if (have < this.layout.physicalWasmPages) memory.grow(this.layout.physicalWasmPages - have);
      this.u8 = new Uint8Array(memory.buffer);
      const n = this.layout.initialWasmPages * (WASM_PAGE / PAGE_SIZE);
      for (let p = 0; p < n; p++) this.epc.add(this, p);
      for (let p = this.codeBase >>> PAGE_SHIFT; p < this.codeEnd >>> PAGE_SHIFT; p++) this.epc.add(this, p);
    } else {
      this.u8 = new Uint8Array(memory.buffer);
    }
  }

  private dead(): never {
    throw this.deathCause ?? new EmonError('E_EPC_TORN_DOWN', `enclave ${this.name} was torn down and cannot run`);
  }

  /** Makes `page` resident for an access; `pinA`/`pinB` are pages the same access needs resident too. */
  private touch(page: number, write: boolean, pinA: number, pinB: number): void {
    if (this.state[page] === RESIDENT) {
      const at = this.layout.mapBase + page;
      if (this.u8[at] === 0) this.samples++;
      this.pte.walk(page, write);
      if (write && this.dirty[page] === 0) {
        this.dirty[page] = 1;
        this.dirtyMarks++;
      }
      // Stores skip hw only while both the EPC's dirty flag and the page-table D bit are set, so that a store after
      // the OS cleared D walks again and sets it (pte.ts).
      this.u8[at] = this.dirty[page] === 1 && this.pte.dirty[page] === 1 ? MAP_WRITABLE : MAP_CLEAN;
      return;
    }
    this.epc.fault(this, page, write, this.key(pinA), this.key(pinB));
  }

  miss(ptr: number, off: number, size: number, write: boolean): void {
    if (!this.alive) this.dead();
    const ea = (ptr >>> 0) + off;
    if (ea + size > this.sizeBytes && (ea < this.codeBase || ea + size > this.codeEnd)) throw oob();
    const p0 = ea >>> PAGE_SHIFT;
    const p1 = (ea + size - 1) >>> PAGE_SHIFT;
    const need = write ? MAP_WRITABLE : MAP_CLEAN;
    if ((this.u8[this.layout.mapBase + p0]! & need) !== need) this.touch(p0, write, p0, p1);
    if (p1 !== p0 && (this.u8[this.layout.mapBase + p1]! & need) !== need) this.touch(p1, write, p0, p1);
  }

  /** True when every page of [a, a+n) is mapped for `need` (MAP_CLEAN: loads; MAP_WRITABLE: stores). */
  private allMapped(a: number, n: number, need: number): boolean {
    const map = this.u8;
    const base = this.layout.mapBase;
    for (let p = a >>> PAGE_SHIFT, last = (a + n - 1) >>> PAGE_SHIFT; p <= last; p++) if ((map[base + p]! & need) !== need) return false;
    return true;
  }

  /** memory.copy, page by page in the direction that keeps overlapping moves correct. */
  copy(d: number, s: number, n: number): void {
    if (!this.alive) this.dead();
    const size = this.sizeBytes;
    if (s + n > size || d + n > size) throw oob();
    if (n === 0) return;
    if (this.allMapped(s, n, MAP_CLEAN) && this.allMapped(d, n, MAP_WRITABLE)) {
      this.u8.copyWithin(d, s, s + n);
      return;
    }
    if (d <= s) {
      for (let i = 0; i < n; ) {
        const c = Math.min(n - i, PAGE_SIZE - ((s + i) & (PAGE_SIZE - 1)), PAGE_SIZE - ((d + i) & (PAGE_SIZE - 1)));
        this.chunk(d + i, s + i, c);
        i += c;
      }
    } else {
      for (let i = n; i > 0; ) {
        const c = Math.min(i, ((s + i - 1) & (PAGE_SIZE - 1)) + 1, ((d + i - 1) & (PAGE_SIZE - 1)) + 1);
        this.chunk(d + i - c, s + i - c, c);
        i -= c;
      }
    }
  }

  /** One piece of a copy lying within one source page and one destination page: read, then write. */
  private chunk(d: number, s: number, c: number): void {
    const sp = s >>> PAGE_SHIFT;
    const dp = d >>> PAGE_SHIFT;
    const map = this.u8;
    const base = this.layout.mapBase;
    if (map[base + sp] === 0) this.touch(sp, false, sp, dp);
    if (map[base + dp] !== MAP_WRITABLE) this.touch(dp, true, sp, dp);
    this.u8.copyWithin(d, s, s + c);
  }

  fill(d: number, v: number, n: number): void {
    if (!this.alive) this.dead();
    if (d + n > this.sizeBytes) throw oob();
    for (let i = 0; i < n; ) {
      const c = Math.min(n - i, PAGE_SIZE - ((d + i) & (PAGE_SIZE - 1)));
      const p = (d + i) >>> PAGE_SHIFT;
      if (this.u8[this.layout.mapBase + p] !== MAP_WRITABLE) this.touch(p, true, p, p);
      this.u8.fill(v, d + i, d + i + c);
      i += c;
    }
  }

  /** Before memory.init: its destination (at most two pages) must be resident at once. */
  range(d: number, n: number): void {
    if (!this.alive) this.dead();
    if (d + n > this.sizeBytes) throw oob();
    if (n === 0) return;
    const p0 = d >>> PAGE_SHIFT;
    const p1 = (d + n - 1) >>> PAGE_SHIFT;
    if (p1 > p0 + 1) {
      throw new EmonError('E_EPC_UNSUPPORTED', `enclave ${this.name}: memory.init of ${n} bytes spans more than two EPC pages`, {
        hint: 'initialise large passive segments in pieces of at most 4 KiB, or run the enclave in resident mode',
      });
    }
    this.miss(d, 0, n, true);
  }

  /** memory.grow: new pages are added zeroed (SGX2 EAUG) and take EPC frames like any other page. */
  grow(delta: number): number {
    if (!this.alive) this.dead();
    const old = this.sizeWasmPages;
    if (old + delta > this.growLimit) return -1;
    if (this.mode === 'resident') {
      // The whole maximum was pinned at creation; only the physical memory grows.
      this.memory!.grow(delta);
      this.u8 = new Uint8Array(this.memory!.buffer);
    } else {
      const from = old * (WASM_PAGE / PAGE_SIZE);
      const to = (old + delta) * (WASM_PAGE / PAGE_SIZE);
      for (let p = from; p < to; p++) this.epc.add(this, p);
    }
    this.sizeWasmPages = old + delta;
    return old;
  }

  /** Copies `len` bytes of enclave memory at `addr` out (hw-side access, e.g. by an ECALL gate); faults as reads. */
  read(addr: number, out: Uint8Array): void {
    if (!this.alive) this.dead();
    const n = out.length;
    if (addr + n > this.sizeBytes) throw this.gateBounds(addr, n);
    for (let i = 0; i < n; ) {
      const c = Math.min(n - i, PAGE_SIZE - ((addr + i) & (PAGE_SIZE - 1)));
      if (this.mode === 'paged') this.miss(addr + i, 0, c, false);
      out.set(this.u8.subarray(addr + i, addr + i + c), i);
      i += c;
    }
  }

  /** Copies `data` into enclave memory at `addr` (hw-side access); faults as writes. */
  write(addr: number, data: Uint8Array): void {
    if (!this.alive) this.dead();
    const n = data.length;
    if (addr + n > this.sizeBytes) throw this.gateBounds(addr, n);
    for (let i = 0; i < n; ) {
      const c = Math.min(n - i, PAGE_SIZE - ((addr + i) & (PAGE_SIZE - 1)));
      if (this.mode === 'paged') this.miss(addr + i, 0, c, true);
      this.u8.set(data.subarray(i, i + c), addr + i);
      i += c;
    }
  }

  /**
   * Length of the NUL-terminated string at `addr` including the NUL, or -1 when there is none within `limit`
   * bytes or the enclave's memory (hw-side access, e.g. an OCALL's string argument); faults as reads.
   */
  strlen(addr: number, limit: number): number {
    if (!this.alive) this.dead();
    const end = Math.min(this.sizeBytes, addr + limit);
    for (let a = addr; a < end; ) {
      const c = Math.min(end - a, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
      if (this.mode === 'paged') this.miss(a, 0, c, false);
      const q = this.u8.subarray(a, a + c).indexOf(0);
      if (q >= 0) return a + q - addr + 1;
      a += c;
    }
    return -1;
  }

  /**
   * Makes [addr, addr+len) resident and keeps it so until `release` (hw-side code about to read or write it
   * directly, e.g. an ENCLU leaf or the ECALL gate's marshalling area). False when the range lies outside the
   * enclave's memory. All but HOLD_RESERVE pages of the EPC may be held at once.
   */
  hold(addr: number, len: number, write: boolean): boolean {
    if (!this.alive) this.dead();
    if (addr < 0 || len < 0 || addr + len > this.sizeBytes) return false;
    if (this.mode === 'resident' || len === 0) return true;
    const p0 = addr >>> PAGE_SHIFT;
    const p1 = (addr + len - 1) >>> PAGE_SHIFT;
    let fresh = 0;
    for (let p = p0; p <= p1; p++) if (this.holds[p] === 0) fresh++;
    if (this.heldPages + fresh > this.epc.budget.capacity - HOLD_RESERVE) {
      throw new EmonError('E_EPC_UNSUPPORTED', `enclave ${this.name}: hw would have to keep ${this.heldPages + fresh} pages resident at once for a ${len}-byte buffer; the ${this.epc.budget.capacity}-page EPC must keep ${HOLD_RESERVE} pages free for paging`, {
        hint: 'use smaller buffers with ENCLU leaves and the marshalling area, or a larger --epc',
      });
    }
    for (let p = p0; p <= p1; p++) {
      this.miss(p << PAGE_SHIFT, 0, 1, write);
      // Holds nest (an ENCLU leaf's buffer inside the held marshalling area): only the first takes the page off
      // the ring, and only the last release puts it back — else the leaf's release would make the marshalling
      // area evictable under the gate, which copies into it directly.
      if (this.holds[p]++ === 0) {
        this.epc.hold(this, p);
        this.heldPages++;
      }
    }
    return true;
  }

  release(addr: number, len: number): void {
    if (this.mode === 'resident' || len === 0 || !this.alive) return;
    for (let p = addr >>> PAGE_SHIFT, last = (addr + len - 1) >>> PAGE_SHIFT; p <= last; p++) {
      if (this.holds[p] === 0) continue;
      if (--this.holds[p] === 0) {
        this.epc.unhold(this, p);
        this.heldPages--;
      }
    }
  }

  private gateBounds(addr: number, n: number): EmonError {
    return new EmonError('E_GATE_BOUNDS', `enclave ${this.name}: ${n} bytes at ${addr} lie outside its ${this.sizeBytes}-byte memory`);
  }
}
