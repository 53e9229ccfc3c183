/**
 * A shared fleet worker for the `fleet` bench suite (bench/suites/fleet.ts): the same scheduler a fleet worker
 * runs (runtime/monitor/scheduler.ts) on a thread of its own, as in a fleet. Two measurements: one probe guest
 * that times its own hypercalls among idle neighbours, with the same-run floor (bench/floor.ts) timed on this
 * thread too, so the hypercall cost inside a shared worker is a ratio taken on the thread that pays it; and the
 * wake-up lateness of many sleeping guests, away from the runner's heap and its collector.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nullConsole, type ConsoleSink } from '../../runtime/monitor/console.js';
import { parseManifest } from '../../runtime/monitor/manifest.js';
import { Scheduler, type ScheduledGuest } from '../../runtime/monitor/scheduler.js';
import { floorCases, FLOOR_CASE } from '../floor.js';
import type { MonitorExtension } from '../../runtime/monitor/extension.js';
import type { RunOptions } from '../../runtime/monitor/guest.js';

export type ProbeInit = HypercallProbe | LatenessProbe | BareProbe;

/**
 * The host's own oversleep, beside a lateness probe: a thread with no guests that sleeps with Atomics.wait
 * for `ms` ms at a time (cycling through the list) until `durationMs` has passed, as the scheduler's loop
 * sleeps, so a reader can tell the machine's stalls from emon's cost in the same run.
 */
export interface BareProbe {
  readonly kind: 'fleet-probe';
  readonly mode: 'bare';
  readonly durationMs: number;
  readonly ms: readonly number[];
}

export interface LatenessProbe {
  readonly kind: 'fleet-probe';
  readonly mode: 'lateness';
  /** A guest that sleeps repeatedly, its period in ms on its command line. */
  readonly module: WebAssembly.Module;
  readonly manifestJson: string;
  readonly cmdlines: readonly string[];
}

export interface HypercallProbe {
  readonly kind: 'fleet-probe';
  readonly mode: 'hypercalls';
  /**
   * The probe guest, rewritten and compiled, run with command line "0": it times `probes.length` kinds of call,
   * `rounds` rounds of `calls` each, and writes each round's ns total (u64), probe after probe, on its console.
   */
  readonly module: WebAssembly.Module;
  readonly manifestJson: string;
  readonly probes: readonly string[];
  /** Its attachments (`--enclave:`): with them the guest gets emon's extensions, as a fleet worker gives them. */
  readonly attachments?: ReadonlyArray<[string, ReadonlyArray<[string, string]>]>;
  readonly options?: RunOptions;
  /** The idle neighbours' guest: command line "MS" sleeps MS ms and exits; it may import "bench"."nop". */
  readonly neighbour: { readonly module: WebAssembly.Module; readonly manifestJson: string };
  readonly neighbours: number;
  /** Calls per timed round (the guest's own loop) and rounds. */
  readonly calls: number;
  readonly rounds: number;
}

export interface ProbeReport {
  /** ns per call, one entry per round, for each probe the guest runs. */
  readonly rounds: Record<string, number[]>;
  readonly floorNs: number[];
}

/** What the hypercall probe guest times, in order: [name, offset of its results in guest memory]. */
export const PROBES = [
  ['clock_monotonic', 16384],
  ['set_tls_base', 24576],
  ['extension_nop', 32768],
] as const;

/** Keeps the guest's console bytes as they are (the results are binary). */
class Bytes implements ConsoleSink {
  readonly chunks: Buffer[] = [];
  write(bytes: Uint8Array, offset: number, length: number): void {
    this.chunks.push(Buffer.from(bytes.subarray(offset, offset + length)));
  }
}

/** A host function that does nothing, served as "bench"."nop" the way extensions (enclaves) are served. */
const nopExtension: MonitorExtension = {
  importModule: 'bench',
  imports: () => ({ nop: (x: number) => x }),
};

