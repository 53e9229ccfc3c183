/**
 * A stand-in enclave that makes OCALLs with any pointers it likes, through the real gate (runtime/enclave/gate.ts)
 * into a stand-in guest: its memory is either a plain Wasm memory (resident) or a real paged enclave space of the
 * EPC model (runtime/hw/epc), reached as the gate reaches it, through `EnclaveMemoryAccess`. The enclave side
 * writes its OCALL arguments and reads its results through the pager too, and an untrusted OS may evict every
 * page of it (`evictAll`) at any point between, as SGX's OS can: what the gate reads or writes directly instead
 * of through the pager then comes out wrong. Used by the OCALL edge tests and the OCALL paging tests.
 */
import type { EnclaveMemoryAccess } from '../../runtime/hw/sgx/enclave.js';
import { Gate } from '../../runtime/enclave/gate.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import { Epc } from '../../runtime/hw/epc/index.js';
import { loadInto } from '../hw/epc/fixtures.js';

export const OCALL_EDL = `enclave {
  struct msg_t { size_t len; [size=len] uint8_t* data; uint32_t tag; };
  struct pt_t { uint32_t x; uint32_t y; uint64_t z; };
  trusted { public void unused(void); };
  untrusted {
    uint32_t o_str([in, string] const char* s);
    uint32_t o_wstr([in, wstring] const wchar_t* s);
    void o_in([in, size=n] const uint8_t* p, size_t n);
    void o_out([out, size=n] uint8_t* p, size_t n);
    void o_inout([in, out, size=n] uint8_t* p, size_t n);
    void o_two([in, size=n] const uint8_t* a, [out, size=m] uint8_t* b, size_t n, size_t m);
    uint32_t o_msg([in, out] struct msg_t* m);
    struct pt_t o_make(uint32_t x);
    uint64_t o_ret(uint64_t x);
    /* An SDK standard OCALL the guest does not serve: emon answers it (runtime/enclave/std-ocalls.ts). */
    [cdecl] int sgx_thread_set_untrusted_event_ocall([user_check] const void* waiter);
  };
};`;
export const MSG_SIZE = 12;
export const PT_SIZE = 16;

const iface = parseEdl(OCALL_EDL, 'ocalls.edl');
const G_SCRATCH = 4096;
const G_SCRATCH_LEN = 192 * 1024;
const MS_SIZE = 64 * 1024;

/** FNV-1a of some bytes, short enough for a readable diff. */
export function digest(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return `${b.length}:${h.toString(16)}`;
}

export interface OcallRig {
  readonly mode: string;
  /** The size of enclave memory an OCALL may name (the gate's `eSize`: the virtual size when paged). */
  readonly eSize: number;
  /** First enclave address free for test data (past the held marshalling area). */
  readonly free: number;
  /** What the guest's handlers saw, in order. */
  readonly seen: string[];
  /** Codes of the gate's refusals, in order. */
  readonly rejects: string[];
  /** Enclave memory, through the pager when paged. */
  read(addr: number, n: number): Uint8Array;
  write(addr: number, bytes: Uint8Array): void;
  /** The OS evicts every page of the enclave it can (0 when resident). */
  evictAll(): number;
  /** The enclave's OCALL, as its "emon_ocall" import: the retval pointer first when the OCALL returns a value. */
  ocall(name: string, ...args: (number | bigint)[]): number;
  /** Evictions and faults of the paged EPC so far (zeros when resident). */
  stats(): { evictions: number; faults: number };
}

/**
 * The rig in resident mode (`pages` null) or with its enclave paged through an EPC of `pages` pages. With
 * `evictInHandlers`, the OS also evicts everything while each guest handler runs (the enclave is outside then).
 */
