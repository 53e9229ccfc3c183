// A hostile unikernel: it tries every way it has to reach its enclave's memory — pointers past its own memory,
// wrapping lengths, overlapping buffers, unknown handles and function numbers, private ECALLs, re-entry that
// allow() does not grant — then scans all of its own memory for the enclave's secret. Exit status 0 means every
// attempt was refused and the secret was never seen; the test suite runs it under the real monitor.
import { puts } from "../../as/index";
import { gatetest_open, secret_sum, sum_in, copy_pair, str_len, fill_out, call_out, ping, read_user } from "./generated/gatetest_u";

@external("emon", "ecall")
declare function raw_ecall(handle: i32, fn: i32, frame: usize): i32;

const RET: usize = memory.data(8, 8);
const FRAME: usize = memory.data(64, 8);
const EINVAL: i32 = 2;
const ENOTALLOWED: i32 = 4;
let failures = 0;
let handle: i32 = -1;
let reentryResult: i32 = -1;

function expect(what: string, got: i32, want: i32): void {
  if (got != want) {
    puts("NOT REFUSED: " + what + " gave " + got.toString() + ", expected " + want.toString());
    failures++;
  }
}

export function ocall_tick(depth: i32): i32 {
  // Inside an OCALL: ping is public but not in allow(), so re-entering it must be refused.
  reentryResult = ping(handle, RET);
  return depth;
}
export function ocall_null(): void {}
export function ocall_echo(src: usize, dst: usize, len: usize): void {
  memory.copy(dst, src, len);
}

export function solo5_app_main(_startInfo: usize): i32 {
  handle = gatetest_open("gatetest");
  if (handle < 0) {
    puts("cannot open gatetest: " + (-handle).toString());
    return 1;
  }
  expect("secret_sum", secret_sum(handle, RET), 0);
  const end = <usize>memory.size() << 16;
  expect("[in] past the end of guest memory", sum_in(handle, RET, end - 8, 16), EINVAL);
  expect("[in] at an enclave-sized address", sum_in(handle, RET, 0x7fff0000, 64), EINVAL);
  expect("[in] with a wrapping length", sum_in(handle, RET, 64, <usize>0xfffffff0), EINVAL);
  expect("[out] past the end", fill_out(handle, end - 4, 8, 0x41), EINVAL);
  expect("overlapping [in]/[out]", copy_pair(handle, RET, FRAME, FRAME + 8, 32), EINVAL);
  store<u8>(end - 1, 0x41);
  expect("[string] without NUL at the end of memory", str_len(handle, RET, end - 1), EINVAL);
  expect("unknown function number", raw_ecall(handle, 999, FRAME), EINVAL);
  expect("negative function number", raw_ecall(handle, -1, FRAME), EINVAL);
  expect("unknown handle", raw_ecall(handle + 77, 0, FRAME), EINVAL);
  expect("frame past the end", raw_ecall(handle, 0, end - 4), EINVAL);
  expect("private ECALL from the root", raw_ecall(handle, 10, FRAME), ENOTALLOWED);
  expect("call_out", call_out(handle, RET, 1), 0);
  expect("re-entering a public ECALL not in allow()", reentryResult, ENOTALLOWED);
  expect("user_check beyond guest memory", read_user(handle, RET, end - 2, 8), 0);
  expect("user_check result", load<i32>(RET), -2);

  // Scan everything this guest can address for the enclave's 64-byte 0xA5 secret.
  let run = 0;
  for (let p: usize = 0; p < end; p++) {
    if (load<u8>(p) == 0xa5) {
      run++;
      if (run >= 64) {
        puts("SECRET VISIBLE at " + p.toString());
        failures++;
        break;
      }
    } else run = 0;
  }
  if (failures == 0) puts("probe: every attempt was refused; the enclave secret never appeared in guest memory");
  return failures == 0 ? 0 : 1;
}

