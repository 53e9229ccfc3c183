/**
 * `emon run`'s supervisor: loads every guest of the command line, checks their attachments before anything
 * starts, wires their NICs to switches and UDP tunnels, starts one worker per guest and collects how each one
 * ended. A guest that traps, aborts, crashes or times out ends alone; the others and the monitor go on.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsc, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { EmonError } from '../errors.js';
import { distModule } from '../paths.js';
import { toChromeTrace } from '../trace/chrome.js';
import type { TraceEvent } from '../trace/sink.js';
import { checkAttachments, extensionsFor } from './attach.js';
import type { NetLink } from './device.js';
import { deviceModules } from './devices/index.js';
import type { GuestResult, RunOptions } from './guest.js';
import { consolePrefix, PrefixedConsole } from './console.js';
import { compileGuest, loadGuest, type LoadedGuest } from './loader.js';
import { endSeverity, guestLevel, shows, type LogLevel } from './loglevel.js';
import { parseNetSpec } from './netspec.js';
import { EthernetSwitch, txReport, type Endpoint } from './switch.js';
import { UdpTunnel } from './tunnel.js';
import { HostNets } from './hostnets.js';
import { createWake, signalStop, txPending } from './wake.js';
import type { WorkerInit, WorkerReport } from './worker.js';

/** One guest of the command line and the options that preceded it. */
export interface GuestLaunch {
  readonly file: string;
  readonly name?: string;
  readonly memMiB: number;
  /** kind -> device name -> value. */
  readonly attachments: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** device name -> MAC (`--net-mac:NAME=MAC`). */
  readonly macs: ReadonlyMap<string, Uint8Array>;
  readonly cmdline: string;
  /** Solo5's log level for this guest (`--solo5:LEVEL`, ./loglevel.ts); default info. */
  readonly logLevel?: LogLevel;
}

export interface SuperviseOptions {
  readonly timeoutS?: number;
  readonly traceFile?: string;
  readonly options: RunOptions;
  /** Override the console (tests); default: raw stdout for one guest, name-prefixed lines for several. */
  readonly console?: 'stdout' | 'prefixed' | 'null';
  readonly log?: (line: string) => void;
  /** Log what the monitor does (-v): guests started, links made, switch counters. */
  readonly verbose?: boolean;
}

export { TIMEOUT_STATUS } from './core.js';
import { TIMEOUT_STATUS } from './core.js';

/** A locally administered unicast MAC (02:xx:...), random so two emon processes joined by UDP do not clash. */
function randomMac(): Uint8Array {
  const mac = new Uint8Array(randomBytes(6));
  mac[0] = (mac[0]! & 0xfc) | 0x02;
  return mac;
}

