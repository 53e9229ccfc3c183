/**
 * emon's side of the SDK's standard EDLs (enclaves/sdk/edl: sgx_tstdc.edl, sgx_pthread.edl, sgx_tswitchless.edl,
 * sgx_tkey_exchange.edl, sgx_tprotected_fs.edl, sgx_ttls.edl, sgx_dcap_tvl.edl): the OCALLs the Intel SGX SDK's untrusted runtime (urts) serves
 * for every enclave that imports them, and the ECALLs its trusted libraries would link into the enclave. A Wasm
 * enclave runs on one TCS: the thread-event OCALLs have no other thread to wait for or wake and return 0 at
 * once; CPUID, thread creation and the untrusted file system of sgx_tprotected_fs have no meaning there and are
 * refused with a named error (E_OCALL_UNAVAILABLE) and EUNSPEC. A guest that exports a handler of the same name
 * serves the OCALL itself instead; an enclave that exports a standard ECALL implements it itself.
 */
import { EmonError } from '../errors.js';
import { EINVAL, ELOST, EUNSPEC, OK, SLOT } from './abi.js';
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
  ...Object.fromEntries(
    [
      'u_sgxprotectedfs_exclusive_file_open',
      'u_sgxprotectedfs_check_if_file_exists',
      'u_sgxprotectedfs_fread_node',
      'u_sgxprotectedfs_fwrite_node',
      'u_sgxprotectedfs_fclose',
      'u_sgxprotectedfs_fflush',
      'u_sgxprotectedfs_remove',
      'u_sgxprotectedfs_recovery_file_open',
      'u_sgxprotectedfs_fwrite_recovery_node',
      'u_sgxprotectedfs_do_file_recovery',
    ].map((n) => [n, { kind: 'refused', why: 'emon gives enclaves no untrusted host file system for sgx_tprotected_fs (use sealing or a block device, docs/storage.md)' } as Builtin]),
  ),
  ...Object.fromEntries(
    ['sgx_tls_get_qe_target_info_ocall', 'sgx_tls_get_quote_size_ocall', 'sgx_tls_get_quote_ocall', 'sgx_tls_get_supplemental_data_size_ocall', 'sgx_tls_verify_quote_ocall'].map((n) => [
      n,
      { kind: 'refused', why: "emon has no DCAP Quoting Enclave or quote verification library on the host for sgx_ttls (emon's attestation: docs/attestation.md)" } as Builtin,
    ]),
  ),
};

/** The ECALLs of the SDK's trusted libraries that a Wasm enclave does not link, answered by emon when the enclave exports none. */
export const STD_ECALLS: Readonly<Record<string, Builtin>> = {
  sl_init_switchless: { kind: 'served', ret: 0 },
  sl_run_switchless_tworker: { kind: 'refused', why: 'emon runs each enclave on one TCS: there is no switchless worker thread to run' },
  ...Object.fromEntries(
    ['sgx_ra_get_ga', 'sgx_ra_proc_msg2_trusted', 'sgx_ra_get_msg3_trusted'].map((n) => [
      n,
      { kind: 'refused', why: "a Wasm enclave does not link the SDK's key-exchange library (sgx_tkey_exchange): implement and export it in the enclave, or use emon's attestation (docs/attestation.md)" } as Builtin,
    ]),
  ),
  sgx_tvl_verify_qve_report_and_identity: { kind: 'refused', why: "a Wasm enclave does not link the SDK's DCAP verification library (sgx_dcap_tvl) and emon has no QvE (emon's attestation: docs/attestation.md)" },
};

/**
 * emon's answer to standard ECALL `f` the enclave does not export, or null when `f` is not one: `(fp) -> status`
 * like a gate ECALL; a served one writes its int result into frame slot 0, as the gate stores a return value.
 */
export function stdEcall(f: EdlFunction, c: GateContext): ((fp: number) => number) | null {
  const b = STD_ECALLS[f.name];
  if (!b) return null;
  const frame = SLOT * (f.params.length + 1);
  if (b.kind === 'refused') {
    return () => {
      if (c.lost) return ELOST;
      c.onReject?.(new EmonError('E_ECALL_UNAVAILABLE', `${c.track}: ECALL ${f.name} is unavailable: ${b.why}`, { hint: `export ${f.name} from the enclave to implement it` }));
      return EUNSPEC;
    };
  }
  return (fp: number) => {
    if (c.lost) return ELOST;
    if (c.g8.length === 0) c.refreshG();
    fp = fp >>> 0;
    if (fp + frame > c.g8.length) return c.reject('E_GATE_FRAME', f.name, 'frame', fp, frame);
    if (c.trace !== null) c.trace.record({ kind: 'ecall', name: f.name, track: c.track, start: performance.now(), dur: 0, bytes: 0 });
    if (f.ret.base !== 'void' || f.ret.pointer) c.gdv.setInt32(fp, b.ret, true);
    return OK;
  };
}

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
    // As for every OCALL result: inside the enclave's own memory (its virtual size when paged, below the pager's
    // residency map) and through the pager, since the page may be evicted.
    if (rp + 4 > c.eSize()) return c.reject('E_GATE_BOUNDS', f.name, 'retval', rp, 4);
    if (c.access === null) c.edv.setInt32(rp, b.ret, true);
    else {
      c.rdv.setInt32(0, b.ret, true);
      c.access.write(rp, c.r8.subarray(0, 4));
    }
    return OK;
  };
}
