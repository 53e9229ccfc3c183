// The runtime integrity monitoring TA (TrustZone's "the secure world watches the normal world" use case, as in
// Samsung's TIMA/RKP and SPROBES): it reads the guest's memory from the secure world, which TrustZone allows,
// hashes the ranges that must not change (SHA-256, the Wasm crypto core) and compares them with the reference
// taken at boot. A change raises an alert to the secure world (TEE_IntegrityAlert), whose policy decides what
// happens to the guest. Single-instance, multi-session, keep-alive: the secure world's own session sets the
// reference at boot (command 0x80000000, which the secure world lets no client session call); the guest may
// open a session too and ask for a check (on demand), the report, or a PSA token. The reference also holds the
// measurement of the guest module (SHA-256 of its bytes, given by the secure world's loader at boot) and, per
// range, the reference hash the secure world gives (a data segment's bytes in the module) or, when it gives
// none, the hash of the range's content now. The report returns the measurement with the counts; command 3 has
// the secure world's attestation service sign them, over the client's nonce, as the guest's PSA software components.
import { sha256_final, sha256_init, sha256_update, SHA256_CTX_SIZE } from '../lib/sha256';
import {
  TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_BAD_STATE, TEE_ERROR_NOT_SUPPORTED, TEE_ERROR_SECURITY, TEE_IntegrityAlert, TEE_PARAM_TYPE_MEMREF_INPUT,
  TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPES, TEE_ParamMemrefBuffer, TEE_ParamMemrefSize,
  TEE_ReadNormalWorld, TEE_Result, TEE_SetParamMemrefSize, TEE_SetParamValue, TEE_ERROR_SHORT_BUFFER, TEE_SUCCESS,
} from '../tasdk/index';
export { __tee_params, __tee_shm, __tee_shm_size } from '../tasdk/index';

/** The secure world's attestation service, for this TA only: a PSA token over the nonce carrying REPORT. */
@external("tee", "integrity_token") declare function sys_integrity_token(nonce: usize, nonceLen: usize, report: usize, out: usize, cap: usize): i32;

const CMD_SET_REFERENCE: u32 = 0x80000000;
const CMD_CHECK: u32 = 1;
const CMD_REPORT: u32 = 2;
/** memref in: a 32, 48 or 64-byte nonce; memref out: the PSA token (RFC 9783) with the guest's integrity. */
const CMD_ATTEST: u32 = 3;
/** The report as the attestation service reads it: module SHA-256, checks, alerts, last changed, ranges. */
const REPORT: usize = memory.data(48, 16);
const MAX_RANGES: u32 = 64;
const CHUNK: usize = 4096;

const CTX: usize = memory.data(<i32>SHA256_CTX_SIZE, 16);
const BUF: usize = memory.data(<i32>CHUNK, 16);
const DIGEST: usize = memory.data(32, 16);
/** Per range: address u32, length u32, reference SHA-256. */
const RANGES: usize = memory.data(<i32>(MAX_RANGES * 40), 16);
/** SHA-256 of the guest module's bytes (the secure world's loader measured them at boot). */
const MODULE: usize = memory.data(32, 16);
let count: u32 = 0;
/** Ranges found changed by the last check. */
let lastChanged: u32 = 0;
let referenced = false;
let checks: u32 = 0;
let alerts: u32 = 0;

/** SHA-256 of normal-world [addr, +len) into DIGEST; false when the range left the guest's memory. */
function measure(addr: usize, len: usize): bool {
  sha256_init(CTX);
  let done: usize = 0;
  while (done < len) {
    const n = len - done < CHUNK ? len - done : CHUNK;
    if (TEE_ReadNormalWorld(addr + done, n, BUF) != 0) return false;
    sha256_update(CTX, BUF, n);
    done += n;
  }
  sha256_final(CTX, DIGEST);
  return true;
}

export function TA_CreateEntryPoint(): TEE_Result { return TEE_SUCCESS; }
export function TA_DestroyEntryPoint(): void {}
export function TA_OpenSessionEntryPoint(paramTypes: u32, params: usize, sessCtx: usize): TEE_Result {
  return paramTypes == 0 ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
}
export function TA_CloseSessionEntryPoint(sessCtx: usize): void {}

