/**
 * PSA attestation tokens (issue 16 point 2, RFC 9783): the issuer interface a TrustZone backend calls (claims in,
 * COSE_Sign1 out, key derived from the device secret), checked structurally and with @noble/curves; the
 * verifier affirms an honest token against the endorsed device key and reference measurements and refuses each
 * attack with its named reason: unknown device, forged/re-signed token, tampered or truncated CBOR, replayed nonce,
 * unbound key, debug lifecycle, unknown measurements.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes, createPublicKey } from 'node:crypto';
import { Decoder, Tag } from 'cbor-x';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { psaIssuer, sigStructure, cbor } from '../../runtime/hw/psa/token.js';
import { CLAIM, LIFECYCLE, PSA_PROFILE, type PsaClaimsIn } from '../../runtime/hw/psa/claims.js';
import { parsePsaToken } from '../../runtime/attest/psa/token.js';
import { appraise, type AppraisalContext } from '../../runtime/attest/engine.js';
import { DEFAULT_POLICY } from '../../runtime/attest/policy.js';
import { isEmonError } from '../../runtime/errors.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const device = psaIssuer(new Uint8Array(64).fill(1));
const other = psaIssuer(new Uint8Array(64).fill(2));
const pem = (pub: Uint8Array) =>
  createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: Buffer.from(pub.subarray(1, 33)).toString('base64url'), y: Buffer.from(pub.subarray(33)).toString('base64url') }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
const TA = sha256(new TextEncoder().encode('sensor TA'));
const GUEST = sha256(new TextEncoder().encode('edge guest'));
const implementationId = sha256(new TextEncoder().encode('emon tz board'));

function claims(over: Partial<PsaClaimsIn> = {}, key?: Uint8Array, nonce = new Uint8Array(randomBytes(32))): PsaClaimsIn {
  return {
    nonce: key ? new Uint8Array([...nonce, ...sha256(key)]) : nonce,
    implementationId,
    bootSeed: new Uint8Array(32).fill(5),
    lifecycle: LIFECYCLE.secured,
    clientId: 1,
    swComponents: [
      { measurementType: 'TA', measurementValue: TA, signerId: new Uint8Array(32).fill(3), version: '1.0' },
      { measurementType: 'guest', measurementValue: GUEST, signerId: new Uint8Array(32).fill(4) },
    ],
    ...over,
  };
}

const ctx = (o: Partial<AppraisalContext> = {}): AppraisalContext => ({
  endorsements: { sgxRoots: [], psaDevices: [{ instanceId: hex(device.instanceId), key: pem(device.publicKey) }] },
  references: { sgx: [], psa: [{ implementationId: hex(implementationId), measurements: [hex(TA), hex(GUEST)] }] },
  policy: DEFAULT_POLICY,
  ...o,
});
const codes = (a: { reasons: readonly { code: string }[] }) => a.reasons.map((r) => r.code);

describe('PSA token issuer', () => {
  it('makes a tagged COSE_Sign1 (ES256) over RFC 9783 claims, with the instance ID of its key', () => {
    const c = claims();
    const tok = device.issue(c);
    const top = new Decoder({ mapsAsObjects: false }).decode(tok) as Tag;
    expect(top).toBeInstanceOf(Tag);
    expect(top.tag).toBe(18);
    const [prot, , payload, sig] = top.value as [Uint8Array, Map<number, unknown>, Uint8Array, Uint8Array];
    expect(hex(prot)).toBe('a10126'); // {1: -7}
    expect(p256.verify(sig, sigStructure(prot, payload), device.publicKey)).toBe(true);
    const m = new Decoder({ mapsAsObjects: false }).decode(payload) as Map<number, unknown>;
    expect(m.get(CLAIM.profile)).toBe(PSA_PROFILE);
    expect(hex(m.get(CLAIM.nonce) as Uint8Array)).toBe(hex(c.nonce));
    expect(hex(m.get(CLAIM.instanceId) as Uint8Array)).toBe(hex(new Uint8Array([1, ...sha256(device.publicKey)])));
    expect(m.get(CLAIM.lifecycle)).toBe(0x3000);
    expect((m.get(CLAIM.swComponents) as unknown[]).length).toBe(2);
    const parsed = parsePsaToken(tok).claims;
    expect(hex(parsed.swComponents[0]!.measurementValue)).toBe(hex(TA));
    expect(hex(parsed.bootSeed)).toBe('05'.repeat(32));
    expect(hex(psaIssuer(new Uint8Array(64).fill(1)).publicKey)).toBe(hex(device.publicKey)); // derived, stable
    expect(hex(other.instanceId)).not.toBe(hex(device.instanceId));
  });

  it('refuses claims of the wrong size', () => {
    expect(() => device.issue(claims({ nonce: new Uint8Array(16) }))).toThrow(/32, 48 or 64/);
    expect(() => device.issue(claims({ swComponents: [] }))).toThrow(/software component/);
  });
});

describe('appraisal of PSA tokens', () => {
  it('affirms an honest token bound to the nonce and key', async () => {
    const key = new Uint8Array(32).fill(8), nonce = new Uint8Array(randomBytes(32));
    const a = await appraise({ type: 'psa-token', bytes: device.issue(claims({}, key, nonce)), key }, ctx({ nonce }));
    expect(a.reasons).toEqual([]);
    expect(a.status).toBe('affirming');
    expect(a.claims).toMatchObject({ lifecycle: 'secured', instanceId: hex(device.instanceId) });
  });

  it('refuses an unknown device and a token re-signed with another key', async () => {
    expect(codes(await appraise({ type: 'psa-token', bytes: other.issue(claims()) }, ctx()))).toEqual(['E_ATTEST_UNKNOWN_KEY']);
    // Re-signed: the victim's claims (its instance ID) under the attacker's key.
    const t = parsePsaToken(device.issue(claims()));
    const prot = cbor(new Map([[1, -7]]));
    const forged = cbor(new Tag([prot, new Map(), t.payload, p256.sign(sigStructure(prot, t.payload), p256.utils.randomSecretKey())], 18));
    expect(codes(await appraise({ type: 'psa-token', bytes: forged }, ctx()))).toEqual(['E_ATTEST_SIGNATURE']);
  });

  it('refuses tampered and truncated CBOR, each as malformed or as a bad signature, never a crash', async () => {
    const tok = device.issue(claims());
    for (let i = 0; i < tok.length; i += 7) {
      const bad = tok.slice();
      bad[i]! ^= 0x41;
      const a = await appraise({ type: 'psa-token', bytes: bad }, ctx());
      expect(a.status).toBe('contraindicated');
      expect(['E_ATTEST_MALFORMED', 'E_ATTEST_SIGNATURE', 'E_ATTEST_UNKNOWN_KEY']).toContain(a.reasons[0]!.code);
    }
    for (const n of [0, 1, 5, tok.length - 1]) expect(codes(await appraise({ type: 'psa-token', bytes: tok.subarray(0, n) }, ctx()))).toEqual(['E_ATTEST_MALFORMED']);
  });

  it('refuses a replayed nonce, an unbound key, a debug lifecycle and unknown measurements', async () => {
    const key = new Uint8Array(32).fill(8);
    const tok = device.issue(claims({}, key));
    expect(codes(await appraise({ type: 'psa-token', bytes: tok, key }, ctx({ nonce: new Uint8Array(32) })))).toEqual(['E_ATTEST_NONCE']);
    expect(codes(await appraise({ type: 'psa-token', bytes: tok, key: new Uint8Array(32) }, ctx()))).toEqual(['E_ATTEST_BINDING']);
    expect(codes(await appraise({ type: 'psa-token', bytes: device.issue(claims({ lifecycle: LIFECYCLE.nonPsaRotDebug })) }, ctx()))).toEqual(['E_ATTEST_DEBUG']);
    const evil = claims({ swComponents: [{ measurementValue: new Uint8Array(32), signerId: new Uint8Array(32) }] });
    expect(codes(await appraise({ type: 'psa-token', bytes: device.issue(evil) }, ctx()))).toEqual(['E_ATTEST_REFERENCE']);
  });

  it('parse errors are typed refusals', () => {
    try {
      parsePsaToken(new Uint8Array([0xd2, 0x84]));
      expect.unreachable();
    } catch (e) {
      expect(isEmonError(e, 'E_ATTEST_MALFORMED')).toBe(true);
    }
  });
});
