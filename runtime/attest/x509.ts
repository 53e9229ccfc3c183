/**
 * X.509 for attestation (RFC 5280): certificate chains of the simulated manufacturer and of DCAP collateral,
 * through @peculiar/x509 on Node's WebCrypto. One place sets the library up (its dependency injection needs the
 * reflect-metadata polyfill loaded first) and converts between raw P-256 keys and CryptoKeys.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { EmonError } from '../errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
export { x509 };

export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const subtle = webcrypto.subtle;

const b64u = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

/** A P-256 private key (32 bytes big-endian) and its public point (65 bytes uncompressed) as a CryptoKey pair. */
export async function importP256Pair(secret: Uint8Array, publicKey: Uint8Array): Promise<CryptoKeyPair> {
  const jwk = { kty: 'EC', crv: 'P-256', x: b64u(publicKey.subarray(1, 33)), y: b64u(publicKey.subarray(33, 65)) };
  const privateKey = (await subtle.importKey('jwk', { ...jwk, d: b64u(secret) }, ECDSA_P256, true, ['sign'])) as unknown as CryptoKey;
  const pub = (await subtle.importKey('jwk', jwk, ECDSA_P256, true, ['verify'])) as unknown as CryptoKey;
  return { privateKey, publicKey: pub };
}

export async function importP256Public(publicKey: Uint8Array): Promise<CryptoKey> {
  return (await subtle.importKey('raw', publicKey, ECDSA_P256, true, ['verify'])) as unknown as CryptoKey;
}

/** The uncompressed P-256 point (65 bytes) of a certificate's subject key, or null if it is not P-256. */
export async function certP256Point(cert: x509.X509Certificate): Promise<Uint8Array | null> {
  try {
    const key = await cert.publicKey.export(ECDSA_P256, ['verify'], webcrypto as unknown as Crypto);
    return new Uint8Array(await subtle.exportKey('raw', key as unknown as webcrypto.CryptoKey));
  } catch {
    return null;
  }
}

/** Parsed chains by PEM text: a verifier sees the same roots and PCK chains again and again. */
const parsed = new Map<string, x509.X509Certificate[]>();
const PARSED_MAX = 256;

/** Every PEM certificate in `text`, in order; a malformed one is a named error. */
export function parsePemChain(text: string, what: string): x509.X509Certificate[] {
  const hit = parsed.get(text);
  if (hit) return [...hit];
  const chain = parseUncached(text, what);
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(text, chain);
  return [...chain];
}

function parseUncached(text: string, what: string): x509.X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new EmonError('E_ATTEST_CERT', `${what}: no PEM certificate found`, { hint: 'give PEM text with -----BEGIN CERTIFICATE----- blocks' });
  }
  return blocks.map((b, i) => {
    try {
      return new x509.X509Certificate(b);
    } catch (e) {
      throw new EmonError('E_ATTEST_CERT', `${what}: certificate ${i + 1} does not parse: ${(e as Error).message}`, { hint: 'give well-formed PEM certificates' });
    }
  });
}
