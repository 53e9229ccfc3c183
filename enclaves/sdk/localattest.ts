// Local attestation with key agreement, after the SGX SDK's sgx_dh (Intel SGX Developer Reference, "Diffie-
// Hellman Key Exchange Library"; Anati et al., HASP 2013): each enclave proves to the other, with an EREPORT
// only the other can verify, that it is a genuine enclave on this platform holding the X25519 public value it
// sent, and both derive the session key with HKDF-SHA256 (RFC 5869). The guest relays the messages and can
// alter, drop or replay them, which makes the handshake fail but never yields the key.
//
//   msg1 (I→R) = ga || TARGETINFO(I)
//   msg2 (R→I) = gb || REPORT(R for I, data = SHA-256(ga || gb || 2)) || TARGETINFO(R)
//   msg3 (I→R) = REPORT(I for R, data = SHA-256(ga || gb || 3))
//   session   = HKDF(salt = SHA-256(ga || gb), ikm = X25519(x, g^y), info = "emon local attestation v1")
// Peers must share this enclave's MRSIGNER (the example's policy; a real service would also pin MRENCLAVE).
import { x25519, x25519_base } from './x25519';
import { rdrand, REPORT_DATA, REPORT_MRENCLAVE, REPORT_MRSIGNER, REPORT_SIZE } from './sgx';
import { create_report, self_report, self_target, verify_report } from '../lib/report';
import { sha256 } from '../lib/sha256';
import { hkdf_sha256 } from '../lib/hkdf';
import { hmac_sha256 } from '../lib/hmac';
import { chacha20poly1305_open, chacha20poly1305_seal } from '../lib/chacha20poly1305';
import { ct_equal, wipe } from '../lib/ct';

export const LA_OK: i32 = 0;
export const LA_E_STATE: i32 = -1; // called out of order
export const LA_E_REPORT: i32 = -2; // report MAC does not verify: not for us, altered, or another platform
export const LA_E_BINDING: i32 = -3; // report data does not bind this exchange's public values
export const LA_E_SIGNER: i32 = -4; // peer has another MRSIGNER
export const LA_E_DH: i32 = -5; // degenerate shared secret
export const LA_E_BOX: i32 = -6; // data key box does not authenticate

const IDLE: i32 = 0, STARTED: i32 = 1, RESPONDED: i32 = 2, ESTABLISHED: i32 = 3;
let state = IDLE;
let haveDataKey = false;

const PRIV: usize = memory.data(32, 16);
const GA: usize = memory.data(32, 16);
const GB: usize = memory.data(32, 16);
const SHARED: usize = memory.data(32, 16);
const SESSION: usize = memory.data(32, 16);
const DATA_KEY: usize = memory.data(32, 16);
const PEER: usize = memory.data(32, 16);
const SELF: usize = memory.data(<i32>REPORT_SIZE, 16);
const RD: usize = memory.data(64, 16);
const HBUF: usize = memory.data(65, 16);
const SALT: usize = memory.data(32, 16);
const INFO: usize = memory.data<u8>([101, 109, 111, 110, 32, 108, 111, 99, 97, 108, 32, 97, 116, 116, 101, 115, 116, 97, 116, 105, 111, 110, 32, 118, 49]); // "emon local attestation v1"
const INFO_LEN: usize = 25;
const BOX_AAD: usize = memory.data<u8>([108, 97, 45, 107, 101, 121]); // "la-key"

/** RD = SHA-256(ga || gb || step) || zeros. */
function binding(step: u8): void {
  memory.copy(HBUF, GA, 32);
  memory.copy(HBUF + 32, GB, 32);
  store<u8>(HBUF + 64, step);
  memory.fill(RD, 0, 64);
  sha256(HBUF, 65, RD);
}

function keypair(pub: usize): void {
  rdrand(PRIV, 32);
  x25519_base(pub, PRIV);
}

