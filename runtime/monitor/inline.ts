/**
 * One guest run on the monitor's own thread, for the common case of `emon run GUEST.wasm` with nothing that
 * needs a second thread: no NIC (the switch and tunnels run on the supervisor's event loop while the guest
 * blocks), no --timeout (a timer cannot fire while the guest runs), no trace, no monitor extension (the EPC
 * budget is shared across workers). This is Solo5's own shape, one tender process per unikernel, and it skips
 * a worker's start-up, which is most of the time a short guest takes. Everything else goes to ./supervisor.ts.
 */
import { needsExtensions } from './attach.js';
import { deviceModules } from './devices/index.js';
import { GuestRunner, type GuestResult, type RunOptions } from './guest.js';
import { loadGuest } from './loader.js';
import { endSeverity, guestLevel, shows } from './loglevel.js';
import type { GuestLaunch } from './supervisor.js';

/** Whether runInline can run this command line (before the guest file is read). */
export function canRunInline(launches: readonly GuestLaunch[], opts: { timeoutS?: number | undefined; traceFile?: string | undefined }): boolean {
  if (launches.length !== 1 || opts.timeoutS !== undefined || opts.traceFile !== undefined) return false;
  return [...launches[0]!.attachments.keys()].every((kind) => kind === 'block');
}

/**
 * Runs the guest in this thread; null when it turns out to need an extension, for the supervisor to run
 * instead. Refusals before the guest starts throw EmonError, as the supervisor's do.
 */
export async function runInline(launch: GuestLaunch, options: RunOptions, verbose: boolean, log: (line: string) => void, beforeStart?: () => void): Promise<GuestResult | null> {
  const g = loadGuest(launch.file, { memMiB: launch.memMiB, ...(launch.name ? { name: launch.name } : {}) });
  if (needsExtensions(g.module, g.manifest, launch.attachments, deviceModules)) return null;
  beforeStart?.();
  const level = guestLevel(launch.logLevel, verbose);
  const runner = await GuestRunner.create({ name: g.name, module: g.module, manifest: g.manifest, cmdline: launch.cmdline, attachments: launch.attachments, options, extensions: [] });
  try {
    if (shows(level, 'debug')) {
      const blocks = [...(launch.attachments.get('block') ?? new Map<string, string>())].map(([n, v]) => ` block "${n}"=${v}`).join('');
      log(`emon: starting guest ${g.name} (${g.file}, memory cap ${g.memCapPages / 16} MiB${blocks})`);
    }
    const result = runner.boot();
    if (result.message !== undefined && shows(level, endSeverity(result.reason))) log(`emon: ${result.message}`);
    return result;
  } finally {
    runner.close();
  }
}
