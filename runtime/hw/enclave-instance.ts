/**
 * The backend-neutral shapes of an enclave as hw hands it to the enclave host (runtime/enclave): an image
 * verified and compiled at load (SGX: after EINIT, Intel SDM Vol. 3D §38.11; TrustZone: a TA image after its
 * signature check, as OP-TEE's signed_hdr.c does), and the instances opened from it for one guest (SGX: an
 * enclave in the EPC; TrustZone: a session on a TA instance in the secure world). Both backends (./sgx,
 * ./tz) produce these through ./backend.ts; nothing here is specific to either.
 */
import type { EnclaveIdentity } from './sgx/identity.js';
import type { Sigstruct } from './sgx/sigstruct.js';
import type { VerifyOptions } from './signed-image.js';

/**
 * The root secrets a backend's keys derive from (SGX: the fused seal and report roots; TrustZone: roots from the
 * board's hardware unique key), kept per platform state directory.
 */
export interface PlatformSecrets {
  /** Derives seal keys. */
  readonly sealRoot: Uint8Array;
  /** Derives report keys (local attestation). */
  readonly reportRoot: Uint8Array;
  readonly stateDir: string;
}

/** What loading checks besides the signature: a detached SIGSTRUCT, the signer the guest requires. */
export type EinitOptions = VerifyOptions;

/** An enclave image after its load checks: compiled, with its identity. Instances are made from it per open. */
export interface InitializedEnclave {
  readonly file: string;
  readonly identity: EnclaveIdentity;
  readonly sigstruct: Sigstruct;
  readonly module: WebAssembly.Module;
  /** The EDL carried in the image (measured, so the interface is part of MRENCLAVE), or null. */
  readonly edl: string | null;
  /** Bytes that were measured (the module without its SIGSTRUCT). */
  readonly imageSize: number;
}

/** What the untrusted side lends an enclave instance: the memory its user_check pointers refer to. */
export interface UntrustedSide {
  memory(): WebAssembly.Memory | null;
}

/**
 * hw-side access to a paged enclave's memory outside its held marshalling area (the OCALL gate's buffers and
 * return values): each copy goes page by page, faulting pages in as the enclave's own loads and stores would,
 * so nothing is read from or written to an evicted (wiped) page. Addresses are checked against the enclave's
 * current size; a range outside it throws E_GATE_BOUNDS, an integrity failure on reload E_EPC_INTEGRITY.
 */
export interface EnclaveMemoryAccess {
  /** Current size of the enclave's memory in bytes (its virtual size when paged). */
  size(): number;
  /** Copies enclave bytes [addr, addr + out.length) into `out`. */
  read(addr: number, out: Uint8Array): void;
  /** Copies `data` into enclave bytes [addr, addr + data.length). */
  write(addr: number, data: Uint8Array): void;
  /** Length of the NUL-terminated string at `addr` including the NUL, or -1 if none within `limit` bytes or the memory. */
  strlen(addr: number, limit: number): number;
}

/** One ECALL's entry as the gate specialises it: the guest's frame address in, an ECALL status (runtime/enclave/abi.ts) out. */
export type EcallEntry = (framePtr: number) => number;

export interface EnclaveInstance {
  readonly exports: WebAssembly.Exports;
  readonly memory: WebAssembly.Memory;
  readonly identity: EnclaveIdentity;
  /** Largest size its memory may have (the signed heap size). */
  readonly memoryLimit: number;
  /** Paged memory access for the gate; null when the memory is always resident. */
  readonly access: EnclaveMemoryAccess | null;
  /**
   * The entries the guest's ECALLs reach, given the gate's own (`bridges`, by EDL index) once the gate is wired
   * to this instance. Absent: the guest calls the gate directly (SGX: EENTER is the gate's call). TrustZone: each
   * entry is one InvokeCommand of this instance's session, with the ECALL number as the command, whose TA entry
   * point runs the bridge; `lost` says whether the bridge found the enclave lost (a trap: the TA is dead).
   */
  commands?(bridges: readonly EcallEntry[], names: readonly string[], lost: () => boolean): EcallEntry[];
  /** Ends the instance (SGX: its EPC pages; TZ: its session, and the TA instance's carve-out pages); idempotent. */
  destroy(): void;
}