/** Checks a peer's report: MAC for us, binding of this exchange, same signer. Records the peer's MRENCLAVE. */
function check_peer(report: usize, step: u8): i32 {
  if (!verify_report(report)) return LA_E_REPORT;
  binding(step);
  if (!ct_equal(report + REPORT_DATA, RD, 64)) return LA_E_BINDING;
  self_report(SELF);
  if (!ct_equal(report + REPORT_MRSIGNER, SELF + REPORT_MRSIGNER, 32)) return LA_E_SIGNER;
  memory.copy(PEER, report + REPORT_MRENCLAVE, 32);
  return LA_OK;
}

function derive(peerPub: usize): i32 {
  x25519(SHARED, PRIV, peerPub);
  wipe(PRIV, 32);
  let nonzero: u8 = 0;
  for (let i: usize = 0; i < 32; i++) nonzero |= load<u8>(SHARED + i);
  if (nonzero == 0) return LA_E_DH;
  memory.copy(HBUF, GA, 32);
  memory.copy(HBUF + 32, GB, 32);
  sha256(HBUF, 64, SALT);
  hkdf_sha256(SALT, 32, SHARED, 32, INFO, INFO_LEN, SESSION, 32);
  wipe(SHARED, 32);
  return LA_OK;
}

export function la_start(msg1: usize): i32 {
  keypair(GA);
  memory.copy(msg1, GA, 32);
  self_target(msg1 + 32);
  state = STARTED;
  haveDataKey = false;
  return LA_OK;
}

export function la_respond(msg1: usize, msg2: usize): i32 {
  memory.copy(GA, msg1, 32);
  keypair(GB);
  binding(2);
  memory.copy(msg2, GB, 32);
  if (create_report(msg1 + 32, RD, msg2 + 32) != 0) return LA_E_STATE;
  self_target(msg2 + 32 + REPORT_SIZE);
  state = RESPONDED;
  haveDataKey = false;
  return LA_OK;
}

export function la_finish(msg2: usize, msg3: usize): i32 {
  if (state != STARTED) return LA_E_STATE;
  memory.copy(GB, msg2, 32);
  const rc = check_peer(msg2 + 32, 2);
  if (rc != LA_OK) return rc;
  const d = derive(GB);
  if (d != LA_OK) return d;
  binding(3);
  if (create_report(msg2 + 32 + REPORT_SIZE, RD, msg3) != 0) return LA_E_STATE;
  state = ESTABLISHED;
  return LA_OK;
}

export function la_confirm(msg3: usize): i32 {
  if (state != RESPONDED) return LA_E_STATE;
  const rc = check_peer(msg3, 3);
  if (rc != LA_OK) return rc;
  const d = derive(GA);
  if (d != LA_OK) return d;
  state = ESTABLISHED;
  return LA_OK;
}

export function la_send_key(box: usize): i32 {
  if (state != ESTABLISHED) return LA_E_STATE;
  if (!haveDataKey) rdrand(DATA_KEY, 32);
  haveDataKey = true;
  rdrand(box, 12);
  chacha20poly1305_seal(SESSION, box, BOX_AAD, 6, DATA_KEY, 32, box + 12, box + 44);
  return LA_OK;
}

export function la_receive_key(box: usize): i32 {
  if (state != ESTABLISHED) return LA_E_STATE;
  if (!chacha20poly1305_open(SESSION, box, BOX_AAD, 6, box + 12, 32, DATA_KEY, box + 44)) return LA_E_BOX;
  haveDataKey = true;
  return LA_OK;
}

export function la_tag(msg: usize, len: usize, tag: usize): i32 {
  if (!haveDataKey) return LA_E_STATE;
  hmac_sha256(DATA_KEY, 32, msg, len, tag);
  return LA_OK;
}

export function la_peer(out: usize): i32 {
  if (state != ESTABLISHED) return LA_E_STATE;
  memory.copy(out, PEER, 32);
  return LA_OK;
}
