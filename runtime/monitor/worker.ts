/**
 * One guest in its own worker thread (the isolation a Solo5 tender gets from being a separate process): a trap,
 * abort or crash ends this worker only. Starts from compiled JS (runtime/paths.ts distModule), receives the
 * already-compiled module, runs it with the in-thread runner and posts one WorkerReport back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isEmonError } from '../errors.js';
import { MemoryTraceSink, type TraceEvent } from '../trace/sink.js';
import { consolePrefix, nullConsole, PrefixedConsole, stdoutConsole, type ConsoleSink } from './console.js';
import type { NetLink } from './device.js';
import { GuestRunner, type GuestResult, type RunOptions } from './guest.js';
import { parseManifest } from './manifest.js';
import type { GuestMeasurement } from './extension.js';

export interface WorkerInit {
  readonly name: string;
  readonly module: WebAssembly.Module;
  readonly manifestJson: string;
  /** The loader's measurement of the module, when its manifest asks for integrity monitoring. */
  readonly measurement?: GuestMeasurement;
  readonly cmdline: string;
  readonly attachments: ReadonlyArray<[string, ReadonlyArray<[string, string]>]>;
  readonly netLinks: ReadonlyArray<{ name: string; link: NetLink }>;
  readonly wake: Int32Array;
  readonly console: 'stdout' | 'prefixed' | 'null';
  /** With 'prefixed': where the console keeps a partial line, so the supervisor can print it after a timeout. */
  readonly consolePending?: SharedArrayBuffer;
  readonly options: RunOptions;
  readonly trace: boolean;
  /** The supervisor's performance.timeOrigin: trace times are shifted onto its clock so guests line up. */
  readonly timeOrigin: number;
}

export type WorkerReport =
  | { readonly type: 'started' }
  | { readonly type: 'ended'; readonly result: GuestResult; readonly events?: TraceEvent[]; readonly dropped?: number }
  | { readonly type: 'refused'; readonly code: string; readonly message: string; readonly hint?: string };

async function main(init: WorkerInit): Promise<WorkerReport> {
  const sink = init.trace ? new MemoryTraceSink() : null;
  const prefixed = init.console === 'prefixed' ? new PrefixedConsole(consolePrefix(init.name), stdoutConsole, init.consolePending) : null;
  const console: ConsoleSink = prefixed ?? (init.console === 'null' ? nullConsole : stdoutConsole);
  let runner: GuestRunner;
  try {
    runner = await GuestRunner.create({
      name: init.name,
      module: init.module,
      manifest: parseManifest(init.manifestJson, `guest ${init.name}`),
      cmdline: init.cmdline,
      attachments: new Map(init.attachments.map(([k, v]) => [k, new Map(v)])),
      netLinks: new Map(init.netLinks.map((l) => [l.name, l.link])),
      wake: init.wake,
      console,
      options: init.options,
      trace: sink,
      ...(init.measurement ? { measurement: init.measurement } : {}),
    });
  } catch (e) {
    if (isEmonError(e)) return { type: 'refused', code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    throw e;
  }
  try {
    parentPort?.postMessage({ type: 'started' } satisfies WorkerReport);
    const bootStart = performance.now();
    const result = runner.boot();
    // The guest's whole life as one span on its track, under its hypercalls.
    sink?.record({ kind: 'guest', name: `${init.name} (${result.reason}, status ${result.status})`, track: init.name, start: bootStart, dur: performance.now() - bootStart });
    prefixed?.flush();
    if (sink === null) return { type: 'ended', result };
    const shift = performance.timeOrigin - init.timeOrigin;
    for (const e of sink.events) e.start += shift;
    return { type: 'ended', result, events: sink.events, dropped: sink.dropped };
  } catch (e) {
    if (isEmonError(e)) return { type: 'refused', code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    throw e;
  } finally {
    runner.close();
  }
}

if (parentPort !== null) {
  const port = parentPort;
  main(workerData as WorkerInit).then(
    (report) => port.postMessage(report),
    (e: unknown) => {
      port.postMessage({
        type: 'ended',
        result: { name: (workerData as WorkerInit).name, status: 255, reason: 'crash', message: `guest ${(workerData as WorkerInit).name}: monitor error: ${e instanceof Error ? e.message : String(e)}` },
      } satisfies WorkerReport);
    },
  );
}
