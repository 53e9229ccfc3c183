/**
 * The parsed form of an Enclave Definition Language file, the interface language of the Intel SGX SDK
 * (Intel SGX Developer Reference, "Enclave Definition Language Syntax"). emon keeps the SDK's meaning of every
 * attribute so that an EDL written for sgx_edger8r means the same thing here. User types (struct, union, enum)
 * carry their wasm32 C layout (./layout.ts), the offsets clang gives, because the gate copies them byte for byte.
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
  /** wasm32's wchar_t is a 32-bit int (clang --target=wasm32). */
  wchar_t: { size: 4, wasm: 'i32', signed: true, as: 'i32', c: 'wchar_t' },
  bool: { size: 1, wasm: 'i32', signed: false, as: 'bool', c: '_Bool' },
  float: { size: 4, wasm: 'f32', signed: true, as: 'f32', c: 'float' },
  double: { size: 8, wasm: 'f64', signed: true, as: 'f64', c: 'double' },
  /** The SDK's status enum (sgx_error.h), used by its standard EDLs; an int-sized enum on every ABI. */
  sgx_status_t: { size: 4, wasm: 'i32', signed: false, as: 'u32', c: 'uint32_t' },
  void: { size: 1, wasm: 'i32', signed: false, as: 'void', c: 'void' },
};

/**
 * A type whose by-value form is not one Wasm value: `long double` (16 bytes on wasm32, clang's fp128) and
 * types from included C headers whose size emon knows (./foreign-types.ts: the SDK's typedefs, `--type
 * NAME=SIZE`, or a `// emon: type NAME=SIZE` comment). With `scalar` set it is an alias of that scalar (e.g.
 * sgx_enclave_id_t is a uint64_t) and travels as one; otherwise it travels as a struct does, by the address of
 * the caller's copy.
 */
export interface OpaqueType {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly scalar: ScalarInfo | null;
  /** Where the size comes from: built into emon, the SDK's headers (emon's table), an EDL comment, a --type option. */
  readonly origin: 'builtin' | 'sdk' | 'comment' | 'option';
  /** C stand-in definition emitted in NAME_u.h for SDK types (unless EMON_SDK_TYPES_FROM_HEADERS is defined). */
  readonly cDef?: string;
}

export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** A `size=`/`count=` operand: a constant or another (integer scalar) parameter (or struct member) of the same function. */
export type SizeExpr = { readonly kind: 'const'; readonly value: number } | { readonly kind: 'param'; readonly name: string; readonly index: number };

export type Direction = 'in' | 'out' | 'inout' | 'user_check';

/** `enum NAME { A, B = 3 };` — an int on wasm32. */
export interface EdlEnum {
  readonly kind: 'enum';
  readonly name: string;
  readonly values: ReadonlyArray<{ readonly name: string; readonly value: number }>;
  readonly size: 4;
  readonly align: 4;
  readonly loc: SourceLoc;
}

/** A struct or union member: a scalar, enum, nested struct/union, fixed array, or pointer (deep-copied when sized). */
export interface EdlMember {
  readonly name: string;
  readonly type: EdlType;
  /** Array dimensions, outermost first (`uint8_t m[2][3]` → [2, 3]); empty for a single value. */
  readonly dims: readonly number[];
  /** Byte offset in the struct (0 for union members), as clang lays it out for wasm32. */
  readonly offset: number;
  /** Bytes the member occupies (element size × all dims). */
  readonly bytes: number;
  /** Pointer members only: `[size=..]`/`[count=..]` make the SDK deep-copy what they point at. Param operands name sibling members. */
  readonly size: SizeExpr | null;
  readonly count: SizeExpr | null;
  readonly loc: SourceLoc;
}

export interface EdlStruct {
  readonly kind: 'struct' | 'union';
  readonly name: string;
  readonly members: readonly EdlMember[];
  readonly size: number;
  readonly align: number;
  readonly loc: SourceLoc;
}

export type UserType = EdlStruct | EdlEnum;

export interface EdlType {
  /** Key into SCALARS, or the name of a user type (struct/union/enum), or of a type from an included header. */
  readonly base: string;
  /** Travels as a wasm32 address (pointers and array parameters). */
  readonly pointer: boolean;
  readonly isConst: boolean;
  /** Pointer depth: `void**` is 2 (its elements are 4-byte addresses). 0 for values. */
  readonly depth?: number;
  /** The struct/union/enum definition `base` names, if any. */
  readonly user?: UserType | null;
  /** A type defined in an included C header (emon does not read C headers). */
  readonly foreign?: boolean;
  /** `long double`, or a header type whose size emon knows; null for a header type of unknown size. */
  readonly opaque?: OpaqueType | null;
}

