/**
 * The quote library: the untrusted host side of quote generation, after Intel's DCAP Quote Generation Library
 * (sgx_qe_get_target_info, sgx_qe_get_quote): it drives the quoting enclave, has the PCE certify the QE's
 * attestation key once, obtains the platform's PCK certificate chain from the manufacturer (what a PCCS caches),
 * and assembles Intel's quote v3 around the part the QE signed. Nothing here is trusted: every byte it adds is
 * checked by the verifier against signatures rooted in the manufacturer.
 */
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { PCE_TARGET, pceCertify, pckPublicKey, type QeCertification } from '../../hw/sgx/pce.js';
import { encodeTargetInfo, REPORT_SIZE, TARGETINFO_SIZE } from '../../hw/sgx/ereport.js';
import type { PlatformSecrets } from '../../hw/sgx/platform.js';
import { platformTcb } from '../../hw/sgx/tcb.js';
import { buildDir } from '../../paths.js';
import { HostEnclave } from '../host-enclave.js';
import type { IssueOptions, Manufacturer } from './manufacturer.js';
import { CERT_TYPE_PCK_CHAIN, encodeQuote, QUOTE_SIGNED_SIZE } from './quote.js';

export const QE_FILE = path.join(buildDir, 'enclaves', 'quoting.wasm');
/** QE authentication data: 32 bytes, as Intel's QE3 sends by default. */
const AUTH_DATA = new Uint8Array(32).map((_, i) => i);

export class QuoteGenerator {
  private cert: QeCertification | null = null;
  private akPub: Uint8Array | null = null;
  private chain: string | null = null;

  private constructor(
    readonly platform: PlatformSecrets,
    readonly qe: HostEnclave,
    private readonly manufacturer: Manufacturer,
    private readonly pckOptions: IssueOptions,
  ) {}

  /** Loads the quoting enclave (build/enclaves/quoting.wasm unless given) for `platform`. */
  static open(platform: PlatformSecrets, manufacturer: Manufacturer, options: { qeFile?: string; pck?: IssueOptions } = {}): QuoteGenerator {
    return new QuoteGenerator(platform, HostEnclave.load('quoting', options.qeFile ?? QE_FILE, platform), manufacturer, options.pck ?? {});
  }

  /** The QE's TARGETINFO, for the application enclave's EREPORT (sgx_qe_get_target_info). */
  targetInfo(): Uint8Array {
    return this.qe.call('qe_target', [{ out: TARGETINFO_SIZE }]).outs[0]!;
  }

  /** The platform's PCK chain (leaf, platform CA, root), issued once per generator. */
  async pckChain(): Promise<string> {
    if (!this.chain) {
      const tcb = platformTcb(this.platform);
      this.chain = `${await this.manufacturer.issuePck(pckPublicKey(this.platform), tcb, this.pckOptions)}\n${this.manufacturer.pckIssuerChainPem()}`;
    }
    return this.chain;
  }

  private certify(): { cert: QeCertification; akPub: Uint8Array } {
    if (!this.cert || !this.akPub) {
      const { rc, outs } = this.qe.call('qe_certify', [encodeTargetInfo(PCE_TARGET), AUTH_DATA, { out: 64 }, { out: REPORT_SIZE }]);
      if (rc !== 0) throw new EmonError('E_ATTEST_QE', `the quoting enclave could not make its key's report (code ${rc})`, { hint: 'rebuild the enclaves with `npm run build`' });
      this.akPub = outs[0]!;
      this.cert = pceCertify(this.platform, outs[1]!);
    }
    return { cert: this.cert, akPub: this.akPub };
  }

  /** A quote v3 for `report` (an EREPORT targeted at the QE). */
  async quote(report: Uint8Array): Promise<Uint8Array> {
    await this.pckChain();
    return this.quoteSync(report);
  }

  /** As quote(), once pckChain() has resolved (the PCK chain is fetched once, as a PCCS caches it). */
  quoteSync(report: Uint8Array): Uint8Array {
    if (!this.chain) throw new Error('internal: quoteSync before pckChain()');
    if (report.length !== REPORT_SIZE) {
      throw new EmonError('E_ATTEST_REPORT', `a REPORT is ${REPORT_SIZE} bytes, got ${report.length}`, { hint: 'pass the 208-byte REPORT the enclave made for the QE target' });
    }
    const { cert, akPub } = this.certify();
    const tcb = platformTcb(this.platform);
    const pinfo = new Uint8Array(18);
    new DataView(pinfo.buffer).setUint16(0, tcb.pceSvn, true);
    pinfo.set(tcb.cpuSvn, 2);
    const { rc, outs } = this.qe.call('qe_quote', [report, pinfo, { out: QUOTE_SIGNED_SIZE + 64 }]);
    if (rc === -2) {
      throw new EmonError('E_ATTEST_REPORT', 'the quoting enclave refused the REPORT: its MAC does not verify (not targeted at the QE, made on another platform, or altered)', {
        hint: "make the REPORT with the QE's target info on this platform",
      });
    }
    if (rc !== 0) throw new EmonError('E_ATTEST_QE', `the quoting enclave failed (code ${rc})`, { hint: 'rebuild the enclaves with `npm run build`' });
    const signedAndSig = outs[0]!;
    return encodeQuote({
      signedPart: signedAndSig.subarray(0, QUOTE_SIGNED_SIZE),
      isvSignature: signedAndSig.subarray(QUOTE_SIGNED_SIZE),
      attestationKey: akPub,
      qeReportBody: cert.qeReportBody,
      qeReportSignature: cert.qeReportSignature,
      qeAuthData: AUTH_DATA,
      certType: CERT_TYPE_PCK_CHAIN,
      certData: new TextEncoder().encode(this.chain),
    });
  }
}
