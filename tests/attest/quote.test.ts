/**
 * SGX quotes (issue 16 point 1): the quoting enclave turns an EREPORT targeted at it into Intel's ECDSA quote v3,
 * signed in Wasm with its P-256 attestation key (checked here with @noble/curves), certified by the PCE's PCK
 * signature, with the PCK chain of the simulated manufacturer; the layout is checked byte for byte at Intel's
 * offsets, and reports not made for the QE are refused.
 */
import { describe, expect, it } from 'vitest';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseQuote, QUOTE_SIGNED_SIZE } from '../../runtime/attest/sgx/quote.js';
import { parsePemChain, certP256Point } from '../../runtime/attest/x509.js';
import { decodePckExtension, SGX_EXTENSION_OID } from '../../runtime/attest/sgx/pck-ext.js';
import { DEFAULT_CPUSVN, DEFAULT_PCESVN } from '../../runtime/hw/sgx/tcb.js';
import { encodeTargetInfo } from '../../runtime/hw/sgx/ereport.js';
import { isEmonError } from '../../runtime/errors.js';
import { SgxRig } from './helpers.js';

const rig = await SgxRig.create();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SGX quote v3 from the quoting enclave', () => {
  it('has Intel’s header and report body layout, and binds the nonce and the enclave key', async () => {
    const ev = await rig.evidence();
    const q = ev.quote;
    const dv = new DataView(q.buffer, q.byteOffset);
    expect(dv.getUint16(0, true)).toBe(3); // version
    expect(dv.getUint16(2, true)).toBe(2); // ECDSA-256-with-P-256
    expect(dv.getUint16(10, true)).toBe(DEFAULT_PCESVN);
    expect(hex(q.subarray(12, 28))).toBe('939a7233f79c4ca9940a0db3957f0607');
    const id = rig.attester.image.enclave.identity;
    expect(hex(q.subarray(48, 64))).toBe(DEFAULT_CPUSVN); // cpu_svn
    expect(hex(q.subarray(48 + 64, 48 + 96))).toBe(hex(id.mrenclave));
    expect(hex(q.subarray(48 + 128, 48 + 160))).toBe(hex(id.mrsigner));
    expect(dv.getUint16(48 + 256, true)).toBe(7);
    expect(dv.getUint16(48 + 258, true)).toBe(3);
    expect(hex(q.subarray(48 + 320, 48 + 352))).toBe(hex(sha256(ev.pub)));
    expect(hex(q.subarray(48 + 352, 48 + 384))).toBe(hex(ev.nonce));
    expect(dv.getUint32(432, true)).toBe(q.length - 436);
    const parsed = parseQuote(q);
    expect(parsed.certType).toBe(5);
    expect(parsed.qeAuthData.length).toBe(32);
  });

  it('is signed by the attestation key, whose hash the PCK-signed QE report carries', async () => {
    const { quote } = await rig.evidence();
    const q = parseQuote(quote);
    const ak = new Uint8Array([4, ...q.attestationKey]);
    expect(p256.verify(q.isvSignature, q.signed, ak, { prehash: true, lowS: false })).toBe(true);
    const flipped = q.signed.slice();
    flipped[100]! ^= 1;
    expect(p256.verify(q.isvSignature, flipped, ak, { prehash: true, lowS: false })).toBe(false);
    expect(hex(q.qeReport.reportData.subarray(0, 32))).toBe(hex(sha256(new Uint8Array([...q.attestationKey, ...q.qeAuthData]))));
    expect(hex(q.qeReport.mrenclave)).toBe(hex(rig.gen.qe.image.enclave.identity.mrenclave));
    const chain = parsePemChain(new TextDecoder().decode(q.certData), 'cert data');
    expect(chain.length).toBe(3);
    const pck = (await certP256Point(chain[0]!))!;
    expect(p256.verify(q.qeReportSignature, q.qeReportBodyBytes, pck, { prehash: true, lowS: false })).toBe(true);
    const ext = decodePckExtension(new Uint8Array(chain[0]!.getExtension(SGX_EXTENSION_OID)!.value));
    expect(hex(ext!.cpuSvn)).toBe(DEFAULT_CPUSVN);
    expect(ext!.pceSvn).toBe(DEFAULT_PCESVN);
    expect(await chain[0]!.verify({ publicKey: chain[1]!.publicKey, signatureOnly: true })).toBe(true);
    expect(await chain[1]!.verify({ publicKey: chain[2]!.publicKey, signatureOnly: true })).toBe(true);
  });

  it('the Wasm ECDSA signatures verify with @noble/curves over many quotes (fresh k each time)', async () => {
    const q0 = parseQuote((await rig.evidence()).quote);
    const ak = new Uint8Array([4, ...q0.attestationKey]);
    expect(p256.Point.fromBytes(ak).toBytes(false)).toEqual(ak); // on the curve
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const q = parseQuote((await rig.evidence()).quote);
      expect(p256.verify(q.isvSignature, q.signed, ak, { prehash: true, lowS: false })).toBe(true);
      seen.add(hex(q.isvSignature.subarray(0, 32)));
    }
    expect(seen.size).toBe(40);
  });

  it('the attestation key is stable on one platform and signatures differ per quote', async () => {
    const a = parseQuote((await rig.evidence()).quote), b = parseQuote((await rig.evidence()).quote);
    expect(hex(a.attestationKey)).toBe(hex(b.attestationKey));
    expect(hex(a.isvSignature)).not.toBe(hex(b.isvSignature));
  });

  it('refuses a REPORT not targeted at the QE, or altered', async () => {
    const other = encodeTargetInfo({ mrenclave: new Uint8Array(32).fill(9), attributes: 1 });
    const { outs } = rig.attester.call('att_evidence', [new Uint8Array(32), other, { out: 32 }, { out: 208 }]);
    await expect(rig.gen.quote(outs[1]!)).rejects.toSatisfy((e: unknown) => isEmonError(e, 'E_ATTEST_REPORT'));
    const good = rig.attester.call('att_evidence', [new Uint8Array(32), rig.gen.targetInfo(), { out: 32 }, { out: 208 }]).outs[1]!;
    good[90]! ^= 1;
    await expect(rig.gen.quote(good)).rejects.toSatisfy((e: unknown) => isEmonError(e, 'E_ATTEST_REPORT'));
    expect(QUOTE_SIGNED_SIZE).toBe(432);
  });
});
