/**
 * Design 3: encrypted blocks outside the enclave, keys inside. Each block is sealed with ChaCha20-Poly1305
 * (RFC 8439) in the Wasm crypto core under a key only trusted code derives (./keys.ts), with the nonce
 * (block, version) and the associated data (store id, block, version), so a block read back must be exactly
 * the one last written at that place; its tag and version live in a hash tree (./tree.ts) whose root is in a
 * sealed superblock tied to a hardware monotonic counter (runtime/hw/counter.ts), as OP-TEE ties its REE FS
 * to RPMB and SGX PFS to monotonic counters, so a restored older image is refused across restarts.
 *
 * Commits are copy-on-write (./layout.ts): new data and leaf pages go to the slots the committed superblock
 * does not name, the superblock of generation g+1, listing the blocks the commit wrote, goes to the other
 * superblock slot, one fdatasync makes all of it durable, and then the counter is raised to g+1 (durable too):
 * only then is the commit acknowledged. On open, a superblock at the counter's generation must verify; one at
 * the counter plus one is a commit the crash cut before its acknowledgement, taken if its tree and every block
 * it lists verify (the counter is then raised to it) and otherwise dropped for its predecessor, which is
 * intact because nothing of a commit overwrites what the committed superblock names. Anything older than the
 * counter is a rollback.
 * Versions are generation·2^20 + a sequence number within the generation, and every open commits once before
 * any write, so a version, hence a nonce, is never used twice under one key even across crashes.
 */
import { randomFillSync } from 'node:crypto';
import { MonotonicCounter } from '../hw/counter.js';
import { WasmCrypto } from '../hw/crypto/index.js';
import type { PlatformSecrets } from '../hw/sgx/platform.js';
import { storeKeys, type StoreKeys } from './keys.js';
import {
  blockOffset, decodePayload, encodePayload, FRESH_MAX, geometry, HEADER_BYTES, MAGIC, MAX_LEAF_PAGES, PAGE_BYTES, pageOffset,
  STORE_ID_BYTES, SUPER_SLOT_BYTES, superAad, superOffset, type Geometry, type SuperPayload,
} from './layout.js';
import { StorageViolation, type Backing, type BlockStore } from './store.js';
import { HashTree } from './tree.js';

const SEQ_BITS = 2 ** 20;
/** How many other blocks a failed read is compared with to tell a moved block from an altered one. */
const DIAGNOSE_LIMIT = 4096;

export interface SealedOptions {
  readonly platform: PlatformSecrets;
  /** Where hardware counters live (the platform state directory). */
  readonly stateDir: string;
  /** Format a new store of this shape if the backing holds none (all zero or empty). */
  readonly create?: { readonly blockSize: number; readonly blocks: number };
  /** Commit after every write (the default: the same durability as an O_DSYNC plain device). */
  readonly commitEachWrite?: boolean;
  /** Open to read only: no commit at open, writes refused (checkers, forensics). */
  readonly readOnly?: boolean;
  readonly crypto?: WasmCrypto;
}

export class SealedStore implements BlockStore {
  readonly design = 'sealed' as const;
  readonly blockSize: number;
  readonly blocks: number;
  private commitEachWrite: boolean;
  private generation: number;
  private seq = 0;
  private readonly committedPageSlot: Uint8Array;
  private readonly dirtyPages = new Set<number>();
  /** Blocks written since the last commit -> the slot the committed state names. */
  private readonly dirtyBlocks = new Map<number, number>();
  private readonly nonce = new Uint8Array(12);
  private readonly aad = new Uint8Array(STORE_ID_BYTES + 12);
  private readonly nonceView = new DataView(this.nonce.buffer);
  private readonly aadView = new DataView(this.aad.buffer);
  private readonly scratch: Uint8Array;
  private closed = false;
  private readOnly = false;

  private constructor(
    private readonly backing: Backing,
    private readonly crypto: WasmCrypto,
    private readonly keys: StoreKeys,
    private readonly counter: MonotonicCounter,
    private readonly storeId: Uint8Array,
    private readonly geo: Geometry,
    private readonly tree: HashTree,
    sb: SuperPayload,
    commitEachWrite: boolean,
  ) {
    this.blockSize = geo.blockSize;
    this.blocks = geo.blocks;
    this.generation = sb.generation;
    this.committedPageSlot = sb.pageSlots.slice();
    this.commitEachWrite = commitEachWrite;
    this.scratch = new Uint8Array(geo.blockSize + 16);
    this.aad.set(storeId);
  }

