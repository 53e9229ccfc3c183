/**
 * The state one guest↔enclave gate shares across its specialised per-function closures (./gate-codegen.ts):
 * cached views of both memories, rebuilt only after memory.grow — which detaches the old ArrayBuffer, so a
 * zero-length view is the cheap signal (reading WebAssembly.Memory#buffer on every call costs more than the
 * whole null ECALL otherwise would), the
 * marshalling-area stack inside the enclave and the scratch stack inside the guest (both nest as ECALLs and
 * OCALLs re-enter, like SGX's per-thread stacks), the nesting state that enforces EDL's public/allow rules,
 * and the tracing/cost hooks (null when off). One instance per open enclave.
 */
import type { TraceSink } from '../trace/sink.js';
import { EmonError } from '../errors.js';
import type { EnclaveMemoryAccess } from '../hw/sgx/enclave.js';
import { EINVAL, ELOST } from './abi.js';

export class GateContext {
  gbuf: ArrayBuffer = new ArrayBuffer(0);
  g8: Uint8Array = new Uint8Array(0);
  gdv: DataView = new DataView(new ArrayBuffer(0));
  ebuf: ArrayBuffer = new ArrayBuffer(0);
  e8: Uint8Array = new Uint8Array(0);
  edv: DataView = new DataView(new ArrayBuffer(0));

  /** First free byte of the enclave's marshalling area. */
  msTop: number;
  /** First free byte of the guest's scratch. */
  scTop: number;
  /** ECALLs in progress (0 = the guest is at the root, outside the enclave). */
  depth = 0;
  /** Index of the OCALL in progress, -1 when none. */
  curOcall = -1;
  /** The enclave trapped; every later call is ELOST. */
  lost = false;
  /** Set when a guest OCALL handler threw (guest trap or exit), so that the ECALL rethrows instead of blaming the enclave. */
  guestFault = false;
  lostReason = '';

  /** The enclave's memory and marshalling area [msBase, msEnd); set by `bindEnclave` once instantiated. */
  em: WebAssembly.Memory = new WebAssembly.Memory({ initial: 0 });
  msBase = 0;
  msEnd = 0;
  memoryLimit = 0;
  /** The pager's access to a paged enclave's memory (OCALL buffers); null when it is always resident. */
  access: EnclaveMemoryAccess | null = null;
  /** An OCALL's return value on its way into a paged enclave. */
  readonly r8 = new Uint8Array(8);
  readonly rdv = new DataView(this.r8.buffer);

  constructor(
    readonly gm: () => WebAssembly.Memory,
    /** Guest scratch [scBase, scEnd) for OCALL buffers. */
    readonly scBase: number,
    readonly scEnd: number,
    /** Per-call copy cap. */
    readonly cap: number,
    /** allowed[ocall * nEcalls + ecall] = 1 when the OCALL's allow() lists the ECALL. */
    readonly allowed: Uint8Array,
    readonly trace: TraceSink | null,
    readonly track: string,
    /** Spins for the modeled cost of one transition when --emulate-cost is on. */
    readonly spinEcall: (() => void) | null,
    readonly spinOcall: (() => void) | null,
  ) {
    this.msTop = 0;
    this.scTop = scBase;
  }

  bindEnclave(em: WebAssembly.Memory, msBase: number, msEnd: number, memoryLimit: number, access: EnclaveMemoryAccess | null): void {
    this.em = em;
    this.access = access;
    this.msBase = msBase;
    this.msEnd = msEnd;
    this.msTop = msBase;
    this.memoryLimit = memoryLimit;
    this.refreshG();
    this.refreshE();
  }

  /** Guest memory, re-viewed. The guest's memory can only grow, so earlier bounds checks stay true. */
  refreshG(): void {
    this.gbuf = this.gm().buffer as ArrayBuffer;
    this.g8 = new Uint8Array(this.gbuf);
    this.gdv = new DataView(this.gbuf);
  }

  /** Enclave memory, re-viewed; false (and the enclave lost) when it grew beyond its signed heap size. */
  refreshE(): boolean {
    this.ebuf = this.em.buffer as ArrayBuffer;
    this.e8 = new Uint8Array(this.ebuf);
    this.edv = new DataView(this.ebuf);
    if (this.ebuf.byteLength > this.memoryLimit) {
      this.lose(`its memory grew to ${this.ebuf.byteLength} bytes, over the signed heap size of ${this.memoryLimit}`);
      return false;
    }
    return true;
  }

  lose(reason: string): void {
    if (!this.lost) {
      this.lost = true;
      this.lostReason = reason;
    }
  }

  /** An ECALL ended in an exception: a guest fault inside an OCALL handler is rethrown, anything else is the enclave's. */
  trapped(err: unknown, fn: string): number {
    if (this.guestFault) {
      this.lose(`the guest faulted in an OCALL made by ${fn}`);
      throw err;
    }
    this.lose(`it trapped in ${fn}: ${err instanceof Error ? err.message : String(err)}`);
    this.onLost?.(this.lostReason);
    return ELOST;
  }