export interface LatenessReport {
  /** Each guest's wake-up lateness samples in ms, its first left out (it waits for the other guests' boot). */
  readonly samples: number[];
  /** How late, in ms, each of the thread's own sleeps (Atomics.wait until the next deadline) ended. */
  readonly oversleep: number[];
}

function bare(init: BareProbe): { oversleep: number[] } {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const oversleep: number[] = [];
  const end = performance.now() + init.durationMs;
  for (let k = 0; performance.now() < end; k++) {
    const wakeAt = performance.now() + init.ms[k % init.ms.length]!;
    Atomics.wait(pause, 0, 0, wakeAt - performance.now());
    oversleep.push(performance.now() - wakeAt);
  }
  return { oversleep };
}

function lateness(init: LatenessProbe): LatenessReport {
  const manifest = parseManifest(init.manifestJson, 'sleeper');
  const sched = new Scheduler(init.cmdlines.map((cmdline, i) => ({ name: `t${i}`, module: init.module, manifest, cmdline, console: nullConsole })));
  sched.recordLateness = true;
  const results = sched.run();
  const bad = results.find((r) => r.status !== 0);
  if (bad !== undefined) throw new Error(`sleeper ${bad.name} ended with ${bad.reason} ${bad.status}: ${bad.message ?? ''}`);
  const all: number[] = [];
  for (let i = 0; i < init.cmdlines.length; i++) all.push(...sched.stats(i).lateness.slice(1));
  return { samples: all, oversleep: sched.oversleep };
}

async function hypercalls(init: HypercallProbe): Promise<ProbeReport> {
  const manifest = parseManifest(init.manifestJson, 'probe');
  const neighbourManifest = parseManifest(init.neighbour.manifestJson, 'neighbour');
  const out = new Bytes();
  const attachments = new Map((init.attachments ?? []).map(([k, v]) => [k, new Map(v)]));
  const extensions = init.attachments ? [nopExtension, ...(await import('../../runtime/monitor/extensions.js')).extensions] : [nopExtension];
  const guests: ScheduledGuest[] = [
    { name: 'probe', module: init.module, manifest, cmdline: '0', console: out, attachments, extensions, options: init.options ?? {}, log: (line) => process.stderr.write(`bench: ${line}\n`) },
    ...Array.from({ length: init.neighbours }, (_, i) => ({ name: `idle${i}`, module: init.neighbour.module, manifest: neighbourManifest, cmdline: '2000', console: nullConsole, extensions: [nopExtension] })),
  ];
  const sched = new Scheduler(guests);
  await sched.prepare();
  const [result] = sched.run();
  if (result?.status !== 0) throw new Error(`the probe guest ended with ${result?.reason} ${result?.status}: ${result?.message ?? ''}`);
  const bytes = Buffer.concat(out.chunks);
  const rounds: Record<string, number[]> = {};
  for (const [i, name] of init.probes.entries()) {
    const r: number[] = [];
    for (let k = 0; k < init.rounds; k++) r.push(Number(bytes.readBigUInt64LE((i * init.rounds + k) * 8)) / init.calls);
    rounds[name] = r;
  }
  // The floor on this thread, as the runner measures it on its own.
  const floor = (await floorCases()).find((c) => c.name === FLOOR_CASE)!;
  floor.run(init.calls);
  const floorNs: number[] = [];
  for (let k = 0; k < init.rounds; k++) {
    const t0 = performance.now();
    floor.run(init.calls);
    floorNs.push(((performance.now() - t0) * 1e6) / init.calls);
  }
  return { rounds, floorNs };
}

if (parentPort !== null && (workerData as Partial<ProbeInit> | null)?.kind === 'fleet-probe') {
  const port = parentPort;
  const init = workerData as ProbeInit;
  (init.mode === 'lateness' ? Promise.resolve().then(() => lateness(init)) : init.mode === 'bare' ? Promise.resolve().then(() => bare(init)) : hypercalls(init)).then(
    (r) => port.postMessage({ ok: true, report: r }),
    (e: unknown) => port.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) }),
  );
}
