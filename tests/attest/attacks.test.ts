/**
 * The issue's list of bad input and attacks, each through both faces of the verifier: the service (evidence
 * posted to a session whose nonce it made; the EAR is contraindicated and names the reason) and the CLI
 * (`emon attest verify` exits 1 naming the reason, no stack trace). One case per line of the issue.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPublicKey, randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { VerifierService, EVIDENCE_ENVELOPE } from '../../runtime/attest/service.js';
import { verifyEar } from '../../runtime/attest/ear.js';
import { Manufacturer } from '../../runtime/attest/sgx/manufacturer.js';
import { psaIssuer, type PsaTokenIssuer } from '../../runtime/hw/psa/token.js';
import { LIFECYCLE } from '../../runtime/hw/psa/claims.js';
import type { Policy, ReferenceValues } from '../../runtime/attest/policy.js';
import { DEFAULT_POLICY } from '../../runtime/attest/policy.js';
import { emon } from '../cli/helpers.js';
import { attesterWith, platformWithTcb, SgxRig, tmp } from './helpers.js';

const m = await Manufacturer.open(tmp('emon-att-ca-'));
const rigs = {
  good: await SgxRig.create({ manufacturer: m }),
  debug: await SgxRig.create({ manufacturer: m, attesterFile: attesterWith({ debug: true }) }),
  revoked: await SgxRig.create({ manufacturer: m, platform: platformWithTcb('01010101010101010000000000000000', 3) }),
  outdated: await SgxRig.create({ manufacturer: m, platform: platformWithTcb('0e0e0202ff8003000000000000000000', 12) }),
  expired: await SgxRig.create({ manufacturer: m, pck: { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') } }),
};
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const pemOf = (pub: Uint8Array) =>
  createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(pub.subarray(1, 33)).toString('base64url'), y: Buffer.from(pub.subarray(33)).toString('base64url') }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
const device = psaIssuer(new Uint8Array(32).fill(7));
const stranger = psaIssuer(new Uint8Array(32).fill(8));
const mrenclave = hex(rigs.good.attester.image.enclave.identity.mrenclave);

interface Made {
  readonly type: 'sgx-quote' | 'psa-token';
  readonly bytes: Uint8Array;
  readonly key: Uint8Array;
}

const token = (issuer: PsaTokenIssuer, nonce: Uint8Array, key: Uint8Array): Uint8Array =>
  issuer.issue({ nonce: new Uint8Array([...nonce, ...sha256(key)]), implementationId: new Uint8Array(32), bootSeed: new Uint8Array(32), lifecycle: LIFECYCLE.secured, clientId: 1, swComponents: [{ measurementValue: new Uint8Array(32).fill(1), signerId: new Uint8Array(32) }] });

async function sgx(rig: SgxRig, nonce: Uint8Array, edit?: (q: Uint8Array) => Uint8Array): Promise<Made> {
  const ev = await rig.evidence(nonce);
  return { type: 'sgx-quote', bytes: edit ? edit(ev.quote.slice()) : ev.quote, key: ev.pub };
}

interface Attack {
  readonly name: string;
  readonly code: string;
  make(nonce: Uint8Array): Promise<Made>;
  readonly policy?: Partial<Policy>;
  readonly references?: ReferenceValues;
  readonly keyOverride?: Uint8Array;
}

const attacks: Attack[] = [
  { name: 'a forged quote', code: 'E_ATTEST_SIGNATURE', make: (n) => sgx(rigs.good, n, (q) => ((q[48 + 70]! ^= 1), q)) },
  {
    name: 'a re-signed quote', code: 'E_ATTEST_SIGNATURE',
    make: (n) => sgx(rigs.good, n, (q) => {
      q[48 + 70]! ^= 1;
      const sk = p256.utils.randomSecretKey();
      q.set(p256.getPublicKey(sk, false).subarray(1), 500);
      q.set(p256.sign(q.subarray(0, 432), sk, { prehash: true }), 436);
      return q;
    }),
  },
  { name: 'evidence replayed with an old nonce', code: 'E_ATTEST_NONCE', make: () => sgx(rigs.good, new Uint8Array(randomBytes(32))) },
  { name: 'report data that does not match the key', code: 'E_ATTEST_BINDING', make: (n) => sgx(rigs.good, n), keyOverride: new Uint8Array(32).fill(5) },
  { name: 'a debug enclave under a production policy', code: 'E_ATTEST_DEBUG', make: (n) => sgx(rigs.debug, n) },
  { name: 'an SVN below the minimum', code: 'E_ATTEST_SVN', make: (n) => sgx(rigs.good, n), references: { sgx: [{ mrenclave, minIsvSvn: 9 }], psa: [] } },
  { name: 'a revoked platform', code: 'E_ATTEST_TCB_REVOKED', make: (n) => sgx(rigs.revoked, n) },
  { name: 'an out-of-date platform', code: 'E_ATTEST_TCB_OUT_OF_DATE', make: (n) => sgx(rigs.outdated, n) },
  { name: 'an unknown device key', code: 'E_ATTEST_UNKNOWN_KEY', make: async (n) => ({ type: 'psa-token', bytes: token(stranger, n, new Uint8Array(32).fill(2)), key: new Uint8Array(32).fill(2) }) },
  {
    name: 'tampered CBOR', code: 'E_ATTEST_MALFORMED',
    make: async (n) => {
      const t = token(device, n, new Uint8Array(32).fill(2));
      t[1] = 0x85; // the COSE_Sign1 array claims five elements
      return { type: 'psa-token', bytes: t, key: new Uint8Array(32).fill(2) };
    },
  },
  { name: 'a truncated quote', code: 'E_ATTEST_MALFORMED', make: (n) => sgx(rigs.good, n, (q) => q.subarray(0, q.length - 100)) },
  { name: 'certificates out of their validity period', code: 'E_ATTEST_CERT_VALIDITY', make: (n) => sgx(rigs.expired, n) },
];

const endorsements = async () => ({ sgxRoots: [m.rootPem()], tcbInfo: await m.tcbInfo(), tcbChain: m.tcbIssuerChainPem(), psaDevices: [{ instanceId: hex(device.instanceId), key: pemOf(device.publicKey) }] });
const services: VerifierService[] = [];
afterAll(async () => {
  for (const s of services) await s.close();
});

describe('each attack is refused with its own reason by the service', () => {
  for (const a of attacks) {
    it(a.name, async () => {
      const svc = await VerifierService.create({ stateDir: tmp('emon-verifier-') });
      services.push(svc);
      svc.store.addEndorsements(await endorsements());
      if (a.references) svc.store.addReferences(a.references);
      svc.store.setPolicy({ ...DEFAULT_POLICY, ...a.policy });
      const { port } = await svc.listen();
      const s = await fetch(`http://127.0.0.1:${port}/challenge-response/v1/newSession`, { method: 'POST' });
      const nonce = new Uint8Array(Buffer.from(((await s.json()) as { nonce: string }).nonce, 'base64'));
      const ev = await a.make(nonce);
      const r = await fetch(`http://127.0.0.1:${port}/challenge-response/v1/${s.headers.get('location')}`, {
        method: 'POST',
        headers: { 'content-type': EVIDENCE_ENVELOPE },
        body: JSON.stringify({ type: ev.type, evidence: Buffer.from(ev.bytes).toString('base64'), key: Buffer.from(a.keyOverride ?? ev.key).toString('base64') }),
      });
      expect(r.status).toBe(200);
      const j = (await r.json()) as { result: string; appraisal: { status: string; reasons: Array<{ code: string }> } };
      expect(j.appraisal.reasons.map((x) => x.code)).toEqual([a.code]);
      const ear = await verifyEar(j.result, svc.signer.publicJwk);
      const sub = Object.values(ear['submods'] as Record<string, Record<string, unknown>>)[0]!;
      expect(sub['ear.status']).toBe('contraindicated');
      expect((sub['emon.reasons'] as Array<{ code: string }>)[0]!.code).toBe(a.code);
    });
  }
  it('an EAR whose signature does not check', async () => {
    const svc = services[0]!;
    const other = await VerifierService.create({ stateDir: tmp('emon-verifier-') });
    const jwt = await other.signer.sign({ scheme: 'SGX', status: 'affirming', trustVector: {} as never, reasons: [], claims: {}, policyId: 'x' });
    await expect(verifyEar(jwt, svc.signer.publicJwk)).rejects.toMatchObject({ code: 'E_ATTEST_EAR_SIGNATURE' });
  });
});

describe('each attack is refused with its own reason by emon attest verify', () => {
  const dir = tmp('emon-att-attacks-');
  const root = path.join(dir, 'root.pem'), tcb = path.join(dir, 'tcb.json'), chain = path.join(dir, 'tcb-chain.pem'), dev = path.join(dir, 'dev.pem');
  it('all of them', async () => {
    writeFileSync(root, m.rootPem());
    writeFileSync(tcb, await m.tcbInfo());
    writeFileSync(chain, m.tcbIssuerChainPem());
    writeFileSync(dev, pemOf(device.publicKey));
    for (const [i, a] of attacks.entries()) {
      const nonce = new Uint8Array(randomBytes(32));
      const ev = await a.make(nonce);
      const file = path.join(dir, `ev${i}`);
      writeFileSync(file, ev.bytes);
      const args = ['attest', 'verify', file, '--type', ev.type, '--nonce', hex(nonce), '--bound-key', hex(a.keyOverride ?? ev.key)];
      if (ev.type === 'sgx-quote') args.push('--root', root, '--tcb-info', tcb, '--tcb-chain', chain);
      else args.push('--key', dev, '--instance-id', hex(device.instanceId));
      if (a.references) {
        writeFileSync(`${file}.refs`, JSON.stringify(a.references));
        args.push('--reference', `${file}.refs`);
      }
      const r = emon(args, { timeoutMs: 60000 });
      expect(r.status, `${a.name}: ${r.stderr}`).toBe(1);
      expect(r.stderr, a.name).toContain(`evidence refused: ${a.code}`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 300_000);
});
