/**
 * The contract between benchmark suites (bench/suites/*.ts) and the runner (`emon bench`, `npm run bench`).
 * A suite returns cases; the runner warms each up, takes enough samples for a stable median, measures the
 * same-run floor (a Wasm→JS→Wasm call through an import with no work) first in every run, and reports every
 * case as ns/op plus its ratio to the floor and to any baseline case it names.
 */
export interface BenchCase {
  /** Unique within the suite, e.g. `clock_monotonic` or `seal/wasm-simd/4096`. */
  readonly name: string;
  /** Run the operation `iterations` times (loop inside Wasm where the op is a Wasm call, to time the op only). */
  run(iterations: number): void;
  /** Bytes processed per op (for MB/s), when meaningful. */
  readonly bytes?: number;
  /** Names of other cases of this suite to report a ratio against (e.g. `seal/node/4096`). */
  readonly baselines?: readonly string[];
  /** Modeled hardware cost per op from runtime/hw/cost, shown beside the measured time. */
  readonly modeledCycles?: { readonly sgx?: number; readonly tz?: number };
  /** Free-form labels used by the HTML report to plot (e.g. { size: 4096, backend: 'sgx', impl: 'wasm-simd' }). */
  readonly params?: Readonly<Record<string, string | number>>;
  /** Target from the issue, shown in the report: ratio to `against` must be at most `ratio` (or at least, if `atLeast`). */
  readonly target?: { readonly against: 'floor' | string; readonly ratio: number; readonly atLeast?: boolean };
}

export interface SuiteContext {
  /** `--quick`: seconds, not minutes; used by tests. */
  readonly quick: boolean;
  /** `--emulate-cost`: suites that drive enclave gates spin for the modeled hardware cost at each transition. */
  readonly emulateCost?: boolean;
}

export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  /** Build the cases (compile modules, create enclaves, ...). Setup time is not measured. */
  setup(ctx: SuiteContext): Promise<BenchCase[]>;
  /** Release what setup made. */
  teardown?(): Promise<void>;
  /** Extra derived figures the suite computes itself after its cases ran (e.g. a sweep). */
  extra?(ctx: SuiteContext): Promise<Record<string, unknown>>;
}

/**
 * A ready-made plot a suite may return from extra() under `plots` (e.g. a sweep it computed itself); the HTML
 * report draws it as a line plot. Example: `return { plots: [{ title: 'EPC faults vs working set', xLabel:
 * 'working set (pages)', yLabel: 'faults per pass', series: [{ name: 'sgx', points: [{ x: 64, y: 0 }] }] }] }`.
 * Without it, the report already plots every numeric BenchCase.params key that varies across cases (e.g.
 * `size`, `workingSet`), one series per combination of the other params (e.g. `backend`, `impl`).
 */
export interface ReportPlot {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  readonly series: ReadonlyArray<{ readonly name: string; readonly points: ReadonlyArray<{ readonly x: number; readonly y: number }> }>;
}
