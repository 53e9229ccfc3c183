// The TEE Internal Core API for trusted applications written in AssemblyScript (GP TEE Internal Core API
// Specification v1.3.1), with GP's names: parameter access (§4.1.2 TEE_Param), memory (§4.11: TEE_Malloc,
// TEE_Realloc, TEE_Free, TEE_MemMove, TEE_MemCompare, TEE_MemFill), TEE_Panic (§4.8), TEE_GenerateRandom
// (§6.11), time (§7.2: TEE_GetSystemTime, TEE_GetREETime), OP-TEE's trace macros IMSG/DMSG/EMSG, and the
// cryptographic operations for the Wasm core's primitives (§6.2-6.6: digest SHA-256, MAC HMAC-SHA256 with
// ComputeFinal and CompareFinal; and
// ChaCha20-Poly1305 as an emon extension). Functions that write results take GP's out-pointers.
import { sha256_init, sha256_update, sha256_final, SHA256_CTX_SIZE } from '../lib/sha256';
import { hmac_sha256_init, hmac_sha256_update, hmac_sha256_final, HMAC_SHA256_CTX_SIZE } from '../lib/hmac';
import { chacha20poly1305_seal, chacha20poly1305_open } from '../lib/chacha20poly1305';
import {
  TEE_ALG_CHACHA20_POLY1305_EMON, TEE_ALG_HMAC_SHA256, TEE_ALG_SHA256, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_MAC_INVALID,
  TEE_ERROR_NOT_SUPPORTED, TEE_ERROR_OUT_OF_MEMORY, TEE_ERROR_SHORT_BUFFER, TEE_MODE_DIGEST, TEE_MODE_MAC, TEE_PARAM_SIZE,
  TEE_SUCCESS, TEE_Result,
} from './tee_api_defines';

// TA syscalls (module "tee"), served by the secure world.
@external("tee", "log") declare function sys_log(level: i32, p: usize, n: usize): void;
@external("tee", "panic") declare function sys_panic(code: u32): void;
@external("tee", "random") declare function sys_random(p: usize, n: usize): i32;
@external("tee", "get_time") declare function sys_get_time(kind: i32, out: usize): i32;
@external("tee", "secure_device_read") declare function sys_secure_device_read(name: usize, nameLen: usize, buf: usize, cap: usize): i32;
@external("tee", "secure_block_info") declare function sys_secure_block_info(name: usize, nameLen: usize, out: usize): u32;
@external("tee", "secure_block_io") declare function sys_secure_block_io(name: usize, nameLen: usize, write: i32, offset: u64, buf: usize, len: usize): u32;
@external("tee", "normal_world_read") declare function sys_normal_world_read(src: usize, len: usize, dst: usize): i32;
@external("tee", "integrity_alert") declare function sys_integrity_alert(code: u32, p: usize, n: usize): void;

// ---- TEE_Param ----
export function TEE_ParamValueA(params: usize, i: u32): u32 {
  return load<u32>(params + i * TEE_PARAM_SIZE);
}
export function TEE_ParamValueB(params: usize, i: u32): u32 {
  return load<u32>(params + i * TEE_PARAM_SIZE, 4);
}
export function TEE_SetParamValue(params: usize, i: u32, a: u32, b: u32): void {
  store<u32>(params + i * TEE_PARAM_SIZE, a);
  store<u32>(params + i * TEE_PARAM_SIZE, b, 4);
}
export function TEE_ParamMemrefBuffer(params: usize, i: u32): usize {
  return load<u32>(params + i * TEE_PARAM_SIZE);
}
export function TEE_ParamMemrefSize(params: usize, i: u32): u32 {
  return load<u32>(params + i * TEE_PARAM_SIZE, 4);
}
/** Sets memref.size: the bytes written, or (with TEE_ERROR_SHORT_BUFFER) the size needed. */
export function TEE_SetParamMemrefSize(params: usize, i: u32, size: u32): void {
  store<u32>(params + i * TEE_PARAM_SIZE, size, 4);
}

