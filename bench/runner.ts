/**
 * The benchmark runner behind `emon bench`: discovers suites (bench/suites/*.js, see ./suite.ts), measures the
 * same-run floor first, then for each case warms up and calibrates the iteration count so one sample lasts long
 * enough for the clock (process.hrtime, ns), takes enough samples for a stable median (interleaved across the
 * suite's cases, see sampleInterleaved), and reports median, IQR, ratio to the floor and to named baselines, and
 * modeled cycles. The method follows common practice for micro-benchmarks on managed runtimes (warm-up, then
 * many timed batches, robust statistics; cf. Georges et al., "Statistically Rigorous Java Performance
 * Evaluation", OOPSLA 2007).
 */
import { readdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EmonError } from '../runtime/errors.js';
import { projectRoot } from '../runtime/paths.js';
import { cyclesToNs } from '../runtime/hw/cost/model.js';
import type { BenchCase, BenchSuite, SuiteContext } from './suite.js';
import { floorCases, FLOOR_CASE } from './floor.js';
import { medianCi, summarize } from './stats.js';
import { RESULT_SCHEMA, type BenchRun, type CaseResult, type Environment, type SuiteResult } from './result.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Suites sit next to the runner: .js files in dist/, .ts sources when run under vitest. */
const ownExt = path.extname(fileURLToPath(import.meta.url));

export interface Budget {
  /** Time spent running the case before any sample is kept. */
  readonly warmupMs: number;
  /** Target duration of one sample; the iteration count is calibrated to reach it. */
  readonly sampleMs: number;
  readonly samples: number;
  /** Fewer samples (not fewer than minSamples) are taken when one op is so slow that this would be exceeded. */
  readonly maxCaseMs: number;
  readonly minSamples: number;
}

export const QUICK: Budget = { warmupMs: 15, sampleMs: 2, samples: 9, maxCaseMs: 120, minSamples: 3 };
export const FULL: Budget = { warmupMs: 150, sampleMs: 15, samples: 31, maxCaseMs: 2500, minSamples: 5 };

/** Told about progress; the CLI draws a bar on a terminal and plain lines elsewhere. */
export interface Progress {
  suiteStart(suite: string, cases: number): void;
  /** Finer steps inside a suite: a case calibrated, a sampling round done; `addTotal` announces more steps. */
  step?(suite: string, what: string, addTotal?: number): void;
  caseDone(suite: string, result: CaseResult): void;
  suiteEnd(suite: string, error?: string): void;
}

export interface RunOptions {
  /** Suite names to run; all discovered suites when empty, unless `extraSuites` are given. */
  readonly suites?: readonly string[];
  readonly quick: boolean;
  /** Passed to suites (SuiteContext.emulateCost). */
  readonly emulateCost?: boolean;
  readonly progress?: Progress;
  /** Where suites are; defaults to bench/suites next to this module. */
  readonly suitesDir?: string;
  /** Extra suites given directly (e.g. `--edl`), run after the discovered ones. */
  readonly extraSuites?: readonly BenchSuite[];
}

/** Suite name -> module file, for every bench/suites/NAME.{js,ts}. */
export async function discoverSuites(dir = path.join(here, 'suites')): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return found;
  }
  for (const f of names.sort()) {
    if (path.extname(f) !== ownExt || f.endsWith('.d.ts') || f.endsWith('.test.ts')) continue;
    found.set(path.basename(f, ownExt), path.join(dir, f));
  }
  return found;
}

export async function loadSuite(file: string): Promise<BenchSuite> {
  const mod = (await import(pathToFileURL(file).href)) as { suite?: BenchSuite };
  if (!mod.suite || typeof mod.suite.setup !== 'function') {
    throw new EmonError('E_BENCH_SUITE', `${file} does not export \`suite: BenchSuite\``, {
      hint: 'a suite module must export `const suite: BenchSuite` (see bench/suite.ts)',
    });
  }
  return mod.suite;
}

function timeRun(c: BenchCase, iterations: number): number {
  const t0 = process.hrtime.bigint();
  c.run(iterations);
  return Number(process.hrtime.bigint() - t0);
}

interface Calibrated {
  readonly iterations: number;
  /** Samples to take in any case (budget.samples, or fewer if one batch is slow). */
  readonly count: number;
  /** Samples this case may grow to while its median is not yet stable (within maxCaseMs). */
  readonly max: number;
}

/** A median is stable enough when its 95 % confidence interval is within ±5 % of it. */
export const STABLE_CI = 0.05;

function stable(samples: readonly number[]): boolean {
  const [lo, hi] = medianCi(samples);
  const m = summarize(samples).median;
  return m > 0 && (hi - lo) / 2 <= STABLE_CI * m;
}