export async function ocallRig(pages: number | null, o: { evictInHandlers?: boolean } = {}): Promise<OcallRig> {
  const gmem = new WebAssembly.Memory({ initial: 8 });
  const g8 = (): Uint8Array => new Uint8Array(gmem.buffer);
  const gdv = (): DataView => new DataView(gmem.buffer);
  const seen: string[] = [];
  const rejects: string[] = [];

  let emem: WebAssembly.Memory;
  let access: EnclaveMemoryAccess | null = null;
  let eSize: () => number;
  let msBase: number;
  let evictAll: () => number = () => 0;
  let stats = (): { evictions: number; faults: number } => ({ evictions: 0, faults: 0 });
  if (pages === null) {
    emem = new WebAssembly.Memory({ initial: 8 });
    eSize = () => emem.buffer.byteLength;
    msBase = 64 * 1024;
  } else {
    const epc = new Epc({ pages });
    const { space, w } = await loadInto(epc, { maxBytes: 1 << 20, name: `ocall-rig/${pages}` });
    // Room for the marshalling area and the test data; the pages grown are paged like the rest.
    if (w.grow(4) < 0) throw new Error('the paged test enclave cannot grow');
    emem = w.memory;
    eSize = () => space.sizeBytes;
    msBase = w.reserve(MS_SIZE + 4096);
    msBase = (msBase + 4095) & ~4095;
    // As sgx-link does for a real enclave: the marshalling area stays held while the instance lives.
    if (!space.hold(msBase, MS_SIZE, true)) throw new Error('cannot hold the marshalling area');
    access = { size: () => space.sizeBytes, read: (a, out) => space.read(a, out), write: (a, d) => space.write(a, d), strlen: (a, l) => space.strlen(a, l) };
    const os = epc.osView(space);
    evictAll = () => os.evictAll();
    stats = () => ({ evictions: epc.stats.evictions, faults: epc.stats.faults });
  }
  const read = (a: number, n: number): Uint8Array => {
    const out = new Uint8Array(n);
    if (access) access.read(a, out);
    else out.set(new Uint8Array(emem.buffer, a, n));
    return out;
  };
  const write = (a: number, bytes: Uint8Array): void => {
    if (access) access.write(a, bytes);
    else new Uint8Array(emem.buffer).set(bytes, a);
  };
  const evictInHandler = (): void => {
    if (o.evictInHandlers) evictAll();
  };
  const cstr = (p: number, wide: boolean): number[] => {
    const out: number[] = [];
    for (let q = p; ; q += wide ? 4 : 1) {
      const c = wide ? gdv().getUint32(q, true) : g8()[q]!;
      if (c === 0) return out;
      out.push(c);
    }
  };
  const handlers: Record<string, Function> = {
    o_str: (s: number) => {
      evictInHandler();
      const c = cstr(s, false);
      seen.push(`o_str ${String.fromCharCode(...c.slice(0, 16))} ${digest(new Uint8Array(c))}`);
      return c.length;
    },
    o_wstr: (s: number) => {
      evictInHandler();
      const c = cstr(s, true);
      seen.push(`o_wstr ${String.fromCodePoint(...c.slice(0, 16))} ${digest(new Uint8Array(new Uint32Array(c).buffer))}`);
      return c.length;
    },
    o_in: (p: number, n: number) => {
      evictInHandler();
      seen.push(`o_in ${digest(g8().slice(p, p + n))}`);
    },
    o_out: (p: number, n: number) => {
      evictInHandler();
      seen.push(`o_out ${n}`);
      for (let i = 0; i < n; i++) g8()[p + i] = (i * 7 + 3) & 0xff;
    },
    o_inout: (p: number, n: number) => {
      evictInHandler();
      seen.push(`o_inout ${digest(g8().slice(p, p + n))}`);
      for (let i = 0; i < n; i++) g8()[p + i] ^= 0x5a;
    },
    o_two: (a: number, b: number, n: number, m: number) => {
      evictInHandler();
      seen.push(`o_two ${digest(g8().slice(a, a + n))} ${m}`);
      for (let i = 0; i < m; i++) g8()[b + i] = (n === 0 ? 0 : g8()[a + (i % n)]! + 1) & 0xff;
    },
    o_msg: (m: number) => {
      evictInHandler();
      const dv = gdv();
      const len = dv.getUint32(m, true);
      const data = dv.getUint32(m + 4, true);
      const tag = dv.getUint32(m + 8, true);
      seen.push(`o_msg len ${len} tag ${tag} data ${data === 0 ? 'NULL' : digest(g8().slice(data, data + len))}`);
      for (let i = 0; i < len; i++) g8()[data + i] = (g8()[data + i]! + 1) & 0xff;
      dv.setUint32(m + 8, (tag * 3) >>> 0, true);
      // The guest may scribble over the pointer: the enclave's struct keeps its own.
      dv.setUint32(m + 4, 0xdead, true);
      return len;
    },
    o_make: (dR: number, x: number) => {
      evictInHandler();
      seen.push(`o_make ${x}`);
      const dv = gdv();
      dv.setUint32(dR, x, true);
      dv.setUint32(dR + 4, x + 1, true);
      dv.setBigUint64(dR + 8, BigInt(x) * 1000000007n, true);
    },
    o_ret: (x: bigint) => {
      evictInHandler();
      seen.push(`o_ret ${x}`);
      return BigInt.asUintN(64, x * 3n + 1n);
    },
  };
  const gate = new Gate({
    iface,
    guest: 'test',
    enclave: `ocall-rig${pages === null ? '' : `/${pages}p`}`,
    guestMemory: () => gmem,
    guestExports: () => handlers as unknown as WebAssembly.Exports,
    scratch: { ptr: G_SCRATCH, len: G_SCRATCH_LEN },
    trace: null,
    spinEcall: null,
    spinOcall: null,
  });
  gate.ctx.onReject = (e) => rejects.push(e.code);
  gate.attach({ __emon_ms: () => msBase, __emon_ms_size: () => MS_SIZE, unused: () => undefined } as unknown as WebAssembly.Exports, emem, 1 << 30, access);
  return {
    mode: pages === null ? 'resident' : `${pages}p`,
    get eSize() {
      return eSize();
    },
    free: msBase + MS_SIZE,
    seen,
    rejects,
    read,
    write,
    evictAll,
    ocall: (name, ...args) => (gate.ocallImports[name] as (...a: (number | bigint)[]) => number)(...args),
    stats,
  };
}
