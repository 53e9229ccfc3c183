/**
 * Start-up of the `emon` command, as a user feels it: whole processes, each command against `node -e 0` (the
 * floor no Node program can beat) measured in the same run. The targets are the issue's: `emon --version`
 * at most 1.15x, `emon run hello.wasm` and `emon inspect hello.wasm` at most 1.3x. Besides the runner's cases,
 * extra() runs the four commands interleaved round by round (so load on a shared machine hits all of them
 * alike) and reports the median of each and the three ratios of medians. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../runtime/paths.js';
import { summarize } from '../stats.js';
import type { BenchCase, BenchSuite, SuiteContext } from '../suite.js';

/** What a user runs as `emon`: package.json's bin. */
const cli = path.join(projectRoot, (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { bin: { emon: string } }).bin.emon);
const hello = path.join(projectRoot, 'build', 'guests', 'hello.wasm');

export const NODE_FLOOR = 'node -e 0';

/** The commands measured, with the target ratio to `node -e 0`. */
export const COMMANDS: ReadonlyArray<{ name: string; args: readonly string[]; target: number | null }> = [
  { name: NODE_FLOOR, args: ['-e', '0'], target: null },
  { name: 'emon --version', args: [cli, '--version'], target: 1.15 },
  { name: 'emon run hello.wasm', args: [cli, 'run', hello], target: 1.3 },
  { name: 'emon inspect hello.wasm', args: [cli, 'inspect', hello], target: 1.3 },
];

/** Runs one command as a whole process and returns its wall time in ns; a failing command is an error. */
export function timeProcess(args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ns = Number(process.hrtime.bigint() - t0);
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${String(r.stderr).slice(0, 200)}`);
  return ns;
}

/** `rounds` interleaved runs of every command (order rotated each round); medians in ms and ratios. */
export function measureStartup(rounds: number): { medianMs: Record<string, number>; ratio: Record<string, number>; target: Record<string, number>; rounds: number } {
  const samples = COMMANDS.map(() => [] as number[]);
  for (const c of COMMANDS) timeProcess(c.args); // warm the file cache
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < COMMANDS.length; k++) {
      const i = (r + k) % COMMANDS.length;
      samples[i]!.push(timeProcess(COMMANDS[i]!.args) / 1e6);
    }
  }
  const medianMs: Record<string, number> = {};
  COMMANDS.forEach((c, i) => (medianMs[c.name] = summarize(samples[i]!).median));
  const ratio: Record<string, number> = {};
  const target: Record<string, number> = {};
  for (const c of COMMANDS) {
    if (c.target === null) continue;
    ratio[c.name] = medianMs[c.name]! / medianMs[NODE_FLOOR]!;
    target[c.name] = c.target;
  }
  return { medianMs, ratio, target, rounds };
}

export const suite: BenchSuite = {
  name: 'startup',
  description: 'whole-process start-up of emon --version, run and inspect against node -e 0 (issue targets 1.15x, 1.3x, 1.3x)',
  async setup(): Promise<BenchCase[]> {
    if (!existsSync(cli) || !existsSync(hello)) throw new Error(`startup: build first (npm run build): ${path.relative(projectRoot, cli)} and build/guests/hello.wasm are needed`);
    return COMMANDS.map((c) => ({
      name: c.name,
      run(iterations: number) {
        for (let i = 0; i < iterations; i++) timeProcess(c.args);
      },
      ...(c.target !== null ? { baselines: [NODE_FLOOR], target: { against: NODE_FLOOR, ratio: c.target } } : {}),
    }));
  },
  async extra(ctx: SuiteContext) {
    const m = measureStartup(ctx.quick ? 10 : 21);
    const lines = Object.entries(m.ratio).map(([name, r]) => `  ${name}: ${r.toFixed(2)}x node -e 0 (target ${m.target[name]}x, ${r <= m.target[name]! ? 'met' : 'MISSED'})`);
    console.log(`startup: medians of ${m.rounds} interleaved rounds, node -e 0 = ${m.medianMs[NODE_FLOOR]!.toFixed(1)} ms\n${lines.join('\n')}`);
    return m;
  },
};
