/**
 * The board's root secret as the secure world sees it: the Hardware Unique Key (HUK) of a TrustZone SoC, from
 * which OP-TEE derives its TA storage and per-TA keys (optee_os core/tee/tee_fs_key_manager.c: SSK = HMAC(HUK,
 * chip id || "static string"), TSK = HMAC(SSK, TA UUID)). emon's HUK is derived from the platform state's root
 * (../sgx/platform.ts) with HKDF-SHA256 under a TrustZone label, so that one state directory stands for one
 * machine and a blob sealed on the SGX backend does not open on the TZ backend (or the reverse). Keys for TAs and
 * TZ-hosted EDL enclaves then come from the shared derivation (../sgx/egetkey.ts) with these roots.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { loadPlatform, type PlatformSecrets } from '../sgx/platform.js';

const cache = new Map<string, PlatformSecrets>();

export function loadTzPlatform(stateDir: string): PlatformSecrets {
  const base = loadPlatform(stateDir);
  const hit = cache.get(base.stateDir);
  if (hit) return hit;
  const label = (s: string) => new TextEncoder().encode(s);
  const huk = hkdf(sha256, base.sealRoot, label('emon tz'), label('hardware unique key v1'), 32);
  const secrets: PlatformSecrets = {
    sealRoot: hkdf(sha256, huk, undefined, label('emon tz storage root v1'), 32),
    reportRoot: hkdf(sha256, huk, undefined, label('emon tz report root v1'), 32),
    stateDir: base.stateDir,
  };
  cache.set(base.stateDir, secrets);
  return secrets;
}
