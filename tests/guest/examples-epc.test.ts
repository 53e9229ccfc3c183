/**
 * Every example guest with enclaves, run through `emon run` with its enclaves paged through several small EPCs
 * (issue 10), prints exactly what it prints with its enclaves resident. The README's EPC example runs at
 * --epc=76p; at that size the gatetest enclave lost OCALL data and the attestation example failed its
 * handshake (a leaf's buffer inside the held marshalling area released the area's pages), while the sealer
 * happened to survive.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { embedManifest, readManifest } from '../../runtime/monitor/manifest.js';
import { emon, guests, root } from '../cli/helpers.js';

const enclave = (n: string): string => path.join(root, 'build', 'enclaves', `${n}.wasm`);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-ex-epc-'));

/** A copy of build/guests/NAME.wasm whose manifest asks for every enclave to run resident. */
function residentCopy(name: string): string {
  const file = path.join(guests, `${name}.wasm`);
  const bytes = new Uint8Array(readFileSync(file));
  const raw = readManifest(bytes, file).raw as { enclaves?: Record<string, unknown>[] };
  const manifest = { ...raw, enclaves: (raw.enclaves ?? []).map((e) => ({ ...e, epc: 'resident' })) };
  const mpath = path.join(tmp, `${name}.manifest.json`);
  writeFileSync(mpath, JSON.stringify(manifest));
  const out = path.join(tmp, `${name}.resident.wasm`);
  writeFileSync(out, embedManifest(bytes, mpath, out));
  return out;
}

interface Example {
  readonly name: string;
  readonly enclaves: Record<string, string>;
  /** Runs with the same state (a second run unseals what the first sealed). */
  readonly runs: number;
  readonly block?: boolean;
}

const examples: Example[] = [
  { name: 'enclave-probe', enclaves: { gatetest: 'gatetest' }, runs: 1 },
  { name: 'enclave-attest', enclaves: { alice: 'attest-a', bob: 'attest-b' }, runs: 1 },
  { name: 'enclave-seal', enclaves: { sealer: 'sealer' }, runs: 2, block: true },
  { name: 'enclave-seal-c', enclaves: { sealer: 'sealer' }, runs: 1 },
];

/** One platform for every run (its keys, and its cache of instrumented enclaves, which keeps the runs quick). */
const state = mkdtempSync(path.join(tmp, 'state-'));

/** Output of the example's runs in one mode; HMAC tag prefixes and seal times (vary per run) are masked. */
function outputs(ex: Example, guest: string, epc: string | null): { out: string; statuses: number[] } {
  const disk = path.join(mkdtempSync(path.join(tmp, 'disk-')), 'disk.img');
  const args = [
    'run', `--state-dir=${state}`, ...(epc ? [`--epc=${epc}`] : []),
    ...Object.entries(ex.enclaves).map(([n, f]) => `--enclave:${n}=${enclave(f)}`),
    ...(ex.block ? [`--block:storage=${disk},size=64K`] : []),
    guest,
  ];
  let out = '';
  const statuses: number[] = [];
  for (let i = 0; i < ex.runs; i++) {
    const r = emon(args, { timeoutMs: 60000 });
    out += r.stdout.replace(/\(([0-9a-f]{16})\.\.\.\)/g, '(…)').replace(/sealed at \d+/g, 'sealed at …');
    statuses.push(r.status);
  }
  return { out, statuses };
}

describe('example guests with enclaves: paged through small EPCs = resident', () => {
  for (const ex of examples) {
    const built = existsSync(path.join(guests, `${ex.name}.wasm`));
    it.skipIf(!built)(`${ex.name}${built ? '' : ' (skipped: not built; C examples need clang)'}: --epc=76p and 120p print what resident mode prints`, () => {
      const resident = outputs(ex, residentCopy(ex.name), '16M');
      expect(resident.statuses.every((s) => s === 0), resident.out).toBe(true);
      expect(resident.out.length).toBeGreaterThan(0);
      for (const epc of ['76p', '120p']) {
        const paged = outputs(ex, path.join(guests, `${ex.name}.wasm`), epc);
        expect(paged.out, `--epc=${epc}`).toBe(resident.out);
        expect(paged.statuses, `--epc=${epc}`).toEqual(resident.statuses);
      }
    }, 180000);
  }
});