  /** Opens (or, with options.create and an empty backing, formats) the store on `backing`. */
  static open(backing: Backing, options: SealedOptions): SealedStore {
    const crypto = options.crypto ?? WasmCrypto.create();
    const slots = [0, 1].map((s) => readSuper(backing, s));
    const blank = slots.every((s) => s.state === 'blank');
    if (blank) {
      if (!options.create) {
        throw new StorageViolation('superblock', `${backing.where} holds no secure store (both superblock slots are empty)`, 'create it with size= (e.g. ,secure=sealed,size=1M)');
      }
      if (!allZero(backing)) {
        throw new StorageViolation('superblock', `${backing.where} holds data but no secure store; emon formats only an empty or all-zero image`, 'give a new file name, or clear the image first if its contents are not needed');
      }
      return SealedStore.format(backing, crypto, options);
    }
    const candidates: Candidate[] = [];
    const bad: number[] = [];
    for (const s of slots) {
      if (s.state === 'garbage') bad.push(s.slot);
      if (s.state !== 'present') continue;
      const keys = storeKeys(options.platform, s.storeId);
      const plain = crypto.open(keys.super, s.nonce, s.sealed, superAad(s.storeId, s.slot));
      const payload = plain === null ? null : decodePayload(plain);
      if (payload === null) bad.push(s.slot);
      else candidates.push({ slot: s.slot, payload, storeId: s.storeId, keys });
    }
    if (candidates.length === 0) {
      throw new StorageViolation('superblock', `${backing.where}: no superblock slot is authentic (slots ${bad.join(', ')} fail authentication: altered, or sealed on another platform)`);
    }
    candidates.sort((a, b) => b.payload.generation - a.payload.generation);
    const best = candidates[0]!;
    const counter = MonotonicCounter.open(options.stateDir, best.keys.counterId);
    try {
      const c = Number(counter.read());
      const g = best.payload.generation;
      if (g < c) {
        throw new StorageViolation('rollback', `${backing.where}: rollback detected: the newest authentic superblock has generation ${g} but the store's hardware monotonic counter is at ${c} (an older copy of the image or of its superblock was restored, or a commit's write was dropped)`);
      }
      if (g > c + 1) {
        throw new StorageViolation('counter', `${backing.where}: the store is at generation ${g} but its hardware monotonic counter is at ${c} (the platform state under the state directory was restored or replaced)`, 'use the platform state directory this store was created with');
      }
      const load = (cand: Candidate, checkFresh: boolean): SealedStore => {
        const p = cand.payload;
        if (p.generation % 2 !== cand.slot) {
          throw new StorageViolation('superblock', `${backing.where}: the superblock of generation ${p.generation} sits in slot ${cand.slot} (a superblock was copied between slots)`);
        }
        const geo = geometry(p.blockSize, p.blocks);
        if (backing.size() < geo.totalBytes) {
          throw new StorageViolation('truncated', `${backing.where} is truncated: ${backing.size()} bytes, the store needs ${geo.totalBytes}`);
        }
        const tree = new HashTree(crypto, geo.leafPages);
        for (let pg = 0; pg < geo.leafPages; pg++) {
          const n = backing.read(pageOffset(pg, p.pageSlots[pg]!), tree.page(pg));
          if (n !== PAGE_BYTES) throw new StorageViolation('truncated', `${backing.where} is truncated inside leaf page ${pg}`);
        }
        tree.rehashAll();
        if (!sameBytes(tree.root(), p.root)) {
          throw new StorageViolation('metadata', `${backing.where}: the hash tree's leaf pages do not match the sealed root of generation ${p.generation} (a leaf page was altered, replayed or its write dropped)`);
        }
        const store = new SealedStore(backing, crypto, cand.keys, counter, cand.storeId, geo, tree, p, options.commitEachWrite ?? true);
        if (checkFresh) {
          const probe = new Uint8Array(geo.blockSize);
          for (const b of p.fresh) store.read(b, probe);
        }
        return store;
      };
      let store: SealedStore;
      if (g === c + 1) {
        // The last commit wrote its superblock but the crash came before the counter moved: it was never
        // acknowledged. Take it if everything it wrote is whole (then raise the counter to it); else its
        // predecessor, which the counter vouches for.
        let next: SealedStore | null = null;
        try {
          next = load(best, true);
        } catch (e) {
          if (!(e instanceof StorageViolation)) throw e;
        }
        if (next !== null) {
          counter.increment();
          store = next;
        } else {
          const prev = candidates[1];
          if (prev === undefined || prev.payload.generation !== c || !sameBytes(prev.storeId, best.storeId)) {
            throw new StorageViolation('rollback', `${backing.where}: the unacknowledged commit ${g} is incomplete and no authentic superblock of generation ${c}, the counter's, remains (a superblock was dropped or replayed)`);
          }
          store = load(prev, false);
        }
      } else {
        store = load(best, false);
      }
      if (options.readOnly) store.readOnly = true;
      else store.commit(true); // a fresh generation before any write: no version of a crashed run is ever reused
      return store;
    } catch (e) {
      counter.close();
      throw e;
    }
  }

