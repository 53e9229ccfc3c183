/**
 * emon's untrusted side of the SDK's standard EDLs (enclaves/sdk/edl: sgx_tstdc.edl, sgx_pthread.edl), what
 * the Intel SGX SDK's untrusted runtime (urts) serves for every enclave that imports them. A Wasm enclave runs
 * on one TCS: the thread-event OCALLs have no other thread to wait for or wake and return 0 at once; CPUID and
 * thread creation have no meaning there and are refused with a named error (E_OCALL_UNAVAILABLE) and EUNSPEC.
 * A guest that exports a handler of the same name serves the OCALL itself instead.
 */
import { EmonError } from '../errors.js';
import { EINVAL, EUNSPEC, OK } from './abi.js';
import type { EdlFunction } from './edl/types.js';
import type { GateContext } from './gate-context.js';

type Builtin = { readonly kind: 'served'; readonly ret: number } | { readonly kind: 'refused'; readonly why: string };

export const STD_OCALLS: Readonly<Record<string, Builtin>> = {
  sgx_oc_cpuidex: { kind: 'refused', why: 'a Wasm enclave has no CPUID to query' },
  sgx_thread_wait_untrusted_event_ocall: { kind: 'served', ret: 0 },
  sgx_thread_set_untrusted_event_ocall: { kind: 'served', ret: 0 },
  sgx_thread_setwait_untrusted_events_ocall: { kind: 'served', ret: 0 },
  sgx_thread_set_multiple_untrusted_events_ocall: { kind: 'served', ret: 0 },
  pthread_wait_timeout_ocall: { kind: 'served', ret: 0 },
  pthread_wakeup_ocall: { kind: 'served', ret: 0 },
  pthread_create_ocall: { kind: 'refused', why: 'emon runs each enclave on one TCS and cannot start another enclave thread' },
};

/**
 * The "emon_ocall" import for standard OCALL `f`, or null when `f` is not one. Its signature is the OCALL
 * gate's, `(retval_ptr?, ...params) -> status`; the result (when the OCALL returns one) is written at retval_ptr.
 */
export function stdOcall(f: EdlFunction, c: GateContext): ((...args: number[]) => number) | null {
  const b = STD_OCALLS[f.name];
  if (!b) return null;
  const hasRet = f.ret.base !== 'void' || f.ret.pointer;
  if (b.kind === 'refused') {
    return () => {
      c.onReject?.(new EmonError('E_OCALL_UNAVAILABLE', `${c.track}: OCALL ${f.name} is unavailable: ${b.why}`, { hint: 'avoid this call in a Wasm enclave, or export a handler of that name from the guest' }));
      return EUNSPEC;
    };
  }
  return (...args: number[]) => {
    if (c.lost) return EINVAL;
    if (c.trace !== null) c.trace.record({ kind: 'ocall', name: f.name, track: c.track, start: performance.now(), dur: 0, bytes: 0 });
    if (!hasRet) return OK;
    const rp = (args[0] ?? 0) >>> 0;
    if (rp === 0) return OK;
    if (c.e8.length === 0 && !c.refreshE()) return EINVAL;
    if (rp + 4 > c.e8.length) return c.reject('E_GATE_BOUNDS', f.name, 'retval', rp, 4);
    c.edv.setInt32(rp, b.ret, true);
    return OK;
  };
}
