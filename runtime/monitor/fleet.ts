/**
 * A fleet: many guests in one emon process, multiplexed on about one worker thread per core (./fleet-worker.ts,
 * ./scheduler.ts), as a hypervisor packs many unikernel VMs onto few physical CPUs (LightVM, Manco et al., SOSP
 * 2017). Each distinct guest file is rewritten (./asyncify.ts) and compiled once, and the compiled module is shared
 * by every guest made from it in every worker. Before anything starts, the fleet's memory is estimated and a
 * fleet the machine cannot hold is refused with the estimate. The results and a summary (counts by exit status and
 * by how guests ended) come back in command-line order.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { EmonError } from '../errors.js';
import { distModule } from '../paths.js';
import { checkAttachments, extensionsFor } from './attach.js';
import { makeSuspendable } from './asyncify.js';
import { deviceModules } from './devices/index.js';
import type { GuestResult, RunOptions } from './guest.js';
import type { MonitorExtension } from './extension.js';
import { SCHED_IMPORT, SCHEDULER_SERVES } from './asyncify-abi.js';
import { compileGuest, guestNameOf, prepareGuestBytes, readGuestFile, WASM_PAGE } from './loader.js';
import type { Manifest } from './manifest.js';
import type { GuestLaunch } from './supervisor.js';
import { memoryDecl } from './wasmbin.js';
import type { FleetWorkerInit, FleetWorkerReport } from './fleet-worker.js';

/**
 * Host memory one idle guest costs beyond its linear memory: its Wasm instance, import closures, device state and
 * scheduler slot (measured by the fleet bench suite; see bench/RESULTS.md), rounded up.
 */
export const GUEST_OVERHEAD_BYTES = 256 * 1024;
/** Pages the scheduler adds to each guest (start info and the Asyncify stack, ./scheduler.ts). */
const SCHEDULER_PAGES = 2;

export interface FleetOptions {
  /** Worker threads (default: one per core, at most one per guest). */
  readonly workers?: number;
  readonly timeoutS?: number;
  readonly sliceMs?: number;
  /** 'prefixed': each line of guest output prefixed with its name; 'null': guest output dropped (--quiet). */
  readonly console: 'prefixed' | 'null';
  /** Memory available to the fleet in bytes (default: the host's available memory). */
  readonly availableBytes?: number;
  /** Insert preemption checks (default true). */
  readonly preempt?: boolean;
  /** Run options for extensions (backend, stateDir, epc, ...). */
  readonly options?: RunOptions;
}

export interface FleetEstimate {
  readonly guests: number;
  readonly perGuestBytes: number;
  readonly totalBytes: number;
  readonly availableBytes: number;
}

interface Image {
  readonly module: WebAssembly.Module;
  readonly manifest: Manifest;
  readonly initialBytes: number;
}

/** Loads each distinct (file, --mem) once: read, check, cap, rewrite, compile. */
function loadImages(launches: readonly GuestLaunch[], preempt: boolean): { images: Image[]; imageOf: number[] } {
  const byKey = new Map<string, number>();
  const images: Image[] = [];
  const imageOf = launches.map((l) => {
    const key = `${l.memMiB}\0${l.file}`;
    let i = byKey.get(key);
    if (i === undefined) {
      const what = `guest ${guestNameOf(l.file)} (${l.file})`;
      const prepared = prepareGuestBytes(readGuestFile(l.file), what, l.memMiB);
      const initialBytes = memoryDecl(prepared.bytes, what).defined[0]!.min * WASM_PAGE;
      images.push({ module: compileGuest(makeSuspendable(prepared.bytes, what, { preempt }), what), manifest: prepared.manifest, initialBytes });
      byKey.set(key, (i = images.length - 1));
    }
    return i;
  });
  return { images, imageOf };
}

