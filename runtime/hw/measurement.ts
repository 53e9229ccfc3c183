/**
 * What a loader measured of a guest module, in the terms hardware that watches the guest needs (TrustZone's
 * runtime integrity monitoring, runtime/hw/tz/integrity.ts): the module's hash and its data segments. The
 * monitor fills it (runtime/monitor/loader.ts); it is defined here so that hw depends on no monitor code.
 */

/** A data segment of a module, as runtime/monitor/wasmbin.ts reads it. */
export interface DataSegment {
  /** Index in the data section. */
  readonly index: number;
  /**
   * Where it lands in memory 0 by the time the module is instantiated, when that is known: an active segment's
   * constant offset (`i32.const N`), or for a passive one the constant destination of the start function's
   * `memory.init` of it (wasm-ld's `__wasm_init_memory`, which a --shared-memory build such as `emon cc`'s uses);
   * null otherwise.
   */
  readonly offset: number | null;
  readonly length: number;
  /** Where its bytes start in the module file. */
  readonly at: number;
  readonly active: boolean;
  /** Its name in the "name" section (wasm-ld: ".rodata", ".data", ...), when the module carries one. */
  readonly name?: string;
}

/** A data segment with the SHA-256 (hex) of its bytes in the module file. */
export interface MeasuredSegment extends DataSegment {
  readonly sha256: string;
}

/** Given only when the guest's manifest asks for it, so other guests pay nothing. */
export interface GuestMeasurement {
  /** SHA-256 of the guest file's bytes as loaded (before the monitor rewrote or capped anything), hex. */
  readonly sha256: string;
  /** The module's data segments, with where the active ones land, their names and their bytes' hashes. */
  readonly dataSegments: readonly MeasuredSegment[];
}
