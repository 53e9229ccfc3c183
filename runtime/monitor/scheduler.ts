/**
 * Many guests on one thread: a round-robin scheduler with time slices and timed sleeps, in the manner of a
 * unikernel hypervisor's vCPU scheduler (Xen's credit scheduler: runnable vCPUs take turns, blocked ones wait on a
 * timer; Manco et al., "My VM is Lighter (and Safer) than your Container", SOSP 2017, for the density goal).
 * Guests are Asyncify-rewritten (./asyncify.ts): `solo5.yield` with a future deadline unwinds the guest and puts it
 * on the timer heap; the fuel check's `tick` unwinds a guest whose slice is over and puts it at the back of the run
 * queue. Guests made from one file share one compiled WebAssembly.Module. A trap, abort, exit or timeout ends
 * that guest only; the loop goes on with the others. The loop is synchronous (sleeps are Atomics.wait), as a
 * tender's vCPU thread is, so a wake-up does not wait for Node's event loop.
 */
import { isEmonError } from '../errors.js';
import { MAX_CMDLINE_BYTES, SOLO5_EXIT_ABORT } from './abi.js';
import { checkAttachments, type Attachments } from './attach.js';
import {
  ASYNCIFY_REWINDING, ASYNCIFY_STACK_BYTES, ASYNCIFY_UNWINDING, FUEL_GLOBAL, FUEL_QUANTUM, SCHED_IMPORT, type AsyncifyExports,
} from './asyncify-abi.js';
import type { ConsoleSink } from './console.js';
import { coreHypercalls, endGuest, GuestExit, monotonicNs, TIMEOUT_STATUS, type CoreState } from './core.js';
import type { DeviceContext, DeviceInstance, Handler } from './device.js';
import { deviceModules } from './devices/index.js';
import type { GuestHost, MonitorExtension } from './extension.js';
import type { GuestResult, RunOptions } from './guest.js';
import { WASM_PAGE } from './loader.js';
import type { Manifest } from './manifest.js';
import { GuestMemory } from './memory.js';
import { createWake } from './wake.js';

/** One guest given to a scheduler. */
export interface ScheduledGuest {
  readonly name: string;
  /** Asyncify-rewritten and compiled (shared by every guest made from the same file). */
  readonly module: WebAssembly.Module;
  readonly manifest: Manifest;
  readonly cmdline: string;
  readonly attachments?: Attachments;
  readonly console: ConsoleSink;
  /** Seconds from boot after which the guest is stopped with status 124. */
  readonly timeoutS?: number;
  /** Monitor extensions serving the guest's other import modules (enclaves: "emon"); see Scheduler.prepare(). */
  readonly extensions?: readonly MonitorExtension[];
  /** Run options given to extensions (backend, stateDir, epc, ...). */
  readonly options?: RunOptions;
  /** Monitor log lines of extensions (stderr by default). */
  readonly log?: (line: string) => void;
}

export interface SchedulerOptions {
  /** Time slice in ms (default 2): how long a guest may run before a runnable neighbour gets the thread. */
  readonly sliceMs?: number;
  /** Called as each guest ends, in the order they end. */
  readonly onEnd?: (index: number, result: GuestResult) => void;
}

/** Per-guest scheduling statistics (benchmarks and tests read them). */
export interface GuestStats {
  /** Slices the guest was given. */
  slices: number;
  /** Wake-up lateness samples in ms (guest running again minus its yield deadline), when recording. */
  readonly lateness: number[];
  /** performance.now() at which each lateness sample was taken (the guest running again), when recording. */
  readonly wokeAt: number[];
}

type State = 'new' | 'ready' | 'sleeping' | 'done';

