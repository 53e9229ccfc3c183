/**
 * `emon verifier serve` in-process (issue 16 point 3): Veraison's challenge-response flow on loopback — new
 * session with a server nonce, evidence posted, EAR returned and checked with the key from the discovery
 * endpoint — for SGX quotes and PSA tokens; provisioned state survives a restart; and the service refuses a
 * client nonce, oversized bodies, expired or unknown sessions, malformed input and replayed evidence, each with its
 * reason, without ever failing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { VerifierService, EVIDENCE_ENVELOPE } from '../../runtime/attest/service.js';
import { verifyEar } from '../../runtime/attest/ear.js';
import { Manufacturer } from '../../runtime/attest/sgx/manufacturer.js';
import { psaIssuer } from '../../runtime/hw/psa/token.js';
import { LIFECYCLE } from '../../runtime/hw/psa/claims.js';
import { SgxRig, tmp } from './helpers.js';

const m = await Manufacturer.open(tmp('emon-att-ca-'));
const rig = await SgxRig.create({ manufacturer: m });
const stateDir = tmp('emon-verifier-');
let clock = Date.now();
const svc = await VerifierService.create({ stateDir, maxBody: 32 * 1024, sessionTtl: 60, now: () => clock });
const { port } = await svc.listen();
const url = (p: string) => `http://127.0.0.1:${port}${p}`;
afterAll(() => svc.close());
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const device = psaIssuer(new Uint8Array(64).fill(9));
const devicePem = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(device.publicKey.subarray(1, 33)).toString('base64url'), y: Buffer.from(device.publicKey.subarray(33)).toString('base64url') }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;

async function post(p: string, body: unknown, type = 'application/json') {
  const r = await fetch(url(p), { method: p.includes('policy') ? 'PUT' : 'POST', headers: { 'content-type': type }, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
  return { status: r.status, json: (await r.json().catch(() => null)) as Record<string, any> };
}
async function newSession() {
  const r = await fetch(url('/challenge-response/v1/newSession'), { method: 'POST' });
  expect(r.status).toBe(201);
  const loc = r.headers.get('location')!;
  const j = (await r.json()) as { nonce: string };
  return { path: `/challenge-response/v1/${loc}`, nonce: new Uint8Array(Buffer.from(j.nonce, 'base64')) };
}
const jwk = async () => ((await (await fetch(url('/.well-known/veraison/verification'))).json()) as { 'ear-verification-key': JWK })['ear-verification-key'];

describe('verifier service', () => {
  it('is provisioned through its endpoints', async () => {
    expect((await post('/endorsement-provisioning/v1/endorsements', { sgxRoots: [m.rootPem()], tcbInfo: await m.tcbInfo(), tcbChain: m.tcbIssuerChainPem(), psaDevices: [{ instanceId: hex(device.instanceId), key: devicePem }] })).status).toBe(200);
    const id = rig.attester.image.enclave.identity;
    expect((await post('/endorsement-provisioning/v1/reference-values', { sgx: [{ mrenclave: hex(id.mrenclave), minIsvSvn: 3 }], psa: [{ measurements: ['aa'.repeat(32)] }] })).status).toBe(200);
    expect((await post('/endorsement-provisioning/v1/policy', { id: 'policy:test', requireKeyBinding: true })).status).toBe(200);
    expect((await post('/endorsement-provisioning/v1/endorsements', { psaDevices: [{ instanceId: 'zz', key: 'x' }] })).json['code']).toBe('E_VERIFIER_INPUT');
  });

  it('answers SGX evidence bound to its nonce with an affirming EAR signed by its key', async () => {
    const s = await newSession();
    const ev = await rig.evidence(s.nonce);
    const r = await post(s.path, { type: 'sgx-quote', evidence: Buffer.from(ev.quote).toString('base64'), key: Buffer.from(ev.pub).toString('base64') }, EVIDENCE_ENVELOPE);
    expect(r.status).toBe(200);
    expect(r.json['status']).toBe('complete');
    const ear = await verifyEar(r.json['result'], await jwk());
    const sub = (ear['submods'] as Record<string, any>)['SGX'];
    expect(sub['ear.status']).toBe('affirming');
    expect(sub['ear.appraisal-policy-id']).toBe('policy:test');
    expect(sub['ear.trustworthiness-vector']['executables']).toBe(2);
    expect(ear['eat_nonce']).toBe(Buffer.from(s.nonce).toString('base64url'));
    // The session is used up.
    expect((await post(s.path, { type: 'sgx-quote', evidence: 'AA==' }, EVIDENCE_ENVELOPE)).status).toBe(409);
    // The same evidence replayed into a new session: its nonce is stale.
    const s2 = await newSession();
    const replay = await post(s2.path, { type: 'sgx-quote', evidence: Buffer.from(ev.quote).toString('base64'), key: Buffer.from(ev.pub).toString('base64') }, EVIDENCE_ENVELOPE);
    expect(replay.json['appraisal']['reasons'].map((x: any) => x.code)).toEqual(['E_ATTEST_NONCE']);
    expect(replay.json['appraisal']['status']).toBe('contraindicated');
    // Raw quote without a key: the policy requires key binding.
    const s3 = await newSession();
    const raw = await fetch(url(s3.path), { method: 'POST', headers: { 'content-type': 'application/vnd.emon.sgx-quote' }, body: (await rig.evidence(s3.nonce)).quote });
    expect(((await raw.json()) as any).appraisal.reasons.map((x: any) => x.code)).toEqual(['E_ATTEST_BINDING']);
  });

  it('appraises PSA tokens: unknown measurements are contraindicated with their reason', async () => {
    const s = await newSession();
    const key = new Uint8Array(32).fill(1);
    const tok = device.issue({ nonce: new Uint8Array([...s.nonce, ...(await import('@noble/hashes/sha2.js')).sha256(key)]), implementationId: new Uint8Array(32), bootSeed: new Uint8Array(32), lifecycle: LIFECYCLE.secured, clientId: 1, swComponents: [{ measurementValue: new Uint8Array(32).fill(0xbb), signerId: new Uint8Array(32) }] });
    const r = await post(s.path, { type: 'psa-token', evidence: Buffer.from(tok).toString('base64'), key: Buffer.from(key).toString('base64') }, EVIDENCE_ENVELOPE);
    expect(r.json['appraisal']['reasons'].map((x: any) => x.code)).toEqual(['E_ATTEST_REFERENCE']);
    const ear = await verifyEar(r.json['result'], await jwk());
    expect((ear['submods'] as any)['PSA']['ear.status']).toBe('contraindicated');
  });

  it('refuses client nonces, large bodies, unknown and expired sessions, malformed input; garbage evidence is a refusal, not a failure', async () => {
    expect((await post('/challenge-response/v1/newSession?nonce=AAAA', '')).status).toBe(400);
    expect((await post('/challenge-response/v1/newSession?nonceSize=8', '')).status).toBe(400);
    const s = await newSession();
    expect((await post(s.path, new Uint8Array(40 * 1024), 'application/vnd.emon.sgx-quote')).status).toBe(413);
    expect((await post(s.path, '{not json', EVIDENCE_ENVELOPE)).status).toBe(400);
    expect((await post(s.path, 'x', 'text/plain')).status).toBe(415);
    const g = await post(s.path, new Uint8Array([3, 0, 2, 0, 1, 2, 3]), 'application/vnd.emon.sgx-quote');
    expect(g.status).toBe(200);
    expect(g.json['appraisal']['reasons'][0].code).toBe('E_ATTEST_MALFORMED');
    expect((await post('/challenge-response/v1/session/00000000-0000-0000-0000-000000000000', '', 'application/vnd.emon.sgx-quote')).status).toBe(404);
    const old = await newSession();
    clock += 61_000;
    expect((await fetch(url(old.path))).status).toBe(404);
    expect((await post('/nowhere', '')).status).toBe(404);
  });

  it('keeps provisioned state and its EAR key across a restart; a tampered EAR does not verify', async () => {
    const key = await jwk();
    const again = await VerifierService.create({ stateDir });
    expect(again.store.get().policy.id).toBe('policy:test');
    expect(again.store.get().endorsements.psaDevices.length).toBe(1);
    expect(again.signer.publicJwk.x).toBe(key.x);
    const s = await newSession();
    const ev = await rig.evidence(s.nonce);
    const r = await post(s.path, { type: 'sgx-quote', evidence: Buffer.from(ev.quote).toString('base64'), key: Buffer.from(ev.pub).toString('base64') }, EVIDENCE_ENVELOPE);
    const [h, p, sig] = (r.json['result'] as string).split('.');
    const body = JSON.parse(Buffer.from(p!, 'base64url').toString());
    body.submods.SGX['ear.status'] = 'affirming';
    body.eat_nonce = 'x';
    const tampered = `${h}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${sig}`;
    await expect(verifyEar(tampered, key)).rejects.toMatchObject({ code: 'E_ATTEST_EAR_SIGNATURE' });
    const other = await VerifierService.create({ stateDir: tmp('emon-verifier-') });
    await expect(verifyEar(r.json['result'], other.signer.publicJwk)).rejects.toMatchObject({ code: 'E_ATTEST_EAR_SIGNATURE' });
  });
});
