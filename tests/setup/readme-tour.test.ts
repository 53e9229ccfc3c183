/**
 * The README's tour is a promise: every command in it that needs no root, no placeholder and no long benchmark
 * is run here, in order, as a user would type it (an `emon` on PATH, the repository's build/, guest/ and
 * enclaves/ beside the working folder), and must succeed. A tour line that stops working fails this test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from '../cli/helpers.js';

/** Tour lines left out, and why: each needs something a test run cannot assume or takes minutes. */
const SKIP: readonly [RegExp, string][] = [
  [/sudo|tap100/, 'needs root and a TAP interface (tests/monitor/tap.test.ts covers it)'],
  [/\.\.\.|my\.edl|my\.wasm/, 'a placeholder for the user\'s own files'],
  [/^emon (bench|demo)\b|^emon attack all\b/, 'a benchmark or the whole demo (tests/bench, tests/cli)'],
  [/^emon trace summary t\.json/, 'reads the trace of the placeholder line'],
  [/hostfwd=/, 'a server that runs until stopped (tests/monitor/passt.test.ts covers it)'],
];

/** Tour lines whose promise is a failure or a particular output. */
const EXPECT: readonly [RegExp, { status: number; output: RegExp }][] = [
  [/middlebox=.*net-ping\.wasm 3/, { status: 1, output: /no answer to ping 2 within 2 s/ }],
  [/enclave-seal\.wasm/, { status: 0, output: /sealed a new secret to the block device/ }],
  [/sort 3 1 2/, { status: 0, output: /1\s+2\s+3/ }],
];

function tourLines(): string[] {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const tour = /## A short tour\s+```sh\n([\s\S]*?)```/.exec(readme);
  if (tour === null) throw new Error('README.md has no "A short tour" sh block');
  return tour[1]!.replace(/\\\n\s*/g, '').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('emon '));
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-tour-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README tour', () => {
  const lines = tourLines();
  it('has commands to run', () => {
    expect(lines.length).toBeGreaterThan(15);
  });

  const bin = path.join(tmp, 'bin');
  const work = path.join(tmp, 'work');
  mkdirSync(bin);
  mkdirSync(work);
  writeFileSync(path.join(bin, 'emon'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(root, 'dist', 'runtime', 'cli', 'main.js')}" "$@"\n`);
  chmodSync(path.join(bin, 'emon'), 0o755);
  for (const d of ['build', 'guest', 'enclaves']) symlinkSync(path.join(root, d), path.join(work, d));
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: tmp };

  for (const line of lines) {
    const skip = SKIP.find(([re]) => re.test(line));
    const title = line.replace(/\s+#.*$/, '');
    it.skipIf(skip !== undefined)(skip ? `${title} -- SKIPPED: ${skip[1]}` : title, () => {
      const want = EXPECT.find(([re]) => re.test(line))?.[1] ?? { status: 0, output: /(?:)/ };
      let status = 0;
      let out = '';
      try {
        out = execFileSync('/bin/sh', ['-c', `${line} 2>&1`], { cwd: work, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
      } catch (e) {
        const err = e as { status?: number | null; stdout?: string };
        status = err.status ?? -1;
        out = err.stdout ?? '';
      }
      expect(status, `"${line}"\n${out}`).toBe(want.status);
      expect(out).toMatch(want.output);
    }, 150_000);
  }
});