class Slot {
  state: State = 'new';
  instance: WebAssembly.Instance | null = null;
  asyncify: AsyncifyExports | null = null;
  fuel: WebAssembly.Global | null = null;
  main: ((p: number) => number) | null = null;
  startInfo = 0;
  /** Address of the Asyncify header {stack start, stack end}. */
  data = 0;
  /** performance.now() when the guest should run again (sleeping) and when it is stopped (timeout). */
  wakeAt = Infinity;
  deadlineAt = Infinity;
  /** The yield deadline in ms, for lateness. */
  yieldDeadline = 0;
  heapIndex = -1;
  readonly mem = new GuestMemory();
  readonly core: CoreState = { clockBase: 0, tlsBase: 0, ended: null, phase: 'idle' };
  imports: WebAssembly.Imports | null = null;
  devices: DeviceInstance[] = [];
  /** Imports served by extensions, made by Scheduler.prepare(), with the hosts to dispose of at the end. */
  extImports: WebAssembly.Imports = {};
  hosts: Array<[MonitorExtension, GuestHost]> = [];
  /** The busy() hooks of its extensions that have one (their functions are not wrapped; see Scheduler.guard). */
  busy: Array<() => boolean> = [];
  readonly stats: GuestStats = { slices: 0, lateness: [], wokeAt: [] };
  constructor(readonly index: number, readonly guest: ScheduledGuest) {}
}

/** A binary min-heap of sleeping slots by wakeAt (thousands of sleepers: O(log n) per sleep and wake). */
class TimerHeap {
  private readonly a: Slot[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Slot | undefined {
    return this.a[0];
  }
  push(s: Slot): void {
    this.a.push(s);
    this.up(this.a.length - 1);
  }
  pop(): Slot | undefined {
    const top = this.a[0];
    const last = this.a.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.a.length > 0) {
      this.a[0] = last;
      this.down(0);
    }
    return top;
  }
  private up(i: number): void {
    const a = this.a;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.wakeAt <= a[i]!.wakeAt) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  private down(i: number): void {
    const a = this.a;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && a[l]!.wakeAt < a[m]!.wakeAt) m = l;
      if (r < a.length && a[r]!.wakeAt < a[m]!.wakeAt) m = r;
      if (m === i) return;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** The status of a guest stopped by --timeout (as ./supervisor.ts). */

export class Scheduler {
  private readonly slots: Slot[];
  private readonly runQueue: Slot[] = [];
  private runHead = 0;
  /**
   * Guests not booted yet, apart from the run queue: while they boot, a guest whose timer is due runs before
   * the next boot, alternately with them, instead of waiting behind every guest of the fleet still to boot
   * (with 1,000 guests booting, as long as the whole boot).
   */
  private readonly newQueue: Slot[] = [];
  private newHead = 0;
  /** Guests whose timer came due while others were still to boot. */
  private readonly woken: Slot[] = [];
  private wokeHead = 0;
  /** While booting: whether a woken guest (rather than a boot) goes next. */
  private wokenNext = false;
  /** With recordLateness: performance.now() when the last guest booted (wake-ups before it overlap the boot). */
  lastBootAt = 0;
  private readonly timers = new TimerHeap();
  private readonly sliceMs: number;
  private sliceEnd = 0;
  private current: Slot | null = null;
  private readonly results: (GuestResult | undefined)[];
  /** Record wake-up lateness per guest, and how late each of the thread's own sleeps ended (benchmarks). */
  recordLateness = false;
  /** With recordLateness: ms by which each Atomics.wait of the loop overslept (the host's share of lateness). */
  readonly oversleep: number[] = [];
  /**
   * Calls into extensions in progress. An ECALL may call back into the guest (an OCALL handler), whose own
   * preemption checks must not unwind it then: the stack below is the extension's JS, not the scheduler's.
   */
  private readonly depth = { n: 0 };
  /** Whether an extension's call is on the stack under the guest's code now, so the guest cannot be unwound. */
  private inHost(s: Slot): boolean {
    if (this.depth.n > 0) return true;
    for (const b of s.busy) if (b()) return true;
    return false;
  }

  constructor(guests: readonly ScheduledGuest[], private readonly options: SchedulerOptions = {}) {
    this.sliceMs = options.sliceMs ?? 2;
    this.slots = guests.map((g, i) => new Slot(i, g));
    this.results = new Array(guests.length);
    for (const s of this.slots) this.newQueue.push(s);
  }

