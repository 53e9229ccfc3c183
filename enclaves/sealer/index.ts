// The sealer enclave: the trusted half of the sealing demo (guest/examples/enclave-seal). It never sees the
// block device; the guest stores the blob, and anything the guest or monitor does to it is caught on unseal.
import { seal, unseal } from '../lib/seal';
import { self_report } from '../lib/report';
import { REPORT_ISVSVN, REPORT_SIZE } from '../sdk/sgx';
import { ocall_log } from './generated/sealer_t';
export { __emon_ms, __emon_ms_size } from './generated/sealer_t';

const SELF: usize = memory.data(<i32>REPORT_SIZE, 16);
const MSG_SEALED: usize = memory.data<u8>([0x73, 0x65, 0x61, 0x6c, 0x65, 0x64, 0]); // "sealed"
const MSG_REFUSED: usize = memory.data<u8>([0x75, 0x6e, 0x73, 0x65, 0x61, 0x6c, 0x20, 0x72, 0x65, 0x66, 0x75, 0x73, 0x65, 0x64, 0]); // "unseal refused"

export function seal_data(policy: u32, aad: usize, aadLen: usize, data: usize, len: usize, blob: usize, cap: usize): i32 {
  const n = seal(<u16>policy, aad, aadLen, data, len, blob, cap);
  if (n > 0) ocall_log(MSG_SEALED);
  return n;
}

export function unseal_data(blob: usize, len: usize, data: usize, cap: usize): i32 {
  const n = unseal(blob, len, data, cap);
  if (n < 0) ocall_log(MSG_REFUSED);
  return n;
}

export function isv_svn(): u32 {
  self_report(SELF);
  return <u32>load<u16>(SELF + REPORT_ISVSVN);
}
