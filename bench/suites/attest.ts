/**
 * Remote attestation (issue 16): quote generation (attester EREPORT, then the quoting enclave's ECDSA P-256
 * signature in Wasm, then assembly of Intel's quote v3), the QE step alone against @noble/curves' P-256 signing
 * in JS, PSA token generation and verification (COSE_Sign1 ES256), quote parsing; then, in extra(), sustained
 * appraisal through the verifier engine (offline) and through the HTTP service on loopback (new session, evidence
 * bound to its nonce, EAR back), each as a closed-loop request rate with latency percentiles. Evidence for each
 * HTTP session is made before the request is timed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { BenchCase, BenchSuite, SuiteContext } from '../suite.js';
import { loadPlatform } from '../../runtime/hw/sgx/platform.js';
import { psaIssuer, type PsaTokenIssuer } from '../../runtime/hw/psa/token.js';
import { LIFECYCLE, type PsaClaimsIn } from '../../runtime/hw/psa/claims.js';
import { Manufacturer } from '../../runtime/attest/sgx/manufacturer.js';
import { QuoteGenerator } from '../../runtime/attest/sgx/quote-gen.js';
import { HostEnclave } from '../../runtime/attest/host-enclave.js';
import { parseQuote } from '../../runtime/attest/sgx/quote.js';
import { parsePsaToken, psaSignatureValid } from '../../runtime/attest/psa/token.js';
import { appraise, type AppraisalContext } from '../../runtime/attest/engine.js';
import { DEFAULT_POLICY } from '../../runtime/attest/policy.js';
import { VerifierService, EVIDENCE_ENVELOPE } from '../../runtime/attest/service.js';
import { buildDir } from '../../runtime/paths.js';

let sink = 0;
let dir = '';
let gen: QuoteGenerator;
let attester: HostEnclave;
let manufacturer: Manufacturer;
let device: PsaTokenIssuer;
let devicePem = '';

function evidence(nonce: Uint8Array): { quote: Uint8Array; pub: Uint8Array } {
  const { outs } = attester.call('att_evidence', [nonce, gen.targetInfo(), { out: 32 }, { out: 208 }]);
  return { quote: gen.quoteSync(outs[1]!), pub: outs[0]! };
}

const claims = (nonce: Uint8Array, key: Uint8Array): PsaClaimsIn => ({
  nonce: new Uint8Array([...nonce, ...sha256(key)]),
  implementationId: new Uint8Array(32).fill(1),
  bootSeed: new Uint8Array(32).fill(2),
  lifecycle: LIFECYCLE.secured,
  clientId: 1,
  swComponents: [
    { measurementType: 'TA', measurementValue: new Uint8Array(32).fill(3), signerId: new Uint8Array(32) },
    { measurementType: 'guest', measurementValue: new Uint8Array(32).fill(4), signerId: new Uint8Array(32) },
  ],
});

interface Rate {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
}

/** Runs `once` back to back for `seconds`; `prepare` (untimed) makes each request's input. */
async function closedLoop<T>(seconds: number, prepare: () => Promise<T> | T, once: (x: T) => Promise<void>): Promise<Rate> {
  const lat: number[] = [];
  let busy = 0;
  while (busy < seconds * 1000 || lat.length < 5) {
    const x = await prepare();
    const t0 = performance.now();
    await once(x);
    const dt = performance.now() - t0;
    lat.push(dt);
    busy += dt;
  }
  lat.sort((a, b) => a - b);
  const q = (p: number): number => Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(3));
  return { requests: lat.length, seconds: Number((busy / 1000).toFixed(3)), perSecond: Number((lat.length / (busy / 1000)).toFixed(1)), p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99) };
}

