// Remote attestation from inside a unikernel: the guest takes the verifier's nonce from its command line, asks
// the quote provider for the quoting enclave's TARGETINFO, has its attester enclave make a key pair and a REPORT
// binding SHA-256(key) || nonce, and turns the REPORT into an SGX quote (as an SGX application calls
// sgx_qe_get_target_info and sgx_qe_get_quote). It prints the quote and the key in hex for the relying party;
// the private key never leaves the enclave.
import { puts, cmdline } from "../../as/index";
import { attester_open, att_evidence } from "./generated/attester_u";

@external("emon_quote", "target_info")
declare function quote_target_info(out: usize): i32;
@external("emon_quote", "get_quote")
declare function quote_get(report: usize, out: usize, cap: u32, lenOut: usize): i32;

const RET: usize = memory.data(8, 8);
const NONCE: usize = memory.data(32, 16);
const TARGET: usize = memory.data(64, 16);
const PUB: usize = memory.data(32, 16);
const REPORT: usize = memory.data(208, 16);
const LEN: usize = memory.data(4, 4);
const CAP: u32 = 8192;
const QUOTE: usize = memory.data(<i32>CAP, 16);

function hex(p: usize, n: usize): string {
  let s = "";
  for (let i: usize = 0; i < n; i++) {
    const b = load<u8>(p + i);
    s += (b < 16 ? "0" : "") + (<u32>b).toString(16);
  }
  return s;
}

function nibble(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function solo5_app_main(startInfo: usize): i32 {
  const arg = cmdline(startInfo).trim();
  if (arg.length != 64) {
    puts("usage: enclave-quote NONCE (64 hex digits)");
    return 2;
  }
  for (let i = 0; i < 32; i++) {
    const hi = nibble(arg.charCodeAt(2 * i)), lo = nibble(arg.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      puts("the nonce must be hex");
      return 2;
    }
    store<u8>(NONCE + <usize>i, <u8>((hi << 4) | lo));
  }
  const h = attester_open("attester");
  if (h < 0) {
    puts("cannot open the attester enclave");
    return 1;
  }
  if (quote_target_info(TARGET) != 0) {
    puts("no quote provider");
    return 1;
  }
  if (att_evidence(h, RET, NONCE, TARGET, PUB, REPORT) != 0 || load<i32>(RET) != 0) {
    puts("the enclave could not make its report");
    return 1;
  }
  const rc = quote_get(REPORT, QUOTE, CAP, LEN);
  if (rc != 0) {
    puts("get_quote failed: " + rc.toString());
    return 1;
  }
  puts("key " + hex(PUB, 32));
  puts("quote " + hex(QUOTE, <usize>load<u32>(LEN)));
  return 0;
}
