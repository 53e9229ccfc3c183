/**
 * `hostnet` (issue 12): the network path from the host to a guest on a TAP interface, measured with the
 * kernel's own ping as Solo5's figures are: `ping -f` (flood: the next echo leaves when the last one is back)
 * of 10,000 echoes against the ping-serve example for the echo rate and loss, and `ping -A` (adaptive, one
 * echo in flight, every RTT printed) for the RTT median and p99. Everything runs in a network namespace made
 * for the run (../netns.ts). The same-run floor is the same pings to the namespace's own TAP address, which
 * the kernel answers itself; a native Solo5 tender (solo5-spt with test_ping_serve.spt, found on PATH or
 * through EMON_SOLO5_PING_SERVE) is measured the same way when installed. Skipped, with the reason, where TAP
 * interfaces are not allowed. The run also measures the two designs emon's TAP addon was chosen over, on the
 * same TAP: a C helper that does only TUNSETIFF on emon's descriptor, after which emon moves frames with Node's
 * fs calls (EMON_TUN_HELPER, runtime/monitor/tap-helper.ts; needs clang), and a helper process relaying frames
 * between the TAP and emon (socat into emon's UDP tunnel; needs socat).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { BenchCase, BenchSuite, SuiteContext } from '../suite.js';
import { buildTunHelper, hostNetUnavailable, NetNs, parsePing, PING_SERVE, TUN_HELPER, type NsProcess } from '../netns.js';
import { TUN_ADDON_PATH, tunAddon } from '../../runtime/monitor/tun.js';

export interface PingFigures {
  readonly target: string;
  /** Echoes per flood run, and echoes lost over all its runs. */
  readonly echoes: number;
  readonly lost: number;
  /** Echoes answered per second under flood, and frames per second through the NIC (request + reply). */
  readonly echoesPerS: number;
  readonly framesPerS: number;
  readonly floodAvgRttMs: number;
  readonly rttMedianMs: number;
  readonly rttP99Ms: number;
}

let figures: Record<string, unknown> = {};
let probeFd = -1;

/**
 * The one per-call cost of the TAP path that can be timed in this process without a TAP of its own: the
 * readiness check every yield makes (the addon's poll() with a zero timeout), on an unattached /dev/net/tun
 * descriptor, which the kernel answers at once.
 */