  private bind(block: number, version: number): void {
    const hi = Math.floor(version / 2 ** 32);
    const lo = version >>> 0;
    this.nonceView.setUint32(0, block, true);
    this.nonceView.setUint32(4, lo, true);
    this.nonceView.setUint32(8, hi, true);
    this.aadView.setUint32(STORE_ID_BYTES, block, true);
    this.aadView.setUint32(STORE_ID_BYTES + 4, lo, true);
    this.aadView.setUint32(STORE_ID_BYTES + 8, hi, true);
  }

  private checkBlock(block: number, buf: Uint8Array): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.blocks || buf.length !== this.blockSize) {
      throw new RangeError(`block ${block} / ${buf.length} bytes outside a store of ${this.blocks} blocks of ${this.blockSize}`);
    }
  }

  read(block: number, out: Uint8Array): void {
    this.checkBlock(block, out);
    const t = this.tree;
    if (!t.written(block)) {
      out.fill(0);
      return;
    }
    const bs = this.blockSize;
    const s = this.scratch;
    const n = this.backing.read(blockOffset(this.geo, block, t.slot(block)), s.subarray(0, bs));
    if (n !== bs) throw new StorageViolation('truncated', `${this.backing.where} is truncated at block ${block}`);
    s.set(t.tag(block), bs);
    this.bind(block, t.version(block));
    if (this.crypto.openInto(this.keys.data, this.nonce, s, out, this.aad)) return;
    throw this.diagnose(block);
  }

  /** Names what happened to a block that failed authentication. */
  private diagnose(block: number): StorageViolation {
    const t = this.tree;
    const probe = new Uint8Array(this.blockSize);
    let tried = 0;
    for (let other = 0; other < this.blocks && tried < DIAGNOSE_LIMIT; other++) {
      if (other === block || !t.written(other)) continue;
      tried++;
      this.scratch.set(t.tag(other), this.blockSize);
      this.bind(other, t.version(other));
      if (this.crypto.openInto(this.keys.data, this.nonce, this.scratch, probe, this.aad)) {
        return new StorageViolation('moved', `${this.backing.where}: block ${block} holds the contents of block ${other} (blocks were swapped or moved)`);
      }
    }
    return new StorageViolation('altered', `${this.backing.where}: block ${block} fails authentication (its ciphertext was altered, an older copy of it was put back, or a write to it was dropped)`);
  }

  write(block: number, data: Uint8Array): void {
    this.checkBlock(block, data);
    if (this.readOnly) throw new RangeError(`${this.backing.where} is open read-only`);
    const t = this.tree;
    let slot: number;
    const committed = this.dirtyBlocks.get(block);
    if (committed === undefined) {
      const current = t.written(block) ? t.slot(block) : 1;
      this.dirtyBlocks.set(block, current);
      slot = 1 - current;
    } else {
      slot = 1 - committed;
    }
    if (this.seq + 1 >= SEQ_BITS) this.commit(true);
    const version = this.generation * SEQ_BITS + ++this.seq;
    const bs = this.blockSize;
    this.bind(block, version);
    this.crypto.sealInto(this.keys.data, this.nonce, data, this.scratch, this.aad);
    this.backing.write(blockOffset(this.geo, block, slot), this.scratch.subarray(0, bs));
    t.setLeaf(block, version, slot, this.scratch.subarray(bs));
    this.dirtyPages.add(HashTree.pageOf(block));
    if (this.commitEachWrite) this.commit(false);
  }

  writeRun(first: number, data: Uint8Array): void {
    const bs = this.blockSize;
    const each = this.commitEachWrite;
    this.commitEachWrite = false;
    try {
      for (let o = 0; o < data.length; o += bs) this.write(first + o / bs, data.subarray(o, o + bs));
    } finally {
      this.commitEachWrite = each;
    }
    if (each) this.commit(false);
  }

  flush(): void {
    this.commit(false);
  }

  /** One copy-on-write commit (see the header comment); `force` commits even with nothing written. */
  private commit(force: boolean): void {
    if (!force && this.dirtyPages.size === 0) return;
    const t = this.tree;
    const pageSlots = this.committedPageSlot.slice();
    for (const p of this.dirtyPages) {
      pageSlots[p] = 1 - this.committedPageSlot[p]!;
      this.backing.write(pageOffset(p, pageSlots[p]!), t.page(p));
      t.rehash(p);
    }
    // One sync covers data, leaf pages and superblock: open checks the blocks a superblock lists before it
    // accepts an unacknowledged commit. A commit writing more blocks than a superblock lists syncs them first.
    const fresh = [...this.dirtyBlocks.keys()];
    const listed = fresh.length <= FRESH_MAX;
    if (!listed) this.backing.sync();
    const generation = this.generation + 1;
    const payload = encodePayload({ generation, blockSize: this.blockSize, blocks: this.blocks, leafPages: this.geo.leafPages, root: t.root(), pageSlots, fresh: listed ? fresh : [] });
    writeSuper(this.backing, this.crypto, this.keys, this.storeId, generation % 2, payload);
    this.backing.sync();
    const c = Number(this.counter.increment());
    if (c !== generation) {
      throw new StorageViolation('counter', `${this.backing.where}: the hardware counter moved to ${c} during commit ${generation} (another process uses this store)`, 'run one guest per secure image');
    }
    this.generation = generation;
    this.seq = 0;
    this.committedPageSlot.set(pageSlots);
    this.dirtyPages.clear();
    this.dirtyBlocks.clear();
  }

  /** Formats a new store: a fresh id, its counter, empty leaves, and the first commit. */
  private static format(backing: Backing, crypto: WasmCrypto, options: SealedOptions): SealedStore {
    const { blockSize, blocks } = options.create!;
    const geo = geometry(blockSize, blocks);
    if (geo.leafPages > MAX_LEAF_PAGES) {
      throw new StorageViolation('superblock', `${backing.where}: ${blocks} blocks need ${geo.leafPages} leaf pages, at most ${MAX_LEAF_PAGES} fit`, 'use fewer or larger blocks');
    }
    backing.grow(geo.totalBytes);
    const storeId = randomFillSync(new Uint8Array(STORE_ID_BYTES));
    const keys = storeKeys(options.platform, storeId);
    const counter = MonotonicCounter.open(options.stateDir, keys.counterId);
    const g = Number(counter.read());
    const tree = new HashTree(crypto, geo.leafPages);
    for (let p = 0; p < geo.leafPages; p++) backing.write(pageOffset(p, 0), tree.page(p));
    tree.rehashAll();
    const sb: SuperPayload = { generation: g, blockSize, blocks, leafPages: geo.leafPages, root: tree.root(), pageSlots: new Uint8Array(geo.leafPages), fresh: [] };
    const store = new SealedStore(backing, crypto, keys, counter, storeId, geo, tree, sb, options.commitEachWrite ?? true);
    store.commit(true);
    return store;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
    } finally {
      this.counter.close();
      this.backing.close();
    }
  }
}

