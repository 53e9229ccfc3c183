// Enclave over EDL user types (edltypes.edl): reads its struct, array and deep-copied inputs at the offsets the
// generated bridge states, and calls one OCALL with a struct and one standard OCALL emon refuses (CPUID).
import { ocall_make, ocall_rec, sgx_oc_cpuidex, rec64_t_layout, msg_t_layout, kind_t } from './generated/edltypes_t';
export { __emon_ms, __emon_ms_size } from './generated/edltypes_t';

const CPU: usize = memory.data(16, 4);

export function take_buf(buf: usize, len: usize): u32 {
  return len > 0 ? <u32>load<u8>(buf) : 0;
}

export function take_rec(r: usize): u32 {
  return load<u32>(r + rec64_t_layout.OFF_kind);
}

export function take_rec_value(r: usize): u32 {
  return load<u32>(r + rec64_t_layout.OFF_flags);
}

export function take_recs(rs: usize, n: usize): u32 {
  return n > 0 ? load<u32>(rs + (n - 1) * rec64_t_layout.SIZE + rec64_t_layout.OFF_kind) : 0;
}

export function take_grid(g: usize): u32 {
  let s: u32 = 0;
  for (let i: usize = 0; i < 16; i++) s += load<u32>(g + 4 * i);
  return s;
}

/** The first data byte plus the length: proves the member buffer was copied in and the pointer rewritten. */
export function take_msg(m: usize): u32 {
  const len = load<u32>(m + msg_t_layout.OFF_len);
  const data = load<u32>(m + msg_t_layout.OFF_data);
  return len > 0 && data != 0 ? <u32>load<u8>(data) + len : 0;
}

export function bump_rec(r: usize, k: i32): u64 {
  store<u64>(r, load<u64>(r) + 1);
  store<u32>(r + rec64_t_layout.OFF_kind, k == kind_t.KIND_SEALED ? 0x5ea1 : 0);
  ocall_rec(r);
  return load<u64>(r);
}

/** emon refuses CPUID in a Wasm enclave: the OCALL's status (3, EUNSPEC). */
export function cpuid_probe(): i32 {
  return sgx_oc_cpuidex(CPU, 0, 0);
}

/** The result arrives through `retval` (the wasm32 C ABI's sret): the guest's ocall_make fills it, the enclave adds its kind. */
export function make_rec(retval: usize, id: u64): void {
  if (ocall_make(retval, id) != 0) return;
  store<u32>(retval + rec64_t_layout.OFF_kind, kind_t.KIND_SEALED);
}