  /**
   * Asks each guest's extensions for their imports (which may be asynchronous, e.g. loading an enclave), before
   * run(). Guests without extensions need no preparation. A refusal ends that guest only.
   */
  async prepare(): Promise<void> {
    for (const s of this.slots) {
      const exts = s.guest.extensions ?? [];
      if (exts.length === 0) continue;
      const g = s.guest;
      const log = g.log ?? ((line: string) => process.stderr.write(`${line}\n`));
      try {
        for (const ext of exts) {
          const host: GuestHost = {
            name: g.name,
            manifest: g.manifest.raw,
            attachments: (ext.attachmentKind && g.attachments?.get(ext.attachmentKind)) || new Map(),
            options: g.options ?? {},
            trace: null,
            sharesThread: true,
            memory: () => s.instance!.exports.memory as WebAssembly.Memory,
            exports: () => s.instance!.exports,
            log: (message) => log(`${g.name}: ${message}`),
            abort: (message: string): never => {
              return endGuest(s.core, new GuestExit(SOLO5_EXIT_ABORT, 'abort', message));
            },
          };
          const table = await ext.imports(host);
          const busy = ext.busy;
          if (busy !== undefined) s.busy.push(() => busy.call(ext, host));
          s.extImports[ext.importModule] = busy !== undefined ? table : this.guarded(table);
          s.hosts.push([ext, host]);
        }
      } catch (e) {
        this.end(s, ended(g.name, e));
      }
    }
  }

  /**
   * Wraps the functions of an extension without a busy() hook so the guest is never unwound while one of them
   * is on the stack.
   */
  private guarded(table: Record<string, WebAssembly.ImportValue>): Record<string, WebAssembly.ImportValue> {
    const out: Record<string, WebAssembly.ImportValue> = {};
    for (const [name, v] of Object.entries(table)) out[name] = typeof v === 'function' ? this.guard(v as (...a: unknown[]) => unknown) : v;
    return out;
  }

  /**
   * One wrapper per function, with the function's own arity where it is small: an ECALL is on the hot path, and
   * a rest-and-spread wrapper cost it about a third more inside a shared worker (the `fleet` bench suite). There
   * is no try/finally either (it cost a null ECALL about 2 ns more, 20%): an exception that leaves an extension's
   * function goes on through the guest's Wasm frames, which cannot catch it, and ends the guest's slice (an
   * enclave's OCALL gate that sees it marks the guest faulted and passes it on), so slice() resets the count.
   */
  private guard(fn: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
    const depth = this.depth;
    switch (fn.length) {
      case 0:
        return () => {
          depth.n++;
          const r = fn();
          depth.n--;
          return r;
        };
      case 1:
        return (a: unknown) => {
          depth.n++;
          const r = fn(a);
          depth.n--;
          return r;
        };
      case 2:
        return (a: unknown, b: unknown) => {
          depth.n++;
          const r = fn(a, b);
          depth.n--;
          return r;
        };
      case 3:
        return (a: unknown, b: unknown, c: unknown) => {
          depth.n++;
          const r = fn(a, b, c);
          depth.n--;
          return r;
        };
      default:
        return (...a: unknown[]) => {
          depth.n++;
          const r = fn(...a);
          depth.n--;
          return r;
        };
    }
  }

  stats(index: number): GuestStats {
    return this.slots[index]!.stats;
  }

