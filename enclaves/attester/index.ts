// An attester enclave: evidence bound to a verifier nonce and to an X25519 key made inside (the pattern of RA-TLS,
// Knauth et al., "Integrating Remote Attestation with Transport Layer Security", 2018: report data = hash of the
// key), and the channel that key opens. The REPORT goes to the quoting enclave, which turns it into a quote.
export { __emon_ms, __emon_ms_size } from './generated/attester_t';
import { rdrand } from '../sdk/sgx';
import { x25519, x25519_base } from '../sdk/x25519';
import { create_report } from '../lib/report';
import { sha256 } from '../lib/sha256';
import { hkdf_sha256 } from '../lib/hkdf';
import { hmac_sha256 } from '../lib/hmac';
import { chacha20poly1305_open } from '../lib/chacha20poly1305';
import { wipe } from '../lib/ct';

export const ATT_OK: i32 = 0;
export const ATT_E_STATE: i32 = -1; // no key yet
export const ATT_E_REPORT: i32 = -2;
export const ATT_E_BOX: i32 = -3; // the box does not authenticate under the channel key
export const ATT_E_DH: i32 = -4;
export const ATT_E_SIZE: i32 = -5;

const MAX_BOX: usize = 4096 + 28;
const PRIV: usize = memory.data(32, 16);
const PUB: usize = memory.data(32, 16);
const HBUF: usize = memory.data(64, 16);
const RD: usize = memory.data(64, 16);
const SHARED: usize = memory.data(32, 16);
const SALT: usize = memory.data(32, 16);
const KEY: usize = memory.data(32, 16);
const PLAIN: usize = memory.data(<i32>MAX_BOX, 16);
// "emon attested channel v1"
const INFO: usize = memory.data<u8>([101, 109, 111, 110, 32, 97, 116, 116, 101, 115, 116, 101, 100, 32, 99, 104, 97, 110, 110, 101, 108, 32, 118, 49]);
const INFO_LEN: usize = 24;
let haveKey = false;

export function att_evidence(nonce: usize, qeTarget: usize, pub: usize, report: usize): i32 {
  rdrand(PRIV, 32);
  x25519_base(PUB, PRIV);
  haveKey = true;
  sha256(PUB, 32, RD);
  memory.copy(RD + 32, nonce, 32);
  memory.copy(pub, PUB, 32);
  return create_report(qeTarget, RD, report) == 0 ? ATT_OK : ATT_E_REPORT;
}

export function att_open(peerPub: usize, box: usize, len: usize, proof: usize): i32 {
  if (!haveKey) return ATT_E_STATE;
  if (len < 28 || len > MAX_BOX) return ATT_E_SIZE;
  x25519(SHARED, PRIV, peerPub);
  let nz: u8 = 0;
  for (let i: usize = 0; i < 32; i++) nz |= load<u8>(SHARED + i);
  if (nz == 0) return ATT_E_DH;
  memory.copy(HBUF, PUB, 32);
  memory.copy(HBUF + 32, peerPub, 32);
  sha256(HBUF, 64, SALT);
  hkdf_sha256(SALT, 32, SHARED, 32, INFO, INFO_LEN, KEY, 32);
  wipe(SHARED, 32);
  const n = len - 28;
  if (!chacha20poly1305_open(KEY, box, 0, 0, box + 12, n, PLAIN, box + 12 + n)) {
    wipe(KEY, 32);
    return ATT_E_BOX;
  }
  hmac_sha256(KEY, 32, PLAIN, n, proof);
  wipe(KEY, 32);
  wipe(PLAIN, n);
  return ATT_OK;
}
