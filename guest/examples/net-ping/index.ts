// net-ping: sends "ping N" frames on the "service" NIC (the first broadcast, then to the MAC that answered),
// waits for each "pong N" with solo5_yield, prints round-trip times, and finally tells the peer to quit.
// Command line: the number of pings (default 5).
import { cmdline, monotonic, NetDevice, puts, yieldUntil, macToString } from "../../as/index";
import { setBroadcast, ETHERTYPE_EXPERIMENTAL, ethertypeOf, isFor, payloadOf, setHeader, setPayload, sourceOf } from "../../as/ether";

const TIMEOUT_NS: u64 = 2_000_000_000;

export function solo5_app_main(startInfo: usize): i32 {
  const nic = NetDevice.acquire("service");
  if (nic === null) {
    puts("ping: cannot acquire 'service'");
    return 1;
  }
  const args = cmdline(startInfo);
  const count = args.length > 0 ? I32.parseInt(args) : 5;
  puts("ping: MAC " + macToString(nic.mac) + ", MTU " + nic.mtu.toString() + ", " + count.toString() + " pings");
  const out = new Uint8Array(1514);
  const inb = new Uint8Array(1514);
  const peer = new Uint8Array(6);
  setBroadcast(peer);
  for (let i = 0; i < count; i++) {
    setHeader(out, peer, nic.mac, ETHERTYPE_EXPERIMENTAL);
    const t0 = monotonic();
    nic.write(out, setPayload(out, "ping " + i.toString()));
    const expect = "pong " + i.toString();
    let answered = false;
    while (!answered) {
      const ready = yieldUntil(t0 + TIMEOUT_NS);
      if (!nic.isReady(ready)) {
        puts("ping: no answer to ping " + i.toString() + " within 2 s");
        return 1;
      }
      let len = nic.read(inb);
      while (len > 0) {
        if (ethertypeOf(inb) == ETHERTYPE_EXPERIMENTAL && isFor(inb, nic.mac) && payloadOf(inb, len) == expect) {
          sourceOf(inb, peer);
          answered = true;
        }
        len = nic.read(inb);
      }
    }
    puts("ping: " + expect + " from " + macToString(peer) + " in " + ((monotonic() - t0) / 1000).toString() + " us");
  }
  setHeader(out, peer, nic.mac, ETHERTYPE_EXPERIMENTAL);
  nic.write(out, setPayload(out, "quit"));
  puts("SUCCESS");
  return 0;
}
