/**
 * The backend-neutral enclave host: turns an attached enclave file into an initialised enclave plus its
 * interface, and opens instances of it for one guest, each wired to that guest through its own Gate. The
 * SGX specifics (life cycle, identity, keys) stay in runtime/hw/sgx; this module is what `sgx_create_enclave`
 * and the untrusted runtime (urts) are in the Intel SGX SDK.
 */
import { readRegularFile } from '../files.js';
import { existsSync } from 'node:fs';
import { EmonError } from '../errors.js';
import type { EnclaveBackend } from '../hw/backend.js';
import type { InitializedEnclave } from '../hw/enclave-instance.js';
import { SGX_LEAVES } from '../hw/sgx/enclave.js';
import { sgxBackend } from '../hw/sgx/backend.js';
import type { PlatformSecrets } from '../hw/sgx/platform.js';
import { parseEdl } from './edl/parser.js';
import type { EdlInterface } from './edl/types.js';
import { Gate, type EcallFn, type GateOptions } from './gate.js';

export interface EnclaveImage {
  readonly name: string;
  readonly enclave: InitializedEnclave;
  readonly iface: EdlInterface;
  /** The hardware it runs on (runtime/hw/backend.ts); SGX when not given. */
  readonly backend?: EnclaveBackend;
}

/**
 * Read, measure and verify `file` on `backend` (SGX: EINIT; TZ: the TA signature check); a SIGSTRUCT beside it
 * as FILE.sig wins over the embedded one.
 */
export function loadEnclaveImage(name: string, file: string, expectedMrsigner: Uint8Array | null, backend: EnclaveBackend = sgxBackend): EnclaveImage {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readRegularFile(file));
  } catch (e) {
    throw new EmonError('E_NO_FILE', `enclave ${name}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'give the path of a signed enclave .wasm with --enclave:NAME=PATH',
    });
  }
  const sigFile = `${file}.sig`;
  let sigstruct: Uint8Array | undefined;
  if (existsSync(sigFile)) {
    try {
      sigstruct = new Uint8Array(readRegularFile(sigFile));
    } catch (e) {
      throw new EmonError('E_NO_FILE', `enclave ${name}: cannot read the SIGSTRUCT beside it, ${sigFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'remove it to use the SIGSTRUCT embedded in the module, or sign again with `emon enclave sign --detached`',
      });
    }
  }
  const enclave = backend.load(bytes, file, {
    ...(sigstruct ? { sigstruct } : {}),
    ...(expectedMrsigner ? { expectedMrsigner } : {}),
  });
  if (enclave.edl === null) {
    throw new EmonError('E_ENCLAVE_EDL', `enclave ${name}: ${file} carries no EDL (custom section emon.edl)`, {
      hint: 'build enclaves with `npm run build` or embed the EDL with `emon enclave sign --edl FILE.edl`',
    });
  }
  const iface = parseEdl(enclave.edl, `${file} (its emon.edl section)`, 'enclave');
  checkEnclaveImports(name, file, enclave.module, iface);
  return { name, enclave, iface, backend };
}

/** Module names other hw parts add when they rewrite the image (the EPC's residency checks). */
const HW_IMPORT_MODULES = new Set(['emon_epc']);

/**
 * DESIGN.md §1 rule 2 at load time: an enclave may import only the hw leaves, its EDL's OCALLs and abort —
 * no WASI, no hypercalls — so a module that would reach anything else is refused before the guest starts.
 */
function checkEnclaveImports(name: string, file: string, module: WebAssembly.Module, iface: EdlInterface): void {
  for (const imp of WebAssembly.Module.imports(module)) {
    const ok =
      (imp.module === 'sgx' && SGX_LEAVES.includes(imp.name)) ||
      (imp.module === 'emon_ocall' && iface.untrusted.some((f) => f.name === imp.name)) ||
      (imp.module === 'env' && imp.name === 'abort') ||
      HW_IMPORT_MODULES.has(imp.module);
    if (!ok || imp.kind !== 'function') {
      throw new EmonError('E_ENCLAVE_IMPORT', `enclave ${name} (${file}) imports ${imp.kind} "${imp.module}"."${imp.name}", which enclaves may not use`, {
        hint: `enclaves may import only "sgx" (${SGX_LEAVES.join(', ')}), the OCALLs of their EDL from "emon_ocall", and env.abort`,
      });
    }
  }
}

/** What opening an enclave needs: the gate's view of the guest, plus the platform and the loss/reject hooks. */
export interface OpenOptions extends Pick<GateOptions, 'guestMemory' | 'guestExports' | 'scratch' | 'trace' | 'spinEcall' | 'spinOcall'> {
  readonly guest: string;
  readonly platform: PlatformSecrets;
  readonly onLost: (reason: string) => void;
  /** Why a call was refused (EINVAL), when wanted: -v logging, tests. */
  readonly onReject?: (e: EmonError) => void;
}

export interface OpenEnclave {
  readonly image: EnclaveImage;
  /** ECALL entry points by EDL index. */
  readonly ecalls: readonly EcallFn[];
  readonly exports: WebAssembly.Exports;
  readonly memory: WebAssembly.Memory;
  /** True while one of its ECALLs runs (a guest OCALL handler is on the stack): it cannot be closed then. */
  busy(): boolean;
  /**
   * Ends the instance (sgx_destroy_enclave): later calls through its gate are ELOST, its EPC pages and frames go
   * back to the platform, and nothing keeps its memory alive once the caller drops this object.
   */
  close(): void;
}

/** ECREATE'd image → a fresh instance with its gate (the state of earlier instances is not shared). */
export function openEnclave(image: EnclaveImage, o: OpenOptions): OpenEnclave {
  const gate = new Gate({
    iface: image.iface,
    guest: o.guest,
    enclave: image.name,
    guestMemory: o.guestMemory,
    guestExports: o.guestExports,
    scratch: o.scratch,
    trace: o.trace,
    spinEcall: o.spinEcall,
    spinOcall: o.spinOcall,
  });
  // SGX: a new enclave instance in the EPC; TZ: a session on a fresh TA instance in the secure world's carve-out.
  const inst = (image.backend ?? sgxBackend).open(image.enclave, o.platform, { memory: o.guestMemory }, gate.ocallImports as Record<string, WebAssembly.ImportValue>, o.guest, o.trace);
  try {
    gate.attach(inst.exports, inst.memory, inst.memoryLimit, inst.access);
  } catch (e) {
    inst.destroy();
    throw e;
  }
  const ctx = gate.ctx;
  ctx.onLost = o.onLost;
  ctx.onReject = o.onReject ?? null;
  // TZ: each ECALL becomes an InvokeCommand of the instance's TA session, whose TA entry is the gate's bridge.
  const ecalls = inst.commands ? inst.commands(gate.ecalls, image.iface.trusted.map((f) => f.name), () => ctx.lost) : gate.ecalls;
  return {
    image,
    ecalls,
    exports: inst.exports,
    memory: inst.memory,
    busy: () => ctx.depth > 0,
    close: () => {
      ctx.onLost = null;
      ctx.lose('it was closed');
      inst.destroy();
    },
  };
}
