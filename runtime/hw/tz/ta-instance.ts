/**
 * One instance of a trusted application in the secure world: its Wasm instance on a memory taken from the
 * carve-out, the TA syscalls it may make (module "tee": the subset of OP-TEE's utee syscalls that the TEE
 * Internal Core API needs here — log, panic, random, time, secure devices and secure block devices, normal-world
 * reads), and its GP entry
 * points (TEE Internal Core API v1.3.1 §4.3: TA_CreateEntryPoint, TA_OpenSessionEntryPoint,
 * TA_InvokeCommandEntryPoint, TA_CloseSessionEntryPoint, TA_DestroyEntryPoint).
 *
 * Wasm ABI of a TA (what the TA SDK, enclaves/tasdk, and the C headers in guest/c/ta produce):
 *   imports  env.memory (bounded by the secure world), env.abort, "tee".<syscall>
 *   exports  the five entry points with GP's C signatures on wasm32, plus
 *            __tee_params() -> ptr   the TEE_Param[4] array (8 bytes each) and, at +32, the session-context slot
 *            __tee_shm() -> ptr, __tee_shm_size() -> u32   where temporary memrefs are copied in and out
 * A trap or a panic kills the instance (TEE_ERROR_TARGET_DEAD), as a TA panic does in OP-TEE.
 */
import { randomFillSync } from 'node:crypto';
import { EmonError } from '../../errors.js';
import { TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_ITEM_NOT_FOUND, TEE_ERROR_OUT_OF_MEMORY, TEE_ERROR_TARGET_DEAD, TEE_PARAM_SIZE, TEE_SUCCESS } from './gp.js';
import type { TaImage } from './ta-image.js';
import type { HashStream, WasmCrypto } from '../crypto/index.js';
import { WASM_PAGE } from './carveout.js';
import type { SecureBlock } from './secure-block.js';

/** What the secure world lends a TA beyond its own memory. */
export interface TaServices {
  log(level: number, text: string): void;
  /** Bytes of a secure device the TA may read (secure keypad, sensor); null when no such device is assigned. */
  secureDeviceRead(name: string, max: number): Uint8Array | null;
  /** A block device assigned to the secure world (`--secure:NAME=block:PATH`); null when none is. */
  secureBlock(name: string): SecureBlock | null;
  /** The normal world's memory, readable by the secure world (TrustZone's NS=1 accesses from secure state). */
  normalWorld(): WebAssembly.Memory | null;
  /** An integrity TA's alert (runtime integrity monitoring). */
  integrityAlert(code: number, detail: string): void;
  /**
   * The secure world's attestation service for the integrity TA: a PSA token over `nonce` whose software
   * components carry the TA's report (48 bytes: module SHA-256, then checks, alerts, ranges changed at the last
   * check and ranges watched, u32 LE each). Null for any other caller, a bad nonce, or a board without the service.
   */
  integrityToken(caller: string, nonce: Uint8Array, report: Uint8Array): Uint8Array | null;
  /** The TEE core's crypto (the Wasm crypto core), for TAs that call it through syscalls (C TAs). */
  crypto(): WasmCrypto;
}

/** Crypto states one TA instance may hold at once (OP-TEE bounds them by its heap; emon by a count). */
const MAX_CRYPTO_STATES = 8;
const ALG_SHA256 = 0x50000004;
const ALG_HMAC_SHA256 = 0x30000004;

class TaPanic extends Error {
  constructor(readonly code: number) {
    super(`TA panicked with 0x${(code >>> 0).toString(16)}`);
  }
}

type Entry = (...args: number[]) => number;

export class TaInstance {
  readonly memory: WebAssembly.Memory;
  readonly params: number;
  readonly shm: number;
  readonly shmSize: number;
  sessions = 0;
  dead = false;
  /** Its memory went back to the carve-out. */
  unloaded = false;
  deathReason = '';
  private u8: Uint8Array;
  private dv: DataView;
  private u32: Uint32Array;
  /** Crypto states by handle (1..MAX_CRYPTO_STATES). */
  private readonly states = new Map<number, HashStream>();
  private readonly create: Entry;
  private readonly destroy: Entry;
  readonly openEntry: Entry;
  readonly closeEntry: Entry;
  readonly invokeEntry: Entry;

