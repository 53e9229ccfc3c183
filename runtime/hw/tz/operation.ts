/**
 * Moving a GP operation across the world boundary: the normal world's TEEC_Operation (GP TEE Client API
 * v1.0 §4.3.9; wasm32 layout: started u32 @0, paramTypes u32 @4, params[4] @8 as 12-byte TEEC_Parameter unions,
 * session ptr @56) becomes the TA's TEE_Param[4] (Internal Core API §4.1.2: {buffer, size} or {a, b}), and the
 * outputs come back. OP-TEE does this in two steps (the driver builds an optee_msg_arg in shared memory, the core
 * maps it for the TA); here the secure world reads the operation from normal-world memory directly, which
 * TrustZone allows, and copies temporary memrefs into the TA's shared area so that the TA never addresses
 * normal-world memory.
 *
 * Every check happens before the first byte is written into the TA: parameter types, bounds of each memref in
 * the guest, overlap of a written memref with any other, and the total against the TA's shared area. Refusals
 * are TEE_ERROR_BAD_PARAMETERS with origin API (the client library would have refused them) or
 * TEE_ERROR_OUT_OF_MEMORY with origin COMMS (the shared memory could not be had). Short-buffer semantics follow
 * GP: when the TA returns TEE_ERROR_SHORT_BUFFER, or sets a memref's size above what the client gave, the size
 * it needs goes back in the client's `size` and no data is copied.
 */
import {
  PARAM_MEMREF_INOUT,
  PARAM_MEMREF_INPUT,
  PARAM_MEMREF_OUTPUT,
  PARAM_NONE,
  PARAM_VALUE_INOUT,
  PARAM_VALUE_INPUT,
  PARAM_VALUE_OUTPUT,
  TEE_ERROR_BAD_PARAMETERS,
  TEE_ERROR_NOT_SUPPORTED,
  TEE_ERROR_OUT_OF_MEMORY,
  TEE_ERROR_SHORT_BUFFER,
  TEE_ORIGIN_API,
  TEE_ORIGIN_COMMS,
  TEE_SUCCESS,
} from './gp.js';
import type { TaInstance } from './ta-instance.js';

/**
 * Copies n bytes between two memories. Small copies go word by word through the DataViews: a subarray view
 * costs an allocation (tens of ns), more than 64 bytes of DataView moves; large ones use the native copy, through
 * a view of the source kept in `cache` while the client passes the same buffer (a client's loop usually does),
 * so that a large memref costs no allocation per call either.
 */
const SMALL_COPY = 256;
/** The last source view of a large copy: its memory's view, start and length. */
class ViewCache {
  src: Uint8Array = new Uint8Array(0);
  s = -1;
  n = -1;
  view: Uint8Array = new Uint8Array(0);
  of(src: Uint8Array, s: number, n: number): Uint8Array {
    if (src !== this.src || s !== this.s || n !== this.n) {
      this.src = src;
      this.s = s;
      this.n = n;
      this.view = src.subarray(s, s + n);
    }
    return this.view;
  }
}
function copyBytes(dst: Uint8Array, d32: Uint32Array, d: number, src: Uint8Array, s32: Uint32Array, s: number, n: number, cache: ViewCache): void {
  if (n > SMALL_COPY) {
    dst.set(cache.of(src, s, n), d);
    return;
  }
  let k = 0;
  if (((d | s) & 3) === 0) {
    const dw = d >>> 2;
    const sw = s >>> 2;
    const words = n >>> 2;
    for (let i = 0; i < words; i++) d32[dw + i] = s32[sw + i]!;
    k = words << 2;
  }
  for (; k < n; k++) dst[d + k] = src[s + k]!;
}

export const TEEC_OPERATION_SIZE = 60;
export const TEEC_PARAMETER_SIZE = 12;
const PARAMS_AT = 8;

/** Why an operation was refused (for -v logs and tests); null when accepted. */
export interface Refusal {
  code: number;
  origin: number;
  why: string;
}

/**
 * Per-call state kept between `marshal` and `unmarshal`, reused across calls (no allocation per invoke).
 */
