/**
 * The simulated manufacturer: what Intel's Provisioning Certification Service and its CAs are to DCAP (Intel,
 * "Intel SGX PCK Certificate and CRL Profile Specification"; "Intel Trust Services API" for TCB info v3 and QE
 * identity v2). A root CA signs a PCK platform CA, which issues one PCK certificate per platform (carrying the
 * SGX extension with the platform's TCB level), and a TCB signing certificate, whose key signs TCB-info and
 * QE-identity endorsements in Intel's JSON. Its keys live in a folder of their own (default
 * ~/.emon/manufacturer, `--ca-dir`), apart from any platform's state, as a real manufacturer's would.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readRegularFile } from '../../files.js';
import { homedir } from 'node:os';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { EmonError } from '../../errors.js';
import { ECDSA_P256, importP256Public, x509 } from '../x509.js';
import { encodePckExtension, SGX_EXTENSION_OID } from './pck-ext.js';
import type { PlatformTcb } from '../../hw/sgx/tcb.js';
import { DEFAULT_CPUSVN, DEFAULT_PCESVN, FMSPC, PCE_ID } from '../../hw/sgx/tcb.js';

const subtle = webcrypto.subtle;
type Key = CryptoKey;

export function defaultCaDir(): string {
  return process.env['EMON_CA_DIR'] || path.join(homedir(), '.emon', 'manufacturer');
}

export type TcbStatus = 'UpToDate' | 'SWHardeningNeeded' | 'ConfigurationNeeded' | 'OutOfDate' | 'Revoked';

export interface TcbLevelSpec {
  readonly cpuSvn: string; // 32 hex digits: the sixteen components
  readonly pceSvn: number;
  readonly status: TcbStatus;
}

/** The manufacturer's default TCB levels: the default platform is up to date; older microcode is out of date or revoked. */
export const DEFAULT_TCB_LEVELS: readonly TcbLevelSpec[] = [
  { cpuSvn: DEFAULT_CPUSVN, pceSvn: DEFAULT_PCESVN, status: 'UpToDate' },
  { cpuSvn: '0e0e0202ff8003000000000000000000', pceSvn: 11, status: 'OutOfDate' },
  { cpuSvn: '00000000000000000000000000000000', pceSvn: 0, status: 'Revoked' },
];

interface Pair {
  readonly key: Key;
  readonly cert: x509.X509Certificate;
}

const YEAR = 365 * 24 * 3600 * 1000;