// ---- trace (OP-TEE's trace.h levels: 1 error, 2 info, 3 debug) ----
function trace(level: i32, msg: string): void {
  const b = String.UTF8.encode(msg);
  sys_log(level, changetype<usize>(b), <usize>b.byteLength);
}
export function EMSG(msg: string): void { trace(1, msg); }
export function IMSG(msg: string): void { trace(2, msg); }
export function DMSG(msg: string): void { trace(3, msg); }

export function TEE_Panic(code: u32): void {
  sys_panic(code);
  unreachable();
}

// ---- memory ----
// The TA's memory is bounded by TA_STACK_SIZE + TA_DATA_SIZE: TEE_Malloc grows it first and returns 0 (NULL)
// when the secure world refuses, instead of letting the allocator trap.
let top: usize = __heap_base;
export const TEE_MALLOC_FILL_ZERO: u32 = 0;
export const TEE_MALLOC_NO_FILL: u32 = 1;

function reserve(size: usize): bool {
  const need = top + size + 64;
  const have = (<usize>memory.size()) << 16;
  if (need > have && memory.grow(<i32>((need - have + 0xffff) >> 16)) < 0) return false;
  return true;
}

export function TEE_Malloc(size: usize, hint: u32): usize {
  if (!reserve(size)) return 0;
  const p = heap.alloc(size);
  if (p + size > top) top = p + size;
  if (hint == TEE_MALLOC_FILL_ZERO) memory.fill(p, 0, size);
  return p;
}
export function TEE_Realloc(buffer: usize, newSize: usize): usize {
  if (!reserve(newSize)) return 0;
  const p = buffer == 0 ? heap.alloc(newSize) : heap.realloc(buffer, newSize);
  if (p + newSize > top) top = p + newSize;
  return p;
}
export function TEE_Free(buffer: usize): void {
  if (buffer != 0) heap.free(buffer);
}
export function TEE_MemMove(dest: usize, src: usize, size: usize): void { memory.copy(dest, src, size); }
export function TEE_MemFill(buffer: usize, x: u8, size: usize): void { memory.fill(buffer, x, size); }
export function TEE_MemCompare(a: usize, b: usize, size: usize): i32 {
  for (let i: usize = 0; i < size; i++) {
    const d = <i32>load<u8>(a + i) - <i32>load<u8>(b + i);
    if (d != 0) return d;
  }
  return 0;
}

// ---- random, time ----
export function TEE_GenerateRandom(buffer: usize, size: usize): void {
  if (sys_random(buffer, size) != 0) TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
}
/** TEE_Time {seconds: u32, millis: u32} at `time`: since the TA's secure world booted. */
export function TEE_GetSystemTime(time: usize): void { sys_get_time(0, time); }
/** TEE_Time of the normal world's clock (untrusted, as GP says). */
export function TEE_GetREETime(time: usize): void { sys_get_time(1, time); }

// ---- secure devices and the normal world (TrustZone-specific services) ----
/** Reads up to `cap` bytes from a device assigned to the secure world; the count, or -1 when none is assigned. */
export function TEE_SecureDeviceRead(name: string, buf: usize, cap: usize): i32 {
  const n = String.UTF8.encode(name);
  return sys_secure_device_read(changetype<usize>(n), <usize>n.byteLength, buf, cap);
}
/**
 * The block device `name` assigned to the secure world (`--secure:NAME=block:PATH`): writes its capacity and
 * block size in bytes (two u64) at `info`. TEE_SUCCESS, or TEE_ERROR_ITEM_NOT_FOUND when none is assigned.
 */
