/**
 * MRENCLAVE: the SHA-256 measurement log SGX builds while an enclave is loaded (Intel SDM Vol. 3D, §38.7 and
 * §40 — ECREATE, EADD and EEXTEND each append a 64-byte record; EEXTEND also appends 256 bytes of page content).
 * emon measures the enclave's .wasm (without its SIGSTRUCT) as the page contents, and the SECS-like config
 * (heap size, threads, ISV product id and SVN, attributes) in the ECREATE record, so changing either changes
 * MRENCLAVE.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { EmonError } from '../../errors.js';

export const PAGE_SIZE = 4096;
const CHUNK = 256;

/** What SGX keeps in the SECS and SIGSTRUCT: the enclave's configuration, part of its identity. */
export interface EnclaveConfig {
  /** Wasm pages (64 KiB) the enclave's memory may grow to. */
  readonly heapPages: number;
  /** TCS count: concurrent ECALLs (emon runs one thread per enclave; recorded for identity). */
  readonly threads: number;
  readonly isvProdId: number;
  readonly isvSvn: number;
  /** ATTRIBUTES.DEBUG: a debug enclave gets different keys from a production one. */
  readonly debug: boolean;
}

export function checkConfig(c: EnclaveConfig, what: string): void {
  const u16 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff;
  if (!u16(c.isvProdId)) throw new EmonError('E_ENCLAVE_CONFIG', `${what}: ISV product id must be 0..65535, got ${c.isvProdId}`);
  if (!u16(c.isvSvn)) throw new EmonError('E_ENCLAVE_CONFIG', `${what}: ISV SVN must be 0..65535, got ${c.isvSvn}`);
  if (!Number.isInteger(c.heapPages) || c.heapPages < 1 || c.heapPages > 65536) {
    throw new EmonError('E_ENCLAVE_CONFIG', `${what}: heap size must be 1..65536 Wasm pages, got ${c.heapPages}`);
  }
  if (!Number.isInteger(c.threads) || c.threads < 1 || c.threads > 256) {
    throw new EmonError('E_ENCLAVE_CONFIG', `${what}: threads must be 1..256, got ${c.threads}`);
  }
}

/** attributes word: bit 0 INIT (set by EINIT, not measured), bit 1 DEBUG, bit 2 MODE64BIT (always set, as SGX). */
export function attributesOf(c: EnclaveConfig): number {
  return (c.debug ? 2 : 0) | 4;
}

/** The measurement in progress between ECREATE and EINIT. */
export class MeasurementLog {
  private readonly h = sha256.create();
  private readonly rec = new Uint8Array(64);
  private readonly dv = new DataView(this.rec.buffer);
  private pages = 0;

  /** ECREATE: SSAFRAMESIZE and SIZE in SGX; here the whole config. */
  constructor(config: EnclaveConfig) {
    this.record('ECREATE\0', (dv) => {
      dv.setUint32(8, config.heapPages, true);
      dv.setUint32(12, config.threads, true);
      dv.setUint16(16, config.isvProdId, true);
      dv.setUint16(18, config.isvSvn, true);
      dv.setUint32(20, attributesOf(config), true);
    });
  }

  private record(tag: string, fill: (dv: DataView) => void): void {
    this.rec.fill(0);
    for (let i = 0; i < tag.length; i++) this.rec[i] = tag.charCodeAt(i);
    fill(this.dv);
    this.h.update(this.rec);
  }

  /** EADD one page (SECINFO: read+execute for code, as a module image is) then EEXTEND its 16 chunks. */
  addPage(content: Uint8Array): void {
    if (content.length > PAGE_SIZE) throw new EmonError('E_INTERNAL', 'EADD of more than a page');
    const offset = this.pages * PAGE_SIZE;
    this.record('EADD\0\0\0\0', (dv) => {
      dv.setBigUint64(8, BigInt(offset), true);
      dv.setUint32(16, 0x5, true); // SECINFO.FLAGS: R | X, PT_REG
    });
    const page = content.length === PAGE_SIZE ? content : padded(content);
    for (let c = 0; c < PAGE_SIZE; c += CHUNK) {
      this.record('EEXTEND\0', (dv) => dv.setBigUint64(8, BigInt(offset + c), true));
      this.h.update(page.subarray(c, c + CHUNK));
    }
    this.pages++;
  }

  /** EADD/EEXTEND of a whole image, page by page. */
  addImage(image: Uint8Array): void {
    // The image length goes into the log first so that trailing zero bytes are not ambiguous with padding.
    this.record('EMONLEN\0', (dv) => dv.setBigUint64(8, BigInt(image.length), true));
    for (let p = 0; p < image.length; p += PAGE_SIZE) this.addPage(image.subarray(p, Math.min(p + PAGE_SIZE, image.length)));
  }

  /** The final MRENCLAVE (EINIT closes the log). */
  finish(): Uint8Array {
    return this.h.digest();
  }
}

function padded(content: Uint8Array): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  page.set(content);
  return page;
}

/** MRENCLAVE of a module image under a config: what `emon enclave measure` prints. */
export function measure(image: Uint8Array, config: EnclaveConfig): Uint8Array {
  const log = new MeasurementLog(config);
  log.addImage(image);
  return log.finish();
}
