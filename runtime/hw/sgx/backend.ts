/**
 * The SGX-like backend (../backend.ts): enclaves are EINIT'd images (./enclave.ts) paged through the platform
 * EPC (../epc/sgx-link.ts), keys come from the fused roots (./platform.ts), and a transition is EENTER/EEXIT
 * (Intel SDM Vol. 3D ch. 40).
 */
import type { EnclaveBackend } from '../backend.js';
import { attachGuestEpc } from '../epc/sgx-link.js';
import { createEnclave, instantiateEnclave } from './enclave.js';
import { loadPlatform } from './platform.js';

export const sgxBackend: EnclaveBackend = {
  name: 'sgx',
  transitions: { ecall: 'ecall', ocall: 'ocall' },
  attachGuest: (guest) => attachGuestEpc(guest),
  load: (bytes, file, options) => createEnclave(bytes, file, options),
  platform: (stateDir) => loadPlatform(stateDir),
  open: (enc, platform, untrusted, ocalls) => instantiateEnclave(enc, platform, untrusted, ocalls),
};
