/**
 * The network path with and without a middlebox enclave (issue 17): frames of 64, 512 and 1500 B forwarded by
 * the monitor's Ethernet switch (runtime/monitor/switch.ts) to a guest NIC's receive queue, on the supervisor's
 * thread where the switch and the middlebox run: no middlebox; the middlebox with one ECALL per frame (batch=1);
 * the middlebox with 32 frames per ECALL; each middlebox case also with the modeled SGX ECALL cost spun at each
 * transition (`-emulated`, what --emulate-cost does). The middlebox runs its real rules (conntrack hit, pattern
 * scan over the payload). Cases report ns per frame; frames/s is 1e9 / that. Beside each, the modeled SGX cycles
 * per frame (ECALL cost / frames per ECALL; Weisse et al., HotCalls, ISCA 2017, via runtime/hw/cost). Target:
 * batched 64 B frames at >= 50% of the no-middlebox rate, i.e. at most 2x its time per frame. extra() measures
 * per-frame latency (median, p99) from push to delivery, which for the batched case includes waiting for the
 * batch to fill in a burst.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { EmonError } from '../../runtime/errors.js';
import { modeledCycles } from '../../runtime/hw/cost/model.js';
import { loadPlatform, type PlatformSecrets } from '../../runtime/hw/sgx/platform.js';
import { FROM_GUEST, Middlebox } from '../../runtime/monitor/middlebox.js';
import { compileRules } from '../../runtime/monitor/middlebox-rules.js';
import { EthernetSwitch, type Endpoint } from '../../runtime/monitor/switch.js';
import { createWake, WAKE_CONSUMED } from '../../runtime/monitor/wake.js';
import { buildDir, projectRoot } from '../../runtime/paths.js';
import type { BenchCase, BenchSuite } from '../suite.js';

const SIZES = [64, 512, 1500] as const;
const BATCH = 32;
const RULES = 'default deny\nallow ether 0x0806\nallow udp from 10.0.0.0/24 to 10.0.0.0/24\npattern "attack"\npattern "exploit"\npattern hex:deadbeef';

/** A UDP frame of `size` bytes from 10.0.0.2:40000 to 10.0.0.3:7 (to the MAC of `to`). */
function udpFrame(size: number, to: Uint8Array, from: Uint8Array): Uint8Array {
  const f = new Uint8Array(size);
  const dv = new DataView(f.buffer);
  f.set(to, 0);
  f.set(from, 6);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  dv.setUint16(16, size - 14);
  f[23] = 17;
  dv.setUint32(26, 0x0a000002);
  dv.setUint32(30, 0x0a000003);
  dv.setUint16(34, 40000);
  dv.setUint16(36, 7);
  dv.setUint16(38, size - 34);
  for (let i = 42; i < size; i++) f[i] = 97 + (i % 23);
  return f;
}

interface Path {
  /** Sends one frame from the sending guest's side; it is delivered (and drained) on the other. */
  send(frame: Uint8Array): void;
  /** Pushes out what a batch still holds. */
  finish(): void;
  /** Frames delivered so far. */
  delivered(): number;
}

function makePath(platform: PlatformSecrets | null, rules: Uint8Array | null, batch: number, emulateCost: boolean): { path: Path; frame: (size: number) => Uint8Array } {
  const sw = new EthernetSwitch('bench');
  const mac = (n: number) => new Uint8Array([2, 0, 0, 0, 0, n]);
  const a = new MessageChannel();
  const b = new MessageChannel();
  const sender: Endpoint = { guest: 'a', device: 'nic', port: a.port1, wake: createWake(), handle: 1, mac: mac(1) };
  const receiver: Endpoint = { guest: 'b', device: 'nic', port: b.port1, wake: createWake(), handle: 1, mac: mac(2) };
  // Only the receiver is attached as a port; frames are handed to forward() directly, as its message handler does.
  sw.attach(receiver);
  receiver.port.unref(); // the switch's listener must not keep the process alive after the run
  let delivered = 0;
  const drain = (): void => {
    while (receiveMessageOnPort(b.port2) !== undefined) {
      Atomics.add(receiver.wake, WAKE_CONSUMED + 1, 1);
      delivered++;
    }
  };
  let send: (f: Uint8Array) => void;
  let finish = (): void => {};
  if (platform === null) {
    send = (f) => {
      sw.forward(sender, f);
      drain();
    };
  } else {
    const mb = Middlebox.load(path.join(buildDir, 'enclaves', 'middlebox.wasm'), platform, { batch, emulateCost });
    mb.loadRules(mb.sealRules(rules!, 'bench rules'), 'bench rules');
    mb.forward = (f) => {
      sw.forward(sender, f);
      drain();
    };
    send = (f) => mb.push(f, FROM_GUEST);
    finish = () => {
      mb.flush();
      if (mb.failed !== null) throw new EmonError('E_BENCH', `the middlebox failed: ${mb.failed}`);
    };
  }
  return { path: { send, finish, delivered: () => delivered }, frame: (size) => udpFrame(size, receiver.mac, sender.mac) };
}

