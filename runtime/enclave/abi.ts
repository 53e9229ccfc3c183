/**
 * The enclave ABI (DESIGN.md §4): how a guest reaches its enclaves and how an enclave is laid out, in the way
 * Solo5's solo5.h states each call's semantics beside it. sgx_edger8r's generated stubs play the same role in
 * the Intel SGX SDK (sgx_ecall/sgx_ocall with a marshalling structure); emon's generated stubs use this ABI.
 *
 * Guest imports, Wasm module "emon" (handles are i32 here, unlike Solo5's i64 device handles, so that the
 * ECALL hot path never crosses a BigInt):
 *
 *   enclave_open(name_ptr: i32, name_len: i32, scratch_ptr: i32, scratch_len: i32, handle_out: i32) -> i32
 *     Creates an instance of the enclave the guest's manifest declares under `name` (attached with
 *     `--enclave:NAME=PATH`) and writes its handle (u32) to handle_out. scratch is a guest buffer the enclave's
 *     OCALLs use for their [in]/[out] buffers (like the untrusted stack sgx_ocalloc uses); it must stay
 *     reserved while the enclave is open. EINVAL: name not declared, bad pointers. EUNSPEC: instantiation failed.
 *   enclave_close(handle: i32) -> i32
 *     Destroys the instance (EREMOVE): its memory, EPC pages and gate are released and the handle is never
 *     valid again. EINVAL: unknown or closed handle, or the enclave is running an ECALL (a guest OCALL
 *     handler cannot close the enclave that called it). The guest's OCALL handlers must have the Wasm type
 *     their EDL declaration implies (checked at enclave_open, which is EINVAL otherwise).
 *   ecall(handle: i32, fn: i32, frame_ptr: i32) -> i32
 *     Calls trusted function number `fn` (its position in the EDL's trusted section). The frame holds 8-byte
 *     slots: slot 0 receives the return value, slot i+1 holds parameter i (pointers and 32-bit integers in the
 *     low 4 bytes, little endian). A struct returned by value is written to the guest address slot 0 holds on
 *     entry (0: discarded); a struct passed by value travels as the address of the caller's copy. Results: OK; EINVAL for a bad handle, function number, frame, pointer,
 *     length, overlap, unterminated string or a call over the per-call cap (nothing reached the enclave);
 *     ENOTALLOWED for a private ECALL at the root or one the current OCALL's allow() does not list;
 *     ELOST when the enclave trapped (this call or earlier): it stays unusable, as SGX_ERROR_ENCLAVE_LOST.
 *
 * Guest exports: one function per untrusted (OCALL) function, named as in the EDL, taking the EDL parameters
 * as Wasm values (pointers are guest addresses inside the scratch buffer) and returning the EDL return value.
 *
 * Enclave imports: module "sgx" (hw: egetkey, ereport, rdrand, read_untrusted, write_untrusted), module
 * "emon_ocall" (one function per OCALL: `(retval_ptr?, params...) -> status`; retval_ptr is present when the
 * OCALL returns a value and may be 0), and env.abort.
 * Enclave exports: `memory`; `__emon_ms()` and `__emon_ms_size()`, the marshalling area the gate copies
 * [in]/[out] buffers into; and one function per trusted ECALL, named as in the EDL, taking the parameters as
 * Wasm values with pointers translated to enclave addresses.
 */

/** Solo5 result codes (solo5.h) plus the two enclave outcomes SGX distinguishes. */
export const OK = 0;
export const EINVAL = 2;
export const EUNSPEC = 3;
export const ENOTALLOWED = 4;
export const ELOST = 5;

/** Bytes per frame slot. */
export const SLOT = 8;

/** The most one ECALL or OCALL may copy in total, whatever the marshalling area offers. */
export const DEFAULT_CALL_CAP = 1 << 20;

