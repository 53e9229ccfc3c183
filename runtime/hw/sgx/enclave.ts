/**
 * The SGX-like enclave life cycle (Intel SDM Vol. 3D, §38.11 "Enclave Creation and Setup"): ECREATE a SECS with
 * the signed config, EADD/EEXTEND every page of the module image, EINIT against the SIGSTRUCT (signature, then
 * measurement, then the signer the caller expects), then instantiate: the enclave becomes its own Wasm instance
 * whose only imports are the ENCLU leaves in module "sgx" (EGETKEY, EREPORT, RDRAND and the enclave's right to
 * read and write untrusted memory) plus the OCALL stubs the caller provides. Nothing here ever hands out the
 * enclave's memory; runtime/enclave's gate is the only host code that copies across.
 */
import { randomFillSync } from 'node:crypto';
import { EmonError } from '../../errors.js';
import { decodeKeyRequest, egetkey, KEY_SIZE, KEYREQUEST_SIZE } from './egetkey.js';
import { decodeTargetInfo, ereport, REPORT_DATA_SIZE, REPORT_SIZE, TARGETINFO_SIZE } from './ereport.js';
import type { EnclaveIdentity } from './identity.js';
import type { PlatformSecrets } from './platform.js';
import { verifySignedImage } from '../signed-image.js';
import type { EinitOptions, EnclaveInstance, EnclaveMemoryAccess, InitializedEnclave, UntrustedSide } from '../enclave-instance.js';

// The shapes both backends share live in ../enclave-instance.ts; re-exported for the SGX-side callers.
export type { EinitOptions, EnclaveInstance, EnclaveMemoryAccess, InitializedEnclave, UntrustedSide } from '../enclave-instance.js';

export { SIGSTRUCT_SECTION, EDL_SECTION } from '../signed-image.js';

/** The ENCLU leaves module "sgx" offers; an enclave importing anything else there is refused at load. */
export const SGX_LEAVES: readonly string[] = ['egetkey', 'ereport', 'rdrand', 'read_untrusted', 'write_untrusted'];

/** Status codes the "sgx" imports return to the enclave. */
export const SGX_OK = 0;
export const SGX_EINVAL = 2;

/**
 * Where the EPC model plugs in: `prepareModule` may rewrite the measured image before compilation (e.g. a
 * residency-check instrumentation pass), `onInstance` sees each new enclave instance and its memory (e.g. to
 * page it against the EPC budget). Both default to identity/no-op.
 */
export interface SgxHooks {
  prepareModule(image: Uint8Array, what: string, heapBytes?: number): Uint8Array;
  /** May return the instance's EPC pages: how hw-side code reaches its memory, and how to EREMOVE them. */
  onInstance(instance: WebAssembly.Instance, memory: WebAssembly.Memory, identity: EnclaveIdentity, what: string): EnclavePages | void;
  /** EPC (runtime/hw/epc/sgx-link.ts): may add import modules and wrap the leaves for one new instance. */
  link?(imports: WebAssembly.Imports, what: string): WebAssembly.Imports;
}

/** One instance's pages in the EPC. */
export interface EnclavePages {
  /** null when every page stays resident (resident mode): hw-side code may then use the memory directly. */
  readonly access: EnclaveMemoryAccess | null;
  /** EREMOVE of every page: the frames and pinned pages go back to the EPC; the instance must not run again. */
  destroy(): void;
}

export const sgxHooks: SgxHooks = {
  prepareModule: (image) => image,
  onInstance: () => undefined,
};

/** No paging: what a backend without an EPC (the TrustZone secure world) instantiates with. */
export const noHooks: SgxHooks = {
  prepareModule: (image) => image,
  onInstance: () => undefined,
};

/** ECREATE → EADD/EEXTEND → EINIT for the .wasm bytes of `file`. Every failure says which check failed. */
export function createEnclave(bytes: Uint8Array, file: string, options: EinitOptions = {}): InitializedEnclave {
  // The checks are shared with the TrustZone backend's TA loader (../signed-image.ts), in the order SGX's EINIT has them.
  const { identity, sigstruct: sig, image, edl } = verifySignedImage(bytes, file, options);
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(sgxHooks.prepareModule(image, file, sig.config.heapPages * 65536) as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new EmonError('E_BAD_WASM', `${file}: the enclave module does not compile: ${(e as Error).message}`, { hint: 'rebuild the enclave' });
  }
  return { file, identity, sigstruct: sig, module, edl, imageSize: image.length };
}

/** Raised (as a trap) when an enclave calls abort(); the gate turns it into a lost enclave. */
export class EnclaveAbort extends Error {}