export function TEE_SecureBlockInfo(name: string, info: usize): TEE_Result {
  const n = String.UTF8.encode(name);
  return sys_secure_block_info(changetype<usize>(n), <usize>n.byteLength, info);
}
/** Reads whole blocks at byte `offset` into [buf, +len): TEE_SUCCESS, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_ITEM_NOT_FOUND. */
export function TEE_SecureBlockRead(name: string, offset: u64, buf: usize, len: usize): TEE_Result {
  const n = String.UTF8.encode(name);
  return sys_secure_block_io(changetype<usize>(n), <usize>n.byteLength, 0, offset, buf, len);
}
/** Writes whole blocks at byte `offset` from [buf, +len): TEE_SUCCESS, TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_ITEM_NOT_FOUND. */
export function TEE_SecureBlockWrite(name: string, offset: u64, buf: usize, len: usize): TEE_Result {
  const n = String.UTF8.encode(name);
  return sys_secure_block_io(changetype<usize>(n), <usize>n.byteLength, 1, offset, buf, len);
}
/** Copies normal-world (guest) memory [src, +len) to `dst` in the TA; 0, or -1 when out of the guest's bounds. */
export function TEE_ReadNormalWorld(src: usize, len: usize, dst: usize): i32 {
  return sys_normal_world_read(src, len, dst);
}
/** Raises a runtime-integrity alert; the monitor applies the policy it was started with. */
export function TEE_IntegrityAlert(code: u32, detail: string): void {
  const b = String.UTF8.encode(detail);
  sys_integrity_alert(code, changetype<usize>(b), <usize>b.byteLength);
}

// ---- cryptographic operations ----
// An operation handle points at: algorithm u32, mode u32, key length u32, key[64], then the primitive's context.
const OP_ALG: usize = 0;
const OP_MODE: usize = 4;
const OP_KEYLEN: usize = 8;
const OP_KEY: usize = 12;
const OP_CTX: usize = 80;
const OP_SIZE: usize = OP_CTX + (HMAC_SHA256_CTX_SIZE > SHA256_CTX_SIZE ? HMAC_SHA256_CTX_SIZE : SHA256_CTX_SIZE);

/** TEE_AllocateOperation: writes the handle to `operation`; TEE_ERROR_NOT_SUPPORTED for algorithms the core lacks. */
export function TEE_AllocateOperation(operation: usize, algorithm: u32, mode: u32, maxKeySize: u32): TEE_Result {
  if (!((algorithm == TEE_ALG_SHA256 && mode == TEE_MODE_DIGEST) || (algorithm == TEE_ALG_HMAC_SHA256 && mode == TEE_MODE_MAC) || algorithm == TEE_ALG_CHACHA20_POLY1305_EMON)) return TEE_ERROR_NOT_SUPPORTED;
  if (maxKeySize > 512) return TEE_ERROR_NOT_SUPPORTED;
  const op = TEE_Malloc(OP_SIZE, TEE_MALLOC_FILL_ZERO);
  if (op == 0) return TEE_ERROR_OUT_OF_MEMORY;
  store<u32>(op, algorithm, OP_ALG);
  store<u32>(op, mode, OP_MODE);
  if (algorithm == TEE_ALG_SHA256) sha256_init(op + OP_CTX);
  store<u32>(operation, <u32>op);
  return TEE_SUCCESS;
}
export function TEE_FreeOperation(operation: usize): void {
  if (operation == 0) return;
  memory.fill(operation, 0, OP_SIZE);
  TEE_Free(operation);
}
/**
 * Sets the operation's key from raw bytes (emon extension: GP sets keys from transient objects,
 * TEE_SetOperationKey; emon has no object store, so the bytes are given directly). At most 64 bytes.
 */
