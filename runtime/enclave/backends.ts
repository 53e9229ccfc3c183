/**
 * Picks the enclave backend (runtime/hw/backend.ts) that `--backend` names, loading only that one's hw modules,
 * and tags trace events with the transition names of its hardware: on TrustZone an ECALL is a TA command
 * ('ta_invoke', recorded by the secure world) and an OCALL an RPC out of the secure world ('smc'), which
 * `emon trace summary` costs with the TZ figures.
 */
import { EmonError } from '../errors.js';
import type { EnclaveBackend, HwTraceSink } from '../hw/backend.js';
import type { TraceEvent, TraceSink } from '../trace/sink.js';

export async function backendFor(name: string | number | boolean | undefined): Promise<EnclaveBackend> {
  if (name === undefined || name === 'sgx') return (await import('../hw/sgx/backend.js')).sgxBackend;
  if (name === 'tz') return (await import('../hw/tz/backend.js')).tzBackend;
  throw new EmonError('E_USAGE', `--backend=${String(name)}: expected sgx or tz`, { hint: 'see `emon run --help`' });
}

/**
 * The trace sink the gate and hw write to, for the backend (null stays null). On TZ the gate's ECALL events are
 * not recorded: the secure world records each command as a `ta_invoke` event itself (world switch included) and
 * takes the bytes the gate copied from `lastEcallBytes`; OCALLs become `smc` RPC events.
 */
export function hwTrace(backend: EnclaveBackend, sink: TraceSink | null): (TraceSink & HwTraceSink) | null {
  if (sink === null || backend.name === 'sgx') return sink;
  const out: TraceSink & HwTraceSink = {
    lastEcallBytes: 0,
    record(e: TraceEvent): void {
      if (e.kind === 'ecall') out.lastEcallBytes = e.bytes ?? 0;
      else if (e.kind === 'ocall') sink.record({ ...e, kind: 'smc', name: `rpc ${e.name}`, args: { ...e.args, ocall: e.name } });
      else sink.record(e);
    },
  };
  return out;
}
