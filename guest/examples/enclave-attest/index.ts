// Local attestation example: two enclaves of one unikernel (alice, bob) prove to each other that they run on
// this platform under the same signer and agree a session key, with the guest as an untrusted courier. Alice
// then sends Bob a fresh data key under that session key; both MAC the same message with it and the guest
// compares the tags: equal tags, yet the guest never held the key. A tampered handshake message is refused.
import { puts } from "../../as/index";
import { attest_open, la_start, la_respond, la_finish, la_confirm, la_send_key, la_receive_key, la_tag, la_peer } from "./generated/attest_u";

const RET: usize = memory.data(8, 8);

function hex(p: usize, n: usize): string {
  let s = "";
  for (let i: usize = 0; i < n; i++) {
    const b = load<u8>(p + i);
    s += (b < 16 ? "0" : "") + (<u32>b).toString(16);
  }
  return s;
}

/** Runs an ECALL result check: the gate status must be 0 and the enclave's result `want`. */
function ok(what: string, status: i32, want: i32): bool {
  const r = load<i32>(RET);
  if (status != 0 || r != want) {
    puts(what + ": status " + status.toString() + ", result " + r.toString());
    return false;
  }
  return true;
}

export function solo5_app_main(_startInfo: usize): i32 {
  const alice = attest_open("alice");
  const bob = attest_open("bob");
  if (alice < 0 || bob < 0) {
    puts("cannot open the enclaves");
    return 1;
  }
  const msg1 = memory.data(96, 16);
  const msg2 = memory.data(304, 16);
  const msg3 = memory.data(208, 16);
  const box = memory.data(60, 16);
  const tagA = memory.data(32, 16);
  const tagB = memory.data(32, 16);
  const peer = memory.data(32, 16);

  // A courier that flips one bit of Bob's report is caught by Alice.
  if (!ok("alice start", la_start(alice, RET, msg1), 0)) return 1;
  if (!ok("bob respond", la_respond(bob, RET, msg1, msg2), 0)) return 1;
  store<u8>(msg2 + 100, load<u8>(msg2 + 100) ^ 1);
  if (!ok("alice refuses a tampered report", la_finish(alice, RET, msg2, msg3), -2)) return 1;
  puts("alice refused a tampered report from bob (as she should)");

  // The honest run.
  if (!ok("alice start", la_start(alice, RET, msg1), 0)) return 1;
  if (!ok("bob respond", la_respond(bob, RET, msg1, msg2), 0)) return 1;
  if (!ok("alice finish", la_finish(alice, RET, msg2, msg3), 0)) return 1;
  if (!ok("bob confirm", la_confirm(bob, RET, msg3), 0)) return 1;
  la_peer(alice, RET, peer);
  puts("alice attested bob:  MRENCLAVE " + hex(peer, 32));
  la_peer(bob, RET, peer);
  puts("bob attested alice:  MRENCLAVE " + hex(peer, 32));

  if (!ok("alice send key", la_send_key(alice, RET, box), 0)) return 1;
  if (!ok("bob receive key", la_receive_key(bob, RET, box), 0)) return 1;
  const msg = String.UTF8.encode("hello from the untrusted guest");
  la_tag(alice, RET, changetype<usize>(msg), <usize>msg.byteLength, tagA);
  la_tag(bob, RET, changetype<usize>(msg), <usize>msg.byteLength, tagB);
  const same = memory.compare(tagA, tagB, 32) == 0;
  puts("shared data key: HMAC tags " + (same ? "match" : "DIFFER") + " (" + hex(tagA, 8) + "...), the guest never saw the key");
  return same ? 0 : 1;
}
