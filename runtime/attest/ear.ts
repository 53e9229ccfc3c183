/**
 * EAT Attestation Results (draft-ietf-rats-ear, as Veraison's verifier emits them): a JWT signed by the verifier
 * (ES256, via jose) whose claims are the EAR profile, the issue time, the verifier's identity, the nonce, and one
 * submodule per appraised evidence with "ear.status", "ear.trustworthiness-vector", "ear.appraisal-policy-id" and
 * the annotated evidence. emon adds "emon.reasons", the named reason of every failed check. The verifier's key
 * is created on first use in its state folder and kept there (0600).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readRegularFile } from '../files.js';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { EmonError } from '../errors.js';
import type { Appraisal } from './engine.js';
import { refused } from './reasons.js';

export const EAR_PROFILE = 'tag:github.com,2023:veraison/ear';
export const EAR_MEDIA_TYPE = 'application/eat+jwt; eat_profile="tag:github.com,2023:veraison/ear"';
const KEY_FILE = 'ear-signing.jwk';

type Key = Awaited<ReturnType<typeof importJWK>>;

export class EarSigner {
  private constructor(private readonly key: Key, readonly publicJwk: JWK) {}

  /** The signer kept in `dir` (created with a fresh P-256 key on first use). */
  static async open(dir: string): Promise<EarSigner> {
    const file = path.join(dir, KEY_FILE);
    let jwk: JWK;
    if (existsSync(file)) {
      try {
        jwk = JSON.parse(readRegularFile(file, 'utf8')) as JWK;
      } catch (e) {
        throw new EmonError('E_VERIFIER_STATE', `the verifier key ${file} is damaged: ${(e as Error).message}`, { hint: 'restore it, or remove it to make a new one (relying parties must then learn the new key)' });
      }
    } else {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      jwk = { ...(await exportJWK(privateKey)), alg: 'ES256' };
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
      renameSync(tmp, file);
    }
    const { d: _d, ...pub } = jwk;
    void _d;
    return new EarSigner(await importJWK(jwk, 'ES256'), { ...pub, alg: 'ES256', use: 'sig' });
  }

  async sign(appraisal: Appraisal, nonce?: Uint8Array): Promise<string> {
    const claims: JWTPayload = {
      eat_profile: EAR_PROFILE,
      'ear.verifier-id': { developer: 'emon', build: 'emon 0.1.0' },
      submods: {
        [appraisal.scheme]: {
          'ear.status': appraisal.status,
          'ear.trustworthiness-vector': appraisal.trustVector,
          'ear.appraisal-policy-id': appraisal.policyId,
          'ear.veraison.annotated-evidence': appraisal.claims,
          'emon.reasons': appraisal.reasons,
        },
      },
      ...(nonce ? { eat_nonce: Buffer.from(nonce).toString('base64url') } : {}),
    };
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setIssuedAt().sign(this.key);
  }
}

/** Checks an EAR's signature with the verifier's public JWK; a bad one is E_ATTEST_EAR_SIGNATURE. */
export async function verifyEar(jwt: string, publicJwk: JWK): Promise<JWTPayload> {
  try {
    const key = await importJWK(publicJwk, 'ES256');
    const { payload } = await jwtVerify(jwt, key, { algorithms: ['ES256'] });
    if (payload['eat_profile'] !== EAR_PROFILE) throw new Error(`eat_profile is ${String(payload['eat_profile'])}`);
    return payload;
  } catch (e) {
    throw refused('E_ATTEST_EAR_SIGNATURE', (e as Error).message, 'the result was not issued by this verifier or was altered; ask the verifier again');
  }
}
