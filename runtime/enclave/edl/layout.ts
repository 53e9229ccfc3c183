/**
 * Layout of EDL structs and unions as clang lays out C for wasm32 (the WebAssembly "BasicCABI", as
 * WebAssembly/tool-conventions BasicCABI.md states it): every scalar is aligned to its size, pointers and enums
 * are 4 bytes, a struct is aligned to its most aligned member and padded to a multiple of that, a union is as
 * large as its largest member, rounded the same way. The gate copies structs byte for byte and rewrites
 * deep-copied pointer members at these offsets, so they must be the ones clang gives (tests/enclave/edl-layout).
 */
import { elementSize, scalarOf, type EdlType } from './types.js';

/** Size and alignment of one element of a member's type (before array dimensions). */
export function typeLayout(t: EdlType): { size: number; align: number } {
  if (t.pointer) return { size: 4, align: 4 };
  if (t.user) return { size: t.user.size, align: t.user.align };
  if (t.opaque) return { size: t.opaque.size, align: t.opaque.align };
  const s = scalarOf(t).size;
  return { size: s, align: s };
}

export interface LaidOut {
  readonly offsets: number[];
  readonly bytes: number[];
  readonly size: number;
  readonly align: number;
}

/** Offsets of `members` (each an element type with array dims) in a struct (or all 0 in a union). */
export function layoutMembers(kind: 'struct' | 'union', members: ReadonlyArray<{ type: EdlType; dims: readonly number[] }>): LaidOut {
  let end = 0;
  let align = 1;
  const offsets: number[] = [];
  const bytes: number[] = [];
  for (const m of members) {
    const l = typeLayout(m.type);
    const n = l.size * m.dims.reduce((a, b) => a * b, 1);
    align = Math.max(align, l.align);
    const off = kind === 'union' ? 0 : roundUp(end, l.align);
    offsets.push(off);
    bytes.push(n);
    end = kind === 'union' ? Math.max(end, n) : off + n;
  }
  return { offsets, bytes, size: roundUp(end, align), align };
}

export function roundUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Bytes one pointer element spans; re-exported for callers that only need layout. */
export { elementSize };
