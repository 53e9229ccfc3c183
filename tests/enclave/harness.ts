/**
 * In-thread test harness for enclaves: a stand-in guest (a JS-owned Wasm memory plus OCALL handler functions)
 * wired to a real enclave instance through the real gate, with functions that lay out ECALL frames. Used by the
 * enclave and hw tests; the full guest path (monitor + "emon" imports) is exercised in extension.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SLOT } from '../../runtime/enclave/abi.js';
import { wasmTypeOf } from '../../runtime/enclave/edl/types.js';
import { openEnclave, type EnclaveImage, type OpenEnclave } from '../../runtime/enclave/host.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import type { BackendName, EnclaveBackend } from '../../runtime/hw/backend.js';
import { sgxBackend } from '../../runtime/hw/sgx/backend.js';
import { tzBackend } from '../../runtime/hw/tz/backend.js';
import type { EnclaveConfig } from '../../runtime/hw/sgx/measurement.js';
import type { PlatformSecrets } from '../../runtime/hw/sgx/platform.js';
import { generateSignerKey } from '../../runtime/hw/sgx/sigstruct.js';
import { signEnclave } from '../../runtime/enclave/signing.js';
import { buildDir } from '../../runtime/paths.js';
import type { TraceSink } from '../../runtime/trace/sink.js';

export const PAGE = 65536;
export const FRAME = 1024;
export const SCRATCH = 8192;
export const SCRATCH_LEN = 64 * 1024;
/** First guest address tests may use for their own buffers. */
export const FREE = SCRATCH + SCRATCH_LEN;

let pagedEpc = false;
/** Called by tests/hw/epc/paged-cases.ts before it imports the suites: their SGX enclaves are paged through a small EPC. */
export function markPagedEpc(): void {
  pagedEpc = true;
}
/** True while the suites run paged (a case whose expectation differs by EPC mode asks this). */
export function isPagedEpc(): boolean {
  return pagedEpc;
}

export function unsignedModule(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(buildDir, 'enclaves', `${name}.unsigned.wasm`)));
}

export function edlText(name: string): string {
  return readFileSync(path.resolve(__dirname, '../../enclaves', name, `${name}.edl`), 'utf8');
}

/**
 * The backends the shared enclave cases run on. The TrustZone one needs a board: one is attached for the test
 * file's lifetime (a worker's board in the monitor; here the test's thread).
 */
export const BACKEND_NAMES: readonly BackendName[] = ['sgx', 'tz'];
let tzBoard: (() => void) | null = null;
let defaultBackend: BackendName = 'sgx';
/**
 * The backend the cases that name none run on: SGX, unless a file switches it before importing shared case files
 * (tests/hw/tz/shared-cases.test.ts runs the gate and open cases again on TrustZone this way).
 */
export function useBackend(name: BackendName): void {
  defaultBackend = name;
}
export function currentBackend(): BackendName {
  return defaultBackend;
}
export function backendOf(name: BackendName = defaultBackend): EnclaveBackend {
  if (name === 'sgx') return sgxBackend;
  tzBoard ??= tzBackend.attachGuest({ name: 'test', manifest: {}, attachments: new Map(), options: { secureMem: '64M' }, trace: null, log: () => undefined });
  return tzBackend;
}

export function tempPlatform(backend: BackendName = defaultBackend): PlatformSecrets {
  return backendOf(backend).platform(mkdtempSync(path.join(tmpdir(), 'emon-platform-')));
}

export interface Signed {
  readonly bytes: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Sign build/enclaves/NAME.unsigned.wasm with a key (fresh unless given) and a config. */
export function signed(name: string, config: Partial<EnclaveConfig> = {}, secretKey = generateSignerKey().secretKey): Signed {
  const cfg: EnclaveConfig = { heapPages: 16, threads: 1, isvProdId: 1, isvSvn: 1, debug: false, ...config };
  return { bytes: signEnclave(unsignedModule(name), `${name}.wasm`, secretKey, cfg, edlText(name)).signed, secretKey };
}

export function image(name: string, bytes: Uint8Array, backend: BackendName = defaultBackend): EnclaveImage {
  const b = backendOf(backend);
  const enclave = b.load(bytes, `${name}.wasm`, {});
  return { name, enclave, iface: parseEdl(enclave.edl!, `${name} (emon.edl)`, name.replace(/\W/g, '_')), backend: b };
}

export type Arg = number | bigint;

export class TestGuest {
  readonly memory = new WebAssembly.Memory({ initial: 4, maximum: 64 });
  readonly handlers: Record<string, Function>;
  readonly log: string[] = [];
  /** Codes of the gate's refusals, in order. */
  readonly rejects: string[] = [];
  enc!: OpenEnclave;

  constructor(handlers: Record<string, Function> = {}) {
    this.handlers = {
      ocall_log: (p: number) => {
        const u8 = this.u8();
        let e = p;
        while (u8[e] !== 0) e++;
        this.log.push(Buffer.from(u8.subarray(p, e)).toString());
      },
      ...handlers,
    };
  }

  open(img: EnclaveImage, platform: PlatformSecrets, trace: TraceSink | null = null): this {
    this.enc = openEnclave(img, {
      guest: 'test',
      platform,
      guestMemory: () => this.memory,
      guestExports: () => this.handlers as unknown as WebAssembly.Exports,
      scratch: { ptr: SCRATCH, len: SCRATCH_LEN },
      trace,
      spinEcall: null,
      spinOcall: null,
      onLost: (r) => this.log.push(`lost: ${r}`),
      onReject: (e) => {
        this.rejects.push(e.code);
        this.log.push(e.message);
      },
    });
    return this;
  }

  u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  put(at: number, bytes: Uint8Array): number {
    this.u8().set(bytes, at);
    return at;
  }

  /** Lay out `args` for trusted function `name` at FRAME (or `frame`); returns a thunk that makes the ECALL. */
  prepare(name: string, args: readonly Arg[], frame = FRAME): () => { status: number; ret: bigint; retF: number } {
    const f = this.enc.image.iface.trusted.find((t) => t.name === name);
    if (!f) throw new Error(`no ECALL ${name}`);
    const dv = new DataView(this.memory.buffer);
    dv.setBigUint64(frame, 0xdeadbeefdeadbeefn, true);
    f.params.forEach((p, i) => {
      const at = frame + SLOT * (i + 1);
      const v = args[i]!;
      const w = wasmTypeOf(p.type);
      if (w === 'i64') dv.setBigInt64(at, BigInt(v), true);
      else if (w === 'f64') dv.setFloat64(at, Number(v), true);
      else if (w === 'f32') dv.setFloat32(at, Number(v), true);
      else dv.setUint32(at, Number(v) >>> 0, true);
    });
    return () => {
      const status = this.enc.ecalls[f.index]!(frame);
      const after = new DataView(this.memory.buffer);
      return { status, ret: after.getBigInt64(frame, true), retF: after.getFloat64(frame, true) };
    };
  }

  /** Lay out `args` and ECALL; returns the status and slot 0. */
  call(name: string, args: readonly Arg[], frame = FRAME): { status: number; ret: bigint; retF: number } {
    return this.prepare(name, args, frame)();
  }

  /** The enclave's whole memory, copied (tests compare it before and after rejected calls). */
  enclaveSnapshot(): Uint8Array {
    return new Uint8Array(this.enc.memory.buffer).slice();
  }
}
