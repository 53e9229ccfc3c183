/**
 * The in-thread guest runner: Solo5's tender loop (tenders/hvt/hvt_main.c) for one Wasm unikernel. create()
 * checks attachments, opens devices, asks each extension for its imports and verifies that every import of
 * the guest is served; boot() instantiates the already-compiled module, writes solo5_start_info and calls
 * solo5_app_main synchronously (yield sleeps with Atomics.wait). The import object is built once, so boot()
 * compiles nothing and repeated boots reuse every closure. Used directly by tests and benchmarks, and inside
 * each worker by `emon run` (./worker.ts).
 */
import { EmonError, isEmonError } from '../errors.js';
import type { TraceSink } from '../trace/sink.js';
import { MAX_CMDLINE_BYTES, SOLO5_EXIT_ABORT, SOLO5_IMPORT_MODULE } from './abi.js';
import { checkAttachments, extensionsFor, type Attachments } from './attach.js';
import { stdoutConsole, type ConsoleSink } from './console.js';
import { BEFORE_MAIN, coreHypercalls, endGuest, GuestExit, type CoreState, type ExitReason } from './core.js';
import type { DeviceContext, DeviceInstance, Handler, NetLink } from './device.js';
import { deviceModules } from './devices/index.js';
import type { GuestHost, GuestMeasurement, MonitorExtension } from './extension.js';
import { WASM_PAGE } from './loader.js';
import type { Manifest } from './manifest.js';
import { GuestMemory } from './memory.js';
import { createWake } from './wake.js';

export type RunOptions = Readonly<Record<string, string | number | boolean | undefined>>;

export interface GuestConfig {
  readonly name: string;
  /** Compiled with the memory cap already imposed (see ./loader.ts). */
  readonly module: WebAssembly.Module;
  readonly manifest: Manifest;
  readonly cmdline?: string;
  readonly attachments?: Attachments;
  readonly netLinks?: ReadonlyMap<string, NetLink>;
  readonly wake?: Int32Array;
  readonly console?: ConsoleSink;
  readonly options?: RunOptions;
  readonly trace?: TraceSink | null;
  readonly extensions?: readonly MonitorExtension[];
  /** Monitor log lines (stderr by default). */
  readonly log?: (line: string) => void;
  /** The loader's measurement of the module (./integrity-image.ts), for extensions that watch the guest. */
  readonly measurement?: GuestMeasurement;
}

export interface GuestResult {
  readonly name: string;
  readonly status: number;
  readonly reason: ExitReason;
  readonly message?: string;
}

export class GuestRunner {
  private instance: WebAssembly.Instance | null = null;

  private constructor(
    readonly config: GuestConfig,
    private readonly imports: WebAssembly.Imports,
    private readonly devices: readonly DeviceInstance[],
    private readonly core: CoreState,
    private readonly hosts: ReadonlyArray<[MonitorExtension, GuestHost]>,
    private readonly cmdline: Uint8Array,
    /** The same window the device handlers use. */
    private readonly mem: GuestMemory,
  ) {}