export class Marshal {
  types = 0;
  readonly ptr = new Uint32Array(4);
  readonly len = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  refusal: Refusal | null = null;
  /** Views of the last large memref copied in (the client's buffer) and out (the TA's shared area), per parameter. */
  private readonly inViews = [new ViewCache(), new ViewCache(), new ViewCache(), new ViewCache()];
  private readonly outViews = [new ViewCache(), new ViewCache(), new ViewCache(), new ViewCache()];
  /** The guest's memory as words, for small aligned copies; rebuilt when the guest's view changes. */
  private g8: Uint8Array = new Uint8Array(0);
  private g32: Uint32Array = new Uint32Array(0);

  private guestWords(g: Uint8Array): Uint32Array {
    if (g !== this.g8) {
      this.g8 = g;
      this.g32 = new Uint32Array(g.buffer, g.byteOffset, g.length >>> 2);
    }
    return this.g32;
  }

  private refuse(code: number, origin: number, why: string): number {
    this.refusal = { code, origin, why };
    return code;
  }

  /** Check and copy `op` (0: no operation) from normal-world `g` into `ta`; TEE_SUCCESS or the refusal's code. */
  marshal(g: Uint8Array, gdv: DataView, op: number, ta: TaInstance): number {
    this.refusal = null;
    this.types = 0;
    op >>>= 0;
    // No operation: four TEE_PARAM_TYPE_NONE parameters, whose content GP leaves undefined (nothing is copied).
    if (op === 0) return TEE_SUCCESS;
    if (op + TEEC_OPERATION_SIZE > g.length) return this.refuse(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `the TEEC_Operation at ${op} lies outside the guest's memory`);
    const types = gdv.getUint32(op + 4, true);
    if (types >>> 16 !== 0) return this.refuse(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `paramTypes 0x${types.toString(16)} has bits above the four parameters`);
    this.types = types;
    let total = 0;
    for (let i = 0; i < 4; i++) {
      const t = (types >>> (4 * i)) & 0xf;
      this.len[i] = 0;
      this.ptr[i] = 0;
      if (t === PARAM_NONE || t === PARAM_VALUE_INPUT || t === PARAM_VALUE_OUTPUT || t === PARAM_VALUE_INOUT) continue;
      if (t >= 0xc) return this.refuse(TEE_ERROR_NOT_SUPPORTED, TEE_ORIGIN_API, `parameter ${i}: registered shared memory (type 0x${t.toString(16)}) is not supported; use a temporary memref`);
      if (t !== PARAM_MEMREF_INPUT && t !== PARAM_MEMREF_OUTPUT && t !== PARAM_MEMREF_INOUT) return this.refuse(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `parameter ${i}: 0x${t.toString(16)} is not a parameter type`);
      const at = op + PARAMS_AT + i * TEEC_PARAMETER_SIZE;
      const p = gdv.getUint32(at, true);
      const n = gdv.getUint32(at + 4, true);
      if (p !== 0 && p + n > g.length) return this.refuse(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `parameter ${i}: memref [${p}, +${n}) lies outside the guest's memory`);
      if (p === 0 && t !== PARAM_MEMREF_OUTPUT && n !== 0) return this.refuse(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `parameter ${i}: a NULL input memref with a size of ${n}`);
      this.ptr[i] = p;
      this.len[i] = n;
      if (p !== 0) total += n + ((8 - (n & 7)) & 7);
    }
    for (let i = 0; i < 4; i++) {
      const ti = (types >>> (4 * i)) & 0xf;
      if (this.ptr[i] === 0 || this.len[i] === 0) continue;
      // The operation itself is written back (sizes, values), so a written memref must not alias it either.
      if (ti !== PARAM_MEMREF_INPUT && this.ptr[i]! < op + TEEC_OPERATION_SIZE && op < this.ptr[i]! + this.len[i]!) {
        return this.refuse(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `parameter ${i}: memref [${this.ptr[i]}, +${this.len[i]}) is written back and overlaps the TEEC_Operation at ${op}`);
      }
      for (let j = i + 1; j < 4; j++) {
        const tj = (types >>> (4 * j)) & 0xf;
        if (this.ptr[j] === 0 || this.len[j] === 0) continue;
        if (ti === PARAM_MEMREF_INPUT && tj === PARAM_MEMREF_INPUT) continue;
        if (this.ptr[i]! < this.ptr[j]! + this.len[j]! && this.ptr[j]! < this.ptr[i]! + this.len[i]!) {
          return this.refuse(TEE_ERROR_BAD_PARAMETERS, TEE_ORIGIN_API, `parameters ${i} and ${j}: memrefs overlap and one is written back`);
        }
      }
    }
    if (total > ta.shmSize) return this.refuse(TEE_ERROR_OUT_OF_MEMORY, TEE_ORIGIN_COMMS, `the memrefs need ${total} bytes of shared memory, the TA has ${ta.shmSize}`);
    // Accepted: place and copy. NONE parameters and output-only values are left as they are: GP leaves their
    // content on entry undefined, and each write into the TA's memory costs.
    const t8 = ta.view();
    const t32 = ta.words();
    let off = ta.shm;
    for (let i = 0; i < 4; i++) {
      const t = (types >>> (4 * i)) & 0xf;
      if (t === PARAM_NONE || t === PARAM_VALUE_OUTPUT) continue;
      const w = (ta.params >>> 2) + 2 * i;
      const at = op + PARAMS_AT + i * TEEC_PARAMETER_SIZE;
      if (t <= PARAM_VALUE_INOUT) {
        t32[w] = gdv.getUint32(at, true);
        t32[w + 1] = gdv.getUint32(at + 4, true);
      } else {
        const p = this.ptr[i]!;
        const n = this.len[i]!;
        const d = p === 0 ? 0 : off;
        this.dst[i] = d;
        if (p !== 0) {
          // An output-only memref's content is undefined for the TA (GP Internal Core API §4.3.6.2): nothing is
          // copied in, as OP-TEE maps the client's buffer without clearing it.
          if (t !== PARAM_MEMREF_OUTPUT && n !== 0) copyBytes(t8, t32, d, g, this.guestWords(g), p, n, this.inViews[i]!);
          off += n + ((8 - (n & 7)) & 7);
        }
        t32[w] = d;
        t32[w + 1] = n;
      }
    }
    return TEE_SUCCESS;
  }