  /** Runs every guest to its end and returns the results in the order the guests were given. */
  run(): GuestResult[] {
    let live = this.slots.filter((s) => s.state !== 'done').length;
    if (live < this.slots.length) {
      const queued = this.newQueue.filter((s) => s.state !== 'done');
      this.newQueue.length = 0;
      this.newQueue.push(...queued);
    }
    while (live > 0) {
      const now = performance.now();
      for (let top = this.timers.peek(); top !== undefined && top.wakeAt <= now; top = this.timers.peek()) {
        this.timers.pop();
        if (top.state !== 'sleeping') continue;
        if (now >= top.deadlineAt) {
          this.end(top, this.timedOut(top));
          live--;
          continue;
        }
        top.state = 'ready';
        if (this.newHead < this.newQueue.length) this.woken.push(top);
        else this.runQueue.push(top);
      }
      if (this.newHead < this.newQueue.length) {
        // Booting: a guest whose timer is due alternates with the boots; preempted guests wait for the boots
        // to end, as they did behind them before (so the guests booted first get no more than their share).
        const woken = this.wokeHead < this.woken.length && this.wokenNext ? this.woken[this.wokeHead++]! : null;
        if (this.wokeHead === this.woken.length) {
          this.woken.length = 0;
          this.wokeHead = 0;
        }
        let slot = woken;
        if (slot === null) {
          slot = this.newQueue[this.newHead]!;
          this.newQueue[this.newHead++] = undefined as unknown as Slot;
          if (this.newHead === this.newQueue.length) {
            this.newQueue.length = 0;
            this.newHead = 0;
          }
          this.wokenNext = true;
        } else this.wokenNext = false;
        const r = this.slice(slot);
        if (r !== null) {
          this.end(slot, r);
          live--;
        }
        continue;
      }
      if (this.wokeHead < this.woken.length) {
        this.runQueue.push(...this.woken.slice(this.wokeHead));
        this.woken.length = 0;
        this.wokeHead = 0;
      }
      const ready = this.runHead < this.runQueue.length;
      if (!ready) {
        this.runQueue.length = 0;
        this.runHead = 0;
        const next = this.timers.peek();
        if (next === undefined) break;
        const ms = next.wakeAt - performance.now();
        if (ms > 0) {
          Atomics.wait(pause, 0, 0, ms);
          if (this.recordLateness) this.oversleep.push(performance.now() - next.wakeAt);
        }
        continue;
      }
      const slot = this.runQueue[this.runHead++]!;
      if (this.runHead > 4096 && this.runHead * 2 > this.runQueue.length) {
        this.runQueue.splice(0, this.runHead);
        this.runHead = 0;
      }
      const r = this.slice(slot);
      if (r !== null) {
        this.end(slot, r);
        live--;
      }
    }
    return this.results.map((r, i) => r ?? { name: this.slots[i]!.guest.name, status: SOLO5_EXIT_ABORT, reason: 'crash', message: `guest ${this.slots[i]!.guest.name}: never scheduled` });
  }

  /** Runs one slice of a guest; returns its result when it ended, null when it is suspended. */
  private slice(s: Slot): GuestResult | null {
    this.current = s;
    // No extension call is on the stack between slices, even when the last one ended its guest by a throw.
    this.depth.n = 0;
    s.stats.slices++;
    const now = performance.now();
    this.sliceEnd = now + this.sliceMs;
    try {
      if (s.state === 'new') {
        this.lastBootAt = now;
        const booted = this.boot(s);
        if (booted !== null) return booted;
      }
      if (now >= s.deadlineAt) return this.timedOut(s);
      if (s.fuel !== null) s.fuel.value = FUEL_QUANTUM;
      const a = s.asyncify!;
      if (s.state === 'sleeping' || s.state === 'ready') {
        if (this.recordLateness && s.yieldDeadline > 0) {
          s.stats.lateness.push(now - s.yieldDeadline);
          s.stats.wokeAt.push(now);
        }
        s.yieldDeadline = 0;
      }
      const resuming = s.stats.slices > 1;
      if (resuming) a.asyncify_start_rewind(s.data);
      const status = s.main!(s.startInfo);
      if (a.asyncify_get_state() === ASYNCIFY_UNWINDING) {
        a.asyncify_stop_unwind();
        if (s.state === 'sleeping') this.timers.push(s);
        else {
          s.state = 'ready';
          this.runQueue.push(s);
        }
        return null;
      }
      return { name: s.guest.name, status: status | 0, reason: 'return' };
    } catch (e) {
      // exit, abort and the monitor's aborts end the guest with a trap (./core.ts endGuest), recording why first.
      return ended(s.guest.name, s.core.ended ?? e);
    } finally {
      this.current = null;
    }
  }