  constructor(
    readonly image: TaImage,
    readonly services: TaServices,
  ) {
    if (image.initialPages > image.memoryPages) {
      throw new EmonError('E_TA_OOM', `TA ${image.props.uuid}: its static data needs ${image.initialPages} pages, over TA_STACK_SIZE + TA_DATA_SIZE (${image.memoryPages} pages)`);
    }
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, image.initialPages), maximum: image.memoryPages });
    this.u8 = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.u32 = new Uint32Array(this.memory.buffer);
    const self = this;
    const str = (p: number, n: number): string => {
      p >>>= 0;
      n >>>= 0;
      const u8 = self.view();
      return p + n <= u8.length ? new TextDecoder().decode(u8.subarray(p, p + n)) : '';
    };
    const inside = (p: number, n: number): boolean => p + n <= self.view().length;
    const tee = {
      log: (level: number, p: number, n: number) => services.log(level, str(p, Math.min(n >>> 0, 4096))),
      panic: (code: number): never => {
        throw new TaPanic(code);
      },
      random: (p: number, n: number): number => {
        p >>>= 0;
        n >>>= 0;
        if (!inside(p, n)) return TEE_ERROR_BAD_PARAMETERS | 0;
        randomFillSync(self.view(), p, n);
        return TEE_SUCCESS;
      },
      /** kind 0: TEE_GetSystemTime (since boot), 1: TEE_GetREETime; writes TEE_Time {seconds u32, millis u32}. */
      get_time: (kind: number, out: number): number => {
        out >>>= 0;
        if (!inside(out, 8)) return TEE_ERROR_BAD_PARAMETERS | 0;
        const ms = kind === 1 ? Date.now() : performance.now();
        const dv = self.data();
        dv.setUint32(out, Math.floor(ms / 1000), true);
        dv.setUint32(out + 4, Math.floor(ms % 1000), true);
        return TEE_SUCCESS;
      },
      /** Reads up to `cap` bytes from the secure device named at (np, nl) into buf; bytes read, or -1 if not assigned to the secure world. */
      secure_device_read: (np: number, nl: number, buf: number, cap: number): number => {
        buf >>>= 0;
        cap >>>= 0;
        if (!inside(buf, cap)) return -1;
        const data = services.secureDeviceRead(str(np, Math.min(nl >>> 0, 64)), cap);
        if (data === null) return -1;
        self.view().set(data.subarray(0, cap), buf);
        return Math.min(data.length, cap);
      },
      /**
       * The secure block device named at (np, nl): writes its capacity and block size (two u64, as Solo5's
       * solo5_block_info) at `out`; TEE_SUCCESS, TEE_ERROR_ITEM_NOT_FOUND when no such device is assigned.
       */
      secure_block_info: (np: number, nl: number, out: number): number => {
        out >>>= 0;
        if (!inside(out, 16)) return TEE_ERROR_BAD_PARAMETERS | 0;
        const dev = services.secureBlock(str(np, Math.min(nl >>> 0, 64)));
        if (dev === null) return TEE_ERROR_ITEM_NOT_FOUND | 0;
        const dv = self.data();
        dv.setBigUint64(out, BigInt(dev.capacity), true);
        dv.setBigUint64(out + 8, BigInt(dev.blockSize), true);
        return TEE_SUCCESS;
      },
      /** Whole-block read (write = 0) or write (1) of the secure block device at byte `offset`, to or from [buf, +len). */
      secure_block_io: (np: number, nl: number, write: number, offset: bigint, buf: number, len: number): number => {
        buf >>>= 0;
        len >>>= 0;
        if (!inside(buf, len) || offset < 0n || offset > BigInt(Number.MAX_SAFE_INTEGER)) return TEE_ERROR_BAD_PARAMETERS | 0;
        const dev = services.secureBlock(str(np, Math.min(nl >>> 0, 64)));
        if (dev === null) return TEE_ERROR_ITEM_NOT_FOUND | 0;
        return dev.io(write !== 0, Number(offset), self.view(), buf, len) | 0;
      },
      /** Copies normal-world memory [src, +len) into the TA at dst; 0, or -1 when out of bounds. */
      normal_world_read: (src: number, len: number, dst: number): number => {
        src >>>= 0;
        len >>>= 0;
        dst >>>= 0;
        const nw = services.normalWorld();
        if (nw === null || src + len > nw.buffer.byteLength || !inside(dst, len)) return -1;
        self.view().set(new Uint8Array(nw.buffer, src, len), dst);
        return 0;
      },
      integrity_alert: (code: number, p: number, n: number) => services.integrityAlert(code, str(p, Math.min(n >>> 0, 1024))),
      /** A PSA token for the integrity TA's report (TaServices#integrityToken): its length (written when it fits in cap), or -1. */
      integrity_token: (np: number, nn: number, rp: number, out: number, cap: number): number => {
        np >>>= 0;
        nn >>>= 0;
        rp >>>= 0;
        out >>>= 0;
        cap >>>= 0;
        if (nn > 64 || !inside(np, nn) || !inside(rp, 48) || !inside(out, cap)) return -1;
        const token = services.integrityToken(image.props.uuid, self.view().slice(np, np + nn), self.view().slice(rp, rp + 48));
        if (token === null) return -1;
        if (token.length <= cap) self.view().set(token, out);
        return token.length;
      },
      // The TEE core's crypto, as OP-TEE's utee_hash_*/utee_cryp_* syscalls: a state handle, updates, a final.
      cryp_alloc: (algo: number, key: number, keyLen: number): number => {
        key >>>= 0;
        keyLen >>>= 0;
        if (self.states.size >= MAX_CRYPTO_STATES || keyLen > 64 || !inside(key, keyLen)) return -1;
        let h = 1;
        while (self.states.has(h)) h++;
        try {
          const c = services.crypto();
          if ((algo >>> 0) === ALG_SHA256) self.states.set(h, c.sha256Stream());
          else if ((algo >>> 0) === ALG_HMAC_SHA256) self.states.set(h, c.hmacSha256Stream(self.view().slice(key, key + keyLen)));
          else return -2;
        } catch {
          return -1;
        }
        return h;
      },
      cryp_update: (h: number, p: number, n: number): number => {
        p >>>= 0;
        n >>>= 0;
        const st = self.states.get(h);
        if (st === undefined || !inside(p, n)) return -1;
        st.update(self.view().subarray(p, p + n));
        return 0;
      },
      cryp_final: (h: number, out: number): number => {
        out >>>= 0;
        const st = self.states.get(h);
        if (st === undefined || !inside(out, 32)) return -1;
        self.states.delete(h);
        self.view().set(st.digest(), out);
        return 0;
      },
      cryp_free: (h: number): void => {
        self.states.get(h)?.dispose();
        self.states.delete(h);
      },
      /** ChaCha20-Poly1305 (RFC 8439) one shot: 0, -1 for bad pointers, -2 when the tag does not verify. */
      cryp_aead: (enc: number, key: number, nonce: number, aad: number, aadLen: number, src: number, len: number, dst: number): number => {
        [key, nonce, aad, aadLen, src, len, dst] = [key >>> 0, nonce >>> 0, aad >>> 0, aadLen >>> 0, src >>> 0, len >>> 0, dst >>> 0];
        const outLen = enc !== 0 ? len + 16 : len - 16;
        if (!inside(key, 32) || !inside(nonce, 12) || !inside(aad, aadLen) || !inside(src, len) || outLen < 0 || !inside(dst, outLen)) return -1;
        const u8 = self.view();
        const c = services.crypto();
        const k = u8.slice(key, key + 32), iv = u8.slice(nonce, nonce + 12), a = u8.slice(aad, aad + aadLen), m = u8.slice(src, src + len);
        const r = enc !== 0 ? c.seal(k, iv, m, a) : c.open(k, iv, m, a);
        if (r === null) return -2;
        self.view().set(r, dst);
        return 0;
      },
    };
    const env = {
      memory: this.memory,
      abort: (_m: number, _f: number, line: number, col: number): never => {
        throw new Error(`TA aborted at ${line}:${col}`);
      },
    };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(image.module, image.extraImports === undefined ? { env, tee } : { ...image.extraImports, env, tee });
    } catch (e) {
      throw new EmonError('E_TA_FORMAT', `TA ${image.props.uuid}: cannot instantiate: ${(e as Error).message}`);
    }
    const ex = instance.exports;
    const fn = (name: string): Entry => {
      const f = ex[name];
      if (typeof f !== 'function') throw new EmonError('E_TA_FORMAT', `TA ${image.props.uuid} (${image.file}) does not export ${name}`, { hint: 'every TA exports the five GP entry points and the TA SDK\'s __tee_params/__tee_shm' });
      return f as Entry;
    };
    this.create = fn('TA_CreateEntryPoint');
    this.destroy = fn('TA_DestroyEntryPoint');
    this.openEntry = fn('TA_OpenSessionEntryPoint');
    this.closeEntry = fn('TA_CloseSessionEntryPoint');
    this.invokeEntry = fn('TA_InvokeCommandEntryPoint');
    this.params = fn('__tee_params')() >>> 0;
    this.shm = fn('__tee_shm')() >>> 0;
    this.shmSize = fn('__tee_shm_size')() >>> 0;
    if (this.params + 4 * TEE_PARAM_SIZE + 4 > this.u8.length || this.shm + this.shmSize > this.u8.length || (this.params & 3) !== 0) {
      throw new EmonError('E_TA_FORMAT', `TA ${image.props.uuid}: its parameter or shared-memory area lies outside its memory or is not 4-byte aligned`);
    }
  }

  /**
   * The TA's memory, re-viewed after a grow. A grow detaches the old buffer, so a zero-length view is the cheap
   * signal (reading WebAssembly.Memory#buffer on every call would cost more than a null invoke; see the gate).
   */
  view(): Uint8Array {
    if (this.u8.length === 0) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.dv = new DataView(this.memory.buffer);
      this.u32 = new Uint32Array(this.memory.buffer);
    }
    return this.u8;
  }
  /** The TA's memory as 32-bit words (TEE_Param slots are 4-aligned; checked at load). */
  words(): Uint32Array {
    this.view();
    return this.u32;
  }
  data(): DataView {
    this.view();
    return this.dv;
  }

  /**
   * Run one entry point; a trap or panic kills the instance. Returns the TA's result, or TEE_ERROR_TARGET_DEAD
   * (TEE_ERROR_OUT_OF_MEMORY when it died with its memory at the TA_DATA_SIZE limit: its allocator failed).
   */
  enter(f: Entry, a: number, b = 0, c = 0, d = 0): number {
    if (this.dead) return TEE_ERROR_TARGET_DEAD;
    try {
      return f(a, b, c, d) >>> 0;
    } catch (e) {
      return this.died(e);
    }
  }

  /** The TA trapped or panicked in an entry point: it is dead; the GP code its caller gets. */
  died(e: unknown): number {
    this.dead = true;
    this.deathReason = e instanceof TaPanic ? e.message : `it trapped: ${e instanceof Error ? e.message : String(e)}`;
    if (!(e instanceof TaPanic) && this.memory.buffer.byteLength >= this.image.memoryPages * WASM_PAGE) {
      this.deathReason += ' (its memory was at the TA_STACK_SIZE + TA_DATA_SIZE limit)';
      return TEE_ERROR_OUT_OF_MEMORY;
    }
    return TEE_ERROR_TARGET_DEAD;
  }

  /** TA_CloseSessionEntryPoint with the session's context. */
  closeSession(ctx: number): void {
    this.enter(this.closeEntry, ctx);
  }

  createEntry(): number {
    return this.enter(this.create, 0);
  }

  destroyEntry(): void {
    if (!this.dead) this.enter(this.destroy, 0);
    for (const st of this.states.values()) st.dispose();
    this.states.clear();
  }
}
