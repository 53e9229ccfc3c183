/**
 * How a device plugs into the monitor core, after Solo5's tender modules (tenders/hvt/hvt_module_blk.c,
 * hvt_module_net.c): each module names its command-line option kind (`--block:NAME=VALUE`) and manifest
 * device type, checks its attachments, and registers its hypercall handlers for one guest. The core only
 * iterates over the modules listed in ./devices/index.ts and never names a device.
 */
import type { MessagePort } from 'node:worker_threads';
import type { DeviceType, Manifest } from './manifest.js';
import type { GuestMemory } from './memory.js';

/** Per-guest state shared by the core and its devices. */
export interface DeviceContext {
  readonly guest: string;
  readonly manifest: Manifest;
  readonly mem: GuestMemory;
  /** The guest's wake word (see ./wake.ts). */
  readonly wake: Int32Array;
  /** Net links handed over by the supervisor (or a test), by device name. */
  readonly netLinks: ReadonlyMap<string, NetLink>;
  /** The run options (`--state-dir`, ...), for devices that need platform state. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Bytes moved by the current hypercall, for the trace (handlers set it only when data moves). */
  io: { bytes: number };
  /** Ends the guest like Solo5's abort, with a message naming the guest. Never returns. */
  abort(message: string): never;
}

/** One end of a guest's network link: the port frames arrive on and leave by, and the guest's MAC. */
export interface NetLink {
  readonly port: MessagePort;
  readonly mac: Uint8Array;
  /**
   * A host TAP interface the guest's thread reads and writes itself (./devices/tap-nic.ts): its descriptor,
   * opened and closed by the supervisor, and counters the supervisor reports (TAP_STAT_* there).
   */
  readonly tap?: { readonly fd: number; readonly ifname: string; readonly stats: Int32Array };
}

/**
 * Hypercall handlers are plain functions called from Wasm with Wasm-typed arguments (number for i32, bigint for
 * i64); `never[]` lets each handler declare its own exact parameter types.
 */
export type Handler = (...args: never[]) => unknown;

/** A device module's state for one guest. */
export interface DeviceInstance {
  readonly hypercalls: Readonly<Record<string, Handler>>;
  /** Handles of this instance that have input ready, as a bitmask over handles 0..31 and 32..63. */
  ready?(out: Uint32Array): void;
  /**
   * Sleeps until input may be ready on this instance, the wake word's generation moves from `gen`, or `ms`
   * pass. Only for devices whose input does not arrive through the wake word (a TAP's descriptor); yield uses
   * the first instance that has one instead of Atomics.wait.
   */
  wait?(gen: number, ms: number): void;
  /** A new boot of the same guest: forget acquisitions. */
  reset(): void;
  /** Release host resources (files, ports). */
  close(): void;
}

export interface DeviceModule {
  /** The `--KIND:NAME=VALUE` option kind, e.g. "block". */
  readonly optionKind: string;
  /** The manifest device type this module serves. */
  readonly deviceType: DeviceType;
  /** One line for `emon run --help`. */
  readonly optionHelp: string;
  /**
   * Checks one attachment before any guest starts, doing host-side preparation that must happen once (e.g.
   * creating or sizing an image). Throws EmonError naming the guest, device and value.
   */
  prepare(guest: string, name: string, value: string): void;
  /** Creates this module's devices for one guest; `attached` maps device name to option value. */
  create(ctx: DeviceContext, attached: ReadonlyMap<string, string>): DeviceInstance;
}
