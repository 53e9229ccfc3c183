/**
 * One thread of a fleet (./fleet.ts): receives compiled, Asyncify-rewritten modules once and the guests made from
 * them, runs them all with the in-thread scheduler (./scheduler.ts) and posts each guest's result as it ends, as
 * one physical CPU of a hypervisor runs the vCPUs assigned to it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nullConsole, PrefixedConsole, type ConsoleSink } from './console.js';
import type { GuestResult } from './guest.js';
import { parseManifest } from './manifest.js';
import { Scheduler, type ScheduledGuest } from './scheduler.js';
import { SCHEDULER_SERVES } from './asyncify-abi.js';
import { extensionsFor, needsExtensions } from './attach.js';
import { deviceModules } from './devices/index.js';
import type { RunOptions } from './guest.js';

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
  /** Run options for extensions (backend, stateDir, epc, ...). */
  readonly options: RunOptions;
  /** The platform EPC budget shared by every worker (runtime/hw/epc/sgx-link.ts reads it from workerData). */
  readonly epcBudget?: SharedArrayBuffer;
}

export type FleetWorkerReport =
  | { readonly type: 'ended'; readonly index: number; readonly result: GuestResult }
  | { readonly type: 'done'; readonly rssBytes: number };

async function main(init: FleetWorkerInit, port: NonNullable<typeof parentPort>): Promise<void> {
  const manifests = init.modules.map((m, i) => parseManifest(m.manifestJson, `fleet module ${i}`));
  const consoles: ConsoleSink[] = init.guests.map((g) => (init.console === 'prefixed' ? new PrefixedConsole(`${g.name}| `) : nullConsole));
  const guests: ScheduledGuest[] = [];
  for (const [i, g] of init.guests.entries()) {
    const module = init.modules[g.moduleIndex]!.module;
    const manifest = manifests[g.moduleIndex]!;
    const attachments = new Map(g.attachments.map(([k, v]) => [k, new Map(v)]));
    guests.push({
      name: g.name,
      module,
      manifest,
      cmdline: g.cmdline,
      attachments,
      console: consoles[i]!,
      options: init.options,
      ...(needsExtensions(module, manifest, attachments, deviceModules, SCHEDULER_SERVES) ? { extensions: await extensionsFor(module, manifest, attachments, deviceModules, SCHEDULER_SERVES) } : {}),
      ...(init.timeoutS !== undefined ? { timeoutS: init.timeoutS } : {}),
    });
  }
  const sched = new Scheduler(
    guests,
    {
      ...(init.sliceMs !== undefined ? { sliceMs: init.sliceMs } : {}),
      onEnd: (i, result) => {
        const c = consoles[i];
        if (c instanceof PrefixedConsole) c.flush();
        port.postMessage({ type: 'ended', index: init.guests[i]!.index, result } satisfies FleetWorkerReport);
      },
    },
  );
  await sched.prepare();
  sched.run();
  port.postMessage({ type: 'done', rssBytes: process.memoryUsage().rss } satisfies FleetWorkerReport);
}

if (parentPort !== null) {
  const port = parentPort;
  main(workerData as FleetWorkerInit, port).catch((e: unknown) => {
    for (const g of (workerData as FleetWorkerInit).guests) {
      port.postMessage({ type: 'ended', index: g.index, result: { name: g.name, status: 255, reason: 'crash', message: `guest ${g.name}: monitor error: ${e instanceof Error ? e.message : String(e)}` } } satisfies FleetWorkerReport);
    }
    port.postMessage({ type: 'done', rssBytes: process.memoryUsage().rss } satisfies FleetWorkerReport);
  });
}