export const suite: BenchSuite = {
  name: 'attest',
  description: 'SGX quote and PSA token generation and verification; verifier engine and HTTP service request rates',
  async setup() {
    dir = mkdtempSync(path.join(tmpdir(), 'emon-bench-attest-'));
    const platform = loadPlatform(path.join(dir, 'platform'));
    manufacturer = await Manufacturer.open(path.join(dir, 'ca'));
    gen = QuoteGenerator.open(platform, manufacturer);
    await gen.pckChain();
    attester = HostEnclave.load('attester', path.join(buildDir, 'enclaves', 'attester.wasm'), platform);
    device = psaIssuer(platform.sealRoot);
    const { createPublicKey } = await import('node:crypto');
    const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
    devicePem = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(device.publicKey.subarray(1, 33)), y: b64u(device.publicKey.subarray(33)) }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    const nonce = new Uint8Array(32);
    const report = attester.call('att_evidence', [nonce, gen.targetInfo(), { out: 32 }, { out: 208 }]).outs[1]!;
    const quote = gen.quoteSync(report);
    const tok = device.issue(claims(nonce, new Uint8Array(32)));
    const sk = p256.utils.randomSecretKey();
    const msg = quote.subarray(0, 432);
    const cases: BenchCase[] = [
      { name: 'quote/generate', params: { op: 'generate', evidence: 'sgx-quote' }, run(n) { for (let i = 0; i < n; i++) sink ^= evidence(nonce).quote[500]!; } },
      { name: 'quote/qe-sign', params: { op: 'qe-sign', evidence: 'sgx-quote' }, baselines: ['p256-sign/noble'], run(n) { for (let i = 0; i < n; i++) sink ^= gen.quoteSync(report)[440]!; } },
      { name: 'p256-sign/noble', params: { op: 'sign', impl: 'noble' }, run(n) { for (let i = 0; i < n; i++) sink ^= p256.sign(msg, sk, { prehash: true })[0]!; } },
      { name: 'quote/parse', params: { op: 'parse', evidence: 'sgx-quote' }, run(n) { for (let i = 0; i < n; i++) sink ^= parseQuote(quote).qeAuthData.length; } },
      { name: 'psa/generate', params: { op: 'generate', evidence: 'psa-token' }, run(n) { for (let i = 0; i < n; i++) sink ^= device.issue(claims(nonce, nonce))[10]!; } },
      { name: 'psa/verify', params: { op: 'verify', evidence: 'psa-token' }, run(n) { for (let i = 0; i < n; i++) sink ^= psaSignatureValid(parsePsaToken(tok), device.publicKey) ? 1 : 0; } },
    ];
    return cases;
  },

  async extra(ctx: SuiteContext) {
    const seconds = ctx.quick ? 0.3 : 3;
    const base: AppraisalContext = {
      endorsements: { sgxRoots: [manufacturer.rootPem()], tcbInfo: await manufacturer.tcbInfo(), tcbChain: manufacturer.tcbIssuerChainPem(), psaDevices: [{ instanceId: Buffer.from(device.instanceId).toString('hex'), key: devicePem }] },
      references: { sgx: [], psa: [] },
      policy: DEFAULT_POLICY,
    };
    const sgxEv = evidence(new Uint8Array(32));
    const tok = device.issue(claims(new Uint8Array(32), sgxEv.pub));
    const expectStatus = (s: string): void => {
      if (s === 'contraindicated') throw new Error('the benchmark evidence was refused');
    };
    const offlineSgx = await closedLoop(seconds, () => null, async () => expectStatus((await appraise({ type: 'sgx-quote', bytes: sgxEv.quote, key: sgxEv.pub }, base)).status));
    const offlinePsa = await closedLoop(seconds, () => null, async () => expectStatus((await appraise({ type: 'psa-token', bytes: tok, key: sgxEv.pub }, base)).status));
    const svc = await VerifierService.create({ stateDir: path.join(dir, 'verifier'), maxSessions: 1_000_000 });
    svc.store.addEndorsements(base.endorsements);
    const { port } = await svc.listen();
    const url = `http://127.0.0.1:${port}`;
    const session = async (): Promise<{ path: string; nonce: Uint8Array }> => {
      const r = await fetch(`${url}/challenge-response/v1/newSession`, { method: 'POST' });
      const j = (await r.json()) as { nonce: string };
      return { path: `${url}/challenge-response/v1/${r.headers.get('location')}`, nonce: new Uint8Array(Buffer.from(j.nonce, 'base64')) };
    };
    const post = async (p: string, body: object): Promise<void> => {
      const r = await fetch(p, { method: 'POST', headers: { 'content-type': EVIDENCE_ENVELOPE }, body: JSON.stringify(body) });
      const j = (await r.json()) as { appraisal?: { status: string } };
      expectStatus(j.appraisal?.status ?? 'contraindicated');
    };
    try {
      const httpSgx = await closedLoop(seconds, async () => {
        const s = await session();
        const ev = evidence(s.nonce);
        return { s, body: { type: 'sgx-quote', evidence: Buffer.from(ev.quote).toString('base64'), key: Buffer.from(ev.pub).toString('base64') } };
      }, async ({ s, body }) => post(s.path, body));
      const key = new Uint8Array(randomBytes(32));
      const httpPsa = await closedLoop(seconds, async () => {
        const s = await session();
        return { s, body: { type: 'psa-token', evidence: Buffer.from(device.issue(claims(s.nonce, key))).toString('base64'), key: Buffer.from(key).toString('base64') } };
      }, async ({ s, body }) => post(s.path, body));
      return { offlineSgx, offlinePsa, httpSgx, httpPsa, note: 'closed loop, one client; HTTP latency is the evidence POST (appraisal and EAR signing) on loopback' };
    } finally {
      await svc.close();
    }
  },

  async teardown() {
    if (dir) rmSync(dir, { recursive: true, force: true });
  },
};
