/**
 * The enclave backend: what one trusted-execution technology offers the backend-neutral enclave host
 * (runtime/enclave), so that the same EDL, gate, signing and key derivation serve every backend. Implemented by
 * ./sgx/backend.ts (Intel SGX-like enclaves; Intel SDM Vol. 3D ch. 37-40) and ./tz/backend.ts (an Arm
 * TrustZone secure world running GlobalPlatform trusted applications, OP-TEE-like; GP TEE System Architecture
 * v1.2 §2-3). `emon run --backend sgx|tz` picks one for the whole run.
 *
 * The host sees an enclave the same way on both: a signed image verified at load, then instances opened for a
 * guest (SGX: a new enclave instance; TZ: a session on a TA instance in the secure world), each wired to the
 * guest through the gate. What differs lives behind this interface: where the memory comes from (EPC or the
 * secure carve-out), which roots the keys derive from, and what a transition costs.
 */
import type { CostEvent } from './cost/model.js';
import type { EinitOptions, EnclaveInstance, InitializedEnclave, PlatformSecrets, UntrustedSide } from './enclave-instance.js';

export type BackendName = 'sgx' | 'tz';

export const BACKENDS: readonly BackendName[] = ['sgx', 'tz'];

/** A trace event as hw produces it (hw does not import the trace module; the monitor's sink takes these). */
export interface HwTraceEvent {
  kind: 'smc' | 'ta_invoke' | 'epc_fault' | 'enclave';
  name: string;
  track: string;
  start: number;
  dur: number;
  bytes?: number;
  args?: Record<string, string | number | boolean>;
}

/** Where hw records trace events (the monitor's sink, renamed for the backend by runtime/enclave/backends.ts). */
export interface HwTraceSink {
  record(event: HwTraceEvent): void;
  /**
   * TrustZone: the bytes the gate copied in its last ECALL. On TZ the gate's own ECALL events are not recorded;
   * the secure world records the TA command (its world switch included) and carries these bytes.
   */
  lastEcallBytes?: number;
}

/** What one guest's worker hands a backend (a structural subset of the monitor's GuestHost). */
export interface BackendGuest {
  readonly name: string;
  readonly manifest: Readonly<Record<string, unknown>>;
  /** `--enclave:NAME=PATH`: NAME -> PATH. */
  readonly attachments: ReadonlyMap<string, string>;
  readonly options: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly trace: HwTraceSink | null;
  /** The guest shares its thread with other guests (a fleet's shared worker). */
  readonly sharesThread?: boolean;
  log(message: string): void;
}

export interface EnclaveBackend {
  readonly name: BackendName;
  /**
   * Cost-model events (runtime/hw/cost/model.ts) the gate spins for at each ECALL and OCALL under
   * --emulate-cost; `ecall` is null when the backend's own entry spins instead (TZ: the secure world, at each
   * InvokeCommand the ECALL becomes).
   */
  readonly transitions: { readonly ecall: CostEvent | null; readonly ocall: CostEvent };
  /** Hardware set-up for one guest's enclaves before any is loaded (SGX: its EPC; TZ: the secure world). Returns the undo. */
  attachGuest(guest: BackendGuest): () => void;
  /** Verify a signed image and compile it (SGX: ECREATE/EADD/EEXTEND/EINIT; TZ: the TA signature check). */
  load(bytes: Uint8Array, file: string, options: EinitOptions): InitializedEnclave;
  /** The root secrets this backend's keys derive from (SGX: fused root keys; TZ: the hardware unique key). */
  platform(stateDir: string): PlatformSecrets;
  /**
   * A fresh instance of a loaded image for one guest, with the caller's OCALL stubs; its `destroy` gives back
   * what the hardware lent it (EPC pages; the carve-out and the TA session). TZ: an OpenSession on a new
   * instance of the image run as a TA, whose `commands` turn ECALLs into that session's InvokeCommands; its
   * world switches are recorded to `trace` (the opening guest's sink, as the gate's).
   */
  open(enc: InitializedEnclave, platform: PlatformSecrets, untrusted: UntrustedSide, ocalls: Record<string, WebAssembly.ImportValue>, guest: string, trace?: HwTraceSink | null): EnclaveInstance;
}
