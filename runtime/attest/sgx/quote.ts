/**
 * Intel's ECDSA quote, version 3 (Intel, "Intel SGX ECDSA Quote Library Reference", DCAP 1.x, §"Quote Format";
 * sgx_quote_3_t in sgx_quote_3.h), byte for byte: a 48-byte header, the enclave's 384-byte report body, then the
 * signature data — ISV report signature (r||s), attestation public key (x||y), the QE's report body and its PCK
 * signature, QE authentication data (u16 size + bytes) and certification data (u16 type, u32 size, bytes; type 5
 * is the PEM PCK certificate chain). Reads and writes Intel's ECDSA quote v3 byte layout (tested at Intel's offsets; no
 * hardware-made DCAP quote is among the tests).
 */
import { decodeReportBody, REPORT_BODY_V3_SIZE, type ReportBody } from '../../hw/sgx/report-body.js';
import { refused } from '../reasons.js';

export const QUOTE_HEADER_SIZE = 48;
export const QUOTE_SIGNED_SIZE = QUOTE_HEADER_SIZE + REPORT_BODY_V3_SIZE; // 432
export const ATT_KEY_ECDSA_P256 = 2;
export const CERT_TYPE_PCK_CHAIN = 5;
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';
/** Signature data before the variable parts: ISV sig 64, AK 64, QE report 384, QE sig 64. */
const SIG_FIXED = 64 + 64 + REPORT_BODY_V3_SIZE + 64;

export interface QuoteHeader {
  readonly version: number;
  readonly attKeyType: number;
  readonly teeType: number;
  readonly qeSvn: number;
  readonly pceSvn: number;
  readonly qeVendorId: Uint8Array;
  readonly userData: Uint8Array;
}

export interface Quote {
  readonly header: QuoteHeader;
  readonly body: ReportBody;
  /** Bytes 0..432: what the ISV signature covers. */
  readonly signed: Uint8Array;
  readonly isvSignature: Uint8Array;
  /** x||y (64 bytes). */
  readonly attestationKey: Uint8Array;
  readonly qeReportBodyBytes: Uint8Array;
  readonly qeReport: ReportBody;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  readonly certType: number;
  readonly certData: Uint8Array;
}

export interface QuoteParts {
  readonly signedPart: Uint8Array; // header || body (432)
  readonly isvSignature: Uint8Array;
  readonly attestationKey: Uint8Array;
  readonly qeReportBody: Uint8Array;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  readonly certType: number;
  readonly certData: Uint8Array;
}

export function encodeQuote(p: QuoteParts): Uint8Array {
  const sigLen = SIG_FIXED + 2 + p.qeAuthData.length + 2 + 4 + p.certData.length;
  const out = new Uint8Array(QUOTE_SIGNED_SIZE + 4 + sigLen);
  const dv = new DataView(out.buffer);
  out.set(p.signedPart, 0);
  dv.setUint32(QUOTE_SIGNED_SIZE, sigLen, true);
  let o = QUOTE_SIGNED_SIZE + 4;
  for (const part of [p.isvSignature, p.attestationKey, p.qeReportBody, p.qeReportSignature]) {
    out.set(part, o);
    o += part.length;
  }
  dv.setUint16(o, p.qeAuthData.length, true);
  out.set(p.qeAuthData, o + 2);
  o += 2 + p.qeAuthData.length;
  dv.setUint16(o, p.certType, true);
  dv.setUint32(o + 2, p.certData.length, true);
  out.set(p.certData, o + 6);
  return out;
}

/** Parses a quote; every length is checked against what is there, so a truncated quote is a named refusal. */
export function parseQuote(bytes: Uint8Array): Quote {
  const short = (what: string, need: number): never => {
    throw refused('E_ATTEST_MALFORMED', `the quote is truncated: ${what} needs ${need} bytes, the quote has ${bytes.length}`);
  };
  if (bytes.length < QUOTE_SIGNED_SIZE + 4) short('header, report body and signature length', QUOTE_SIGNED_SIZE + 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header: QuoteHeader = {
    version: dv.getUint16(0, true),
    attKeyType: dv.getUint16(2, true),
    teeType: dv.getUint32(4, true),
    qeSvn: dv.getUint16(8, true),
    pceSvn: dv.getUint16(10, true),
    qeVendorId: bytes.slice(12, 28),
    userData: bytes.slice(28, 48),
  };
  if (header.version !== 3) throw refused('E_ATTEST_MALFORMED', `quote version ${header.version}, only version 3 is supported`);
  if (header.attKeyType !== ATT_KEY_ECDSA_P256) throw refused('E_ATTEST_MALFORMED', `attestation key type ${header.attKeyType}, only 2 (ECDSA-256-with-P-256) is supported`);
  const sigLen = dv.getUint32(QUOTE_SIGNED_SIZE, true);
  const start = QUOTE_SIGNED_SIZE + 4;
  if (bytes.length < start + sigLen) short(`signature data of ${sigLen} bytes`, start + sigLen);
  if (sigLen < SIG_FIXED + 2) short('signature data', start + SIG_FIXED + 2);
  const end = start + sigLen;
  let o = start;
  const take = (n: number, what: string): Uint8Array => {
    if (o + n > end) short(what, o + n);
    const b = bytes.slice(o, o + n);
    o += n;
    return b;
  };
  const isvSignature = take(64, 'ISV report signature');
  const attestationKey = take(64, 'attestation key');
  const qeReportBodyBytes = take(REPORT_BODY_V3_SIZE, 'QE report');
  const qeReportSignature = take(64, 'QE report signature');
  const authLen = new DataView(take(2, 'QE authentication data size').buffer).getUint16(0, true);
  const qeAuthData = take(authLen, 'QE authentication data');
  const certHead = take(6, 'certification data header');
  const cdv = new DataView(certHead.buffer);
  const certType = cdv.getUint16(0, true);
  const certData = take(cdv.getUint32(2, true), 'certification data');
  return {
    header,
    body: decodeReportBody(bytes.subarray(QUOTE_HEADER_SIZE, QUOTE_SIGNED_SIZE)),
    signed: bytes.slice(0, QUOTE_SIGNED_SIZE),
    isvSignature,
    attestationKey,
    qeReportBodyBytes,
    qeReport: decodeReportBody(qeReportBodyBytes),
    qeReportSignature,
    qeAuthData,
    certType,
    certData,
  };
}