/** What an idle fleet will take: each guest's initial linear memory, the scheduler's pages and the overhead. */
export function estimateFleet(initialBytes: readonly number[], availableBytes: number = os.freemem()): FleetEstimate {
  let total = 0;
  for (const b of initialBytes) total += b + SCHEDULER_PAGES * WASM_PAGE + GUEST_OVERHEAD_BYTES;
  return { guests: initialBytes.length, perGuestBytes: initialBytes.length ? total / initialBytes.length : 0, totalBytes: total, availableBytes };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(b < 2 ** 24 ? 2 : 0)} MiB`;

export async function runFleet(launches: readonly GuestLaunch[], opts: FleetOptions): Promise<GuestResult[]> {
  const names = new Set<string>();
  for (const l of launches) {
    const name = l.name ?? guestNameOf(l.file);
    if (names.has(name)) throw new EmonError('E_USAGE', `two guests are named ${name}`, { hint: 'give each a different --name (with --instances, use {i} in it)' });
    names.add(name);
    if (l.attachments.has('net')) {
      throw new EmonError('E_FLEET', `guest ${name}: --net devices are not available to guests sharing a worker yet`, { hint: 'add --sched=worker to give each guest its own worker' });
    }
  }
  const { images, imageOf } = loadImages(launches, opts.preempt !== false);
  const estimate = estimateFleet(imageOf.map((i) => images[i]!.initialBytes), opts.availableBytes ?? os.freemem());
  if (estimate.totalBytes > estimate.availableBytes) {
    throw new EmonError('E_FLEET_MEMORY', `a fleet of ${estimate.guests} guests needs about ${mib(estimate.totalBytes)} (${mib(estimate.perGuestBytes)} each: initial linear memory, 128 KiB of scheduler pages and ${GUEST_OVERHEAD_BYTES / 1024} KiB of monitor state), but ${mib(estimate.availableBytes)} is available`, {
      hint: `start at most ${Math.floor(estimate.availableBytes / estimate.perGuestBytes)} guests here, or spread the fleet over several machines (docs/fleet.md)`,
    });
  }
  // Extensions (enclaves) are found and checked here, as the one-worker supervisor does, so a missing
  // --enclave: or an import nothing serves is refused before any guest starts.
  let anyExtensions = false;
  const ownWorker: boolean[] = [];
  const tz = opts.options?.['backend'] === 'tz';
  for (const [i, l] of launches.entries()) {
    const name = l.name ?? guestNameOf(l.file);
    const image = images[imageOf[i]!]!;
    const extensions = await extensionsFor(image.module, image.manifest, l.attachments, deviceModules, SCHEDULER_SERVES);
    anyExtensions ||= extensions.length > 0;
    ownWorker.push(tz && extensions.length > 0);
    checkAttachments(name, image.manifest, l.attachments, deviceModules, extensions);
    checkServed(name, image.module, extensions);
  }
  // One platform EPC budget for every enclave of every guest in every worker (DESIGN.md section 5).
  const epcBudget = anyExtensions ? (await import('../hw/epc/sgx-link.js')).processEpcBudget(opts.options?.['epc']) : undefined;

  // Guests with SGX enclaves share workers like the others (runtime/hw/epc/sgx-link.ts keeps one EPC install per
  // thread for all its guests). On --backend=tz each gets a worker of its own: the TrustZone backend keeps one
  // board per thread (runtime/hw/tz/backend.ts). All share the one EPC budget.
  const plain = ownWorker.filter((w) => !w).length;
  const workers = Math.max(plain > 0 ? 1 : 0, Math.min(opts.workers ?? os.availableParallelism(), plain));
  const shares: FleetWorkerInit['guests'][number][][] = Array.from({ length: workers }, () => []);
  let next = 0;
  for (const [i, l] of launches.entries()) {
    const share = ownWorker[i] ? (shares[shares.push([]) - 1]!) : shares[next++ % workers]!;
    share.push({
      index: i,
      name: l.name ?? guestNameOf(l.file),
      moduleIndex: imageOf[i]!,
      cmdline: l.cmdline,
      attachments: [...l.attachments].map(([k, v]) => [k, [...v]]),
    });
  }
  const results: (GuestResult | undefined)[] = new Array(launches.length);
  const modules = images.map((im) => ({ module: im.module, manifestJson: JSON.stringify(im.manifest.raw) }));
  await Promise.all(
    shares.map(
      (guests) =>
        new Promise<void>((resolve) => {
          const init: FleetWorkerInit = {
            modules,
            guests,
            console: opts.console,
            ...(opts.timeoutS !== undefined ? { timeoutS: opts.timeoutS } : {}),
            ...(opts.sliceMs !== undefined ? { sliceMs: opts.sliceMs } : {}),
            options: opts.options ?? {},
            ...(epcBudget !== undefined ? { epcBudget } : {}),
          };
          const w = new Worker(distModule('monitor/fleet-worker.js'), { workerData: init });
          const fail = (why: string) => {
            for (const g of guests) results[g.index] ??= { name: g.name, status: 255, reason: 'crash', message: `guest ${g.name}: ${why}` };
            resolve();
          };
          w.on('message', (r: FleetWorkerReport) => {
            if (r.type === 'ended') results[r.index] = r.result;
            else void w.terminate().then(() => resolve());
          });
          w.on('error', (e) => fail(`its worker failed: ${e.message}`));
          w.on('exit', (code) => fail(`its worker exited (${code}) without a result`));
        }),
    ),
  );
  return results.map((r, i) => r ?? { name: launches[i]!.name ?? guestNameOf(launches[i]!.file), status: 255, reason: 'crash', message: 'no result' });
}

/** Every import of the rewritten guest must be served by solo5, the scheduler or an extension. */
function checkServed(name: string, module: WebAssembly.Module, extensions: readonly MonitorExtension[]): void {
  const served = new Set(['solo5', SCHED_IMPORT, ...extensions.map((e) => e.importModule)]);
  const foreign = WebAssembly.Module.imports(module).find((imp) => !served.has(imp.module));
  if (foreign !== undefined) {
    throw new EmonError('E_IMPORT', `guest ${name} imports ${foreign.kind} "${foreign.module}"."${foreign.name}", which emon does not provide`, {
      hint: `emon serves the modules: ${[...served].join(', ')}`,
    });
  }
}

/** The end-of-run summary: how many guests, counts by exit status and by how they ended, the first failures. */
export function fleetSummary(results: readonly GuestResult[], seconds: number): string[] {
  const byStatus = new Map<number, number>();
  const byReason = new Map<string, number>();
  for (const r of results) {
    byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  }
  const failed = results.filter((r) => r.status !== 0);
  const lines = [
    `emon: fleet: ${results.length} guests in ${seconds.toFixed(2)} s: ${results.length - failed.length} exited 0, ${failed.length} failed`,
    `emon: fleet: by exit status: ${[...byStatus].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ')}`,
    `emon: fleet: by end: ${[...byReason].map(([s, n]) => `${s}: ${n}`).join(', ')}`,
  ];
  for (const r of failed.slice(0, 10)) lines.push(`emon: fleet:   ${r.name}: ${r.reason}, status ${r.status}${r.message ? ` (${r.message})` : ''}`);
  if (failed.length > 10) lines.push(`emon: fleet:   ... and ${failed.length - 10} more`);
  return lines;
}
