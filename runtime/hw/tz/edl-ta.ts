/**
 * An EDL enclave run as a trusted application of the secure world (the way the Open Enclave SDK runs one enclave
 * image on SGX and on OP-TEE: each ECALL an InvokeCommand of the enclave's TA session, each OCALL a call back into
 * the client through the session's OCALL setting — OP-TEE's TEEC_SESSION_SETTING_OCALL and TA-side
 * TEE_InvokeCACommand, optee_client libteec/include/tee_client_api_extensions.h).
 *
 * The TA's properties come from the signed image, as an OP-TEE TA's come from its header: the UUID is derived
 * from its measurement, TA_DATA_SIZE is the signed heap size (what the carve-out lends an instance), and the flags
 * are those of a multi-instance TA, so that every session — every `enclave_open` — has an instance of its own and
 * instances share no state, as SGX enclave instances do. The TA's entry points are the EDL's: instantiating it
 * with the shared hw leaves (module "sgx": EGETKEY, EREPORT, RDRAND, user_check reads) and the session's OCALL
 * handlers is TA_CreateEntryPoint; binding the gate's bridges is TA_OpenSessionEntryPoint; a bridge, chosen by
 * the command id (the ECALL number) and given the guest's frame address as a value parameter, is
 * TA_InvokeCommandEntryPoint; and destroying the instance is TA_DestroyEntryPoint.
 */
import type { EcallEntry, EnclaveInstance, InitializedEnclave } from '../enclave-instance.js';
import { TEE_ERROR_ACCESS_DENIED, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_GENERIC, TEE_ERROR_TARGET_DEAD, TEE_SUCCESS } from './gp.js';
import type { TaProperties } from './ta-image.js';
import { uuidOfBytes } from './uuid.js';

/**
 * The statuses a bridge (the gate, runtime/enclave/gate-codegen.ts) returns, as runtime/enclave/abi.ts defines
 * them for the guest; hw does not import the enclave host, so they are restated (tests/hw/tz/edl-ta.test.ts
 * checks they agree).
 */
export const BRIDGE_OK = 0;
export const BRIDGE_EINVAL = 2;
export const BRIDGE_ENOTALLOWED = 4;
export const BRIDGE_ELOST = 5;

/** A bridge's status as the TEE_Result of its command (the TA's answer). */
export function bridgeResult(status: number): number {
  switch (status) {
    case BRIDGE_OK:
      return TEE_SUCCESS;
    case BRIDGE_EINVAL:
      return TEE_ERROR_BAD_PARAMETERS;
    case BRIDGE_ENOTALLOWED:
      return TEE_ERROR_ACCESS_DENIED;
    case BRIDGE_ELOST:
      return TEE_ERROR_TARGET_DEAD;
    default:
      return TEE_ERROR_GENERIC;
  }
}

/** A command's TEE_Result as the ECALL status the guest sees (the normal-world driver's side of bridgeResult). */
export function ecallStatus(result: number): number {
  switch (result >>> 0) {
    case TEE_SUCCESS:
      return BRIDGE_OK;
    case TEE_ERROR_BAD_PARAMETERS:
      return BRIDGE_EINVAL;
    case TEE_ERROR_ACCESS_DENIED:
      return BRIDGE_ENOTALLOWED;
    default:
      // Dead TA, closed session, or anything else the secure world answered: the enclave is gone for the guest.
      return BRIDGE_ELOST;
  }
}

/** An EDL enclave image as the secure world holds it: TA properties plus the compiled module. */
export interface EdlTaImage {
  readonly file: string;
  readonly props: TaProperties;
  readonly enclave: InitializedEnclave;
  /** Carve-out pages an instance takes: the signed heap. */
  readonly memoryPages: number;
  readonly singleInstance: false;
  readonly multiSession: false;
  readonly keepAlive: false;
}

const images = new WeakMap<InitializedEnclave, EdlTaImage>();

/** The TA image of an enclave (made once per loaded image). */
export function edlTaImage(enc: InitializedEnclave): EdlTaImage {
  let img = images.get(enc);
  if (img === undefined) {
    const cfg = enc.sigstruct.config;
    img = {
      file: enc.file,
      props: {
        uuid: uuidOfBytes(enc.identity.mrenclave),
        flags: 0,
        // An EDL enclave declares one heap (the signed heapPages): its stack lies inside it, so TA_STACK_SIZE is 0.
        stackSize: 0,
        dataSize: cfg.heapPages * 65536,
        version: String(cfg.isvSvn),
        description: `EDL enclave ${enc.file}`,
        ext: [
          { name: 'gp.ta.description', type: 4, value: `EDL enclave ${enc.file}` },
          { name: 'gp.ta.version', type: 1, value: cfg.isvSvn },
        ],
      },
      enclave: enc,
      memoryPages: cfg.heapPages,
      singleInstance: false,
      multiSession: false,
      keepAlive: false,
    };
    images.set(enc, img);
  }
  return img;
}

/** One instance of an EDL TA: one enclave instance, for the one session it serves. */
export class EdlTaInstance {
  sessions = 0;
  dead = false;
  unloaded = false;
  deathReason = '';
  /** The gate's bridges by ECALL number, bound by the session's open (null until then). */
  bridges: readonly EcallEntry[] | null = null;
  names: readonly string[] = [];
  lost: () => boolean = () => false;

  constructor(
    readonly image: EdlTaImage,
    readonly enclave: EnclaveInstance,
  ) {}

  /** TA_CloseSessionEntryPoint: the EDL has none; the bridges stop being reachable. */
  closeSession(_ctx: number): void {
    this.bridges = null;
  }

  /** TA_DestroyEntryPoint: the enclave instance goes. */
  destroyEntry(): void {
    this.enclave.destroy();
  }
}
