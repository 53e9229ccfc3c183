/**
 * The parsed form of an Enclave Definition Language file, the interface language of the Intel SGX SDK
 * (Intel SGX Developer Reference, "Enclave Definition Language Syntax"). emon keeps the SDK's meaning of every
 * attribute so that an EDL written for sgx_edger8r means the same thing here; what emon does not model
 * (include, struct, union, enum, isptr, sizefunc, ...) is rejected at parse time with its location.
 */

/** Scalar C types EDL accepts, with their wasm32 size and the Wasm value type that carries them. */
export interface ScalarInfo {
  readonly size: number;
  readonly wasm: 'i32' | 'i64' | 'f32' | 'f64';
  readonly signed: boolean;
  /** AssemblyScript spelling (for stubs). */
  readonly as: string;
  /** C spelling with <stdint.h>/<stddef.h> types (for C stubs). */
  readonly c: string;
}

export const SCALARS: Readonly<Record<string, ScalarInfo>> = {
  int8_t: { size: 1, wasm: 'i32', signed: true, as: 'i8', c: 'int8_t' },
  int16_t: { size: 2, wasm: 'i32', signed: true, as: 'i16', c: 'int16_t' },
  int32_t: { size: 4, wasm: 'i32', signed: true, as: 'i32', c: 'int32_t' },
  int64_t: { size: 8, wasm: 'i64', signed: true, as: 'i64', c: 'int64_t' },
  uint8_t: { size: 1, wasm: 'i32', signed: false, as: 'u8', c: 'uint8_t' },
  uint16_t: { size: 2, wasm: 'i32', signed: false, as: 'u16', c: 'uint16_t' },
  uint32_t: { size: 4, wasm: 'i32', signed: false, as: 'u32', c: 'uint32_t' },
  uint64_t: { size: 8, wasm: 'i64', signed: false, as: 'u64', c: 'uint64_t' },
  size_t: { size: 4, wasm: 'i32', signed: false, as: 'usize', c: 'size_t' },
  int: { size: 4, wasm: 'i32', signed: true, as: 'i32', c: 'int' },
  unsigned: { size: 4, wasm: 'i32', signed: false, as: 'u32', c: 'unsigned' },
  long: { size: 4, wasm: 'i32', signed: true, as: 'i32', c: 'long' },
  'unsigned long': { size: 4, wasm: 'i32', signed: false, as: 'u32', c: 'unsigned long' },
  'long long': { size: 8, wasm: 'i64', signed: true, as: 'i64', c: 'long long' },
  'unsigned long long': { size: 8, wasm: 'i64', signed: false, as: 'u64', c: 'unsigned long long' },
  short: { size: 2, wasm: 'i32', signed: true, as: 'i16', c: 'short' },
  'unsigned short': { size: 2, wasm: 'i32', signed: false, as: 'u16', c: 'unsigned short' },
  char: { size: 1, wasm: 'i32', signed: true, as: 'i8', c: 'char' },
  'unsigned char': { size: 1, wasm: 'i32', signed: false, as: 'u8', c: 'unsigned char' },
  float: { size: 4, wasm: 'f32', signed: true, as: 'f32', c: 'float' },
  double: { size: 8, wasm: 'f64', signed: true, as: 'f64', c: 'double' },
  void: { size: 1, wasm: 'i32', signed: false, as: 'void', c: 'void' },
};

export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** A `size=`/`count=` operand: a constant or another (integer scalar) parameter of the same function. */
export type SizeExpr = { readonly kind: 'const'; readonly value: number } | { readonly kind: 'param'; readonly name: string; readonly index: number };

export type Direction = 'in' | 'out' | 'inout' | 'user_check';

export interface EdlType {
  /** Key into SCALARS. */
  readonly base: string;
  readonly pointer: boolean;
  readonly isConst: boolean;
}

export interface EdlParam {
  readonly name: string;
  readonly type: EdlType;
  /** Only pointers have one; scalars are passed by value. */
  readonly direction: Direction | null;
  readonly size: SizeExpr | null;
  readonly count: SizeExpr | null;
  readonly isString: boolean;
  readonly loc: SourceLoc;
}

export interface EdlFunction {
  readonly name: string;
  /** Position within its section; the ECALL/OCALL number used on the wire. */
  readonly index: number;
  /** Trusted functions only: callable as a root ECALL from the untrusted side. */
  readonly isPublic: boolean;
  readonly ret: EdlType;
  readonly params: readonly EdlParam[];
  /** Untrusted functions only: trusted functions that may be re-entered while this OCALL runs. */
  readonly allow: readonly string[];
  readonly loc: SourceLoc;
}

export interface EdlInterface {
  /** The file name without `.edl`, used to name generated files (`sealer_u.ts`, `sealer_t.ts`). */
  readonly name: string;
  readonly file: string;
  readonly trusted: readonly EdlFunction[];
  readonly untrusted: readonly EdlFunction[];
}

export function scalarOf(t: EdlType): ScalarInfo {
  const info = SCALARS[t.base];
  if (!info) throw new Error(`unknown scalar ${t.base}`);
  return info;
}

/** The Wasm value type a parameter travels as (pointers are wasm32 addresses). */
export function wasmTypeOf(t: EdlType): 'i32' | 'i64' | 'f32' | 'f64' {
  return t.pointer ? 'i32' : scalarOf(t).wasm;
}

/** Bytes of one element a pointer points at (`void*` counts bytes). */
export function elementSize(t: EdlType): number {
  return scalarOf(t).size;
}
