/**
 * Structs and unions returned by value, as the WebAssembly C ABI returns them (WebAssembly/tool-conventions
 * BasicCABI.md: an aggregate result is written through a pointer passed as a hidden first argument, "sret").
 * The gate places the result in the callee's memory (the marshalling area for an ECALL, the guest scratch for
 * an OCALL), passes that address first, and copies the bytes to the caller's retval address afterwards: for an
 * ECALL the address is frame slot 0, for an OCALL the enclave's retval pointer. The retval region is checked
 * like an [out] buffer (bounds, overlap) before anything moves; retval 0 discards the result.
 */
import { isAggregate, valueSize, type EdlFunction } from './edl/types.js';
import type { PlacedBuffer } from './gate-deepcopy.js';

/** Bytes of the struct (or `long double`, or sized header type) `f` returns by value, or 0. */
export function structReturnSize(f: EdlFunction): number {
  return isAggregate(f.ret) ? valueSize(f.ret) : 0;
}

/** Checks of the retval address `from` (a local) in the caller's memory of `srcSize` bytes; emits locals pR, lR. */
export function sretChecks(f: EdlFunction, from: string, srcSize: string): { code: string[]; buf: PlacedBuffer | null } {
  const size = structReturnSize(f);
  if (size === 0) return { code: [], buf: null };
  return {
    code: [`const pR = ${from} >>> 0, lR = pR === 0 ? 0 : ${size}; if (pR !== 0 && pR + ${size} > ${srcSize}) return c.reject('E_GATE_BOUNDS', name, 'retval', pR, ${size});`],
    buf: { id: 'R', name: 'retval', writes: true },
  };
}

/** The callee's result slot dR: always placed (the callee writes it even when the caller discards it). */
export function sretPlace(f: EdlFunction): string {
  const size = structReturnSize(f);
  return `const dR = off; off += ${(size + 7) & ~7};`;
}

/** Zero the result slot in the callee's memory (`dst8`) before the call. */
export function sretZero(f: EdlFunction, dst8: string): string[] {
  const size = structReturnSize(f);
  return size ? [`${dst8}.fill(0, dR, dR + ${size});`] : [];
}

/** After the call: the result to the caller's retval address (`copy(from, to, n)` names the direction). */
export function sretCopyBack(f: EdlFunction, copy: string): string[] {
  const size = structReturnSize(f);
  return size ? [`if (pR !== 0) ${copy}(dR, pR, ${size});`] : [];
}
