// A unikernel using an enclave's struct interface (enclaves/edltypes/edltypes.edl): it lays out a 64-byte
// rec64_t at the offsets the generated stubs state, passes it by pointer and by value, sends a 2-D array and a
// deep-copied msg_t, gets an [in, out] struct back through an OCALL, and sees CPUID refused. Exit status 0
// when every value crossed intact.
import { puts } from "../../as/index";
import { edltypes_open, make_rec, take_rec, take_rec_value, take_grid, take_msg, bump_rec, cpuid_probe, rec64_t_layout, msg_t_layout, kind_t } from "./generated/edltypes_u";

const RET: usize = memory.data(8, 8);
const REC: usize = memory.data(64, 8);
const GRID: usize = memory.data(64, 4);
const MSG: usize = memory.data(12, 4);
const DATA: usize = memory.data(16, 4);
let failures = 0;
let seenId: u64 = 0;

function check(what: string, ok: bool): void {
  if (!ok) {
    puts("FAILED: " + what);
    failures++;
  }
}

/** OCALL from bump_rec: the struct arrives in this guest's scratch, laid out as the stubs say. */
export function ocall_rec(r: usize): void {
  seenId = load<u64>(r + rec64_t_layout.OFF_id);
}

/** OCALL returning a struct: written through the result slot the gate passes first. */
export function ocall_make(retval: usize, id: u64): void {
  store<u64>(retval + rec64_t_layout.OFF_id, id * 2);
  store<u8>(retval + rec64_t_layout.OFF_payload + 47, 0xee);
}

export function solo5_app_main(_startInfo: usize): i32 {
  const h = edltypes_open("edltypes");
  if (h < 0) {
    puts("cannot open edltypes: " + (-h).toString());
    return 1;
  }
  store<u64>(REC + rec64_t_layout.OFF_id, 41);
  store<u32>(REC + rec64_t_layout.OFF_flags, 0xf1a9);
  store<u32>(REC + rec64_t_layout.OFF_kind, 0x1234);
  check("take_rec", take_rec(h, RET, REC) == 0 && load<u32>(RET) == 0x1234);
  check("take_rec_value", take_rec_value(h, RET, REC) == 0 && load<u32>(RET) == 0xf1a9);
  for (let i: usize = 0; i < 16; i++) store<u32>(GRID + 4 * i, <u32>i);
  check("take_grid", take_grid(h, RET, GRID) == 0 && load<u32>(RET) == 120);
  store<u32>(MSG + msg_t_layout.OFF_len, 3);
  store<u32>(MSG + msg_t_layout.OFF_data, <u32>DATA);
  store<u8>(DATA, 40);
  check("take_msg", take_msg(h, RET, MSG) == 0 && load<u32>(RET) == 43);
  check("bump_rec", bump_rec(h, RET, REC, kind_t.KIND_SEALED) == 0 && load<u64>(RET) == 42 && load<u64>(REC) == 42);
  check("bump_rec kind", load<u32>(REC + rec64_t_layout.OFF_kind) == 0x5ea1 && seenId == 42);
  const OUT: usize = REC + 0;
  memory.fill(OUT, 0, 64);
  check("make_rec", make_rec(h, OUT, 21) == 0 && load<u64>(OUT) == 42 && load<u32>(OUT + rec64_t_layout.OFF_kind) == 1 && load<u8>(OUT + 63) == 0xee);
  check("cpuid refused", cpuid_probe(h, RET) == 0 && load<i32>(RET) == 3);
  puts(failures == 0 ? "edltypes: structs, arrays and deep copy crossed intact" : "edltypes: " + failures.toString() + " failure(s)");
  return failures == 0 ? 0 : 1;
}