export function TEE_SetOperationKeyBytes(operation: usize, key: usize, keyLen: usize): TEE_Result {
  if (keyLen > 64) return TEE_ERROR_BAD_PARAMETERS;
  store<u32>(operation, <u32>keyLen, OP_KEYLEN);
  memory.copy(operation + OP_KEY, key, keyLen);
  return TEE_SUCCESS;
}
export function TEE_DigestUpdate(operation: usize, chunk: usize, chunkLen: usize): void {
  if (load<u32>(operation, OP_ALG) != TEE_ALG_SHA256) TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
  sha256_update(operation + OP_CTX, chunk, chunkLen);
}
/** Finishes the digest into `hash`; *hashLen in: room, out: 32. TEE_ERROR_SHORT_BUFFER when room < 32. */
export function TEE_DigestDoFinal(operation: usize, chunk: usize, chunkLen: usize, hash: usize, hashLen: usize): TEE_Result {
  if (load<u32>(operation, OP_ALG) != TEE_ALG_SHA256) TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
  if (load<u32>(hashLen) < 32) {
    store<u32>(hashLen, 32);
    return TEE_ERROR_SHORT_BUFFER;
  }
  sha256_update(operation + OP_CTX, chunk, chunkLen);
  sha256_final(operation + OP_CTX, hash);
  sha256_init(operation + OP_CTX);
  store<u32>(hashLen, 32);
  return TEE_SUCCESS;
}
export function TEE_MACInit(operation: usize, iv: usize, ivLen: usize): void {
  if (load<u32>(operation, OP_ALG) != TEE_ALG_HMAC_SHA256) TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
  hmac_sha256_init(operation + OP_CTX, operation + OP_KEY, load<u32>(operation, OP_KEYLEN));
}
export function TEE_MACUpdate(operation: usize, chunk: usize, chunkSize: usize): void {
  hmac_sha256_update(operation + OP_CTX, chunk, chunkSize);
}
export function TEE_MACComputeFinal(operation: usize, message: usize, messageLen: usize, mac: usize, macLen: usize): TEE_Result {
  if (load<u32>(macLen) < 32) {
    store<u32>(macLen, 32);
    return TEE_ERROR_SHORT_BUFFER;
  }
  hmac_sha256_update(operation + OP_CTX, message, messageLen);
  hmac_sha256_final(operation + OP_CTX, mac);
  store<u32>(macLen, 32);
  return TEE_SUCCESS;
}
/**
 * Finishes the MAC and compares it with the expected `mac` in constant time (GP §6.6.5): TEE_SUCCESS when they
 * match, TEE_ERROR_MAC_INVALID when they differ or `macLen` is not 32.
 */
export function TEE_MACCompareFinal(operation: usize, message: usize, messageLen: usize, mac: usize, macLen: usize): TEE_Result {
  if (load<u32>(operation, OP_ALG) != TEE_ALG_HMAC_SHA256) TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
  hmac_sha256_update(operation + OP_CTX, message, messageLen);
  hmac_sha256_final(operation + OP_CTX, MAC_OUT);
  let d: u32 = macLen != 32 ? 1 : 0;
  const n: usize = macLen < 32 ? macLen : 32;
  for (let i: usize = 0; i < n; i++) d |= <u32>(load<u8>(MAC_OUT + i) ^ load<u8>(mac + i));
  memory.fill(MAC_OUT, 0, 32);
  return d != 0 ? TEE_ERROR_MAC_INVALID : TEE_SUCCESS;
}
const MAC_OUT: usize = memory.data(32, 16);

/** emon extension: ChaCha20-Poly1305 seal with the operation's 32-byte key; `out` gets len + 16 bytes. */
export function TEE_AEEncryptChaCha20Poly1305(operation: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, out: usize): TEE_Result {
  if (load<u32>(operation, OP_KEYLEN) != 32) return TEE_ERROR_BAD_PARAMETERS;
  chacha20poly1305_seal(operation + OP_KEY, nonce, aad, aadLen, src, len, out, out + len);
  return TEE_SUCCESS;
}
/** emon extension: ChaCha20-Poly1305 open; TEE_ERROR_MAC_INVALID when the tag does not verify. */
export function TEE_AEDecryptChaCha20Poly1305(operation: usize, nonce: usize, aad: usize, aadLen: usize, src: usize, len: usize, out: usize): TEE_Result {
  if (load<u32>(operation, OP_KEYLEN) != 32 || len < 16) return TEE_ERROR_BAD_PARAMETERS;
  return chacha20poly1305_open(operation + OP_KEY, nonce, aad, aadLen, src, len - 16, out, src + len - 16) ? TEE_SUCCESS : TEE_ERROR_MAC_INVALID;
}