const CONFIGS = [
  { name: 'switch', batch: 0, emulate: false },
  { name: 'mb-ecall', batch: 1, emulate: false },
  { name: 'mb-batched', batch: BATCH, emulate: false },
  { name: 'mb-ecall-emulated', batch: 1, emulate: true },
  { name: 'mb-batched-emulated', batch: BATCH, emulate: true },
] as const;

let platform: PlatformSecrets | null = null;
let rules: Uint8Array | null = null;

export const suite: BenchSuite = {
  name: 'net',
  description: 'frames through the switch to a guest NIC: no middlebox, middlebox ECALL per frame, batched (32), with modeled ECALL cost',
  async setup() {
    if (!existsSync(path.join(buildDir, 'enclaves', 'middlebox.wasm'))) {
      throw new EmonError('E_BENCH', `${path.relative(projectRoot, path.join(buildDir, 'enclaves', 'middlebox.wasm'))} is missing`, { hint: 'run `npm run build` first' });
    }
    platform = loadPlatform(mkdtempSync(path.join(tmpdir(), 'emon-bench-net-')));
    rules = compileRules(RULES, 'bench rules');
    const ecall = modeledCycles('sgx', 'ecall') ?? 0;
    const cases: BenchCase[] = [];
    for (const size of SIZES) {
      for (const c of CONFIGS) {
        const { path: p, frame } = makePath(c.batch === 0 ? null : platform, rules, c.batch, c.emulate);
        const f = frame(size);
        cases.push({
          name: `${c.name}/${size}`,
          bytes: size,
          run(n) {
            const before = p.delivered();
            for (let i = 0; i < n; i++) p.send(f);
            p.finish();
            if (p.delivered() - before !== n) throw new EmonError('E_BENCH', `${c.name}/${size}: ${p.delivered() - before} of ${n} frames delivered`);
          },
          params: { size, path: c.name },
          ...(c.batch > 0 ? { modeledCycles: { sgx: Math.round(ecall / c.batch) }, baselines: [`switch/${size}`] } : {}),
          ...(c.name === 'mb-batched' && size === 64 ? { target: { against: 'switch/64', ratio: 2 } } : {}),
        });
      }
    }
    return cases;
  },
  async extra(ctx) {
    // Per-frame latency, push to delivery, over bursts: median and p99 in ns.
    const out: Record<string, { median: number; p99: number }> = {};
    const frames = ctx.quick ? 256 : 4096;
    for (const size of SIZES) {
      for (const c of CONFIGS) {
        const { path: p, frame } = makePath(c.batch === 0 ? null : platform, rules, c.batch, c.emulate);
        const f = frame(size);
        const sent: bigint[] = [];
        const lat: number[] = [];
        let seen = p.delivered();
        const note = (): void => {
          const now = process.hrtime.bigint();
          while (seen < p.delivered()) lat.push(Number(now - sent[seen++]!));
        };
        for (let i = 0; i < frames; i++) {
          sent.push(process.hrtime.bigint());
          p.send(f);
          note();
        }
        p.finish();
        note();
        lat.sort((x, y) => x - y);
        out[`${c.name}/${size}`] = { median: lat[lat.length >> 1]!, p99: lat[Math.floor(lat.length * 0.99)]! };
      }
    }
    return { latencyNs: out };
  },
};