/** Grow the batch until one batch lasts a sample's length, then keep running it until the warm-up time is spent. */
export function calibrate(c: BenchCase, budget: Budget): Calibrated {
  const sampleNs = budget.sampleMs * 1e6;
  const startNs = process.hrtime.bigint();
  let iterations = 1;
  let t = timeRun(c, iterations);
  while (t < sampleNs && iterations < 2 ** 30) {
    const grow = t <= 0 ? 10 : Math.min(10, Math.max(2, (sampleNs / t) * 1.1));
    iterations = Math.min(2 ** 30, Math.ceil(iterations * grow));
    t = timeRun(c, iterations);
  }
  while (Number(process.hrtime.bigint() - startNs) < budget.warmupMs * 1e6) t = timeRun(c, iterations);
  const affordable = Math.floor((budget.maxCaseMs * 1e6) / Math.max(t, 1));
  const count = Math.max(budget.minSamples, Math.min(budget.samples, affordable));
  return { iterations, count, max: Math.max(count, Math.min(2 * budget.samples, affordable)) };
}

/**
 * Samples (ns/op) of several cases, interleaved: every case is calibrated first, then each round takes one batch
 * of every case that still needs samples, starting one case later each round. On a shared machine load comes
 * and goes; interleaving spreads it over all cases of a suite instead of letting it land on whichever case ran
 * at the wrong moment, so ratios between cases (to baselines, tracing on/off) stay meaningful. This is the
 * "randomized multiple interleaved trials" method of Abedi & Brecht, "Conducting Repeatable Experiments in
 * Highly Variable Cloud Computing Environments", ICPE 2017, with a rotation instead of a random order.
 */
export function sampleInterleaved(
  cases: readonly BenchCase[],
  budget: Budget,
  step?: (what: string, addTotal?: number) => void,
): Array<{ iterations: number; samples: number[] }> {
  const cal = cases.map((c) => {
    const k = calibrate(c, budget);
    step?.(`calibrated ${c.name}`);
    return k;
  });
  const rounds = Math.max(0, ...cal.map((k) => k.count));
  step?.('sampling', rounds);
  const samples: number[][] = cases.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < cases.length; j++) {
      const i = (j + r) % cases.length;
      if (r >= cal[i]!.count) continue;
      samples[i]!.push(timeRun(cases[i]!, cal[i]!.iterations) / cal[i]!.iterations);
    }
    step?.(`round ${r + 1}/${rounds}`);
  }
  // Cases whose median is not yet stable get more rounds, up to twice the samples their time budget allows.
  for (let extra = 1; ; extra++) {
    const more = cal.map((k, i) => samples[i]!.length < k.max && !stable(samples[i]!));
    if (!more.some(Boolean)) break;
    step?.('extra sampling', 1);
    cases.forEach((c, i) => {
      if (more[i]) samples[i]!.push(timeRun(c, cal[i]!.iterations) / cal[i]!.iterations);
    });
    step?.(`extra round ${extra}`);
  }
  return cal.map((k, i) => ({ iterations: k.iterations, samples: samples[i]! }));
}

/** Samples of one case in ns/op, with the calibrated iteration count. */
export function sampleCase(c: BenchCase, budget: Budget): { iterations: number; samples: number[] } {
  return sampleInterleaved([c], budget)[0]!;
}

function caseResult(c: BenchCase, measured: { iterations: number; samples: number[] }, floorMedian: number): CaseResult {
  const s = summarize(measured.samples);
  const ci = medianCi(measured.samples);
  const modeledNs: { sgx?: number; tz?: number } = {};
  if (c.modeledCycles?.sgx !== undefined) modeledNs.sgx = cyclesToNs('sgx', c.modeledCycles.sgx);
  if (c.modeledCycles?.tz !== undefined) modeledNs.tz = cyclesToNs('tz', c.modeledCycles.tz);
  return {
    name: c.name,
    iterations: measured.iterations,
    samples: measured.samples,
    median: s.median,
    q1: s.q1,
    q3: s.q3,
    min: s.min,
    max: s.max,
    medianCi: ci,
    ratioToFloor: s.median / floorMedian,
    baselines: {},
    ...(c.bytes !== undefined ? { bytes: c.bytes, mbPerSec: (c.bytes / s.median) * 1e3 } : {}),
    ...(c.modeledCycles ? { modeledCycles: c.modeledCycles, modeledNs } : {}),
    ...(c.params ? { params: c.params } : {}),
  };
}

