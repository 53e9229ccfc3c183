/**
 * How services beyond Solo5's devices plug into the monitor, the way Solo5's tender modules register their own
 * hypercalls and options with the core: an extension serves one Wasm import module (e.g. "emon" for enclaves),
 * takes `--KIND:NAME=VALUE` attachments from the command line, and sees the guest only through `GuestHost`.
 * Extensions are listed in ./extensions.ts and loaded inside each guest's worker thread.
 */
import type { TraceSink } from '../trace/sink.js';

// What the loader measured of a guest (module hash, data segments) is hw's type: the hardware that watches a guest
// must not depend on monitor code (tests/architecture.test.ts).
export type { GuestMeasurement, MeasuredSegment } from '../hw/measurement.js';
import type { GuestMeasurement } from '../hw/measurement.js';

/** What the monitor offers an extension for one running guest. */
export interface GuestHost {
  /** The guest's name (from its file name, or --name), used in every message. */
  readonly name: string;
  /** The parsed `solo5.manifest` JSON, including keys beyond `devices` (e.g. `enclaves`). */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** `--KIND:NAME=VALUE` attachments of this extension's kind, NAME -> VALUE. */
  readonly attachments: ReadonlyMap<string, string>;
  /** Run options given to `emon run` (backend, stateDir, epc, verbose, emulateCost, ...). */
  readonly options: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Null when tracing is off. */
  readonly trace: TraceSink | null;
  /**
   * The guest shares its thread with other guests (a fleet's shared worker, ./scheduler.ts): per-thread state an
   * extension keeps must then be per guest. Absent: the guest has the thread to itself.
   */
  readonly sharesThread?: boolean;
  /** The loader's measurement of the guest module, when its manifest asks for integrity monitoring. */
  readonly measurement?: GuestMeasurement;
  /** The guest's memory; valid once the guest is instantiated. Re-read `.buffer` after any call into the guest. */
  memory(): WebAssembly.Memory;
  /** The guest's exports; valid once the guest is instantiated (OCALL handlers live here). */
  exports(): WebAssembly.Exports;
  /** Print a line on the monitor's log (stderr), prefixed with the guest name. */
  log(message: string): void;
  /** End the guest with a message, as Solo5's abort does (exit status 255). Never returns. */
  abort(message: string): never;
}

export interface MonitorExtension {
  /** The Wasm import module this extension serves, e.g. "emon". */
  readonly importModule: string;
  /** Command-line attachment kind (`--enclave:NAME=PATH`), if the extension takes attachments. */
  readonly attachmentKind?: string;
  /**
   * Check the manifest and attachments before the guest starts (throw EmonError naming the problem), and
   * return the import object for one guest instance.
   */
  imports(host: GuestHost): Record<string, WebAssembly.ImportValue> | Promise<Record<string, WebAssembly.ImportValue>>;
  /**
   * Called before each boot of the guest with the same imports: a rebooted guest is a new guest, so state keyed
   * to the last boot (open handles, views of its memory) must go.
   */
  boot?(host: GuestHost): void;
  /** Called when the guest has ended, whatever the cause. */
  dispose?(host: GuestHost): void;
  /**
   * Wrap the guest's "solo5" hypercalls (called once per guest, after `imports`): the extension sees every exit
   * from the guest, as a secure timer's interrupt is taken at the next exit. Return the table unchanged when
   * the guest does not need it, so that the hypercall path stays as it is.
   */
  wrapHypercalls?(host: GuestHost, table: Record<string, Function>): Record<string, Function>;
  /**
   * Called at each boot once the guest is instantiated — its memory holds what the module's data segments put
   * there — and before its entry point runs (TrustZone integrity monitoring takes its reference here). Throwing
   * (or `host.abort`) ends the guest with the message.
   */
  started?(host: GuestHost): void;
  /**
   * True while one of this extension's calls for the guest is on the stack under guest code (an ECALL whose
   * enclave made an OCALL into the guest, an enclave's start run by enclave_open). A shared worker's scheduler
   * (./scheduler.ts) must not unwind the guest then; it asks only when it would. An extension without this hook
   * has each of its functions wrapped to count the calls in progress, which costs every call (a null ECALL
   * about a fifth more).
   */
  busy?(host: GuestHost): boolean;
}