  private boot(s: Slot): GuestResult | null {
    const g = s.guest;
    const cmdline = new TextEncoder().encode(g.cmdline);
    if (cmdline.length >= MAX_CMDLINE_BYTES) {
      return { name: g.name, status: 1, reason: 'crash', message: `command line of guest ${g.name} is ${cmdline.length} bytes; Solo5 allows ${MAX_CMDLINE_BYTES - 1}` };
    }
    s.imports = this.importsFor(s);
    for (const [ext, host] of s.hosts) ext.boot?.(host);
    s.core.clockBase = performance.now();
    if (g.timeoutS !== undefined) s.deadlineAt = s.core.clockBase + g.timeoutS * 1000;
    s.core.phase = 'start';
    s.instance = new WebAssembly.Instance(g.module, s.imports);
    s.core.phase = 'main';
    const ex = s.instance.exports;
    s.asyncify = ex as unknown as AsyncifyExports;
    s.fuel = (ex[FUEL_GLOBAL] as WebAssembly.Global | undefined) ?? null;
    s.main = ex.solo5_app_main as (p: number) => number;
    const memory = ex.memory as WebAssembly.Memory;
    s.mem.attach(memory);
    // Two fresh pages at the end of memory: solo5_start_info, the command line and a small heap in the first,
    // the Asyncify stack in the second (the guest's own memory: it can only hurt itself by writing there).
    let base: number;
    try {
      base = memory.grow(2) * WASM_PAGE;
    } catch {
      return { name: g.name, status: SOLO5_EXIT_ABORT, reason: 'abort', message: `guest ${g.name}: no memory left for solo5_start_info (raise --mem)` };
    }
    s.mem.refresh();
    const cmdPtr = base + 16;
    s.mem.u8.set(cmdline, cmdPtr);
    s.mem.u8[cmdPtr + cmdline.length] = 0;
    const heapStart = (cmdPtr + cmdline.length + 1 + 15) & ~15;
    s.mem.dv.setUint32(base, cmdPtr, true);
    s.mem.dv.setUint32(base + 4, heapStart, true);
    s.mem.dv.setUint32(base + 8, base + WASM_PAGE - heapStart, true);
    s.startInfo = base;
    s.data = base + WASM_PAGE;
    s.state = 'ready';
    return null;
  }

  private importsFor(s: Slot): WebAssembly.Imports {
    const g = s.guest;
    const attachments: Attachments = g.attachments ?? new Map();
    checkAttachments(g.name, g.manifest, attachments, deviceModules, g.extensions ?? []);
    const ctx: DeviceContext = {
      guest: g.name,
      manifest: g.manifest,
      mem: s.mem,
      wake: createWake(),
      netLinks: new Map(),
      io: { bytes: 0 },
      abort: (message: string): never => {
        return endGuest(s.core, new GuestExit(SOLO5_EXIT_ABORT, 'abort', message));
      },
    };
    for (const m of deviceModules) s.devices.push(m.create(ctx, attachments.get(m.optionKind) ?? new Map()));
    const solo5: Record<string, Handler> = Object.assign({}, coreHypercalls(ctx, g.console, s.devices, s.core), ...s.devices.map((d) => d.hypercalls));
    const pollers = s.devices.filter((d) => d.ready !== undefined);
    const readySet = new Uint32Array(2);
    solo5['yield'] = (deadline: bigint, readyOut: number): void => {
      const a = s.asyncify!;
      readyOut >>>= 0;
      if (a.asyncify_get_state() === ASYNCIFY_REWINDING) {
        a.asyncify_stop_rewind();
      } else {
        if (!s.mem.inBounds(readyOut, 8)) ctx.abort(`yield(): ready set pointer ${readyOut} outside guest memory`);
        readySet[0] = 0;
        readySet[1] = 0;
        for (const p of pollers) p.ready!(readySet);
        const leftMs = (Number(BigInt.asUintN(64, deadline)) - monotonicNs(s.core.clockBase)) / 1e6;
        if ((readySet[0]! | readySet[1]!) === 0 && leftMs > 0 && this.inHost(s)) {
          // Inside an extension's call (an OCALL handler sleeping): the stack cannot be unwound, so this guest
          // sleeps on the thread as it would in a worker of its own.
          Atomics.wait(pause, 0, 0, Math.min(leftMs, s.deadlineAt - performance.now()));
        } else if ((readySet[0]! | readySet[1]!) === 0 && leftMs > 0) {
          s.state = 'sleeping';
          s.yieldDeadline = performance.now() + leftMs;
          s.wakeAt = Math.min(s.yieldDeadline, s.deadlineAt);
          this.unwind(s);
          return;
        }
      }
      if (!s.mem.inBounds(readyOut, 8)) ctx.abort(`yield(): ready set pointer ${readyOut} outside guest memory`);
      s.mem.dv.setUint32(readyOut, readySet[0]!, true);
      s.mem.dv.setUint32(readyOut + 4, readySet[1]!, true);
    };
    const tick = (): void => {
      const a = s.asyncify!;
      if (a.asyncify_get_state() === ASYNCIFY_REWINDING) {
        a.asyncify_stop_rewind();
        return;
      }
      s.fuel!.value = FUEL_QUANTUM;
      const now = performance.now();
      if (now >= s.deadlineAt) endGuest(s.core, new GuestExit(TIMEOUT_STATUS, 'timeout', `stopped after ${g.timeoutS} s (--timeout)`));
      if (now >= this.sliceEnd && (this.runHead < this.runQueue.length || this.newHead < this.newQueue.length || this.wokeHead < this.woken.length || (this.timers.peek()?.wakeAt ?? Infinity) <= now) && !this.inHost(s)) {
        s.state = 'ready';
        this.unwind(s);
      }
    };
    return { ...s.extImports, solo5, [SCHED_IMPORT]: { tick } };
  }

