/**
 * The contract between an Asyncify-rewritten guest (./asyncify.ts) and the scheduler that runs it
 * (./scheduler.ts): the import module the scheduler serves, the fuel global, the unwind stack's size, and the
 * exports and states binaryen's Asyncify pass adds (binaryen src/passes/Asyncify.cpp). Kept apart from the
 * rewriter so the threads that only run guests never load binaryen (about 76 MiB per thread).
 */

import { SOLO5_IMPORT_MODULE } from './abi.js';

/** The import module the scheduler serves to rewritten guests. */
export const SCHED_IMPORT = 'emon_sched';
/**
 * The import modules a shared worker serves without extensions: the hypercalls and the scheduler's own. Every
 * rewritten guest imports the latter, so it must not count as needing an extension (../attach.ts
 * needsExtensions), which would give each guest a worker of its own.
 */
export const SCHEDULER_SERVES: readonly string[] = [SOLO5_IMPORT_MODULE, SCHED_IMPORT];
/** The exported fuel counter: checks left before the next clock read. */
export const FUEL_GLOBAL = '__emon_fuel';
/**
 * Fuel between two clock reads. A check spends 1 (a loop trip, a recursive call) or, before a short counted loop,
 * its trip count; a read costs ~30 ns and a unit of fuel at least a few instructions, so reads stay under 5 %.
 */
export const FUEL_QUANTUM = 20_000;
/** Bytes of the unwound stack a guest may have (one Wasm page, minus the 8-byte Asyncify header). */
export const ASYNCIFY_STACK_BYTES = 65536 - 8;

/** Asyncify's exports on a rewritten guest. */
export interface AsyncifyExports {
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}
export const ASYNCIFY_NORMAL = 0;
export const ASYNCIFY_UNWINDING = 1;
export const ASYNCIFY_REWINDING = 2;
