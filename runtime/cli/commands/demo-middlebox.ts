/**
 * The demo's middlebox step: a firewall enclave on the pong guest's NIC (`--net:service=switch:sw0,middlebox=
 * build/enclaves/middlebox.wasm,rules=fw.sealed`). The rules are sealed to the enclave first; then the ping
 * guest's frames pass until one carries a pattern the enclave drops, and the counters are read through the
 * enclave's interface. Before that, two UDP flows are pushed through the same enclave from the monitor's side
 * to show the 5-tuple rules and connection tracking.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runGuests } from '../../monitor/supervisor.js';
import { buildDir } from '../../paths.js';
import type { DemoStep } from './demo.js';

const RULES = `default deny
allow ether 0x88b5          # the ping-pong protocol (an experimental ethertype)
allow out udp to 10.0.0.3:53
deny out tcp to :23
pattern "ping 2"            # IDS: drop any frame carrying this
`;

/** A UDP or TCP frame, just enough for the demo's flows. */
function ipFrame(proto: number, src: number, sport: number, dst: number, dport: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20);
  const dv = new DataView(f.buffer);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  dv.setUint16(16, proto === 17 ? 28 : 40);
  f[23] = proto;
  dv.setUint32(26, src);
  dv.setUint32(30, dst);
  dv.setUint16(34, sport);
  dv.setUint16(36, dport);
  if (proto === 17) dv.setUint16(38, 8);
  else f[46] = 0x50;
  return f;
}

export const middleboxStep: DemoStep = {
  title: 'middlebox',
  explain: 'A firewall enclave on a guest NIC: sealed 5-tuple rules with connection tracking, and a payload pattern that cuts the ping flow.',
  async run(ctx) {
    // The enclave host and hw modules are loaded here, so the demo's other steps do not pay for them.
    const { loadPlatform } = await import('../../hw/sgx/platform.js');
    const { FROM_GUEST, Middlebox, TO_GUEST } = await import('../../monitor/middlebox.js');
    const { compileRules } = await import('../../monitor/middlebox-rules.js');
    const stateDir = path.join(ctx.tmp, 'platform');
    const enclave = path.join(buildDir, 'enclaves', 'middlebox.wasm');
    const rulesFile = path.join(ctx.tmp, 'fw.rules');
    const sealedFile = path.join(ctx.tmp, 'fw.sealed');
    writeFileSync(rulesFile, RULES);
    console.log(`${RULES.trimEnd().replace(/^/gm, '  | ')}\nemon middlebox seal fw.rules -o fw.sealed`);
    const platform = loadPlatform(stateDir);
    const blob = Middlebox.load(enclave, platform).sealRules(compileRules(RULES, rulesFile), rulesFile);
    writeFileSync(sealedFile, blob);

    // 1. Two flows from the guest and a reply, through the enclave from the monitor's side.
    const mb = Middlebox.load(enclave, platform);
    mb.loadRules(blob, sealedFile);
    const passed = new Set<Uint8Array>();
    mb.forward = (f) => passed.add(f);
    const g = 0x0a000002;
    const s = 0x0a000003;
    const frames: Array<[string, Uint8Array, number]> = [
      ['guest 10.0.0.2:40000 -> 10.0.0.3:53 udp', ipFrame(17, g, 40000, s, 53), FROM_GUEST],
      ['reply 10.0.0.3:53 -> 10.0.0.2:40000 udp', ipFrame(17, s, 53, g, 40000), TO_GUEST],
      ['guest 10.0.0.2:40001 -> 10.0.0.3:23 tcp', ipFrame(6, g, 40001, s, 23), FROM_GUEST],
      ['probe 10.0.0.3:9999 -> 10.0.0.2:22 tcp', ipFrame(6, s, 9999, g, 22), TO_GUEST],
    ];
    for (const [, f, d] of frames) mb.push(f, d);
    mb.flush();
    for (const [what, f] of frames) console.log(`  ${what}: ${passed.has(f) ? 'passed' : 'DROPPED'}`);
    const flowsOk = frames.map(([, f]) => passed.has(f)).join() === 'true,true,false,false';

    // 2. The ping guest's frames reach the pong guest through the enclave until "ping 2".
    const net = `switch:sw0,middlebox=${enclave},rules=${sealedFile}`;
    console.log(`emon run --guest --net:service=${net.replace(buildDir, 'build').replace(ctx.tmp + '/', '')} build/guests/net-pong.wasm 3 \\\n         --guest --net:service=switch:sw0 build/guests/net-ping.wasm 4`);
    const lines: string[] = [];
    const results = await runGuests(
      [ctx.launch(ctx.guest('net-pong'), { attachments: new Map([['net', new Map([['service', net]])]]), cmdline: '3' }),
        ctx.launch(ctx.guest('net-ping'), { attachments: new Map([['net', new Map([['service', 'switch:sw0']])]]), cmdline: '4' })],
      { options: { stateDir }, timeoutS: 20, log: (l) => (lines.push(l), console.log(l)) },
    );
    const report = lines.find((l) => l.includes('middlebox:')) ?? '';
    // ping 2 is dropped, so the ping guest gives up (status 1) and the pong guest answered 2 before going idle.
    return flowsOk && results[0]!.status === 0 && results[1]!.status === 1 && /dropped 0 by rule, 1 by pattern/.test(report);
  },
};