async function newKey(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

function pemKey(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export interface IssueOptions {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

export class Manufacturer {
  private constructor(
    readonly dir: string,
    readonly root: Pair,
    readonly pckCa: Pair,
    readonly tcbSigning: Pair,
  ) {}

  /** Loads the CA folder, creating the three keys and certificates on first use. */
  static async open(dir: string = defaultCaDir()): Promise<Manufacturer> {
    const d = path.resolve(dir);
    const load = async (name: string): Promise<Pair | null> => {
      const kf = path.join(d, `${name}.key.pem`), cf = path.join(d, `${name}.pem`);
      if (!existsSync(kf) || !existsSync(cf)) return null;
      try {
        const der = x509.PemConverter.decodeFirst(readRegularFile(kf, 'utf8'));
        const key = (await subtle.importKey('pkcs8', der, ECDSA_P256, false, ['sign'])) as unknown as Key;
        return { key, cert: new x509.X509Certificate(readRegularFile(cf, 'utf8')) };
      } catch (e) {
        throw new EmonError('E_ATTEST_CA', `the manufacturer CA file ${kf} or ${cf} is damaged: ${(e as Error).message}`, {
          hint: `remove ${d} to make a new simulated manufacturer (every issued certificate then becomes unknown)`,
        });
      }
    };
    let root = await load('root'), pckCa = await load('pck-platform-ca'), tcb = await load('tcb-signing');
    if (!root || !pckCa || !tcb) {
      try {
        mkdirSync(d, { recursive: true, mode: 0o700 });
      } catch (e) {
        throw new EmonError('E_ATTEST_CA', `cannot create the manufacturer CA folder ${d}: ${(e as Error).message}`, { hint: 'pass a writable folder with --ca-dir' });
      }
      const now = new Date(Date.now() - 60_000);
      const rk = await newKey();
      const rootCert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=emon SGX Root CA, O=emon simulated manufacturer, C=US',
        notBefore: now,
        notAfter: new Date(now.getTime() + 20 * YEAR),
        keys: rk,
        signingAlgorithm: ECDSA_P256,
        extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
      });
      root = { key: rk.privateKey, cert: rootCert };
      const sub = async (name: string, cn: string, ca: boolean): Promise<{ pair: Pair; keys: CryptoKeyPair }> => {
        const k = await newKey();
        const cert = await x509.X509CertificateGenerator.create({
          serialNumber: ca ? '02' : '03',
          subject: `CN=${cn}, O=emon simulated manufacturer, C=US`,
          issuer: rootCert.subject,
          notBefore: now,
          notAfter: new Date(now.getTime() + 10 * YEAR),
          publicKey: k.publicKey,
          signingKey: rk.privateKey,
          signingAlgorithm: ECDSA_P256,
          extensions: ca
            ? [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)]
            : [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true)],
        });
        void name;
        return { pair: { key: k.privateKey, cert }, keys: k };
      };
      const p = await sub('pck-platform-ca', 'emon SGX PCK Platform CA', true);
      const t = await sub('tcb-signing', 'emon SGX TCB Signing', false);
      pckCa = p.pair;
      tcb = t.pair;
      const write = async (name: string, keys: CryptoKeyPair, cert: x509.X509Certificate): Promise<void> => {
        for (const [file, text] of [
          [`${name}.key.pem`, pemKey((await subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey)) as ArrayBuffer)],
          [`${name}.pem`, cert.toString('pem')],
        ] as const) {
          const tmp = path.join(d, `.${file}.${process.pid}`);
          writeFileSync(tmp, text + '\n', { mode: 0o600 });
          renameSync(tmp, path.join(d, file));
        }
      };
      await write('root', rk, rootCert);
      await write('pck-platform-ca', p.keys, p.pair.cert);
      await write('tcb-signing', t.keys, t.pair.cert);
    }
    return new Manufacturer(d, root, pckCa, tcb);
  }

  /** The root CA certificate (the trust anchor a verifier is given with --root). */
  rootPem(): string {
    return this.root.cert.toString('pem');
  }

  /** The PCK certificate chain issuer part: platform CA then root, PEM. */
  pckIssuerChainPem(): string {
    return `${this.pckCa.cert.toString('pem')}\n${this.root.cert.toString('pem')}\n`;
  }

  /** The TCB signing chain (TCB signing cert then root), as Intel's PCS sends in TCB-Info-Issuer-Chain. */
  tcbIssuerChainPem(): string {
    return `${this.tcbSigning.cert.toString('pem')}\n${this.root.cert.toString('pem')}\n`;
  }

  /** Issues the PCK certificate of a platform: its PCK public key and TCB level. */
  async issuePck(pckPublicKey: Uint8Array, tcb: PlatformTcb, options: IssueOptions = {}): Promise<string> {
    const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: Buffer.from(tcb.ppid.subarray(0, 8)).toString('hex').replace(/^0+/, '') || '1',
      subject: 'CN=emon SGX PCK Certificate, O=emon simulated manufacturer, C=US',
      issuer: this.pckCa.cert.subject,
      notBefore,
      notAfter: options.notAfter ?? new Date(notBefore.getTime() + 7 * YEAR),
      publicKey: await importP256Public(pckPublicKey),
      signingKey: this.pckCa.key,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
        new x509.Extension(SGX_EXTENSION_OID, false, encodePckExtension({
          ppid: tcb.ppid,
          tcbComponents: [...tcb.cpuSvn],
          pceSvn: tcb.pceSvn,
          cpuSvn: tcb.cpuSvn,
          pceId: tcb.pceId,
          fmspc: tcb.fmspc,
        }) as Uint8Array<ArrayBuffer>),
      ],
    });
    return cert.toString('pem');
  }

  private async signJson(body: string): Promise<string> {
    const sig = new Uint8Array(await subtle.sign(ECDSA_P256, this.tcbSigning.key as unknown as webcrypto.CryptoKey, new TextEncoder().encode(body)));
    return Buffer.from(sig).toString('hex');
  }

  /** TCB info v3 for the platform family (Intel's JSON; the signature covers the raw text of "tcbInfo"). */
  async tcbInfo(levels: readonly TcbLevelSpec[] = DEFAULT_TCB_LEVELS, options: IssueOptions = {}): Promise<string> {
    const issue = options.notBefore ?? new Date(Date.now() - 60_000);
    const body = JSON.stringify({
      id: 'SGX',
      version: 3,
      issueDate: issue.toISOString(),
      nextUpdate: (options.notAfter ?? new Date(issue.getTime() + 30 * 24 * 3600 * 1000)).toISOString(),
      fmspc: FMSPC,
      pceId: PCE_ID,
      tcbType: 0,
      tcbEvaluationDataNumber: 17,
      tcbLevels: levels.map((l) => ({
        tcb: { sgxtcbcomponents: [...Buffer.from(l.cpuSvn, 'hex')].map((svn) => ({ svn })), pcesvn: l.pceSvn },
        tcbDate: '2026-01-01T00:00:00Z',
        tcbStatus: l.status,
      })),
    });
    return `{"tcbInfo":${body},"signature":"${await this.signJson(body)}"}`;
  }

  /** QE identity v2 for a quoting enclave signer (Intel's JSON). */
  async qeIdentity(mrsigner: Uint8Array, isvProdId: number, minIsvSvn: number, options: IssueOptions = {}): Promise<string> {
    const issue = options.notBefore ?? new Date(Date.now() - 60_000);
    const body = JSON.stringify({
      id: 'QE',
      version: 2,
      issueDate: issue.toISOString(),
      nextUpdate: (options.notAfter ?? new Date(issue.getTime() + 30 * 24 * 3600 * 1000)).toISOString(),
      tcbEvaluationDataNumber: 17,
      miscselect: '00000000',
      miscselectMask: 'FFFFFFFF',
      attributes: '01000000000000000000000000000000',
      attributesMask: '03000000000000000000000000000000',
      mrsigner: Buffer.from(mrsigner).toString('hex').toUpperCase(),
      isvprodid: isvProdId,
      tcbLevels: [{ tcb: { isvsvn: minIsvSvn }, tcbDate: '2026-01-01T00:00:00Z', tcbStatus: 'UpToDate' }],
    });
    return `{"enclaveIdentity":${body},"signature":"${await this.signJson(body)}"}`;
  }
}
