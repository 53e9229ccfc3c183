/**
 * Property tests (fast-check) of both evidence parsers and of the service (issue 16: "fast-check fuzzes both
 * evidence parsers, and no input crashes the service"): random bytes, random CBOR values and byte-level
 * mutations of genuine quotes and tokens either parse or are refused as E_ATTEST_MALFORMED; appraisal of any
 * of them returns a contraindicated appraisal with a named reason (never throws); and random request bodies and
 * content types never make the service answer 500 or stop answering.
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Encoder, Tag } from 'cbor-x';
import { parseQuote } from '../../runtime/attest/sgx/quote.js';
import { parsePsaToken } from '../../runtime/attest/psa/token.js';
import { appraise } from '../../runtime/attest/engine.js';
import { REASONS } from '../../runtime/attest/reasons.js';
import { Manufacturer } from '../../runtime/attest/sgx/manufacturer.js';
import { VerifierService, EVIDENCE_ENVELOPE } from '../../runtime/attest/service.js';
import { psaIssuer } from '../../runtime/hw/psa/token.js';
import { LIFECYCLE } from '../../runtime/hw/psa/claims.js';
import { isEmonError } from '../../runtime/errors.js';
import { SgxRig, sgxContext, tmp } from './helpers.js';

const m = await Manufacturer.open(tmp('emon-att-ca-'));
const rig = await SgxRig.create({ manufacturer: m });
const quote = (await rig.evidence()).quote;
const device = psaIssuer(new Uint8Array(32).fill(3));
const token = device.issue({ nonce: new Uint8Array(32), implementationId: new Uint8Array(32), bootSeed: new Uint8Array(32), lifecycle: LIFECYCLE.secured, clientId: 1, swComponents: [{ measurementValue: new Uint8Array(32), signerId: new Uint8Array(32) }] });
const ctx = await sgxContext(m);

const parsesOrRefuses = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    if (!isEmonError(e, 'E_ATTEST_MALFORMED')) throw e;
  }
};

/** A genuine input with a few bytes changed, cut, or extended. */
const mutated = (base: Uint8Array) =>
  fc.tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { maxLength: 6 }), fc.nat(base.length), fc.uint8Array({ maxLength: 8 })).map(([flips, cut, tail]) => {
    const b = base.slice(0, Math.max(cut, base.length - 64 * flips.length));
    for (const [i, x] of flips) if (i < b.length) b[i]! ^= x;
    return new Uint8Array([...b, ...tail]);
  });

describe('evidence parsers never crash', () => {
  it('SGX quote parser: random bytes and mutated quotes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => parsesOrRefuses(() => parseQuote(b))), { numRuns: 500 });
    fc.assert(fc.property(mutated(quote), (b) => parsesOrRefuses(() => parseQuote(b))), { numRuns: 500 });
  });

  it('PSA token parser: random bytes, random CBOR, COSE_Sign1 shapes with random content, mutated tokens', () => {
    const enc = new Encoder({ mapsAsObjects: false, useRecords: false });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), (b) => parsesOrRefuses(() => parsePsaToken(b))), { numRuns: 500 });
    fc.assert(fc.property(fc.anything(), (v) => parsesOrRefuses(() => parsePsaToken(new Uint8Array(enc.encode(v))))), { numRuns: 300 });
    const claimsMap = fc.array(fc.tuple(fc.constantFrom(10, 256, 265, 2394, 2395, 2396, 2397, 2399, 7), fc.oneof(fc.uint8Array({ maxLength: 70 }), fc.integer(), fc.string(), fc.array(fc.anything(), { maxLength: 3 }))), { maxLength: 10 });
    fc.assert(
      fc.property(claimsMap, fc.uint8Array({ maxLength: 70 }), (entries, sig) => {
        const payload = new Uint8Array(enc.encode(new Map(entries)));
        const t = new Uint8Array(enc.encode(new Tag([new Uint8Array([0xa1, 0x01, 0x26]), new Map(), payload, sig], 18)));
        parsesOrRefuses(() => parsePsaToken(t));
      }),
      { numRuns: 500 },
    );
    fc.assert(fc.property(mutated(token), (b) => parsesOrRefuses(() => parsePsaToken(b))), { numRuns: 500 });
  });

  it('appraisal of mutated evidence is a named refusal or a verdict, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(quote), async (b) => {
        const a = await appraise({ type: 'sgx-quote', bytes: b }, ctx);
        for (const r of a.reasons) expect(Object.keys(REASONS)).toContain(r.code);
      }),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(mutated(token), async (b) => {
        const a = await appraise({ type: 'psa-token', bytes: b }, { ...ctx, endorsements: { sgxRoots: [], psaDevices: [] } });
        expect(a.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the service never fails on a request', () => {
  let svc: VerifierService;
  afterAll(() => svc?.close());
  it('random bodies and content types get a 2xx/4xx answer and the service keeps answering', async () => {
    svc = await VerifierService.create({ stateDir: tmp('emon-verifier-'), maxBody: 4096 });
    const { port } = await svc.listen();
    const base = `http://127.0.0.1:${port}`;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('application/vnd.emon.sgx-quote', 'application/psa-attestation-token', EVIDENCE_ENVELOPE, 'application/json', 'text/plain'),
        fc.oneof(fc.uint8Array({ maxLength: 6000 }), fc.json().map((j) => new TextEncoder().encode(j)), mutated(quote).map((q) => q.subarray(0, 4096))),
        fc.constantFrom('session', 'endorsements', 'reference-values', 'policy'),
        async (type, body, where) => {
          let p: string;
          let method = 'POST';
          if (where === 'session') {
            const s = await fetch(`${base}/challenge-response/v1/newSession`, { method: 'POST' });
            p = `/challenge-response/v1/${s.headers.get('location')}`;
            await s.arrayBuffer();
          } else {
            p = `/endorsement-provisioning/v1/${where}`;
            if (where === 'policy') method = 'PUT';
          }
          const r = await fetch(`${base}${p}`, { method, headers: { 'content-type': type }, body });
          await r.arrayBuffer();
          expect(r.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    expect((await fetch(`${base}/.well-known/veraison/verification`)).status).toBe(200);
  });
});
