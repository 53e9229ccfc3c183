/**
 * The JSON a benchmark run writes under bench/results/ (schema `emon-bench/1`): the environment it ran in, the
 * same-run floor, and per case the raw samples (ns/op), their median and spread, ratios to the floor and to the
 * named baselines, and the modeled hardware cycles from runtime/hw/cost beside the measured time. The report
 * and `emon bench compare` read only this file, so results from other machines or days can be compared.
 */
import { EmonError } from '../runtime/errors.js';

export const RESULT_SCHEMA = 'emon-bench/1';

export interface Environment {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly loadAverage: readonly number[];
  readonly emon: string;
  readonly commit?: string;
  /** Installed versions of emon's runtime dependencies (they carry the crypto baselines and the Wasm tooling). */
  readonly dependencies?: Readonly<Record<string, string>>;
}

export interface CaseResult {
  readonly name: string;
  /** Operations per sample, found by calibration. */
  readonly iterations: number;
  /** Nanoseconds per operation, one per sample, in the order taken. */
  readonly samples: readonly number[];
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  /** Distribution-free 95 % confidence interval of the median (bench/stats.ts medianCi). */
  readonly medianCi?: readonly [number, number];
  /** median / floor median. */
  readonly ratioToFloor: number;
  /** median / that baseline's median, for each baseline the case names that exists in its suite. */
  readonly baselines: Readonly<Record<string, number>>;
  readonly bytes?: number;
  /** Throughput from `bytes` and the median, MB/s (10^6 bytes). */
  readonly mbPerSec?: number;
  readonly modeledCycles?: { readonly sgx?: number; readonly tz?: number };
  /** Modeled cycles turned into ns with the clock the cost table assumes. */
  readonly modeledNs?: { readonly sgx?: number; readonly tz?: number };
  readonly params?: Readonly<Record<string, string | number>>;
  readonly target?: { readonly against: string; readonly ratio: number; readonly atLeast?: boolean; readonly actual: number; readonly met: boolean };
}

export interface SuiteResult {
  readonly name: string;
  readonly description: string;
  readonly cases: readonly CaseResult[];
  readonly extra?: Record<string, unknown>;
  /** Set when the suite failed to set up or run; its cases are then missing or partial. */
  readonly error?: string;
}

export interface BenchRun {
  readonly schema: typeof RESULT_SCHEMA;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  /** Set when the run spun for modeled hardware costs (`--emulate-cost`). */
  readonly emulateCost?: boolean;
  readonly environment: Environment;
  readonly floor: CaseResult;
  readonly suites: readonly SuiteResult[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkCase(c: unknown, where: string): void {
  if (!isRecord(c) || typeof c.name !== 'string') throw new Error(`${where}: case without a name`);
  const at = `${where}/${c.name}`;
  if (!Array.isArray(c.samples) || c.samples.some((s) => typeof s !== 'number')) throw new Error(`${at}: samples must be numbers`);
  for (const k of ['median', 'q1', 'q3', 'min', 'max', 'ratioToFloor', 'iterations']) {
    if (typeof c[k] !== 'number') throw new Error(`${at}: ${k} must be a number`);
  }
  if (!isRecord(c.baselines)) throw new Error(`${at}: baselines must be an object`);
}

/** Validate parsed JSON as a benchmark run; throws EmonError naming the file and the first problem. */
export function parseBenchRun(json: unknown, file: string): BenchRun {
  try {
    if (!isRecord(json)) throw new Error('not a JSON object');
    if (json.schema !== RESULT_SCHEMA) throw new Error(`schema is ${JSON.stringify(json.schema)}, expected "${RESULT_SCHEMA}"`);
    if (!isRecord(json.environment)) throw new Error('environment missing');
    checkCase(json.floor, 'floor');
    if (!Array.isArray(json.suites)) throw new Error('suites must be an array');
    for (const s of json.suites) {
      if (!isRecord(s) || typeof s.name !== 'string' || !Array.isArray(s.cases)) throw new Error('suite without name or cases');
      for (const c of s.cases) checkCase(c, s.name);
    }
    return json as unknown as BenchRun;
  } catch (e) {
    throw new EmonError('E_BENCH_RESULT', `${file} is not an emon benchmark result: ${(e as Error).message}`, {
      hint: 'pass a JSON file written by `emon bench` (under bench/results/)',
    });
  }
}
