// net-pong: answers every "ping N" frame on the "service" NIC with "pong N" to its sender, until a "quit"
// frame arrives or nothing is heard for 10 s (or for as many seconds as the command line says).
import { cmdline, NetDevice, puts, sleep, macToString } from "../../as/index";
import { ETHERTYPE_EXPERIMENTAL, ethertypeOf, payloadOf, setHeader, setPayload, sourceOf } from "../../as/ether";


export function solo5_app_main(startInfo: usize): i32 {
  const nic = NetDevice.acquire("service");
  if (nic === null) {
    puts("pong: cannot acquire 'service'");
    return 1;
  }
  const args = cmdline(startInfo);
  const idleS: u64 = args.length > 0 ? <u64>I32.parseInt(args) : 10;
  puts("pong: MAC " + macToString(nic.mac) + ", waiting for pings");
  const inb = new Uint8Array(1514);
  const out = new Uint8Array(1514);
  const peer = new Uint8Array(6);
  let answered = 0;
  while (true) {
    if (!nic.isReady(sleep(idleS * 1_000_000_000))) {
      puts("pong: idle for " + idleS.toString() + " s, answered " + answered.toString());
      return answered > 0 ? 0 : 1;
    }
    let len = nic.read(inb);
    while (len > 0) {
      if (ethertypeOf(inb) == ETHERTYPE_EXPERIMENTAL) {
        const msg = payloadOf(inb, len);
        if (msg == "quit") {
          puts("pong: answered " + answered.toString() + " pings, quitting");
          return 0;
        }
        if (msg.startsWith("ping ")) {
          sourceOf(inb, peer);
          setHeader(out, peer, nic.mac, ETHERTYPE_EXPERIMENTAL);
          nic.write(out, setPayload(out, "pong " + msg.substring(5)));
          answered++;
        }
      }
      len = nic.read(inb);
    }
  }
  return 0;
}