export function TA_InvokeCommandEntryPoint(sessCtx: usize, cmd: u32, paramTypes: u32, params: usize): TEE_Result {
  if (cmd == CMD_SET_REFERENCE) {
    if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    if (referenced) return TEE_ERROR_BAD_STATE;
    if (TEE_ParamMemrefSize(params, 2) != 32) return TEE_ERROR_BAD_PARAMETERS;
    // Per range: address u32, length u32, and its reference SHA-256 from the module (its data segment's bytes);
    // all zero: the range's reference is what the normal world's memory holds now.
    const list = TEE_ParamMemrefBuffer(params, 0);
    const size = TEE_ParamMemrefSize(params, 0);
    const n = size / 40;
    if (n > MAX_RANGES || n * 40 != size) return TEE_ERROR_BAD_PARAMETERS;
    let bytes: u32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      const e = list + i * 40;
      const addr = load<u32>(e);
      const len = load<u32>(e, 4);
      if (len == 0 || !measure(addr, len)) return TEE_ERROR_BAD_PARAMETERS;
      let given = false;
      for (let k: usize = 0; k < 32; k++) if (load<u8>(e + 8 + k) != 0) given = true;
      const r = RANGES + i * 40;
      store<u32>(r, addr);
      store<u32>(r, len, 4);
      memory.copy(r + 8, given ? e + 8 : DIGEST, 32);
      bytes += len;
    }
    count = n;
    memory.copy(MODULE, TEE_ParamMemrefBuffer(params, 2), 32);
    referenced = true;
    TEE_SetParamValue(params, 1, n, bytes);
    return TEE_SUCCESS;
  }
  if (cmd == CMD_CHECK) {
    if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    if (!referenced) return TEE_ERROR_BAD_STATE;
    checks++;
    let changed: u32 = 0;
    let first: u32 = 0xffffffff;
    for (let i: u32 = 0; i < count; i++) {
      const r = RANGES + i * 40;
      const addr = load<u32>(r);
      const len = load<u32>(r, 4);
      let same = measure(addr, len);
      if (same) for (let k: usize = 0; k < 32; k++) if (load<u8>(DIGEST + k) != load<u8>(r + 8 + k)) same = false;
      if (!same) {
        changed++;
        if (first == 0xffffffff) first = i;
        TEE_IntegrityAlert(i, 'range #' + i.toString() + ' [' + addr.toString() + ', +' + len.toString() + ') changed since boot');
      }
    }
    alerts += changed;
    lastChanged = changed;
    TEE_SetParamValue(params, 0, changed, first);
    return changed == 0 ? TEE_SUCCESS : TEE_ERROR_SECURITY;
  }
  // The report: [0] (alerts, checks) and, in the long form, [1] (ranges changed at the last check, ranges watched)
  // and [2] the module measurement (32 bytes).
  if (cmd == CMD_REPORT) {
    const short = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE);
    const long = TEE_PARAM_TYPES(TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_VALUE_OUTPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE);
    if (paramTypes != short && paramTypes != long) return TEE_ERROR_BAD_PARAMETERS;
    if (paramTypes == long) {
      if (!referenced) return TEE_ERROR_BAD_STATE;
      if (TEE_ParamMemrefSize(params, 2) < 32) {
        TEE_SetParamMemrefSize(params, 2, 32);
        return TEE_ERROR_SHORT_BUFFER;
      }
      memory.copy(TEE_ParamMemrefBuffer(params, 2), MODULE, 32);
      TEE_SetParamMemrefSize(params, 2, 32);
      TEE_SetParamValue(params, 1, lastChanged, count);
    }
    TEE_SetParamValue(params, 0, alerts, checks);
    return TEE_SUCCESS;
  }
  if (cmd == CMD_ATTEST) {
    if (paramTypes != TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT, TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE)) return TEE_ERROR_BAD_PARAMETERS;
    if (!referenced) return TEE_ERROR_BAD_STATE;
    const nonceLen = TEE_ParamMemrefSize(params, 0);
    if (nonceLen != 32 && nonceLen != 48 && nonceLen != 64) return TEE_ERROR_BAD_PARAMETERS;
    memory.copy(REPORT, MODULE, 32);
    store<u32>(REPORT, checks, 32);
    store<u32>(REPORT, alerts, 36);
    store<u32>(REPORT, lastChanged, 40);
    store<u32>(REPORT, count, 44);
    const cap = TEE_ParamMemrefSize(params, 1);
    const n = sys_integrity_token(TEE_ParamMemrefBuffer(params, 0), nonceLen, REPORT, TEE_ParamMemrefBuffer(params, 1), cap);
    if (n < 0) return TEE_ERROR_NOT_SUPPORTED;
    TEE_SetParamMemrefSize(params, 1, <u32>n);
    return <u32>n > cap ? TEE_ERROR_SHORT_BUFFER : TEE_SUCCESS;
  }
  return TEE_ERROR_NOT_SUPPORTED;
}
