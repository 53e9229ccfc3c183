/**
 * The verifier's provisioned state: endorsements, reference values and policy, as Veraison's provisioning API
 * stores them, kept durably in one JSON file of the verifier's state folder (written to a temporary file, synced
 * and renamed, so a crash leaves the old state or the new, never half of it). Provisioning merges: new trust
 * anchors, device keys and reference values are added; collateral and policy are replaced.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../errors.js';
import { fileErrorReason, readRegularFile } from '../files.js';
import { DEFAULT_POLICY, parsePolicy, parseReferenceValues, type Endorsements, type Policy, type PsaDeviceKey, type ReferenceValues } from './policy.js';
import { pemP256Point } from './engine.js';

const FILE = 'provisioned.json';

export interface Provisioned {
  readonly endorsements: Endorsements;
  readonly references: ReferenceValues;
  readonly policy: Policy;
}

const EMPTY: Provisioned = { endorsements: { sgxRoots: [], psaDevices: [] }, references: { sgx: [], psa: [] }, policy: DEFAULT_POLICY };

const bad = (m: string): EmonError => new EmonError('E_VERIFIER_INPUT', m, { hint: 'see docs/attestation.md for the provisioning formats' });

/** Validates endorsements posted by a client (PEM/JSON text fields, device keys). */
export function parseEndorsements(j: unknown): Partial<Endorsements> {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw bad('endorsements must be a JSON object');
  const o = j as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (o['sgxRoots'] !== undefined) {
    if (!Array.isArray(o['sgxRoots']) || !o['sgxRoots'].every((r) => typeof r === 'string' && r.includes('BEGIN CERTIFICATE'))) throw bad('"sgxRoots" must be an array of PEM certificates');
    out['sgxRoots'] = o['sgxRoots'];
  }
  for (const k of ['tcbInfo', 'tcbChain', 'qeIdentity', 'pckCert', 'pckChain']) {
    if (o[k] !== undefined) {
      if (typeof o[k] !== 'string') throw bad(`"${k}" must be text`);
      out[k] = o[k];
    }
  }
  if (o['psaDevices'] !== undefined) {
    if (!Array.isArray(o['psaDevices'])) throw bad('"psaDevices" must be an array of {"instanceId": hex, "key": PEM}');
    out['psaDevices'] = o['psaDevices'].map((d: unknown, i: number): PsaDeviceKey => {
      const x = d as Record<string, unknown>;
      if (typeof x?.['instanceId'] !== 'string' || !/^[0-9a-fA-F]{66}$/.test(x['instanceId'])) throw bad(`psaDevices[${i}].instanceId must be 66 hex digits (33-byte UEID)`);
      if (typeof x['key'] !== 'string' || !pemP256Point(x['key'])) throw bad(`psaDevices[${i}].key must be a P-256 public key in PEM`);
      return { instanceId: x['instanceId'].toLowerCase(), key: x['key'] };
    });
  }
  return out as Partial<Endorsements>;
}

export class VerifierStore {
  private state: Provisioned;
  private readonly file: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, FILE);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw new EmonError('E_VERIFIER_STATE', `cannot create the verifier state folder ${dir}: ${(e as Error).message}`, { hint: 'pass a writable folder with --state' });
    }
    let text: string | null = null;
    try {
      text = readRegularFile(this.file, 'utf8');
    } catch (e) {
      // Not provisioned yet. Any other failure must not pass for an empty state, which the next save would keep.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new EmonError('E_VERIFIER_STATE', `cannot read the verifier state ${this.file}: ${fileErrorReason(e)}`, { hint: 'make it the regular file emon wrote, or remove it and provision again' });
      }
    }
    if (text === null) this.state = EMPTY;
    else {
      try {
        const j = JSON.parse(text) as { endorsements: unknown; references: unknown; policy: unknown };
        this.state = {
          endorsements: { ...EMPTY.endorsements, ...parseEndorsements(j.endorsements) },
          references: parseReferenceValues(j.references, `${this.file} reference values`),
          policy: parsePolicy(j.policy, this.file),
        };
      } catch (e) {
        throw new EmonError('E_VERIFIER_STATE', `the verifier state ${this.file} is damaged: ${(e as Error).message}`, { hint: 'restore it from a backup, or remove it and provision again' });
      }
    }
  }

  get(): Provisioned {
    return this.state;
  }

  private save(next: Provisioned): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(next, null, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    this.state = next;
  }

  addEndorsements(e: Partial<Endorsements>): void {
    const cur = this.state.endorsements;
    const devices = new Map(cur.psaDevices.map((d) => [d.instanceId, d]));
    for (const d of e.psaDevices ?? []) devices.set(d.instanceId, d);
    this.save({
      ...this.state,
      endorsements: {
        ...cur,
        ...e,
        sgxRoots: [...new Set([...cur.sgxRoots, ...(e.sgxRoots ?? [])])],
        psaDevices: [...devices.values()],
      },
    });
  }

  addReferences(r: ReferenceValues): void {
    this.save({ ...this.state, references: { sgx: [...this.state.references.sgx, ...r.sgx], psa: [...this.state.references.psa, ...r.psa] } });
  }

  setPolicy(p: Policy): void {
    this.save({ ...this.state, policy: p });
  }
}