export interface EdlParam {
  readonly name: string;
  readonly type: EdlType;
  /** Only pointers (and by-value structs, which travel as an [in] copy) have one; scalars are passed by value. */
  readonly direction: Direction | null;
  readonly size: SizeExpr | null;
  readonly count: SizeExpr | null;
  readonly isString: boolean;
  /** `wstring`: NUL-terminated wchar_t (4-byte) string. */
  readonly isWide?: boolean;
  /** Array parameter dimensions (`[in] int a[4][2]`), or []; the array travels as a pointer with a fixed count. */
  readonly dims?: readonly number[];
  /** A struct/union passed by value: the frame slot holds the address of the caller's copy, copied in like [in]. */
  readonly byValue?: boolean;
  /** `isptr`/`isary`/`readonly` as written, for describing and regenerating the EDL. */
  readonly flags?: readonly string[];
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
  /** `cdecl`, `stdcall`, `fastcall`, `dllimport` (accepted and ignored off Windows), `propagate_errno`, `transition_using_threads`. */
  readonly attrs?: readonly string[];
  /** The file that declared it (differs from the interface's file for imported functions). */
  readonly from?: string;
  readonly loc: SourceLoc;
}

export interface EdlImport {
  /** As written in `from "x.edl"`. */
  readonly spec: string;
  /** The file it resolved to. */
  readonly file: string;
  /** Function names imported, or null for `import *`. */
  readonly names: readonly string[] | null;
  readonly loc: SourceLoc;
}

export interface EdlInterface {
  /** The file name without `.edl`, used to name generated files (`sealer_u.ts`, `sealer_t.ts`). */
  readonly name: string;
  readonly file: string;
  readonly trusted: readonly EdlFunction[];
  readonly untrusted: readonly EdlFunction[];
  /** `include "x.h"` lines, in order (imports' includes first), emitted into the generated C. */
  readonly includes?: readonly string[];
  /** User types in definition order (imports' types first). */
  readonly types?: readonly UserType[];
  /** Every `from ... import` resolved, transitively. */
  readonly imports?: readonly EdlImport[];
  /** Header types given a size by an `emon: type` comment or a `--type` option (imports' too), for re-printing. */
  readonly declared?: readonly OpaqueType[];
}

const ENUM_INT: ScalarInfo = SCALARS['int']!;
/** A returned pointer is an opaque wasm32 address, as edger8r returns it (nothing is copied). */
const ADDRESS: ScalarInfo = { size: 4, wasm: 'i32', signed: false, as: 'usize', c: 'uintptr_t' };

export function scalarOf(t: EdlType): ScalarInfo {
  if (t.pointer) return ADDRESS;
  if (t.user?.kind === 'enum') return ENUM_INT;
  if (t.opaque?.scalar) return t.opaque.scalar;
  const info = SCALARS[t.base];
  if (!info) throw new Error(`not a scalar: ${t.base}`);
  return info;
}

/** Does the function return a value (pointers included: `void*` returns an address)? */
export function returnsValue(f: { readonly ret: EdlType }): boolean {
  return f.ret.pointer || f.ret.base !== 'void';
}

/**
 * A value that travels by the address of a copy: a struct or union, `long double`, or a sized header type that
 * is not a scalar alias. Passed, it is copied in like [in]; returned, it is written through a result slot (sret).
 */
export function isAggregate(t: EdlType): boolean {
  return !t.pointer && (t.user?.kind === 'struct' || t.user?.kind === 'union' || (t.opaque != null && t.opaque.scalar === null));
}

/** How `emon edl check` and doc comments name a by-value aggregate: `struct rec_t`, `long double`, `sgx_report_t`. */
export function aggregateName(t: EdlType): string {
  return t.user ? `${t.user.kind} ${t.base}` : t.base;
}

/** The Wasm value type a parameter travels as (pointers, and by-value structs' copies, are wasm32 addresses). */
export function wasmTypeOf(t: EdlType): 'i32' | 'i64' | 'f32' | 'f64' {
  return t.pointer || isAggregate(t) ? 'i32' : scalarOf(t).wasm;
}

/** Does the frame slot of this parameter hold an address (pointer, array, by-value struct)? */
export function isAddress(p: EdlParam): boolean {
  return p.type.pointer || p.byValue === true;
}

/** Bytes of the value a type names (not what it points at). */
export function valueSize(t: EdlType): number {
  if (t.pointer) return 4;
  if (t.user) return t.user.size;
  if (t.opaque) return t.opaque.size;
  return scalarOf(t).size;
}

/** Bytes of one element a pointer points at (`void*`, `isptr` and header types of unknown size count bytes). */
export function elementSize(t: EdlType): number {
  if ((t.depth ?? 1) > 1) return 4;
  if (t.opaque) return t.opaque.size;
  if (t.foreign) return 1;
  if (t.user) return t.user.size;
  return SCALARS[t.base]!.size;
}

/** The struct a pointer or by-value parameter refers to, when its members need deep copies. */
export function deepStruct(t: EdlType): EdlStruct | null {
  const u = t.user;
  if (!u || u.kind !== 'struct' || (t.depth ?? (t.pointer ? 1 : 0)) > 1) return null;
  return u.members.some((m) => m.type.pointer && (m.size !== null || m.count !== null)) ? u : null;
}