interface Candidate {
  readonly slot: number;
  readonly payload: SuperPayload;
  readonly storeId: Uint8Array;
  readonly keys: StoreKeys;
}

type SlotRead =
  | { state: 'blank'; slot: number }
  | { state: 'present'; slot: number; storeId: Uint8Array; nonce: Uint8Array; sealed: Uint8Array }
  | { state: 'garbage'; slot: number };

function readSuper(backing: Backing, slot: number): SlotRead {
  const buf = new Uint8Array(SUPER_SLOT_BYTES);
  const n = backing.read(superOffset(slot), buf);
  if (n === 0 || buf.every((b) => b === 0)) return { state: 'blank', slot };
  for (let i = 0; i < MAGIC.length; i++) if (buf[i] !== MAGIC[i]) return { state: 'garbage', slot };
  const len = new DataView(buf.buffer).getUint32(HEADER_BYTES - 4, true);
  if (len > SUPER_SLOT_BYTES - HEADER_BYTES) return { state: 'garbage', slot };
  return { state: 'present', slot, storeId: buf.slice(8, 8 + STORE_ID_BYTES), nonce: buf.slice(8 + STORE_ID_BYTES, HEADER_BYTES - 4), sealed: buf.slice(HEADER_BYTES, HEADER_BYTES + len) };
}

function writeSuper(backing: Backing, crypto: WasmCrypto, keys: StoreKeys, storeId: Uint8Array, slot: number, payload: Uint8Array): void {
  const buf = new Uint8Array(SUPER_SLOT_BYTES);
  buf.set(MAGIC);
  buf.set(storeId, 8);
  // A random nonce: a superblock of one generation may be written twice (a torn write, then the retry).
  const nonce = randomFillSync(new Uint8Array(12));
  buf.set(nonce, 8 + STORE_ID_BYTES);
  const sealed = crypto.seal(keys.super, nonce, payload, superAad(storeId, slot));
  new DataView(buf.buffer).setUint32(HEADER_BYTES - 4, sealed.length, true);
  buf.set(sealed, HEADER_BYTES);
  backing.write(superOffset(slot), buf);
}


/** Compares two digests in time independent of where they differ. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** True when the backing is empty or holds only zero bytes (never used: safe to format). */
function allZero(backing: Backing): boolean {
  const chunk = new Uint8Array(1 << 20);
  const size = backing.size();
  for (let o = 0; o < size; o += chunk.length) {
    const n = backing.read(o, chunk);
    for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
  }
  return true;
}
