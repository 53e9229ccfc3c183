// Test enclave for the gate: one ECALL per EDL attribute kind, OCALLs with [in]/[out] buffers, re-entry through
// allow(), a secret the guest must never reach, and a deliberate trap. Also the subject of the transitions bench.
import { ocall_echo, ocall_null, ocall_tick } from './generated/gatetest_t';
import { read_untrusted } from '../sdk/sgx';
import { x25519 as dh } from '../sdk/x25519';
export { __emon_ms, __emon_ms_size } from './generated/gatetest_t';

// 64 secret bytes 0xA5: tests scan for this pattern in guest memory.
const SECRET: usize = memory.data(64, 16);
const BUF: usize = memory.data(65536, 16);
const RET: usize = memory.data(8, 8);
let initialised = false;

function init(): void {
  if (!initialised) {
    memory.fill(SECRET, 0xa5, 64);
    initialised = true;
  }
}

export function ping(): i32 {
  return 0;
}

export function sum_in(buf: usize, len: usize): u32 {
  let s: u32 = 0;
  for (let i: usize = 0; i < len; i++) s += load<u8>(buf + i);
  return s;
}

export function fill_out(buf: usize, len: usize, v: u8): void {
  memory.fill(buf, v, len);
}

export function bump_inout(buf: usize, len: usize): u32 {
  for (let i: usize = 0; i < len; i++) store<u8>(buf + i, load<u8>(buf + i) + 1);
  return <u32>len;
}

export function str_len(s: usize): u32 {
  let n: u32 = 0;
  while (load<u8>(s + n) != 0) n++;
  return n;
}

export function scalars(a: i8, b: u16, c: i64, d: f64, e: f32): i64 {
  return <i64>a * 1000000 + <i64>b * 1000 + c + <i64>(d * 10) + <i64>(e * 100);
}

export function sum_words(xs: usize, n: usize): u32 {
  let s: u32 = 0;
  for (let i: usize = 0; i < n; i++) s += load<u32>(xs + i * 4);
  return s;
}

export function copy_pair(src: usize, dst: usize, len: usize): u32 {
  memory.copy(dst, src, len);
  return <u32>len;
}

export function read_user(p: usize, len: usize): i32 {
  if (len > 65536) return -1;
  if (read_untrusted(p, len, BUF) != 0) return -2;
  let s: i32 = 0;
  for (let i: usize = 0; i < len; i++) s += load<u8>(BUF + i);
  return s;
}

/** OCALL ocall_tick(depth); the guest may re-enter `reentered` while it runs. Returns the guest's answer. */
export function call_out(depth: i32): i32 {
  const st = ocall_tick(RET, depth);
  if (st != 0) return -1000 - st;
  return load<i32>(RET);
}

export function reentered(x: i32): i32 {
  return x * 2;
}

export function null_ocalls(n: u32): i32 {
  for (let i: u32 = 0; i < n; i++) {
    if (ocall_null() != 0) return -1;
  }
  return 0;
}

/** Sends `len` bytes through the guest and checks they come back unchanged (the OCALL gate in both directions). */
export function echo_via_guest(len: u32): i32 {
  if (len > 16384) return -1;
  for (let i: u32 = 0; i < len; i++) store<u8>(BUF + i, <u8>(i * 7 + 3));
  const st = ocall_echo(BUF, BUF + 16384, len);
  if (st != 0) return -1000 - st;
  for (let i: u32 = 0; i < len; i++) if (load<u8>(BUF + 16384 + i) != <u8>(i * 7 + 3)) return -2;
  return <i32>len;
}

export function secret_sum(): u32 {
  init();
  let s: u32 = 0;
  for (let i: usize = 0; i < 64; i++) s += load<u8>(SECRET + i);
  return s;
}

export function crash(): i32 {
  unreachable();
  return 0;
}

export function take_in(buf: usize, len: usize): void {}

export function take_inout(buf: usize, len: usize): void {}

export function x25519(scalar: usize, u: usize, out: usize): void {
  dh(out, scalar, u);
}