  /**
   * A call refused before anything was copied: the caller (guest, or enclave for an OCALL) gets EINVAL; the
   * reason goes, as a typed EmonError, to `onReject` when someone listens (the extension with -v, tests).
   */
  reject(code: string, fn: string, what: string, a: number, b: number): number {
    if (this.onReject !== null) {
      const detail =
        code === 'E_GATE_OVERLAP' ? `buffers ${what} overlap (at ${a} and ${b})`
        : code === 'E_GATE_STRING' ? `string ${what} at ${a} has no NUL within ${this.cap} bytes or the memory`
        : code === 'E_GATE_NULL' ? `${what} is NULL with a length of ${b}`
        : code === 'E_GATE_CAP' ? `${what}: ${b} bytes exceed the per-call cap or the marshalling space`
        : `${what} [${a}, +${b}) lies outside the source memory`;
      this.onReject(new EmonError(code, `${this.track}: ${fn} refused: ${detail}`, { hint: 'the caller passed a bad pointer or length; nothing was copied' }));
    }
    return EINVAL;
  }

  onReject: ((e: EmonError) => void) | null = null;

  /** Told once when the enclave is lost (the extension logs it). */
  onLost: ((reason: string) => void) | null = null;

  /**
   * Guest → enclave. Bounds were checked by the caller. The subarray view is the one allocation of a buffer
   * copy: JavaScript has no copy between two ArrayBuffers without a source view, and a byte loop measured
   * slower than the view even at 64 bytes (bench/suites/transitions.ts).
   */
  copyIn(g: number, e: number, n: number): void {
    this.e8.set(this.g8.subarray(g, g + n), e);
  }

  /** Enclave → guest. Bounds were checked by the caller. */
  copyOut(e: number, g: number, n: number): void {
    this.g8.set(this.e8.subarray(e, e + n), g);
  }

  /** Size of the enclave memory an OCALL may name (its virtual size when paged). */
  eSize(): number {
    return this.access === null ? this.e8.length : this.access.size();
  }

  /** Enclave → guest, for an OCALL's [in] buffer: anywhere in the enclave, so through the pager when paged. */
  readE(e: number, g: number, n: number): void {
    if (this.access === null) this.g8.set(this.e8.subarray(e, e + n), g);
    else this.access.read(e, this.g8.subarray(g, g + n));
  }

  /** Guest → enclave, for an OCALL's [out] buffer. */
  writeE(g: number, e: number, n: number): void {
    if (this.access === null) this.e8.set(this.g8.subarray(g, g + n), e);
    else this.access.write(e, this.g8.subarray(g, g + n));
  }

  /** An OCALL's string argument in enclave memory. */
  strlenE(p: number, limit: number): number {
    return this.access === null ? this.strlen(this.e8, p, limit) : this.access.strlen(p, limit);
  }

  /** An OCALL's wide string argument in enclave memory (4-byte wchar_t), through the pager when paged. */
  wstrlenE(p: number, limit: number): number {
    if (this.access === null) return this.wstrlen(this.e8, p, limit);
    const end = Math.min(this.access.size(), p + limit);
    for (let q = p; q + 4 <= end; q += 4) {
      this.access.read(q, this.p8.subarray(0, 4));
      if (this.pdv.getUint32(0, true) === 0) return q + 4 - p;
    }
    return -1;
  }

  private readonly p8 = new Uint8Array(8);
  private readonly pdv = new DataView(this.p8.buffer);

  /** Copies n bytes of enclave memory at `a` into the scratch p8 (through the pager when paged) and views them. */
  private peekE(a: number, n: number): DataView {
    if (this.access === null) this.p8.set(this.e8.subarray(a, a + n));
    else this.access.read(a, this.p8.subarray(0, n));
    return this.pdv;
  }

  /**
   * DataView-like access to enclave memory for an OCALL's struct members (their pointers and size fields), which
   * lie outside the held marshalling area: through the pager when the enclave is paged.
   */
  readonly edvP = {
    getUint8: (a: number): number => this.peekE(a, 1).getUint8(0),
    getUint16: (a: number, le?: boolean): number => this.peekE(a, 2).getUint16(0, le),
    getUint32: (a: number, le?: boolean): number => this.peekE(a, 4).getUint32(0, le),
    getBigInt64: (a: number, le?: boolean): bigint => this.peekE(a, 8).getBigInt64(0, le),
    setUint32: (a: number, v: number, le?: boolean): void => {
      this.pdv.setUint32(0, v, le);
      if (this.access === null) this.e8.set(this.p8.subarray(0, 4), a);
      else this.access.write(a, this.p8.subarray(0, 4));
    },
  };

  /** Length of the NUL-terminated string at p in `m` including the NUL, or -1 if none within `limit` bytes. */
  strlen(m: Uint8Array, p: number, limit: number): number {
    // indexOf is a native memchr (a JS byte loop ran at a few hundred MB/s); the subarray bounds the scan to the
    // cap, so a string with no NUL costs at most `limit` bytes of search, not the rest of the guest's memory.
    const end = Math.min(m.length, p + limit);
    if (p >= end) return -1;
    const q = m.subarray(p, end).indexOf(0);
    return q < 0 ? -1 : q + 1;
  }

  /** Length in bytes of the NUL-terminated wchar_t (4-byte, wasm32) string at p, including the NUL, or -1. */
  wstrlen(m: Uint8Array, p: number, limit: number): number {
    const end = Math.min(m.length, p + limit);
    for (let q = p; q + 4 <= end; q += 4) if ((m[q]! | m[q + 1]! | m[q + 2]! | m[q + 3]!) === 0) return q + 4 - p;
    return -1;
  }
}