/** Instantiate an initialised enclave with the hw leaves and the caller's OCALL stubs (module "emon_ocall"). */
export function instantiateEnclave(
  enc: InitializedEnclave,
  platform: PlatformSecrets,
  untrusted: UntrustedSide,
  ocalls: Record<string, WebAssembly.ImportValue>,
  hooks: SgxHooks = sgxHooks,
): EnclaveInstance {
  let mem: WebAssembly.Memory | null = null;
  let u8 = new Uint8Array(0);
  const view = (): Uint8Array => {
    if (u8.buffer !== mem!.buffer) u8 = new Uint8Array(mem!.buffer);
    return u8;
  };
  const inside = (p: number, n: number): boolean => p >= 0 && n >= 0 && p + n <= view().length;
  const self = enc.identity;
  const sgx = {
    egetkey(reqPtr: number, keyOut: number): number {
      reqPtr >>>= 0;
      keyOut >>>= 0;
      if (!inside(reqPtr, KEYREQUEST_SIZE) || !inside(keyOut, KEY_SIZE)) return SGX_EINVAL;
      const req = decodeKeyRequest(view().slice(reqPtr, reqPtr + KEYREQUEST_SIZE));
      if (typeof req === 'number') return 0x100 | req;
      const key = egetkey(platform, self, req);
      if (typeof key === 'number') return 0x100 | key;
      view().set(key, keyOut);
      return SGX_OK;
    },
    ereport(targetPtr: number, dataPtr: number, reportOut: number): number {
      targetPtr >>>= 0;
      dataPtr >>>= 0;
      reportOut >>>= 0;
      if ((targetPtr !== 0 && !inside(targetPtr, TARGETINFO_SIZE)) || !inside(dataPtr, REPORT_DATA_SIZE) || !inside(reportOut, REPORT_SIZE)) return SGX_EINVAL;
      // A null TARGETINFO targets the enclave itself, as sgx_self_target() does.
      const target = targetPtr === 0 ? { mrenclave: self.mrenclave, attributes: self.attributes } : decodeTargetInfo(view().slice(targetPtr, targetPtr + TARGETINFO_SIZE));
      view().set(ereport(platform, self, target, view().slice(dataPtr, dataPtr + REPORT_DATA_SIZE)), reportOut);
      return SGX_OK;
    },
    rdrand(dst: number, len: number): number {
      dst >>>= 0;
      len >>>= 0;
      if (!inside(dst, len)) return SGX_EINVAL;
      randomFillSync(view(), dst, len);
      return SGX_OK;
    },
    read_untrusted(src: number, len: number, dst: number): number {
      src >>>= 0;
      len >>>= 0;
      dst >>>= 0;
      const um = untrusted.memory();
      if (!um || !inside(dst, len) || src + len > um.buffer.byteLength) return SGX_EINVAL;
      view().set(new Uint8Array(um.buffer, src, len), dst);
      return SGX_OK;
    },
    write_untrusted(dst: number, src: number, len: number): number {
      src >>>= 0;
      len >>>= 0;
      dst >>>= 0;
      const um = untrusted.memory();
      if (!um || !inside(src, len) || dst + len > um.buffer.byteLength) return SGX_EINVAL;
      new Uint8Array(um.buffer, dst, len).set(view().subarray(src, src + len));
      return SGX_OK;
    },
  };
  const env = {
    abort(_msg: number, _file: number, line: number, col: number): never {
      throw new EnclaveAbort(`enclave ${enc.file} aborted at line ${line}:${col}`);
    },
  };
  let instance: WebAssembly.Instance;
  try {
    const imports = { sgx, env, emon_ocall: ocalls };
    instance = new WebAssembly.Instance(enc.module, hooks.link ? hooks.link(imports, enc.file) : imports); // EPC hook
  } catch (e) {
    throw new EmonError('E_ENCLAVE_LINK', `${enc.file}: cannot instantiate the enclave: ${(e as Error).message}`, {
      hint: 'enclaves may import only module "sgx" and their EDL OCALLs; rebuild it against its EDL',
    });
  }
  const m = instance.exports['memory'];
  if (!(m instanceof WebAssembly.Memory)) {
    throw new EmonError('E_ENCLAVE_LINK', `${enc.file}: the enclave defines no memory`, { hint: 'build the enclave with the emon build' });
  }
  mem = m;
  const pages = hooks.onInstance(instance, m, self, enc.file) ?? null;
  return {
    exports: instance.exports,
    memory: m,
    identity: self,
    memoryLimit: enc.sigstruct.config.heapPages * 65536,
    access: pages?.access ?? null,
    destroy: () => pages?.destroy(),
  };
}