/** Fill ratios to baselines and targets once every case of a suite has a median. */
function relate(cases: readonly BenchCase[], results: CaseResult[], floorMedian: number): CaseResult[] {
  const medians = new Map(results.map((r) => [r.name, r.median]));
  return results.map((r, i) => {
    const c = cases[i]!;
    const baselines: Record<string, number> = {};
    for (const b of c.baselines ?? []) {
      const m = medians.get(b);
      if (m !== undefined) baselines[b] = r.median / m;
    }
    let target: CaseResult['target'];
    if (c.target) {
      const against = c.target.against === 'floor' ? floorMedian : medians.get(c.target.against);
      if (against !== undefined) {
        const actual = r.median / against;
        const met = c.target.atLeast ? actual >= c.target.ratio : actual <= c.target.ratio;
        target = { ...c.target, actual, met };
      }
    }
    return { ...r, baselines, ...(target ? { target } : {}) };
  });
}

export function environment(): Environment {
  let emon = 'unknown';
  const dependencies: Record<string, string> = {};
  try {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string; dependencies?: Record<string, string> };
    emon = pkg.version;
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      try {
        dependencies[name] = (JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
      } catch {
        /* not installed: left out */
      }
    }
  } catch {
    /* a missing package.json only loses the version lines */
  }
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    commit = undefined;
  }
  const cpus = os.cpus();
  return {
    node: process.versions.node,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg(),
    emon,
    ...(commit ? { commit } : {}),
    dependencies,
  };
}

async function runSuite(suite: BenchSuite, ctx: SuiteContext, budget: Budget, floorMedian: number, progress?: Progress): Promise<SuiteResult> {
  let cases: BenchCase[] = [];
  const results: CaseResult[] = [];
  let error: string | undefined;
  let extra: Record<string, unknown> | undefined;
  try {
    cases = await suite.setup(ctx);
    progress?.suiteStart(suite.name, cases.length);
    const measured = sampleInterleaved(cases, budget, (what, add) => progress?.step?.(suite.name, what, add));
    cases.forEach((c, i) => {
      const r = caseResult(c, measured[i]!, floorMedian);
      results.push(r);
      progress?.caseDone(suite.name, r);
    });
    if (suite.extra) extra = await suite.extra(ctx);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    try {
      await suite.teardown?.();
    } catch (e) {
      error ??= `teardown: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  progress?.suiteEnd(suite.name, error);
  return {
    name: suite.name,
    description: suite.description,
    cases: relate(cases.slice(0, results.length), results, floorMedian),
    ...(extra ? { extra } : {}),
    ...(error ? { error } : {}),
  };
}

/** Run the floor, then the chosen suites. Suite failures are recorded in the result, not thrown. */
export async function runBench(options: RunOptions): Promise<BenchRun> {
  const startedAt = new Date().toISOString();
  const budget = options.quick ? QUICK : FULL;
  const ctx: SuiteContext = { quick: options.quick, ...(options.emulateCost ? { emulateCost: true } : {}) };
  const available = await discoverSuites(options.suitesDir);
  const wanted =
    options.suites && options.suites.length > 0 ? options.suites : options.extraSuites?.length ? [] : [...available.keys()];
  const unknown = wanted.filter((n) => !available.has(n));
  if (unknown.length > 0) {
    throw new EmonError('E_BENCH_SUITE', `no benchmark suite named ${unknown.map((n) => `"${n}"`).join(', ')}`, {
      hint: `available: ${[...available.keys()].join(', ') || '(none)'}; see \`emon bench --list\``,
    });
  }
  const environmentInfo = environment();

  const floorSuite: BenchSuite = { name: 'floor', description: 'Wasm→JS→Wasm call through an import, no work', setup: floorCases };
  options.progress?.suiteStart('floor', 2);
  const floorRaw = await floorSuite.setup(ctx);
  const floorMeasured = sampleInterleaved(floorRaw, budget, (what, add) => options.progress?.step?.('floor', what, add));
  const floorMedian = summarize(floorMeasured[0]!.samples).median;
  const floorResults = relate(floorRaw, floorRaw.map((c, i) => caseResult(c, floorMeasured[i]!, floorMedian)), floorMedian);
  for (const r of floorResults) options.progress?.caseDone('floor', r);
  options.progress?.suiteEnd('floor');

  const suites: SuiteResult[] = [{ name: 'floor', description: floorSuite.description, cases: floorResults }];
  for (const name of wanted) {
    let suite: BenchSuite;
    try {
      suite = await loadSuite(available.get(name)!);
    } catch (e) {
      suites.push({ name, description: '', cases: [], error: e instanceof Error ? e.message : String(e) });
      options.progress?.suiteEnd(name, suites[suites.length - 1]!.error);
      continue;
    }
    suites.push(await runSuite(suite, ctx, budget, floorMedian, options.progress));
  }
  for (const suite of options.extraSuites ?? []) suites.push(await runSuite(suite, ctx, budget, floorMedian, options.progress));

  return {
    schema: RESULT_SCHEMA,
    startedAt,
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    ...(options.emulateCost ? { emulateCost: true } : {}),
    environment: environmentInfo,
    floor: floorResults.find((r) => r.name === FLOOR_CASE)!,
    suites,
  };
}
