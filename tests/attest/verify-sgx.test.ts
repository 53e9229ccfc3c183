/**
 * The verifier on SGX quotes (issue 16 points 1, 3 and the attack list): an honest quote from the quoting
 * enclave is affirming against the manufacturer's root, TCB info and reference values; each attack is refused
 * with its own named reason (forged and re-signed quotes, replayed nonce, a key the report data does not bind,
 * debug enclave, SVN below minimum, revoked and out-of-date platforms, truncated quote, expired certificates,
 * untrusted root); TCB status is unknown without collateral.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { appraise } from '../../runtime/attest/engine.js';
import { Manufacturer } from '../../runtime/attest/sgx/manufacturer.js';
import { parseQuote } from '../../runtime/attest/sgx/quote.js';
import { DEFAULT_POLICY } from '../../runtime/attest/policy.js';
import { attesterWith, platformWithTcb, SgxRig, sgxContext, tmp } from './helpers.js';

const m = await Manufacturer.open(tmp('emon-att-ca-'));
const rig = await SgxRig.create({ manufacturer: m });
const id = rig.attester.image.enclave.identity;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const refs = { sgx: [{ mrenclave: hex(id.mrenclave), minIsvSvn: 3 }], psa: [] };
const codes = (a: { reasons: readonly { code: string }[] }) => a.reasons.map((r) => r.code);

describe('appraisal of SGX quotes', () => {
  it('affirms an honest quote bound to the nonce and key, with every AR4SI claim set', async () => {
    const ev = await rig.evidence();
    const a = await appraise({ type: 'sgx-quote', bytes: ev.quote, key: ev.pub }, await sgxContext(m, { nonce: ev.nonce, references: refs }));
    expect(a.reasons).toEqual([]);
    expect(a.status).toBe('affirming');
    expect(a.trustVector).toMatchObject({ 'instance-identity': 2, configuration: 2, executables: 2, hardware: 2, 'runtime-opaque': 2, 'storage-opaque': 2 });
    expect(a.claims).toMatchObject({ mrenclave: hex(id.mrenclave), isvSvn: 3, tcbStatus: 'UpToDate', debug: false });
  });

  it('without collateral checks the chain and reports the TCB status as unknown', async () => {
    const ev = await rig.evidence();
    const a = await appraise({ type: 'sgx-quote', bytes: ev.quote }, await sgxContext(m, { collateral: false }));
    expect(a.claims['tcbStatus']).toBe('unknown');
    expect(a.status).toBe('warning');
    expect(a.reasons).toEqual([]);
  });

  it('refuses a forged quote (body altered) and a re-signed one (attacker key) as E_ATTEST_SIGNATURE', async () => {
    const ev = await rig.evidence();
    const forged = ev.quote.slice();
    forged[48 + 64]! ^= 1; // MRENCLAVE
    expect(codes(await appraise({ type: 'sgx-quote', bytes: forged }, await sgxContext(m)))).toEqual(['E_ATTEST_SIGNATURE']);
    // Re-signed: the attacker swaps in their own attestation key and signs the altered body with it.
    const sk = p256.utils.randomSecretKey();
    const resigned = forged.slice();
    resigned.set(p256.getPublicKey(sk, false).subarray(1), 436 + 64);
    resigned.set(p256.sign(resigned.subarray(0, 432), sk, { prehash: true }), 436);
    const a = await appraise({ type: 'sgx-quote', bytes: resigned }, await sgxContext(m));
    expect(codes(a)).toEqual(['E_ATTEST_SIGNATURE']);
    expect(a.status).toBe('contraindicated');
    expect(a.reasons[0]!.detail).toMatch(/attestation key is not the one the QE report certifies/);
  });

  it('refuses a replayed nonce and a key the report data does not bind, each with its reason', async () => {
    const ev = await rig.evidence();
    const replay = await appraise({ type: 'sgx-quote', bytes: ev.quote, key: ev.pub }, await sgxContext(m, { nonce: new Uint8Array(randomBytes(32)), references: refs }));
    expect(codes(replay)).toEqual(['E_ATTEST_NONCE']);
    const otherKey = await appraise({ type: 'sgx-quote', bytes: ev.quote, key: new Uint8Array(32).fill(7) }, await sgxContext(m, { nonce: ev.nonce, references: refs }));
    expect(codes(otherKey)).toEqual(['E_ATTEST_BINDING']);
    const noKey = await appraise({ type: 'sgx-quote', bytes: ev.quote }, await sgxContext(m, { policy: { ...DEFAULT_POLICY, requireKeyBinding: true }, references: refs }));
    expect(codes(noKey)).toEqual(['E_ATTEST_BINDING']);
  });

  it('refuses a debug enclave under the production policy and an SVN below the minimum', async () => {
    const dbg = await SgxRig.create({ manufacturer: m, attesterFile: attesterWith({ debug: true }) });
    const ev = await dbg.evidence();
    const a = await appraise({ type: 'sgx-quote', bytes: ev.quote }, await sgxContext(m));
    expect(codes(a)).toEqual(['E_ATTEST_DEBUG']);
    expect(a.trustVector.configuration).toBe(96);
    const allowed = await appraise({ type: 'sgx-quote', bytes: ev.quote }, await sgxContext(m, { policy: { ...DEFAULT_POLICY, allowDebug: true } }));
    expect(allowed.reasons).toEqual([]);
    expect(allowed.status).toBe('warning');
    const old = await SgxRig.create({ manufacturer: m, attesterFile: attesterWith({ isvSvn: 2 }) });
    const oid = old.attester.image.enclave.identity;
    const e2 = await old.evidence();
    const b = await appraise({ type: 'sgx-quote', bytes: e2.quote }, await sgxContext(m, { references: { sgx: [{ mrsigner: hex(oid.mrsigner), minIsvSvn: 3 }], psa: [] } }));
    expect(codes(b)).toEqual(['E_ATTEST_SVN']);
    const c = await appraise({ type: 'sgx-quote', bytes: e2.quote }, await sgxContext(m, { references: refs }));
    expect(codes(c)).toEqual(['E_ATTEST_REFERENCE']);
  });

  it('appraises the platform TCB from the PCK certificate against signed TCB info: out of date, revoked', async () => {
    const outdated = await SgxRig.create({ manufacturer: m, platform: platformWithTcb('0e0e0202ff8003000000000000000000', 12) });
    const a = await appraise({ type: 'sgx-quote', bytes: (await outdated.evidence()).quote }, await sgxContext(m));
    expect(codes(a)).toEqual(['E_ATTEST_TCB_OUT_OF_DATE']);
    expect(a.trustVector.hardware).toBe(96);
    const lenient = await appraise({ type: 'sgx-quote', bytes: (await outdated.evidence()).quote }, await sgxContext(m, { policy: { ...DEFAULT_POLICY, tcb: { ...DEFAULT_POLICY.tcb, OutOfDate: 'warning' } } }));
    expect(lenient.status).toBe('warning');
    const badFile = await SgxRig.create({ manufacturer: m, platform: platformWithTcb('0101010101010101000000000000000', 3) });
    await expect(badFile.evidence()).rejects.toThrow(/32 hex digits/);
    const rv = await SgxRig.create({ manufacturer: m, platform: platformWithTcb('01010101010101010000000000000000', 3) });
    expect(codes(await appraise({ type: 'sgx-quote', bytes: (await rv.evidence()).quote }, await sgxContext(m)))).toEqual(['E_ATTEST_TCB_REVOKED']);
  });

  it('refuses truncated quotes, certificates out of their validity period, and an untrusted root', async () => {
    const ev = await rig.evidence();
    for (const n of [0, 10, 431, 436, 600, ev.quote.length - 1]) {
      expect(codes(await appraise({ type: 'sgx-quote', bytes: ev.quote.subarray(0, n) }, await sgxContext(m)))).toEqual(['E_ATTEST_MALFORMED']);
    }
    const expired = await SgxRig.create({ manufacturer: m, pck: { notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') } });
    const a = await appraise({ type: 'sgx-quote', bytes: (await expired.evidence()).quote }, await sgxContext(m));
    expect(codes(a)).toEqual(['E_ATTEST_CERT_VALIDITY']);
    const later = await appraise({ type: 'sgx-quote', bytes: ev.quote }, await sgxContext(m, { now: new Date(Date.now() + 20 * 365 * 86400e3), collateral: false }));
    expect(codes(later)).toEqual(['E_ATTEST_CERT_VALIDITY']);
    const other = await Manufacturer.open(tmp('emon-att-ca-'));
    expect(codes(await appraise({ type: 'sgx-quote', bytes: ev.quote }, await sgxContext(other, { collateral: false })))).toEqual(['E_ATTEST_CHAIN']);
    expect(parseQuote(ev.quote).certData.length).toBeGreaterThan(1000);
  });
});

describe('Intel collateral formats', () => {
  it('reads TCB levels of TCB info v2 (sgxtcbcompNNsvn) and v3 (sgxtcbcomponents) alike', async () => {
    const { parseTcbInfo, tcbStatusOf } = await import('../../runtime/attest/sgx/collateral.js');
    const comps = (v: number[]) => Object.fromEntries(v.map((x, i) => [`sgxtcbcomp${String(i + 1).padStart(2, '0')}svn`, x]));
    const v2 = `{"tcbInfo":${JSON.stringify({ version: 2, fmspc: '00707F000000', nextUpdate: '2099-01-01T00:00:00Z', tcbLevels: [
      { tcb: { ...comps([0, 3, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), pcesvn: 3 }, tcbStatus: 'UpToDate' },
      { tcb: { ...comps([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), pcesvn: 1 }, tcbStatus: 'Revoked' },
    ] })},"signature":"00"}`;
    const info = parseTcbInfo(v2);
    expect(info.fmspc).toBe('00707f000000');
    expect(tcbStatusOf(info, [0, 3, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 3)).toBe('UpToDate');
    expect(tcbStatusOf(info, [0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 3)).toBe('Revoked');
    expect(tcbStatusOf(info, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0)).toBe('unknown');
    const v3 = parseTcbInfo(await m.tcbInfo());
    expect(v3.levels.map((l) => l.status)).toEqual(['UpToDate', 'OutOfDate', 'Revoked']);
  });
});

describe('collateral that does not hold', () => {
  it('refuses altered, foreign, expired TCB info and a QE identity that does not name this QE', async () => {
    const ev = await rig.evidence();
    const base = await sgxContext(m);
    const run = (e: Partial<typeof base.endorsements>) => appraise({ type: 'sgx-quote', bytes: ev.quote }, { ...base, endorsements: { ...base.endorsements, ...e } });
    const info = await m.tcbInfo();
    expect(codes(await run({ tcbInfo: info.replace('"OutOfDate"', '"UpToDate"') }))).toEqual(['E_ATTEST_COLLATERAL']);
    const other = await Manufacturer.open(tmp('emon-att-ca-'));
    expect(codes(await run({ tcbInfo: await other.tcbInfo(), tcbChain: other.tcbIssuerChainPem() }))).toEqual(['E_ATTEST_CHAIN']);
    expect(codes(await run({ tcbInfo: await m.tcbInfo(undefined, { notBefore: new Date('2020-01-01'), notAfter: new Date('2020-02-01') }) }))).toEqual(['E_ATTEST_COLLATERAL']);
    expect(codes(await run({ tcbInfo: '{"tcbInfo": 3}' }))).toEqual(['E_ATTEST_COLLATERAL']);
    const qe = rig.gen.qe.image.enclave.identity;
    expect(codes(await run({ qeIdentity: await m.qeIdentity(qe.mrsigner, qe.isvProdId, qe.isvSvn) }))).toEqual([]);
    expect(codes(await run({ qeIdentity: await m.qeIdentity(new Uint8Array(32), qe.isvProdId, qe.isvSvn) }))).toEqual(['E_ATTEST_COLLATERAL']);
    expect(codes(await run({ qeIdentity: await m.qeIdentity(qe.mrsigner, qe.isvProdId, qe.isvSvn + 1) }))).toEqual(['E_ATTEST_SVN']);
  });
});

describe('PCK certificate given apart from the quote (DCAP collateral)', () => {
  it('a quote whose certification data is not the chain verifies with --pck-cert/--pck-chain, and not without', async () => {
    const { encodeQuote } = await import('../../runtime/attest/sgx/quote.js');
    const ev = await rig.evidence();
    const q = parseQuote(ev.quote);
    const pem = new TextDecoder().decode(q.certData);
    const [leaf, ...issuers] = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
    // Type 3: encrypted PPID and platform info, as quotes made without a PCCS carry; the PCK must come separately.
    const bare = encodeQuote({
      signedPart: q.signed, isvSignature: q.isvSignature, attestationKey: q.attestationKey, qeReportBody: q.qeReportBodyBytes,
      qeReportSignature: q.qeReportSignature, qeAuthData: q.qeAuthData, certType: 3, certData: new Uint8Array(384 + 18),
    });
    const base = await sgxContext(m);
    expect(codes(await appraise({ type: 'sgx-quote', bytes: bare }, base))).toEqual(['E_ATTEST_MALFORMED']);
    const a = await appraise({ type: 'sgx-quote', bytes: bare }, { ...base, endorsements: { ...base.endorsements, pckCert: leaf!, pckChain: issuers.join('\n') } });
    expect(a.reasons).toEqual([]);
    expect(a.claims['tcbStatus']).toBe('UpToDate');
    const other = await SgxRig.create({ manufacturer: m });
    const otherLeaf = new TextDecoder().decode(parseQuote((await other.evidence()).quote).certData).match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0];
    const wrong = await appraise({ type: 'sgx-quote', bytes: bare }, { ...base, endorsements: { ...base.endorsements, pckCert: otherLeaf, pckChain: issuers.join('\n') } });
    expect(codes(wrong)).toEqual(['E_ATTEST_SIGNATURE']);
  });
});

describe('certificate roles', () => {
  it('a PCK certificate issued by the TCB signing certificate (not a CA) is refused', async () => {
    const { x509, importP256Public } = await import('../../runtime/attest/x509.js');
    const { encodeQuote } = await import('../../runtime/attest/sgx/quote.js');
    const { encodePckExtension, SGX_EXTENSION_OID } = await import('../../runtime/attest/sgx/pck-ext.js');
    const q = parseQuote((await rig.evidence()).quote);
    // The attacker holds a leaf key of the manufacturer (here the TCB signing key) and certifies their own "PCK".
    const sk = p256.utils.randomSecretKey();
    const pub = p256.getPublicKey(sk, false);
    const fake = await x509.X509CertificateGenerator.create({
      serialNumber: '77', subject: 'CN=emon SGX PCK Certificate', issuer: m.tcbSigning.cert.subject,
      notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86400e3),
      publicKey: await importP256Public(pub), signingKey: m.tcbSigning.key, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.Extension(SGX_EXTENSION_OID, false, encodePckExtension({ ppid: new Uint8Array(16), tcbComponents: new Array(16).fill(255), pceSvn: 99, cpuSvn: new Uint8Array(16).fill(255), pceId: new Uint8Array(2), fmspc: Buffer.from('00906ed50000', 'hex') }) as Uint8Array<ArrayBuffer>)],
    });
    const qeReportSignature = p256.sign(q.qeReportBodyBytes, sk, { prehash: true });
    const forged = encodeQuote({
      signedPart: q.signed, isvSignature: q.isvSignature, attestationKey: q.attestationKey, qeReportBody: q.qeReportBodyBytes,
      qeReportSignature, qeAuthData: q.qeAuthData, certType: 5,
      certData: new TextEncoder().encode(`${fake.toString('pem')}\n${m.tcbIssuerChainPem()}`),
    });
    const a = await appraise({ type: 'sgx-quote', bytes: forged }, await sgxContext(m));
    expect(codes(a)).toEqual(['E_ATTEST_CHAIN']);
    expect(a.reasons[0]!.detail).toMatch(/is not a CA/);
  });
});

describe('collateral signer role', () => {
  it('TCB info whose chain is the PCK chain (not the TCB signing certificate) is refused', async () => {
    const ev = await rig.evidence();
    const base = await sgxContext(m);
    const a = await appraise({ type: 'sgx-quote', bytes: ev.quote }, { ...base, endorsements: { ...base.endorsements, tcbChain: m.pckIssuerChainPem() } });
    expect(codes(a)).toEqual(['E_ATTEST_COLLATERAL']);
  });
});
