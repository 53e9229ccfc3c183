/**
 * Picks the enclave backend (runtime/hw/backend.ts) that `--backend` names, loading only that one's hw modules,
 * and tags trace events with the transition names of its hardware: on TrustZone an ECALL is a TA command
 * ('ta_invoke') and an OCALL an RPC out of the secure world ('smc'), which `emon trace summary` costs with the TZ
 * figures.
 */
import { EmonError } from '../errors.js';
import type { EnclaveBackend } from '../hw/backend.js';
import type { TraceEvent, TraceSink } from '../trace/sink.js';

export async function backendFor(name: string | number | boolean | undefined): Promise<EnclaveBackend> {
  if (name === undefined || name === 'sgx') return (await import('../hw/sgx/backend.js')).sgxBackend;
  if (name === 'tz') return (await import('../hw/tz/backend.js')).tzBackend;
  throw new EmonError('E_USAGE', `--backend=${String(name)}: expected sgx or tz`, { hint: 'see `emon run --help`' });
}

/** The trace sink the gate writes to, with ECALL/OCALL events renamed for the backend (null stays null). */
export function hwTrace(backend: EnclaveBackend, sink: TraceSink | null): TraceSink | null {
  if (sink === null || backend.name === 'sgx') return sink;
  return {
    record(e: TraceEvent): void {
      if (e.kind === 'ecall') sink.record({ ...e, kind: 'ta_invoke', args: { ...e.args, ecall: e.name } });
      else if (e.kind === 'ocall') sink.record({ ...e, kind: 'smc', name: `rpc ${e.name}`, args: { ...e.args, ocall: e.name } });
      else sink.record(e);
    },
  };
}
