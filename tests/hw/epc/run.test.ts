/**
 * `emon run` with the EPC end to end: a guest whose sealer enclave is paged through a small `--epc` prints the
 * enclave's mode under -v, and its `--trace` holds one epc_fault event per fault on the guest/enclave track.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDir, projectRoot } from '../../../runtime/paths.js';

const cli = path.join(projectRoot, 'dist', 'runtime', 'cli', 'main.js');
const guest = path.join(buildDir, 'guests', 'enclave-seal.wasm');
const sealer = path.join(buildDir, 'enclaves', 'sealer.wasm');
const ready = existsSync(cli) && existsSync(guest) && existsSync(sealer);

function run(args: string[]): { out: string; status: number } {
  const r = spawnSync(process.execPath, [cli, 'run', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { out: `${r.stdout}${r.stderr}`, status: r.status ?? -1 };
}

describe.runIf(ready)('emon run with the EPC', () => {
  it('pages the sealer enclave through --epc=76p, says so under -v, and traces every fault', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'emon-epc-run-'));
    const trace = path.join(dir, 'trace.json');
    const args = ['--epc=76p', `--state-dir=${dir}`, `--block:storage=${path.join(dir, 'disk.img')},size=64K`, `--enclave:sealer=${sealer}`];
    const first = run(['-v', `--trace=${trace}`, ...args, guest]);
    expect(first.status, first.out).toBe(0);
    expect(first.out).toMatch(/sealer\.wasm: EPC paged mode \(up to \d+ KiB, demand-paged in 4 KiB pages through a 76-page EPC\)/);
    const events = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { cat: string; name: string; args: Record<string, unknown> }[] }).traceEvents;
    const faults = events.filter((e) => e.cat === 'epc_fault');
    expect(faults.length).toBeGreaterThan(0);
    for (const f of faults) {
      expect(typeof f.args['page']).toBe('number');
      expect(['read', 'write']).toContain(f.args['access']);
    }
    // The sealed secret survives paging: the second run unseals it.
    const second = run([...args, guest]);
    expect(second.status, second.out).toBe(0);
    expect(second.out).toMatch(/unsealed/);
  });

  it('refuses a bad --epc with a message naming it and a non-zero status', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'emon-epc-run-'));
    const r = run(['--epc=lots', `--state-dir=${dir}`, `--block:storage=${path.join(dir, 'disk.img')},size=64K`, `--enclave:sealer=${sealer}`, guest]);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/bad EPC size "lots"/);
  });
});
