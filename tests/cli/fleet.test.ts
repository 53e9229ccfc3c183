/**
 * `emon run --instances=N` end to end (compiled CLI, `npm run build` first): per-guest prefixed output, --quiet,
 * the summary on stderr, the exit status of the first failing guest, and the fleet options in --help.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emon, guests, root } from './helpers.js';

/** Runs `emon ARGS`, sampling the process's thread count and peak resident memory from /proc until it ends. */
function sampled(args: string[]): Promise<{ status: number; stderr: string; maxThreads: number; peakRssBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'runtime', 'cli', 'main.js'), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let maxThreads = 0;
    let peakRssBytes = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        maxThreads = Math.max(maxThreads, Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0));
        peakRssBytes = Math.max(peakRssBytes, Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024);
      } catch {
        /* the process has just ended */
      }
    }, 10);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(poll);
      resolve({ status: code ?? -1, stderr, maxThreads, peakRssBytes });
    });
  });
}

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

  // Every rewritten guest imports the scheduler's "emon_sched" module; once that was taken for an extension's
  // import, so each guest got a worker of its own whatever --workers said (50 guests: 61 threads, 5 GB).
  it.runIf(process.platform === 'linux')('--workers=1 runs 200 timer guests on one worker thread, in under 1 GiB', { timeout: 120_000 }, async () => {
    const r = await sampled(['run', '--instances=200', '--workers=1', '--quiet', path.join(guests, 'timer.wasm')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/200 guests .*200 exited 0/);
    // Node's own threads (main, V8 platform, libuv pool) and one worker are about 12; a worker per guest is 200 more.
    expect(r.maxThreads).toBeGreaterThan(0);
    expect(r.maxThreads).toBeLessThanOrEqual(30);
    expect(r.peakRssBytes).toBeLessThan(2 ** 30);
  });

  it.runIf(process.platform === 'linux')('40 guests that each seal a secret with an enclave share one worker thread, and unseal it on the next run', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'emon-cli-seal-'));
    try {
      const args = ['run', '--instances=40', '--workers=1', '--quiet', `--state-dir=${dir}`, `--block:storage=${path.join(dir, 'disk-{i}.img')},size=64K`, `--enclave:sealer=${path.join(root, 'build', 'enclaves', 'sealer.wasm')}`, path.join(guests, 'enclave-seal.wasm')];
      for (let run = 0; run < 2; run++) {
        const r = await sampled(args);
        expect(r.stderr).toMatch(/40 guests .*40 exited 0/);
        expect(r.status).toBe(0);
        // A worker per guest with enclaves, as before, would be 40 threads more.
        expect(r.maxThreads).toBeLessThanOrEqual(30);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
