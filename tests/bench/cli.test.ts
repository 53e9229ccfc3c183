/**
 * `emon bench` from the command line (compiled CLI in dist/): help, a quick run writing JSON and HTML, compare
 * flagging a regression (and failing with --fail-on-regression), and clear non-zero errors for a bad suite
 * name or a file that is not a result.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseBenchRun, type BenchRun } from '../../bench/result.js';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist/runtime/cli/main.js');

function emon(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!existsSync(cli))('emon bench (CLI)', () => {
  it('has --help naming its options and subcommands', () => {
    const r = emon('bench', '--help');
    expect(r.status).toBe(0);
    for (const s of ['--list', '--quick', '--html', '--edl', '--emulate-cost', 'compare', 'report']) expect(r.stdout).toContain(s);
  });

  it('runs a suite quickly, writes JSON and a report, and compares two runs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emon-bench-cli-'));
    const out = path.join(dir, 'a.json');
    const r = emon('bench', 'tracing', '--quick', '-o', out, '--html', path.join(dir, 'a.html'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/tracing\/clock_monotonic\/trace-off/);
    const run = parseBenchRun(JSON.parse(readFileSync(out, 'utf8')), out);
    expect(readFileSync(path.join(dir, 'a.html'), 'utf8')).toContain('<svg');

    // Give one case 12 controlled samples in "before", and the same 3× slower in "after": it must be flagged, and
    // only it (every other case is identical in both files).
    const edit = (r: BenchRun, factor: number): BenchRun => {
      const copy = JSON.parse(JSON.stringify(r)) as { suites: Array<{ name: string; cases: Array<{ samples: number[]; median: number }> }> };
      const target = copy.suites.find((x) => x.name === 'tracing')!.cases[0]!;
      target.samples = Array.from({ length: 12 }, (_, i) => run.floor.median * (10 + i / 10) * factor);
      target.median = target.samples[6]!;
      return copy as unknown as BenchRun;
    };
    const c = run.suites.find((x) => x.name === 'tracing')!.cases[0]!;
    await writeFile(out, JSON.stringify(edit(run, 1)));
    const b = path.join(dir, 'b.json');
    await writeFile(b, JSON.stringify(edit(run, 3)));
    const cmp = emon('bench', 'compare', out, b);
    expect(cmp.status).toBe(0);
    expect(cmp.stdout).toMatch(new RegExp(`tracing/${c.name.replace(/\//g, '\\/')}.*REGRESSION`));
    expect(cmp.stdout).toMatch(/^1 regression\(s\)/m);
    expect(emon('bench', 'compare', '--fail-on-regression', out, b).status).toBe(1);
    expect(emon('bench', 'compare', '--fail-on-regression', out, out).status).toBe(0);
  }, 90_000);

  it('fails clearly on a bad suite name and on a file that is not a result', async () => {
    const bad = emon('bench', 'no-such-suite');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/^emon: no benchmark suite named "no-such-suite"/);
    expect(bad.stderr).toMatch(/hint: available: .*tracing/);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'emon-bench-cli-'));
    const junk = path.join(dir, 'junk.json');
    await writeFile(junk, '{"schema":"something-else"}');
    const cmp = emon('bench', 'compare', junk, junk);
    expect(cmp.status).not.toBe(0);
    expect(cmp.stderr).toContain(`emon: ${junk} is not an emon benchmark result`);
    const missing = emon('bench', 'compare', path.join(dir, 'nope.json'), junk);
    expect(missing.stderr).toMatch(/cannot read benchmark result .*nope\.json: ENOENT/);
  });
});