  /**
   * Copy outputs back into the client's operation after the TA returned `res`; returns the result the client
   * sees (TEE_ERROR_SHORT_BUFFER when the TA asked for more than a memref holds).
   */
  unmarshal(g: Uint8Array, gdv: DataView, op: number, ta: TaInstance, res: number): number {
    if (op === 0 || this.types === 0) return res;
    const t8 = ta.view();
    const t32 = ta.words();
    let out = res;
    for (let i = 0; i < 4; i++) {
      const t = (this.types >>> (4 * i)) & 0xf;
      if (t !== PARAM_VALUE_OUTPUT && t !== PARAM_VALUE_INOUT && t !== PARAM_MEMREF_OUTPUT && t !== PARAM_MEMREF_INOUT) continue;
      const w = (ta.params >>> 2) + 2 * i;
      const at = op + PARAMS_AT + i * TEEC_PARAMETER_SIZE;
      if (t === PARAM_VALUE_OUTPUT || t === PARAM_VALUE_INOUT) {
        if (res === TEE_SUCCESS) {
          gdv.setUint32(at, t32[w]!, true);
          gdv.setUint32(at + 4, t32[w + 1]!, true);
        }
        continue;
      }
      const want = t32[w + 1]!;
      const have = this.len[i]!;
      if (res === TEE_SUCCESS || res === TEE_ERROR_SHORT_BUFFER) gdv.setUint32(at + 4, want, true);
      if (res !== TEE_SUCCESS) continue;
      if (want > have) {
        out = TEE_ERROR_SHORT_BUFFER;
        continue;
      }
      const p = this.ptr[i]!;
      if (p !== 0 && want !== 0) copyBytes(g, this.guestWords(g), p, t8, t32, this.dst[i]!, want, this.outViews[i]!);
    }
    return out;
  }
}