  static async create(config: GuestConfig): Promise<GuestRunner> {
    const name = config.name;
    const exts = config.extensions ?? (await extensionsFor(config.module, config.manifest, config.attachments ?? new Map(), deviceModules));
    const attachments: Attachments = config.attachments ?? new Map();
    checkAttachments(name, config.manifest, attachments, deviceModules, exts);
    const cmdline = new TextEncoder().encode(config.cmdline ?? '');
    if (cmdline.length >= MAX_CMDLINE_BYTES) {
      throw new EmonError('E_USAGE', `command line of guest ${name} is ${cmdline.length} bytes; Solo5 allows ${MAX_CMDLINE_BYTES - 1}`);
    }
    const log = config.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const mem = new GuestMemory();
    const core: CoreState = { clockBase: performance.now(), tlsBase: 0, ended: null, phase: 'idle' };
    const abort = (message: string): never => endGuest(core, new GuestExit(SOLO5_EXIT_ABORT, 'abort', core.phase === 'start' ? BEFORE_MAIN : message));
    mem.onUnattached = () => {
      if (core.phase === 'start') abort(BEFORE_MAIN);
    };
    const ctx: DeviceContext = {
      guest: name,
      manifest: config.manifest,
      mem,
      wake: config.wake ?? createWake(),
      netLinks: config.netLinks ?? new Map(),
      options: config.options ?? {},
      io: { bytes: 0 },
      abort,
    };
    const devices: DeviceInstance[] = [];
    try {
      for (const m of deviceModules) devices.push(m.create(ctx, attachments.get(m.optionKind) ?? new Map()));
    } catch (e) {
      for (const d of devices) d.close();
      throw e;
    }
    const solo5: Record<string, Handler> = Object.assign({}, coreHypercalls(ctx, config.console ?? stdoutConsole, devices, core), ...devices.map((d) => d.hypercalls));
    const trace = config.trace ?? null;
    const options = config.options ?? {};
    // The cost model is loaded only for --emulate-cost, so a plain run does not pay for its modules.
    const costed = options['emulateCost'] === true ? withModeledCost(solo5, options['backend'] === 'tz' ? 'tz' : 'sgx', (await import('../hw/cost/emulate.js')).emulateCost) : solo5;
    const imports: WebAssembly.Imports = { [SOLO5_IMPORT_MODULE]: trace === null ? costed : traced(costed, trace, name, ctx.io) };

    let runner: GuestRunner | null = null;
    const hosts: Array<[MonitorExtension, GuestHost]> = [];
    const host = (ext: MonitorExtension): GuestHost => {
      const h: GuestHost = {
        name,
        manifest: config.manifest.raw,
        attachments: (ext.attachmentKind && attachments.get(ext.attachmentKind)) || new Map(),
        options,
        trace,
        ...(config.measurement ? { measurement: config.measurement } : {}),
        memory: () => runner!.memory(),
        exports: () => runner!.exports(),
        log: (message) => log(`${name}: ${message}`),
        abort,
      };
      return h;
    };
    const release = () => {
      for (const [e, h] of hosts) e.dispose?.(h);
      for (const d of devices) d.close();
    };
    for (const ext of exts) {
      const h = host(ext);
      try {
        imports[ext.importModule] = await ext.imports(h);
      } catch (e) {
        release();
        throw e;
      }
      hosts.push([ext, h]);
    }
    for (const [ext, h] of hosts) {
      if (ext.wrapHypercalls) imports[SOLO5_IMPORT_MODULE] = ext.wrapHypercalls(h, imports[SOLO5_IMPORT_MODULE] as Record<string, Function>) as WebAssembly.ModuleImports;
    }
    try {
      checkImports(name, config.module, imports);
    } catch (e) {
      release();
      throw e;
    }
    runner = new GuestRunner(config, imports, devices, core, hosts, cmdline, mem);
    return runner;
  }

  memory(): WebAssembly.Memory {
    return this.live().exports.memory as WebAssembly.Memory;
  }

  exports(): WebAssembly.Exports {
    return this.live().exports;
  }

  private live(): WebAssembly.Instance {
    if (this.instance !== null) return this.instance;
    if (this.core.phase === 'start') throw new EmonError('E_BEFORE_MAIN', BEFORE_MAIN);
    throw new EmonError('E_STATE', `guest ${this.config.name} is not instantiated`);
  }

  /**
   * Boots the guest and runs it to the end. Never throws for anything the guest does: traps, aborts and
   * host-side failures inside a hypercall become the result. Throws EmonError only when the module cannot be
   * linked at all (an import with the wrong signature).
   */
  boot(): GuestResult {
    const name = this.config.name;
    for (const d of this.devices) d.reset();
    for (const [e, h] of this.hosts) e.boot?.(h);
    this.core.clockBase = performance.now();
    this.core.ended = null;
    // The last boot's memory must not serve hypercalls of this boot's start function.
    this.mem.detach();
    this.instance = null;
    this.core.phase = 'start';
    try {
      this.instance = new WebAssembly.Instance(this.config.module, this.imports);
    } catch (e) {
      if (e instanceof WebAssembly.LinkError) {
        throw new EmonError('E_LINK', `guest ${name} cannot be linked: ${e.message}`, {
          hint: 'an import has the wrong signature; compare with guest/c/solo5.h',
        });
      }
      return this.ended(e);
    }
    const memory = this.instance.exports.memory as WebAssembly.Memory;
    this.mem.attach(memory);
    let startInfo: number;
    try {
      startInfo = this.writeStartInfo(memory);
    } catch {
      return { name, status: SOLO5_EXIT_ABORT, reason: 'abort', message: `guest ${name}: no memory left for solo5_start_info (raise --mem)` };
    }
    const main = this.instance.exports.solo5_app_main as (p: number) => number;
    this.core.phase = 'main';
    try {
      for (const [e, h] of this.hosts) e.started?.(h);
      const status = main(startInfo) | 0;
      return this.core.ended === null ? { name, status, reason: 'return' } : this.ended(this.core.ended);
    } catch (e) {
      return this.ended(e);
    }
  }

  /**
   * Calls another export of a booted guest with the same protection as boot(): what the guest does to end
   * itself (exit, abort, trap) comes back as `ended`, never as an exception. Tests use it to drive hypercalls
   * one at a time; extensions' callbacks into the guest go the same way.
   */
  invoke(exportName: string, ...args: unknown[]): { value?: unknown; ended?: GuestResult } {
    const fn = this.exports()[exportName];
    if (typeof fn !== 'function') {
      throw new EmonError('E_STATE', `guest ${this.config.name} has no exported function ${exportName}`);
    }
    this.core.ended = null;
    try {
      const value = (fn as (...a: unknown[]) => unknown)(...args);
      return this.core.ended === null ? { value } : { ended: this.ended(this.core.ended) };
    } catch (e) {
      return { ended: this.ended(e) };
    }
  }

