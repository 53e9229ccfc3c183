/**
 * A stand-in enclave written in JavaScript, wired to a stand-in guest memory through the real gate
 * (runtime/enclave/gate.ts): the ECALLs are JS functions that read and write the enclave's own memory, so
 * tests can drive any generated interface (random struct shapes, deep copies) without building Wasm for it.
 */
import { Gate } from '../../runtime/enclave/gate.js';
import { SLOT } from '../../runtime/enclave/abi.js';
import { STD_OCALLS } from '../../runtime/enclave/std-ocalls.js';
import { isAddress, wasmTypeOf, type EdlInterface } from '../../runtime/enclave/edl/types.js';
import type { EmonError } from '../../runtime/errors.js';

export const G_FRAME = 1024;
export const G_SCRATCH = 4096;
export const G_SCRATCH_LEN = 64 * 1024;
/** First guest address tests may use for their own data. */
export const G_FREE = G_SCRATCH + G_SCRATCH_LEN;
export const E_MS = 64 * 1024;
export const E_MS_SIZE = 256 * 1024;

export interface EnclaveEnv {
  readonly mem: WebAssembly.Memory;
  /** The OCALL gates, as the enclave imports them (module "emon_ocall"). */
  readonly ocall: Record<string, Function>;
  dv(): DataView;
  u8(): Uint8Array;
}

export interface Wired {
  readonly gate: Gate;
  readonly gmem: WebAssembly.Memory;
  readonly emem: WebAssembly.Memory;
  readonly rejects: EmonError[];
  gdv(): DataView;
  g8(): Uint8Array;
  e8(): Uint8Array;
  /** Call ECALL `name` with Wasm-level arguments (addresses for pointers); status and slot 0. */
  ecall(name: string, args: ReadonlyArray<number | bigint>): { status: number; ret: bigint };
}

export function wire(iface: EdlInterface, enclave: (env: EnclaveEnv) => Record<string, Function>, guest: Record<string, Function> = {}): Wired {
  const gmem = new WebAssembly.Memory({ initial: 4 });
  const emem = new WebAssembly.Memory({ initial: 8 });
  const rejects: EmonError[] = [];
  const gate = new Gate({
    iface,
    guest: 'test',
    enclave: 'fake',
    guestMemory: () => gmem,
    // OCALLs a test does not serve return 0 (the SDK's standard ones are left to emon's own handlers).
    guestExports: () => ({ ...Object.fromEntries(iface.untrusted.filter((f) => !STD_OCALLS[f.name]).map((f) => [f.name, () => 0])), ...guest }) as unknown as WebAssembly.Exports,
    scratch: { ptr: G_SCRATCH, len: G_SCRATCH_LEN },
    trace: null,
    spinEcall: null,
    spinOcall: null,
  });
  gate.ctx.onReject = (e) => rejects.push(e);
  const env: EnclaveEnv = { mem: emem, ocall: gate.ocallImports, dv: () => new DataView(emem.buffer), u8: () => new Uint8Array(emem.buffer) };
  gate.attach({ __emon_ms: () => E_MS, __emon_ms_size: () => E_MS_SIZE, ...enclave(env) } as unknown as WebAssembly.Exports, emem, emem.buffer.byteLength);
  const gdv = (): DataView => new DataView(gmem.buffer);
  return {
    gate,
    gmem,
    emem,
    rejects,
    gdv,
    g8: () => new Uint8Array(gmem.buffer),
    e8: () => new Uint8Array(emem.buffer),
    ecall(name, args) {
      const f = iface.trusted.find((x) => x.name === name)!;
      const dv = gdv();
      for (let i = 0; i < SLOT * (f.params.length + 1); i++) dv.setUint8(G_FRAME + i, 0);
      f.params.forEach((p, i) => {
        const at = G_FRAME + SLOT * (i + 1);
        const v = args[i]!;
        if (isAddress(p)) return dv.setUint32(at, Number(v), true);
        switch (wasmTypeOf(p.type)) {
          case 'i64':
            return dv.setBigInt64(at, BigInt(v), true);
          case 'f32':
            return dv.setFloat32(at, Number(v), true);
          case 'f64':
            return dv.setFloat64(at, Number(v), true);
          default:
            return dv.setInt32(at, Number(v), true);
        }
      });
      const status = gate.ecalls[f.index]!(G_FRAME);
      return { status, ret: dv.getBigInt64(G_FRAME, true) };
    },
  };
}
