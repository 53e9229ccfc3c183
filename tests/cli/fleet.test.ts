/**
 * `emon run --instances=N` end to end (compiled CLI, `npm run build` first): per-guest prefixed output, --quiet,
 * the summary on stderr, the exit status of the first failing guest, and the fleet options in --help.
 */
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { emon, guests } from './helpers.js';

const hello = path.join(guests, 'hello.wasm');

describe('emon run --instances', () => {
  it('runs N copies with {i} in the name, prefixes each line with the guest name and ends with the summary', () => {
    const r = emon(['run', '--instances=3', '--name=h{i}', hello, 'x']);
    expect(r.status).toBe(0);
    for (const n of ['h0', 'h1', 'h2']) expect(r.stdout).toMatch(new RegExp(`^${n}\\| `, 'm'));
    expect(r.stdout.split('\n').filter((l) => l !== '').every((l) => /^h[012]\| /.test(l))).toBe(true);
    expect(r.stderr).toMatch(/emon: fleet: 3 guests in [\d.]+ s: 3 exited 0, 0 failed/);
    expect(r.stderr).toMatch(/by exit status: 0: 3/);
  });

  it('--quiet drops guest output but keeps the summary; --sched=worker gives each guest its own worker', () => {
    const q = emon(['run', '--instances=4', '--quiet', hello]);
    expect(q.status).toBe(0);
    expect(q.stdout).toBe('');
    expect(q.stderr).toMatch(/4 guests .*4 exited 0/);
    const w = emon(['run', '--instances=2', '--sched=worker', '--quiet', hello]);
    expect(w.status).toBe(0);
    expect(w.stderr).toMatch(/2 guests .*2 exited 0/);
  });

  it('refuses a bad --instances with a clear message and no stack trace', () => {
    const r = emon(['run', '--instances=many', hello]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^emon: --instances=many: expected a whole number/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help lists the fleet options', () => {
    const r = emon(['run', '--help']);
    for (const o of ['--instances=N', '--sched=shared|worker', '--workers=N', '--slice-ms=MS', '--quiet']) expect(r.stdout).toContain(o);
  });
});