  /**
   * Puts solo5_start_info and the command line in one fresh page at the end of memory (nothing of the guest
   * lives there yet) and offers the rest of that page as the heap; guests needing more grow their memory.
   */
  private writeStartInfo(memory: WebAssembly.Memory): number {
    const base = memory.grow(1) * WASM_PAGE;
    this.mem.refresh();
    const cmdlinePtr = base + 16;
    this.mem.u8.set(this.cmdline, cmdlinePtr);
    this.mem.u8[cmdlinePtr + this.cmdline.length] = 0;
    const heapStart = (cmdlinePtr + this.cmdline.length + 1 + 15) & ~15;
    const dv = this.mem.dv;
    dv.setUint32(base, cmdlinePtr, true);
    dv.setUint32(base + 4, heapStart, true);
    dv.setUint32(base + 8, base + WASM_PAGE - heapStart, true);
    return base;
  }

  private ended(thrown: unknown): GuestResult {
    const name = this.config.name;
    // A recorded end (exit, abort) arrives as the trap that unwound the guest: the record says why.
    const e = this.core.ended ?? thrown;
    if (e instanceof GuestExit) {
      const message = e.message === undefined ? undefined : e.reason === 'abort' ? `guest ${name} aborted: ${e.message}` : `guest ${name}: ${e.message}`;
      return message === undefined ? { name, status: e.status, reason: e.reason } : { name, status: e.status, reason: e.reason, message };
    }
    if (e instanceof WebAssembly.RuntimeError) {
      return { name, status: SOLO5_EXIT_ABORT, reason: 'trap', message: `guest ${name} trapped: ${e.message}` };
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      return { name, status: SOLO5_EXIT_ABORT, reason: 'trap', message: `guest ${name} trapped: call stack exhausted` };
    }
    if (isEmonError(e)) {
      return { name, status: SOLO5_EXIT_ABORT, reason: 'abort', message: `guest ${name} aborted: ${e.message}` };
    }
    return { name, status: SOLO5_EXIT_ABORT, reason: 'crash', message: `guest ${name} crashed the monitor's handler: ${e instanceof Error ? e.message : String(e)}` };
  }

  close(): void {
    for (const [ext, host] of this.hosts) ext.dispose?.(host);
    for (const d of this.devices) d.close();
    this.mem.detach();
    this.instance = null;
  }
}

/** Every import of the guest must be served, or it is refused at load with the import's name. */
function checkImports(guest: string, module: WebAssembly.Module, imports: WebAssembly.Imports): void {
  for (const imp of WebAssembly.Module.imports(module)) {
    const served = imports[imp.module]?.[imp.name];
    const ok = served !== undefined && (imp.kind !== 'function' || typeof served === 'function');
    if (!ok) {
      throw new EmonError('E_IMPORT', `guest ${guest} imports ${imp.kind} "${imp.module}"."${imp.name}", which emon does not provide`, {
        hint: imp.module === SOLO5_IMPORT_MODULE
          ? 'the solo5 module provides only the hypercalls of guest/c/solo5.h'
          : imp.module === 'env' && imp.name === 'abort'
            ? 'AssemblyScript guests: compile with --use abort=... pointing at guest/as abort handler (see guest/as/README)'
            : `emon serves the modules: ${Object.keys(imports).join(', ')}`,
      });
    }
  }
}

/** `--emulate-cost`: every hypercall also spins for the modeled cost of a guest exit on the chosen backend. */
function withModeledCost(table: Record<string, Handler>, backend: 'sgx' | 'tz', emulateCost: (backend: 'sgx' | 'tz', event: 'hypercall') => void): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, fn] of Object.entries(table)) {
    const call = fn as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      emulateCost(backend, 'hypercall');
      return call(...args);
    };
  }
  return out;
}

/** Wraps every hypercall to record a TraceEvent; used only when tracing is on, so off costs nothing. */
function traced(table: Record<string, Handler>, sink: TraceSink, track: string, io: { bytes: number }): Record<string, Handler> {
  const out: Record<string, Handler> = {};
  for (const [name, fn] of Object.entries(table)) {
    const call = fn as (...args: unknown[]) => unknown;
    out[name] = (...args: unknown[]) => {
      io.bytes = 0;
      const start = performance.now();
      try {
        return call(...args);
      } finally {
        const dur = performance.now() - start;
        sink.record(io.bytes > 0 ? { kind: 'hypercall', name, track, start, dur, bytes: io.bytes } : { kind: 'hypercall', name, track, start, dur });
      }
    };
  }
  return out;
}