function readinessCase(): BenchCase[] {
  if (process.platform !== 'linux' || !existsSync(TUN_ADDON_PATH) || !existsSync('/dev/net/tun')) return [];
  const tun = tunAddon();
  probeFd = tun.openTun();
  if (probeFd < 0) return [];
  const fds = Int32Array.of(probeFd);
  let acc = 0;
  return [{
    name: 'tap/poll-ready-check',
    run(n) {
      for (let i = 0; i < n; i++) acc += tun.poll(fds, 0);
      if (acc === -1) console.log(acc);
    },
  }];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Flood runs per target; the one with the median rate is reported (a shared machine has noisy neighbours). */
const FLOODS = 3;

function measure(ns: NetNs, target: string, addr: string, count: number): PingFigures {
  ns.try('ping', '-f', '-q', '-c', String(count), addr); // warm up: JIT, caches, ARP
  const floods = [];
  for (let i = 0; i < FLOODS; i++) {
    const flood = ns.try('ping', '-f', '-q', '-c', String(count), addr);
    const r = parsePing(flood.stdout);
    if (r === null) throw new Error(`ping -f ${addr} (${target}) printed no summary: ${flood.stderr.trim()}`);
    floods.push(r);
  }
  floods.sort((a, b) => a.timeMs - b.timeMs);
  const f = floods[FLOODS >> 1]!;
  const lost = floods.reduce((n, r) => n + r.sent - r.received, 0);
  const adaptive = ns.try('ping', '-A', '-c', String(count), addr);
  const rtts = [...adaptive.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  // ping -f reports its elapsed time in whole ms; a 0 ms run is below its resolution, not infinitely fast.
  const seconds = Math.max(f.timeMs, 1) / 1000;
  return {
    target,
    echoes: f.sent,
    lost,
    echoesPerS: Math.round(f.received / seconds),
    framesPerS: Math.round((2 * f.received) / seconds),
    floodAvgRttMs: f.avgMs,
    rttMedianMs: percentile(rtts, 50),
    rttP99Ms: percentile(rtts, 99),
  };
}

function line(p: PingFigures, floor: PingFigures): string {
  return `bench: hostnet ${p.target.padEnd(10)} ${p.echoes} echoes, ${p.lost} lost, ${p.echoesPerS} echoes/s (${p.framesPerS} frames/s, ${(p.echoesPerS / floor.echoesPerS).toFixed(2)}x floor), RTT avg ${p.floodAvgRttMs.toFixed(3)} ms under flood, median ${p.rttMedianMs.toFixed(3)} ms, p99 ${p.rttP99Ms.toFixed(3)} ms (${(p.rttMedianMs / floor.rttMedianMs).toFixed(1)}x floor)`;
}

/** A native Solo5 responder to compare with, [tender, kernel], or exactly why there is none. */
export function solo5PingServe(env: NodeJS.ProcessEnv = process.env): [string, string] | string {
  const kernel = env['EMON_SOLO5_PING_SERVE'];
  const tender = spawnSync('which', ['solo5-spt'], { encoding: 'utf8', env }).stdout.trim();
  const build = 'Solo5 is not packaged by Debian: build it from github.com/Solo5/solo5, put solo5-spt on PATH and set EMON_SOLO5_PING_SERVE to its tests/test_ping_serve/test_ping_serve.spt';
  if (tender === '') return `not measured: no solo5-spt on PATH (${build})`;
  if (kernel === undefined || kernel === '') return `not measured: EMON_SOLO5_PING_SERVE is not set (${build})`;
  if (!existsSync(kernel)) return `not measured: EMON_SOLO5_PING_SERVE=${kernel} does not exist`;
  return [tender, kernel];
}

async function guestRun(ns: NetNs, proc: NsProcess, addr: string, what: string): Promise<void> {
  if (!(await ns.waitForPing(addr))) throw new Error(`${what} did not answer ping: ${proc.stderr.trim()}`);
}

export const suite: BenchSuite = {
  name: 'hostnet',
  description: 'ping -f / ping -A from the host to the ping-serve guest on a TAP, against the kernel answering itself',
  async setup(ctx: SuiteContext): Promise<BenchCase[]> {
    figures = {};
    const why = hostNetUnavailable();
    if (why !== null) {
      console.log(`bench: hostnet skipped: ${why}`);
      figures = { skipped: why };
      return readinessCase();
    }
    const count = ctx.quick ? 2000 : 10_000;
    const ns = new NetNs('bench');
    try {
      ns.addTap('tap0', '10.0.0.1/24');
      const floor = measure(ns, 'floor', '10.0.0.1', count);
      const emon = ns.emon(['--net:service=tap0', PING_SERVE, '--', '10.0.0.2']);
      await guestRun(ns, emon, '10.0.0.2', 'emon ping-serve');
      const guest = measure(ns, 'emon', '10.0.0.2', count);
      emon.child.kill('SIGKILL');
      await emon.exited;
      // A C helper that only does TUNSETIFF, on the same TAP (now free): frames then go through Node's fs calls.
      let helper: PingFigures | string;
      const noHelper = buildTunHelper();
      if (noHelper !== null) helper = `not measured: ${noHelper}`;
      else {
        const viaHelper = ns.emon(['--net:service=tap0', PING_SERVE, '--', '10.0.0.2'], { ...process.env, EMON_TUN_HELPER: TUN_HELPER });
        await guestRun(ns, viaHelper, '10.0.0.2', 'emon ping-serve through the TUNSETIFF helper');
        helper = measure(ns, 'helper', '10.0.0.2', count);
        viaHelper.child.kill('SIGKILL');
        await viaHelper.exited;
      }
      // The other way to reach a TAP: a helper process relaying frames between the TAP and emon over a socket
      // (socat here, into emon's UDP tunnel), which adds a process and a thread hop to every frame.
      let relay: PingFigures | string = 'not measured: socat not installed';
      if (spawnSync('which', ['socat'], { stdio: 'ignore' }).status === 0) {
        const viaUdp = ns.emon(['--net:service=udp:47001:127.0.0.1:47002', PING_SERVE, '--', '10.0.1.2']);
        await new Promise((r) => setTimeout(r, 500));
        const sock = ns.spawn(['socat', 'TUN:10.0.1.1/24,tun-type=tap,tun-name=tap1,iff-up,iff-no-pi', 'UDP-DATAGRAM:127.0.0.1:47001,bind=127.0.0.1:47002']);
        await guestRun(ns, viaUdp, '10.0.1.2', 'emon ping-serve behind socat');
        relay = measure(ns, 'relay', '10.0.1.2', count);
        viaUdp.child.kill('SIGKILL');
        sock.child.kill('SIGKILL');
        await viaUdp.exited;
      }
      let solo5: PingFigures | string;
      const native = solo5PingServe();
      if (typeof native === 'string') solo5 = native;
      else {
        const spt = ns.spawn([native[0], '--net:service0=tap0', native[1]]);
        await guestRun(ns, spt, '10.0.0.2', 'solo5-spt test_ping_serve');
        solo5 = measure(ns, 'solo5-spt', '10.0.0.2', count);
        spt.child.kill('SIGKILL');
      }
      for (const p of [floor, guest, helper, relay, solo5]) {
        if (typeof p !== 'string') console.log(line(p, floor));
      }
      if (typeof helper === 'string') console.log(`bench: hostnet helper     ${helper}`);
      if (typeof relay === 'string') console.log(`bench: hostnet relay      ${relay}`);
      if (typeof solo5 === 'string') console.log(`bench: hostnet solo5-spt  ${solo5}`);
      figures = {
        floor,
        emon: guest,
        helper,
        relay,
        solo5,
        ratios: {
          rttMedianVsFloor: guest.rttMedianMs / floor.rttMedianMs,
          echoRateVsFloor: guest.echoesPerS / floor.echoesPerS,
          ...(typeof helper === 'string' ? {} : { helperRttMedianVsEmon: helper.rttMedianMs / guest.rttMedianMs, helperEchoRateVsEmon: helper.echoesPerS / guest.echoesPerS }),
          ...(typeof relay === 'string' ? {} : { relayRttMedianVsEmon: relay.rttMedianMs / guest.rttMedianMs, relayEchoRateVsEmon: relay.echoesPerS / guest.echoesPerS }),
          ...(typeof solo5 === 'string' ? {} : { avgRttVsSolo5: guest.floodAvgRttMs / solo5.floodAvgRttMs, echoRateVsSolo5: guest.echoesPerS / solo5.echoesPerS }),
        },
      };
    } finally {
      ns.destroy();
    }
    return readinessCase();
  },
  async teardown() {
    if (probeFd >= 0) tunAddon().close(probeFd);
    probeFd = -1;
  },
  async extra() {
    return figures;
  },
};
