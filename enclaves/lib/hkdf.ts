/**
 * HKDF-SHA256, RFC 5869 §2.2 (extract) and §2.3 (expand). An empty salt is the same as 32 zero bytes (HMAC pads
 * keys with zeros), as §2.2 requires.
 */
import { hmac_sha256, hmac_sha256_final, hmac_sha256_init, hmac_sha256_update, HMAC_SHA256_CTX_SIZE } from './hmac';
import { wipe } from './ct';

/** RFC 5869 §2.3: L <= 255 * HashLen. */
export const HKDF_SHA256_MAX_OUTPUT: usize = 255 * 32;

const KEYED: usize = memory.data(<i32>HMAC_SHA256_CTX_SIZE, 16);
const WORK: usize = memory.data(<i32>HMAC_SHA256_CTX_SIZE, 16);
const T: usize = memory.data(32, 16);
const COUNTER: usize = memory.data(16, 16);

/** PRK = HMAC(salt, ikm): 32 bytes to `prk`. */
export function hkdf_sha256_extract(salt: usize, saltLen: usize, ikm: usize, ikmLen: usize, prk: usize): void {
  hmac_sha256(salt, saltLen, ikm, ikmLen, prk);
}

/**
 * Writes `outLen` bytes of T(1) || T(2) || ... to `out`, T(i) = HMAC(prk, T(i-1) || info || i). Returns false
 * (writing nothing) when `outLen` exceeds HKDF_SHA256_MAX_OUTPUT.
 */
export function hkdf_sha256_expand(prk: usize, prkLen: usize, info: usize, infoLen: usize, out: usize, outLen: usize): bool {
  if (outLen > HKDF_SHA256_MAX_OUTPUT) return false;
  hmac_sha256_init(KEYED, prk, prkLen);
  let done: usize = 0;
  let i: u8 = 1;
  while (done < outLen) {
    memory.copy(WORK, KEYED, HMAC_SHA256_CTX_SIZE);
    if (i > 1) hmac_sha256_update(WORK, T, 32);
    hmac_sha256_update(WORK, info, infoLen);
    store<u8>(COUNTER, i);
    hmac_sha256_update(WORK, COUNTER, 1);
    hmac_sha256_final(WORK, T);
    let n = outLen - done;
    if (n > 32) n = 32;
    memory.copy(out + done, T, n);
    done += n;
    i++;
  }
  wipe(KEYED, HMAC_SHA256_CTX_SIZE);
  wipe(T, 32);
  return true;
}

/** Extract then expand; false when `outLen` is too large. */
export function hkdf_sha256(
  salt: usize, saltLen: usize, ikm: usize, ikmLen: usize, info: usize, infoLen: usize, out: usize, outLen: usize,
): bool {
  if (outLen > HKDF_SHA256_MAX_OUTPUT) return false;
  hkdf_sha256_extract(salt, saltLen, ikm, ikmLen, PRK);
  const ok = hkdf_sha256_expand(PRK, 32, info, infoLen, out, outLen);
  wipe(PRK, 32);
  return ok;
}

const PRK: usize = memory.data(32, 16);
