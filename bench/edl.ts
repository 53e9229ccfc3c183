/**
 * `emon bench --edl my.edl --enclave my.wasm`: a suite built from a user's EDL, one case per ECALL/OCALL and
 * buffer size. Waits on the enclave host API (runtime/enclave/).
 */
import { EmonError } from '../runtime/errors.js';
import type { BenchSuite } from './suite.js';

export async function edlSuite(edlFile: string, enclaveFile: string): Promise<BenchSuite> {
  throw new EmonError('E_UNAVAILABLE', `cannot benchmark ${edlFile} with ${enclaveFile}: EDL benchmarking is not available in this build`, {
    hint: 'it needs the enclave host API in runtime/enclave/',
  });
}
