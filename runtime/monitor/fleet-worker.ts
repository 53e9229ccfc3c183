/**
 * One thread of a fleet (./fleet.ts): receives compiled, Asyncify-rewritten modules once and the guests made from
 * them, runs them all with the in-thread scheduler (./scheduler.ts) and posts each guest's result as it ends, as
 * one physical CPU of a hypervisor runs the vCPUs assigned to it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nullConsole, PrefixedConsole, type ConsoleSink } from './console.js';
import type { GuestResult } from './guest.js';
import { parseManifest } from './manifest.js';
import { Scheduler } from './scheduler.js';

export interface FleetWorkerInit {
  /** Each distinct guest file once: shared by every guest made from it. */
  readonly modules: ReadonlyArray<{ readonly module: WebAssembly.Module; readonly manifestJson: string }>;
  readonly guests: ReadonlyArray<{
    readonly index: number;
    readonly name: string;
    readonly moduleIndex: number;
    readonly cmdline: string;
    readonly attachments: ReadonlyArray<[string, ReadonlyArray<[string, string]>]>;
  }>;
  readonly console: 'prefixed' | 'null';
  readonly timeoutS?: number;
  readonly sliceMs?: number;
}

export type FleetWorkerReport =
  | { readonly type: 'ended'; readonly index: number; readonly result: GuestResult }
  | { readonly type: 'done'; readonly rssBytes: number };

function main(init: FleetWorkerInit, port: NonNullable<typeof parentPort>): void {
  const manifests = init.modules.map((m, i) => parseManifest(m.manifestJson, `fleet module ${i}`));
  const consoles: ConsoleSink[] = init.guests.map((g) => (init.console === 'prefixed' ? new PrefixedConsole(`${g.name}| `) : nullConsole));
  const sched = new Scheduler(
    init.guests.map((g, i) => ({
      name: g.name,
      module: init.modules[g.moduleIndex]!.module,
      manifest: manifests[g.moduleIndex]!,
      cmdline: g.cmdline,
      attachments: new Map(g.attachments.map(([k, v]) => [k, new Map(v)])),
      console: consoles[i]!,
      ...(init.timeoutS !== undefined ? { timeoutS: init.timeoutS } : {}),
    })),
    {
      ...(init.sliceMs !== undefined ? { sliceMs: init.sliceMs } : {}),
      onEnd: (i, result) => {
        const c = consoles[i];
        if (c instanceof PrefixedConsole) c.flush();
        port.postMessage({ type: 'ended', index: init.guests[i]!.index, result } satisfies FleetWorkerReport);
      },
    },
  );
  sched.run();
  port.postMessage({ type: 'done', rssBytes: process.memoryUsage().rss } satisfies FleetWorkerReport);
}

if (parentPort !== null) main(workerData as FleetWorkerInit, parentPort);