export async function runGuests(launches: readonly GuestLaunch[], opts: SuperviseOptions): Promise<GuestResult[]> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (opts.traceFile !== undefined) checkTraceFile(opts.traceFile);
  const loaded: LoadedGuest[] = launches.map((l) => loadGuest(l.file, { memMiB: l.memMiB, ...(l.name ? { name: l.name } : {}) }));
  // Runtime integrity monitoring also checks between exits: its guests get periodic ticks (binaryen, loaded only then).
  for (const [i, g] of loaded.entries()) {
    if (g.measurement === undefined) continue;
    const { withIntegrityTicks } = await import('./asyncify.js');
    const what = `guest ${g.name} (${g.file})`;
    const bytes = withIntegrityTicks(g.bytes, what);
    loaded[i] = { ...g, bytes, module: compileGuest(bytes, what) };
  }
  const names = new Set<string>();
  for (const g of loaded) {
    if (names.has(g.name)) {
      throw new EmonError('E_USAGE', `two guests are named ${g.name}`, { hint: 'give one of them --name=OTHER' });
    }
    names.add(g.name);
  }
  let anyExtensions = false;
  for (const [i, g] of loaded.entries()) {
    const extensions = await extensionsFor(g.module, g.manifest, launches[i]!.attachments, deviceModules);
    anyExtensions ||= extensions.length > 0;
    checkAttachments(g.name, g.manifest, launches[i]!.attachments, deviceModules, extensions);
    for (const dev of launches[i]!.macs.keys()) {
      if (!launches[i]!.attachments.get('net')?.has(dev)) {
        throw new EmonError('E_ATTACH', `--net-mac:${dev}= names no attached net device of guest ${g.name}`);
      }
    }
  }

  const switches = new Map<string, EthernetSwitch>();
  const tunnels: UdpTunnel[] = [];
  const hostNets = new HostNets(log);
  let middleboxes: import('./middlebox-link.js').Middleboxes | undefined;
  const endpoints: Endpoint[][] = [];
  const inits: { init: WorkerInit; transfer: import('node:worker_threads').MessagePort[] }[] = [];
  const consoleMode = opts.console ?? (loaded.length > 1 ? 'prefixed' : 'stdout');
  try {
    for (const [i, g] of loaded.entries()) {
      const launch = launches[i]!;
      const verbose = shows(guestLevel(launch.logLevel, opts.verbose === true), 'debug');
      const wake = createWake();
      const netLinks: { name: string; link: NetLink }[] = [];
      const eps: Endpoint[] = [];
      for (const [dev, value] of launch.attachments.get('net') ?? new Map<string, string>()) {
        const spec = parseNetSpec(g.name, dev, value);
        const { port1, port2 } = new MessageChannel();
        const mac = launch.macs.get(dev) ?? randomMac();
        const handle = g.manifest.devices.findIndex((d) => d.name === dev);
        const guestEp: Endpoint = { guest: g.name, device: dev, port: port1, wake, handle, mac };
        eps.push(guestEp);
        // A middlebox enclave (./middlebox-link.ts) stands between the guest's endpoint and the network side.
        if (spec.middlebox !== undefined) middleboxes ??= new (await import('./middlebox-link.js')).Middleboxes(opts.options);
        const ep = spec.middlebox === undefined ? guestEp : middleboxes!.interpose(guestEp, spec.middlebox);
        if (ep !== guestEp) eps.push(ep);
        let link: NetLink = { port: port2, mac };
        if (spec.kind === 'switch') {
          let sw = switches.get(spec.switchName);
          if (sw === undefined) switches.set(spec.switchName, (sw = new EthernetSwitch(spec.switchName)));
          sw.attach(ep);
        } else if (spec.kind === 'udp') {
          tunnels.push(await UdpTunnel.open(ep, spec.localPort, spec.remoteHost, spec.remotePort));
        } else {
          link = await hostNets.attach(ep, spec, link);
        }
        netLinks.push({ name: dev, link });
        if (verbose) log(`emon: ${g.name}: net "${dev}" (handle ${handle}) MAC ${[...mac].map((b) => b.toString(16).padStart(2, '0')).join(':')} on ${spec.kind === 'switch' ? `switch ${spec.switchName}` : spec.kind === 'udp' ? `udp ${spec.localPort} -> ${spec.remoteHost}:${spec.remotePort}` : HostNets.describe(spec)}`);
      }
      if (verbose) {
        const blocks = [...(launch.attachments.get('block') ?? new Map<string, string>())].map(([n, v]) => ` block "${n}"=${v}`).join('');
        log(`emon: starting guest ${g.name} (${g.file}, memory cap ${g.memCapPages / 16} MiB${blocks})`);
      }
      endpoints.push(eps);
      inits.push({
        init: {
          name: g.name,
          module: g.module,
          manifestJson: JSON.stringify(g.manifest.raw),
          ...(g.measurement ? { measurement: g.measurement } : {}),
          cmdline: launch.cmdline,
          attachments: [...launch.attachments].map(([k, v]) => [k, [...v]]),
          netLinks,
          wake,
          console: consoleMode,
          ...(consoleMode === 'prefixed' ? { consolePending: PrefixedConsole.pendingBuffer() } : {}),
          options: opts.options,
          trace: opts.traceFile !== undefined,
          timeOrigin: performance.timeOrigin,
        },
        transfer: netLinks.map((l) => l.link.port),
      });
    }

    // EPC (issue 6): one platform EPC budget shared by every guest's worker; loaded (with the hw modules behind
    // it) only when some guest can have enclaves.
    const epcBudget = anyExtensions ? (await import('../hw/epc/sgx-link.js')).processEpcBudget(opts.options['epc']) : undefined;
    // TrustZone (issue 14): one secure-memory carve-out per process, shared by every guest's view of the board.
    const secureMem = anyExtensions && opts.options['backend'] === 'tz' ? (await import('../hw/tz/board.js')).processCarveout(opts.options['secureMem']) : undefined;
    const events: TraceEvent[] = [];
    const results = await Promise.all(
      inits.map(({ init, transfer }, i) =>
        runWorker(init, transfer, opts.timeoutS, events, epcBudget, log, secureMem).then(async (r) => {
          await drainTransmit(endpoints[i]!);
          for (const ep of endpoints[i]!) for (const sw of switches.values()) sw.detach(ep);
          if (r.message !== undefined && shows(guestLevel(launches[i]!.logLevel, opts.verbose === true), endSeverity(r.reason))) log(`emon: ${r.message}`);
          return r;
        }),
      ),
    );
    for (const [i, eps] of endpoints.entries()) for (const ep of eps) {
      const tx = txReport(ep);
      if (shows(guestLevel(launches[i]!.logLevel, opts.verbose === true), 'debug')) log(`emon: ${tx.line}`);
      if (opts.traceFile !== undefined) events.push({ kind: 'guest', name: `net ${ep.device} transmit`, track: ep.guest, start: performance.now(), dur: 0, args: { sent: tx.sent, dropped: tx.dropped } });
    }
    if (opts.verbose) {
      for (const sw of switches.values()) log(`emon: switch ${sw.name}: ${sw.forwarded} frames forwarded, ${sw.flooded} flooded, ${sw.dropped} dropped (receive queue full)`);
      for (const t of tunnels) log(`emon: udp tunnel: ${t.sent} frames sent, ${t.received} received, ${t.dropped} dropped`);
    }
    hostNets.report(opts.verbose === true);
    middleboxes?.report(log);
    if (opts.traceFile !== undefined) {
      try {
        writeFileSync(opts.traceFile, JSON.stringify(toChromeTrace(events)));
      } catch (e) {
        throw new EmonError('E_WRITE', `cannot write the trace ${opts.traceFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      log(`emon: wrote ${events.length} trace events to ${opts.traceFile} (open it in ui.perfetto.dev)`);
    }
    return results;
  } finally {
    await Promise.all(tunnels.map((t) => t.close()));
    hostNets.close();
    for (const eps of endpoints) for (const ep of eps) ep.port.close();
  }
}

/**
 * Frames a guest wrote just before it ended are still queued on its NICs' ports: Solo5's net_write has put a
 * frame on the wire when it returns, so the supervisor forwards them before it detaches the guest. Bounded, in
 * case a port is never drained.
 */
async function drainTransmit(eps: readonly Endpoint[], maxMs = 1000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (eps.some((ep) => ep.handle >= 0 && txPending(ep.wake, ep.handle) > 0) && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * The trace is written when the guests end, so a path that cannot take it is refused before they start rather
 * than after a long run; nothing is created here, so a refused run leaves no empty trace behind.
 */
function checkTraceFile(file: string): void {
  let why: string | null = null;
  try {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st !== undefined) {
      if (!st.isFile()) why = st.isDirectory() ? 'it is a directory' : 'it is not a regular file';
      else accessSync(file, fsc.W_OK);
    } else {
      const dir = path.dirname(path.resolve(file));
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) why = `the folder ${dir} does not exist`;
      else accessSync(dir, fsc.W_OK);
    }
  } catch (e) {
    why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
  if (why !== null) {
    throw new EmonError('E_USAGE', `--trace=${file}: cannot write the trace there (${why})`, { hint: 'give the path of a new or existing file in a writable folder' });
  }
}

function runWorker(
  init: WorkerInit,
  transfer: import('node:worker_threads').MessagePort[],
  timeoutS: number | undefined,
  events: TraceEvent[],
  epcBudget: SharedArrayBuffer | undefined,
  log: (line: string) => void,
  secureMem?: SharedArrayBuffer,
): Promise<GuestResult> {
  return new Promise((resolve) => {
    const name = init.name;
    let done = false;
    let refused: EmonError | null = null;
    const workerData = epcBudget === undefined ? init : { ...init, epcBudget, ...(secureMem ? { secureMem } : {}) };
    const worker = new Worker(distModule('monitor/worker.js'), { workerData, transferList: transfer });
    const finish = (r: GuestResult) => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      // A worker that did not end on its own (timeout, crash) may have left a partial console line.
      if (init.consolePending !== undefined) PrefixedConsole.drain(init.consolePending, consolePrefix(name));
      resolve(r);
    };
    // The clock starts when the guest boots, not when its worker is spawned: worker start-up is the monitor's
    // time, and on a loaded machine it must not eat into the guest's allowance.
    let timer: NodeJS.Timeout | undefined;
    let stopped: GuestResult | null = null;
    const startTimer = () => {
      if (timeoutS === undefined || timer !== undefined) return;
      timer = setTimeout(() => {
        signalStop(init.wake);
        // Finished once the worker is gone (its exit event may come first), so nothing it wrote is lost.
        stopped = { name, status: TIMEOUT_STATUS, reason: 'timeout', message: `guest ${name} stopped after ${timeoutS} s (--timeout)` };
        const end = stopped;
        worker.terminate().then(() => finish(end), () => finish(end));
      }, timeoutS * 1000);
    };
    worker.on('message', (report: WorkerReport) => {
      if (report.type === 'started') startTimer();
      else if (report.type === 'refused') {
        refused = new EmonError(report.code, report.message, report.hint ? { hint: report.hint } : undefined);
        finish({ name, status: 1, reason: 'crash', message: `${report.message}${report.hint ? ` (hint: ${report.hint})` : ''}` });
      } else {
        // A loop, not push(...events): a chatty guest records more events than a call may take arguments.
        if (report.events) for (const e of report.events) events.push(e);
        if (report.dropped) log(`emon: guest ${name}: the trace kept its first ${report.events?.length ?? 0} events and dropped ${report.dropped} later ones`);
        finish(report.result);
      }
    });
    worker.on('error', (e) => finish({ name, status: 255, reason: 'crash', message: `guest ${name}: worker failed: ${e.message}` }));
    worker.on('exit', (code) => {
      void refused;
      finish(stopped ?? { name, status: 255, reason: 'crash', message: `guest ${name}: worker exited (${code}) without a result` });
    });
  });
}
