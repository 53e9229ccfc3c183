/**
 * Verification of an ECDSA quote v3, in the order of Intel's Quote Verification Library (DCAP QVL,
 * sgx_qv_verify_quote): the PCK certificate chain up to the trusted root (signatures and validity periods), the
 * PCK signature over the QE report, the QE report's binding of the attestation key, the attestation key's
 * signature over the header and enclave report, then, when collateral is given, the TCB level from the PCK
 * certificate's SGX extension against signed TCB info and the QE against its signed identity. Returns the
 * evidence's claims and a TCB status; every failure is a refusal with its named reason.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { refused } from '../reasons.js';
import { certP256Point, parsePemChain, x509 } from '../x509.js';
import { parseQeIdentity, parseTcbInfo, tcbStatusOf } from './collateral.js';
import { decodePckExtension, SGX_EXTENSION_OID, type PckExtension } from './pck-ext.js';
import { CERT_TYPE_PCK_CHAIN, parseQuote, type Quote } from './quote.js';

export interface SgxCollateral {
  /** Trusted roots (PEM); the chain must end in one of them. */
  readonly roots: readonly string[];
  /** PCK leaf and its issuer chain, when not taken from the quote's certification data. */
  readonly pckCert?: string;
  readonly pckChain?: string;
  readonly tcbInfo?: string;
  /** The TCB signing chain (PEM) for tcbInfo and qeIdentity; defaults to the roots (signature by a root). */
  readonly tcbChain?: string;
  readonly qeIdentity?: string;
}

