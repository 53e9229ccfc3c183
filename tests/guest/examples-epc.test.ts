/**
 * Every example guest with enclaves, run through `emon run` with its enclaves paged through several small EPCs
 * (issue 10), prints exactly what it prints with its enclaves resident. The README's EPC example runs at
 * --epc=76p; at that size the gatetest enclave lost OCALL data and the attestation example failed its
 * handshake (a leaf's buffer inside the held marshalling area released the area's pages), while the sealer
 * happened to survive. enclave-quote's key and quote differ on every run: its output is compared with the key
 * and the quote's signed tail masked, after checking that each run's quote binds SHA-256(key) || nonce.
 */
import { createHash } from 'node:crypto';
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
  /** Attach a 64 KiB block device "storage" with these extra options (kept across the runs). */
  readonly block?: string;
  readonly args?: readonly string[];
  /** Masks what varies from run to run; may throw if a run's output is inconsistent. */
  readonly mask?: (out: string) => string;
}

/** A fixed verifier nonce for enclave-quote. */
const NONCE = '5a'.repeat(32);
/** The SGX quote v3 layout: a 48-byte header, then the 384-byte report body whose last 64 bytes are REPORTDATA. */
const REPORT_DATA = 48 + 320;

/**
 * enclave-quote prints a fresh key and a quote over it (its signature and certificates vary). The quote must
 * bind SHA-256(key) || nonce: that is the data the attester enclave wrote through the gate. The header and the
 * report body up to REPORTDATA (MRENCLAVE, MRSIGNER, attributes, SVNs) are the same in every mode.
 */
function maskQuote(out: string): string {
  const key = /^key ([0-9a-f]{64})$/m.exec(out)?.[1];
  const quote = /^quote ([0-9a-f]+)$/m.exec(out)?.[1];
  if (key === undefined || quote === undefined) return out;
  const q = Buffer.from(quote, 'hex');
  const want = Buffer.concat([createHash('sha256').update(Buffer.from(key, 'hex')).digest(), Buffer.from(NONCE, 'hex')]);
  const bound = q.subarray(REPORT_DATA, REPORT_DATA + 64).equals(want) ? 'binds SHA-256(key) || nonce' : 'DOES NOT BIND key and nonce';
  return out.replace(key, '<key>').replace(quote, `${q.subarray(0, REPORT_DATA).toString('hex')}… (${bound})`);
}

const examples: Example[] = [
  { name: 'enclave-probe', enclaves: { gatetest: 'gatetest' }, runs: 1 },
  { name: 'enclave-attest', enclaves: { alice: 'attest-a', bob: 'attest-b' }, runs: 1 },
  { name: 'enclave-seal', enclaves: { sealer: 'sealer' }, runs: 2, block: '' },
  { name: 'enclave-seal-c', enclaves: { sealer: 'sealer' }, runs: 1 },
  { name: 'enclave-quote', enclaves: { attester: 'attester' }, runs: 1, args: [NONCE], mask: maskQuote },
  { name: 'enclave-types', enclaves: { edltypes: 'edltypes' }, runs: 1 },
  // Three boots of the enclave file system: create, then mount the sealed log and add a file, twice.
  { name: 'enclave-fs', enclaves: { fs: 'storage-fs' }, runs: 3, block: ',sector=4096' },
  { name: 'enclave-fs-c', enclaves: { fs: 'storage-fs' }, runs: 1 },
];

/** One platform for every run (its keys, and its cache of instrumented enclaves, which keeps the runs quick). */
const state = mkdtempSync(path.join(tmp, 'state-'));

/** Output of the example's runs in one mode; HMAC tag prefixes and seal times (vary per run) are masked. */
function outputs(ex: Example, guest: string, epc: string | null): { out: string; statuses: number[] } {
  const disk = path.join(mkdtempSync(path.join(tmp, 'disk-')), 'disk.img');
  const args = [
    'run', `--state-dir=${state}`, ...(epc ? [`--epc=${epc}`] : []),
    ...Object.entries(ex.enclaves).map(([n, f]) => `--enclave:${n}=${enclave(f)}`),
    ...(ex.block !== undefined ? [`--block:storage=${disk},size=64K${ex.block}`] : []),
    guest,
    ...(ex.args ?? []),
  ];
  let out = '';
  const statuses: number[] = [];
  for (let i = 0; i < ex.runs; i++) {
    const r = emon(args, { timeoutMs: 60000 });
    out += (ex.mask ?? ((o: string) => o))(r.stdout).replace(/\(([0-9a-f]{16})\.\.\.\)/g, '(…)').replace(/sealed at \d+/g, 'sealed at …');
    statuses.push(r.status);
  }
  return { out, statuses };
}

describe('example guests with enclaves: paged through small EPCs = resident', () => {
  for (const ex of examples) {
    const built = existsSync(path.join(guests, `${ex.name}.wasm`));
    it.skipIf(!built)(`${ex.name}${built ? '' : ' (skipped: not built; C examples need clang)'}: --epc=76p, 90p and 120p print what resident mode prints`, () => {
      const resident = outputs(ex, residentCopy(ex.name), '16M');
      expect(resident.statuses.every((s) => s === 0), resident.out).toBe(true);
      expect(resident.out.length).toBeGreaterThan(0);
      expect(resident.out).not.toMatch(/DOES NOT BIND/);
      for (const epc of ['76p', '90p', '120p']) {
        const paged = outputs(ex, path.join(guests, `${ex.name}.wasm`), epc);
        expect(paged.out, `--epc=${epc}`).toBe(resident.out);
        expect(paged.statuses, `--epc=${epc}`).toEqual(resident.statuses);
      }
    }, 180000);
  }
});