  private unwind(s: Slot): void {
    s.mem.refresh();
    if (!s.mem.inBounds(s.data, 8 + ASYNCIFY_STACK_BYTES)) endGuest(s.core, new GuestExit(SOLO5_EXIT_ABORT, 'abort', 'its scheduler stack page is gone'));
    s.mem.dv.setUint32(s.data, s.data + 8, true);
    s.mem.dv.setUint32(s.data + 4, s.data + 8 + ASYNCIFY_STACK_BYTES, true);
    s.asyncify!.asyncify_start_unwind(s.data);
  }

  private timedOut(s: Slot): GuestResult {
    return { name: s.guest.name, status: TIMEOUT_STATUS, reason: 'timeout', message: `guest ${s.guest.name} stopped after ${s.guest.timeoutS} s (--timeout)` };
  }

  private end(s: Slot, r: GuestResult): void {
    s.state = 'done';
    for (const [ext, host] of s.hosts) ext.dispose?.(host);
    s.hosts = [];
    s.busy = [];
    s.extImports = {};
    for (const d of s.devices) d.close();
    s.devices = [];
    s.mem.detach();
    s.instance = null;
    s.imports = null;
    s.asyncify = null;
    s.main = null;
    s.fuel = null;
    this.results[s.index] = r;
    this.options.onEnd?.(s.index, r);
  }
}

/** How a guest's end looks as a result (the same wording as ./guest.ts gives a guest in its own worker). */
function ended(name: string, e: unknown): GuestResult {
  if (e instanceof GuestExit) {
    const message = e.message === undefined ? undefined : e.reason === 'abort' ? `guest ${name} aborted: ${e.message}` : `guest ${name}: ${e.message}`;
    return message === undefined ? { name, status: e.status, reason: e.reason } : { name, status: e.status, reason: e.reason, message };
  }
  if (e instanceof WebAssembly.RuntimeError) return { name, status: SOLO5_EXIT_ABORT, reason: 'trap', message: `guest ${name} trapped: ${e.message}` };
  if (e instanceof RangeError && /call stack/i.test(e.message)) return { name, status: SOLO5_EXIT_ABORT, reason: 'trap', message: `guest ${name} trapped: call stack exhausted` };
  if (e instanceof WebAssembly.LinkError) return { name, status: 1, reason: 'crash', message: `guest ${name} cannot be linked: ${e.message}` };
  if (isEmonError(e)) return { name, status: e.code === 'E_ATTACH' || e.code === 'E_IMPORT' ? 1 : SOLO5_EXIT_ABORT, reason: e.code === 'E_ATTACH' || e.code === 'E_IMPORT' ? 'crash' : 'abort', message: `guest ${name} aborted: ${e.message}` };
  return { name, status: SOLO5_EXIT_ABORT, reason: 'crash', message: `guest ${name} crashed the monitor's handler: ${e instanceof Error ? e.message : String(e)}` };
}