export interface SgxClaims {
  readonly mrenclave: string;
  readonly mrsigner: string;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly debug: boolean;
  readonly reportData: Uint8Array;
  readonly cpuSvn: string;
  readonly pceSvn: number;
  readonly fmspc: string;
  readonly qeMrenclave: string;
  readonly qeMrsigner: string;
  /** UpToDate, OutOfDate, Revoked, ... or 'unknown' without TCB info. */
  readonly tcbStatus: string;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ecdsa = (sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean => {
  try {
    return p256.verify(sig, msg, pub, { prehash: true, lowS: false });
  } catch {
    return false;
  }
};

/**
 * Chains whose signatures were already checked, by their DER, with the window in which all their certificates are
 * valid: signatures never change, so a repeated chain costs only the validity check (as DCAP's QVL caches
 * verified collateral).
 */
const verified = new Map<string, { notBefore: number; notAfter: number }>();
const VERIFIED_MAX = 1024;

function isCa(c: x509.X509Certificate): boolean {
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  return bc !== null && bc.ca;
}

/** Checks `chain` (leaf first) up to one of `roots` at time `now`. */
export async function verifyChain(chain: readonly x509.X509Certificate[], roots: readonly x509.X509Certificate[], now: Date, what: string): Promise<void> {
  if (roots.length === 0) throw refused('E_ATTEST_CHAIN', `${what}: no trust anchor given`, 'give the manufacturer root certificate (--root root-ca.pem)');
  const all = [...chain];
  const last = all[all.length - 1]!;
  const anchor = roots.find((r) => Buffer.from(r.rawData).equals(Buffer.from(last.rawData))) ?? roots.find((r) => r.subject === last.issuer);
  if (!anchor) throw refused('E_ATTEST_CHAIN', `${what}: the chain ends in "${last.issuer}", which is not a trusted root`);
  if (!Buffer.from(anchor.rawData).equals(Buffer.from(last.rawData))) all.push(anchor);
  const key = all.map((c) => Buffer.from(c.rawData).toString('base64')).join('.');
  const seen = verified.get(key);
  if (seen && now.getTime() >= seen.notBefore && now.getTime() <= seen.notAfter) return;
  for (let i = 0; i < all.length; i++) {
    const c = all[i]!;
    if (now < c.notBefore || now > c.notAfter) {
      throw refused('E_ATTEST_CERT_VALIDITY', `${what}: "${c.subject}" is valid from ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()}, not at ${now.toISOString()}`);
    }
    const issuer = all[i + 1] ?? c;
    // Only a CA may issue (RFC 5280 §4.2.1.9): a leaf such as the TCB signing certificate must not vouch for a PCK.
    if (i > 0 && !isCa(c)) throw refused('E_ATTEST_CHAIN', `${what}: "${c.subject}" issued "${all[i - 1]!.subject}" but is not a CA`);
    let ok = false;
    try {
      ok = await c.verify({ publicKey: issuer.publicKey, signatureOnly: true });
    } catch {
      ok = false;
    }
    if (!ok) throw refused('E_ATTEST_CHAIN', `${what}: the signature of "${c.subject}" does not verify with "${issuer.subject}"`);
  }
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
  verified.set(key, { notBefore: Math.max(...all.map((c) => c.notBefore.getTime())), notAfter: Math.min(...all.map((c) => c.notAfter.getTime())) });
}

const signedJson = new Set<string>();

async function verifyJsonSignature(raw: string, sig: Uint8Array, chainPem: string | undefined, roots: readonly x509.X509Certificate[], now: Date, what: string): Promise<void> {
  const memo = `${Buffer.from(sig).toString('hex')}|${chainPem ?? ''}|${raw}`;
  const chain = chainPem ? parsePemChain(chainPem, `${what} signing chain`) : [];
  let signer: x509.X509Certificate;
  if (chain.length > 0) {
    await verifyChain(chain, roots, now, `${what} signing chain`);
    signer = chain[0]!;
  } else signer = roots[0]!;
  // As Intel's QVL does, only the TCB signing certificate may sign collateral (not a PCK or its CA).
  if (chain.length > 0 && !/CN=[^,]*TCB Signing/.test(signer.subject)) {
    throw refused('E_ATTEST_COLLATERAL', `${what}: signed by "${signer.subject}", which is not a TCB signing certificate`);
  }
  const memoKey = `${memo}|${Buffer.from(signer.rawData).toString('base64')}`;
  if (signedJson.has(memoKey)) return;
  const point = await certP256Point(signer);
  if (!point || !ecdsa(sig, new TextEncoder().encode(raw), point)) throw refused('E_ATTEST_COLLATERAL', `${what}: its signature does not verify with "${signer.subject}"`);
  if (signedJson.size >= 64) signedJson.clear();
  signedJson.add(memoKey);
}

export async function verifySgxQuote(bytes: Uint8Array, col: SgxCollateral, now: Date = new Date()): Promise<{ quote: Quote; claims: SgxClaims; pck: PckExtension }> {
  const quote = parseQuote(bytes);
  const roots = col.roots.flatMap((r, i) => parsePemChain(r, `trust anchor ${i + 1}`));
  let chainText: string;
  if (col.pckCert) chainText = `${col.pckCert}\n${col.pckChain ?? ''}`;
  else {
    if (quote.certType !== CERT_TYPE_PCK_CHAIN) {
      throw refused('E_ATTEST_MALFORMED', `certification data type ${quote.certType}; without --pck-cert only type 5 (PCK certificate chain) can be checked`, 'give the PCK certificate with --pck-cert and --pck-chain');
    }
    chainText = new TextDecoder().decode(quote.certData);
  }
  let chain: x509.X509Certificate[];
  try {
    chain = parsePemChain(chainText, 'PCK certificate chain');
  } catch (e) {
    throw refused('E_ATTEST_MALFORMED', (e as Error).message);
  }
  await verifyChain(chain, roots, now, 'PCK certificate chain');
  const pckCert = chain[0]!;
  const extRaw = pckCert.getExtension(SGX_EXTENSION_OID);
  const pck = extRaw ? decodePckExtension(new Uint8Array(extRaw.value)) : null;
  if (!pck) throw refused('E_ATTEST_MALFORMED', 'the PCK certificate has no well-formed SGX extension');
  const pckPoint = await certP256Point(pckCert);
  if (!pckPoint) throw refused('E_ATTEST_MALFORMED', 'the PCK certificate key is not P-256');
  if (!ecdsa(quote.qeReportSignature, quote.qeReportBodyBytes, pckPoint)) {
    throw refused('E_ATTEST_SIGNATURE', 'the QE report is not signed by the PCK of the certificate chain');
  }
  const expect = sha256(new Uint8Array([...quote.attestationKey, ...quote.qeAuthData]));
  if (hex(expect) !== hex(quote.qeReport.reportData.subarray(0, 32))) {
    throw refused('E_ATTEST_SIGNATURE', 'the attestation key is not the one the QE report certifies');
  }
  if (!ecdsa(quote.isvSignature, quote.signed, new Uint8Array([4, ...quote.attestationKey]))) {
    throw refused('E_ATTEST_SIGNATURE', 'the quote signature does not verify with its attestation key (forged or re-signed quote)');
  }
  let tcbStatus = 'unknown';
  if (col.tcbInfo) {
    const info = parseTcbInfo(col.tcbInfo);
    await verifyJsonSignature(info.raw, info.signature, col.tcbChain, roots, now, 'TCB info');
    if (info.fmspc !== hex(pck.fmspc)) throw refused('E_ATTEST_COLLATERAL', `the TCB info is for FMSPC ${info.fmspc}, the platform is ${hex(pck.fmspc)}`);
    if (now > info.nextUpdate) throw refused('E_ATTEST_COLLATERAL', `the TCB info expired at ${info.nextUpdate.toISOString()}`, 'fetch current TCB info');
    tcbStatus = tcbStatusOf(info, pck.tcbComponents, pck.pceSvn);
  }
  if (col.qeIdentity) {
    const qe = parseQeIdentity(col.qeIdentity);
    await verifyJsonSignature(qe.raw, qe.signature, col.tcbChain, roots, now, 'QE identity');
    if (qe.mrsigner !== hex(quote.qeReport.mrsigner) || qe.isvProdId !== quote.qeReport.isvProdId) {
      throw refused('E_ATTEST_COLLATERAL', `the quoting enclave (MRSIGNER ${hex(quote.qeReport.mrsigner)}, product ${quote.qeReport.isvProdId}) is not the one the QE identity names`);
    }
    if (quote.qeReport.isvSvn < qe.minIsvSvn) throw refused('E_ATTEST_SVN', `the quoting enclave's ISVSVN ${quote.qeReport.isvSvn} is below the QE identity's ${qe.minIsvSvn}`);
  }
  const b = quote.body;
  return {
    quote,
    pck,
    claims: {
      mrenclave: hex(b.mrenclave),
      mrsigner: hex(b.mrsigner),
      isvProdId: b.isvProdId,
      isvSvn: b.isvSvn,
      debug: (b.attributes & 2n) !== 0n,
      reportData: b.reportData,
      cpuSvn: hex(pck.cpuSvn),
      pceSvn: pck.pceSvn,
      fmspc: hex(pck.fmspc),
      qeMrenclave: hex(quote.qeReport.mrenclave),
      qeMrsigner: hex(quote.qeReport.mrsigner),
      tcbStatus,
    },
  };
}
