/**
 * `emon bench`: run benchmark suites (bench/suites), write results as JSON under bench/results/, optionally an
 * HTML report, and compare two result files. The runner and report live in bench/; this file is the CLI face.
 */
import { readRegularFile } from '../../files.js';
import type { Command } from 'commander';
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { EmonError } from '../../errors.js';
import { projectRoot } from '../../paths.js';
import { discoverSuites, loadSuite, runBench, type Progress } from '../../../bench/runner.js';
import { caseLine } from '../../../bench/format.js';
import type { BenchRun, CaseResult } from '../../../bench/result.js';
import { parseBenchRun } from '../../../bench/result.js';
import { compareRuns, formatComparison } from '../../../bench/compare.js';
import { renderReport } from '../../../bench/report/html.js';

/** A bar on a terminal; plain lines (one per case) in logs and CI. */
function makeProgress(tty: boolean): Progress & { stop(): void } {
  if (!tty) {
    // The runner adds rounds one at a time when a median is not yet stable: say so once per suite, not per round.
    const announced = new Set<string>();
    const extended = new Set<string>();
    return {
      suiteStart(suite, cases) {
        console.log(`bench: ${suite} (${cases} case${cases === 1 ? '' : 's'}): calibrating`);
      },
      step(suite, _what, addTotal) {
        if (!addTotal) return;
        if (!announced.has(suite)) {
          announced.add(suite);
          console.log(`bench: ${suite}: ${addTotal} interleaved sampling rounds`);
        } else if (!extended.has(suite)) {
          extended.add(suite);
          console.log(`bench: ${suite}: extra rounds for cases whose median is not yet stable`);
        }
      },
      caseDone(suite, r: CaseResult) {
        console.log(caseLine(suite, r));
      },
      suiteEnd(suite, error) {
        if (error) console.log(`bench: ${suite} FAILED: ${error}`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: '{bar} {value}/{total} {suite} {case}', clearOnComplete: true, hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const lines: string[] = [];
  return {
    suiteStart(suite, cases) {
      if (!started) {
        bar.start(cases, 0, { suite, case: '' });
        started = true;
      } else {
        bar.setTotal(bar.getTotal() + cases);
        bar.update({ suite, case: '' });
      }
    },
    step(suite, what, addTotal) {
      if (addTotal) bar.setTotal(bar.getTotal() + addTotal);
      else bar.increment(1, { suite, case: what });
    },
    caseDone(suite, r) {
      lines.push(caseLine(suite, r));
    },
    suiteEnd(suite, error) {
      if (error) lines.push(`bench: ${suite} FAILED: ${error}`);
    },
    stop() {
      if (started) bar.stop();
      for (const l of lines) console.log(l);
    },
  };
}

async function readRun(file: string): Promise<BenchRun> {
  let text: string;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (e) {
    throw new EmonError('E_BENCH_RESULT', `cannot read benchmark result ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      hint: 'pass a JSON file written by `emon bench` (see bench/results/)',
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new EmonError('E_BENCH_RESULT', `${file} is not valid JSON: ${(e as Error).message}`, {
      hint: 'pass a JSON file written by `emon bench` (see bench/results/)',
    });
  }
  return parseBenchRun(json, file);
}

function defaultOut(): string {
  const stamp = new Date().toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
  return path.join(projectRoot, 'bench', 'results', `bench-${stamp}.json`);
}

interface BenchOptions {
  list?: boolean;
  quick?: boolean;
  out?: string;
  html?: string;
  progress?: boolean;
  edl?: string;
  enclave?: string;
  searchPath?: string[];
  type?: string[];
  screenshot?: string;
  emulateCost?: boolean;
}

/** An output path is usable when it is not a folder and its nearest existing ancestor is one. */
function checkOutput(file: string, option: string): void {
  const stat = (p: string) => {
    try {
      return statSync(p);
    } catch {
      return undefined; // missing, or under something that is not a folder (found below)
    }
  };
  const full = path.resolve(file);
  let why: string | null = stat(full)?.isDirectory() ? 'it is a directory' : null;
  for (let dir = path.dirname(full); why === null; dir = path.dirname(dir)) {
    const st = stat(dir);
    if (st !== undefined) {
      if (!st.isDirectory()) why = `${dir} is not a directory`;
      break;
    }
  }
  if (why !== null) throw new EmonError('E_USAGE', `${option} ${file}: cannot write there (${why})`, { hint: 'give the path of a file; missing folders are created' });
}

export function register(program: Command): void {
  const bench = program
    .command('bench')
    .description('run benchmark suites (same-run floor first), write JSON results and an optional HTML report')
    .argument('[suites...]', 'suites to run (default: all; see --list)')
    .option('--list', 'list the available suites and exit')
    .option('--quick', 'short run (seconds): fewer, shorter samples')
    .option('-o, --out <file>', 'where to write the JSON results (default: bench/results/bench-TIMESTAMP.json)')
    .option('--html <file>', 'also write a self-contained HTML report with plots')
    .option('--screenshot <png>', 'with --html: also save a PNG of the rendered report (needs chromium)')
    .option('--no-progress', 'print plain lines even on a terminal')
    .option('--edl <file>', "benchmark every ECALL/OCALL of this EDL (needs --enclave)")
    .option('--enclave <file>', 'the enclave .wasm implementing --edl')
    .option('--search-path <dir>', "with --edl: folder searched for the EDL's imports (repeatable)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--type <NAME=SIZE>', 'with --edl: size of a type from an included C header (repeatable; docs/edl.md)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--emulate-cost', 'spin for the modeled hardware cost at each enclave transition (runtime/hw/cost)')
    .action(async (suites: string[], opts: BenchOptions) => {
      if (opts.list) {
        const found = await discoverSuites();
        if (found.size === 0) console.log('no benchmark suites found (build first: npx tsc -p .)');
        for (const [name, file] of found) {
          let description = '';
          try {
            description = (await loadSuite(file)).description;
          } catch (e) {
            description = `(cannot load: ${(e as Error).message})`;
          }
          console.log(`${name.padEnd(16)} ${description}`);
        }
        return;
      }
      // A run takes minutes: refuse outputs that cannot be written before it starts, not after.
      if (opts.screenshot && !opts.html) {
        throw new EmonError('E_USAGE', '--screenshot needs --html', { hint: 'emon bench --html report.html --screenshot report.png' });
      }
      if (opts.out !== undefined) checkOutput(opts.out, '--out');
      if (opts.html !== undefined) checkOutput(opts.html, '--html');
      const extraSuites = [];
      if (opts.edl || opts.enclave) {
        if (!opts.edl || !opts.enclave) {
          throw new EmonError('E_USAGE', '--edl and --enclave go together', { hint: 'emon bench --edl my.edl --enclave my.wasm' });
        }
        const { edlSuite } = await import('../../../bench/edl/suite.js');
        const { typeOptions } = await import('../../enclave/edl/foreign-types.js');
        extraSuites.push(await edlSuite(opts.edl, opts.enclave, { searchPath: opts.searchPath ?? [], types: typeOptions(opts.type) }));
      }
      const progress = makeProgress(Boolean(process.stderr.isTTY) && opts.progress !== false);
      let run: BenchRun;
      try {
        run = await runBench({ suites, quick: Boolean(opts.quick), emulateCost: Boolean(opts.emulateCost), progress, extraSuites });
      } finally {
        progress.stop();
      }
      const out = path.resolve(opts.out ?? defaultOut());
      try {
        await mkdir(path.dirname(out), { recursive: true });
        await writeFile(out, JSON.stringify(run, null, 1) + '\n');
      } catch (e) {
        throw new EmonError('E_WRITE', `cannot write the results to ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      console.log(`bench: results written to ${path.relative(process.cwd(), out) || out}`);
      if (opts.html) {
        const html = path.resolve(opts.html);
        await mkdir(path.dirname(html), { recursive: true });
        await writeFile(html, renderReport([run]));
        console.log(`bench: report written to ${path.relative(process.cwd(), html) || html}`);
        if (opts.screenshot) {
          const { screenshotReport } = await import('../../../bench/report/screenshot.js');
          await screenshotReport(html, path.resolve(opts.screenshot));
          console.log(`bench: screenshot written to ${opts.screenshot}`);
        }
      }
      const failed = run.suites.filter((s) => s.error);
      if (failed.length > 0) {
        throw new EmonError('E_BENCH_SUITE', `${failed.length} suite(s) failed: ${failed.map((s) => `${s.name} (${s.error})`).join('; ')}`, {
          hint: 'the other results were still written; fix the failing suite or run the others by name',
        });
      }
    });

  bench
    .command('report')
    .description('render the HTML report (and optionally a PNG of it) from result files already written')
    .argument('<results...>', 'result JSON files written by `emon bench`')
    .requiredOption('--output <html>', 'the HTML report to write')
    .option('--png <file>', 'also save a PNG of the rendered report (needs chromium)')
    .action(async (files: string[], opts: { output: string; png?: string }) => {
      checkOutput(opts.output, '--output');
      const runs = [];
      for (const f of files) runs.push(await readRun(f));
      const html = path.resolve(opts.output);
      await mkdir(path.dirname(html), { recursive: true });
      await writeFile(html, renderReport(runs));
      console.log(`bench: report written to ${path.relative(process.cwd(), html) || html}`);
      if (opts.png) {
        const { screenshotReport } = await import('../../../bench/report/screenshot.js');
        await screenshotReport(html, path.resolve(opts.png));
        console.log(`bench: screenshot written to ${opts.png}`);
      }
    });

  bench
    .command('compare')
    .description('compare two result files and flag changes beyond the noise (Mann-Whitney U on the samples)')
    .argument('<before>', 'baseline result JSON')
    .argument('<after>', 'new result JSON')
    .option('--threshold <percent>', 'ignore changes of the median smaller than this', '5')
    .option('--by-floor', 'compare times divided by each run\'s floor (for runs on different machines)')
    .option('--fail-on-regression', 'exit non-zero when a regression is flagged')
    .action(async (before: string, after: string, opts: { threshold: string; byFloor?: boolean; failOnRegression?: boolean }) => {
      const threshold = Number(opts.threshold);
      if (!Number.isFinite(threshold) || threshold < 0) {
        throw new EmonError('E_USAGE', `--threshold must be a non-negative number of percent, got "${opts.threshold}"`);
      }
      const cmp = compareRuns(await readRun(before), await readRun(after), { thresholdPct: threshold, byFloor: Boolean(opts.byFloor) });
      console.log(formatComparison(cmp));
      if (opts.failOnRegression && cmp.rows.some((r) => r.verdict === 'regression')) process.exitCode = 1;
    });
}
