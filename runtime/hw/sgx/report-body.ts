/**
 * Intel's 384-byte SGX report body (sgx_report_body_t; Intel SGX ECDSA Quote Library Reference, "Quote Format",
 * table "Enclave Report Body"), the form in which a quote carries an enclave's identity. emon's own REPORT is
 * shorter (runtime/hw/sgx/ereport.ts); the quoting enclave and the PCE turn one into the other field by field.
 *
 *   0 CPUSVN[16]  16 MISCSELECT u32  20 reserved[12]  32 ISVEXTPRODID[16]  48 ATTRIBUTES (flags u64, xfrm u64)
 *   64 MRENCLAVE[32]  96 reserved[32]  128 MRSIGNER[32]  160 reserved[32]  192 CONFIGID[64]  256 ISVPRODID u16
 *   258 ISVSVN u16  260 CONFIGSVN u16  262 reserved[42]  304 ISVFAMILYID[16]  320 REPORTDATA[64]
 */
import { REPORT_DATA_SIZE, REPORT_SIZE } from './ereport.js';

export const REPORT_BODY_V3_SIZE = 384;

export interface ReportBody {
  readonly cpuSvn: Uint8Array;
  readonly miscSelect: number;
  /** ATTRIBUTES.FLAGS: bit 0 INIT, bit 1 DEBUG, bit 2 MODE64BIT (emon sets INIT and DEBUG as SGX does). */
  readonly attributes: bigint;
  readonly xfrm: bigint;
  readonly mrenclave: Uint8Array;
  readonly mrsigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly configSvn: number;
  readonly reportData: Uint8Array;
}

export function encodeReportBody(b: ReportBody): Uint8Array {
  const out = new Uint8Array(REPORT_BODY_V3_SIZE);
  const dv = new DataView(out.buffer);
  out.set(b.cpuSvn.subarray(0, 16), 0);
  dv.setUint32(16, b.miscSelect, true);
  dv.setBigUint64(48, b.attributes, true);
  dv.setBigUint64(56, b.xfrm, true);
  out.set(b.mrenclave, 64);
  out.set(b.mrsigner, 128);
  dv.setUint16(256, b.isvProdId, true);
  dv.setUint16(258, b.isvSvn, true);
  dv.setUint16(260, b.configSvn, true);
  out.set(b.reportData.subarray(0, REPORT_DATA_SIZE), 320);
  return out;
}

/** `bytes` must be exactly 384 bytes (callers check lengths and say what was short). */
export function decodeReportBody(bytes: Uint8Array): ReportBody {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    cpuSvn: bytes.slice(0, 16),
    miscSelect: dv.getUint32(16, true),
    attributes: dv.getBigUint64(48, true),
    xfrm: dv.getBigUint64(56, true),
    mrenclave: bytes.slice(64, 96),
    mrsigner: bytes.slice(128, 160),
    isvProdId: dv.getUint16(256, true),
    isvSvn: dv.getUint16(258, true),
    configSvn: dv.getUint16(260, true),
    reportData: bytes.slice(320, 384),
  };
}

/** The report body of an emon REPORT (which carries no CPUSVN: the platform's is given). */
export function reportBodyOf(report: Uint8Array, cpuSvn: Uint8Array): Uint8Array {
  if (report.length !== REPORT_SIZE) throw new RangeError(`a REPORT is ${REPORT_SIZE} bytes`);
  const dv = new DataView(report.buffer, report.byteOffset, report.byteLength);
  return encodeReportBody({
    cpuSvn,
    miscSelect: 0,
    attributes: BigInt(dv.getUint32(68, true)),
    xfrm: 0n,
    mrenclave: report.subarray(0, 32),
    mrsigner: report.subarray(32, 64),
    isvProdId: dv.getUint16(64, true),
    isvSvn: dv.getUint16(66, true),
    configSvn: 0,
    reportData: report.subarray(80, 144),
  });
}
