/**
 * Checks that a guest's OCALL handler has the Wasm function type its EDL declaration implies, before the enclave
 * runs. A guest export reaches the gate as a JS function whose type JavaScript cannot see (the JS API's type
 * reflection is not shipped in Node 20), so the check links the handler into a one-import module of the expected
 * type: instantiation compares a Wasm function's type exactly (WebAssembly JS API, "read the imports", step
 * "if v has a [[FunctionAddress]] ... if the type does not match, throw a LinkError"). Host functions have no
 * Wasm type and pass, as they do at any import.
 */
import { isAggregate, wasmTypeOf, type EdlFunction } from './edl/types.js';

const CODE: Record<string, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };

/** The Wasm type the OCALL gate calls `f`'s handler with: its parameters in order, its return value if any. */
export function handlerSignature(f: EdlFunction): string {
  const params = f.params.map((p) => wasmTypeOf(p.type));
  // A struct returned by value comes back through a result slot whose address leads the parameters.
  if (isAggregate(f.ret)) return `i32 ${params.join(' ')} ->`.trim();
  const results = f.ret.base === 'void' ? [] : [wasmTypeOf(f.ret)];
  return `${params.join(' ')} -> ${results.join(' ')}`.trim();
}

/** (module (import "m" "f" (func (type SIG)))), for the signature "a b -> c". */
function probeModule(sig: string): WebAssembly.Module {
  const [p, r] = sig.split('->').map((x) => x.trim().split(/\s+/).filter(Boolean).map((t) => CODE[t]!));
  const type = [0x60, p!.length, ...p!, r!.length, ...r!];
  const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
  return new WebAssembly.Module(
    new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, [1, ...type]),
      ...section(2, [1, 1, 0x6d, 1, 0x66, 0x00, 0x00]),
    ]),
  );
}

const probes = new Map<string, WebAssembly.Module>();

/** True when `fn` may be called as `sig` (a Wasm function of exactly that type, or a host function). */
export function hasSignature(fn: Function, sig: string): boolean {
  let m = probes.get(sig);
  if (m === undefined) probes.set(sig, (m = probeModule(sig)));
  try {
    new WebAssembly.Instance(m, { m: { f: fn } });
    return true;
  } catch (e) {
    if (e instanceof WebAssembly.LinkError) return false;
    throw e;
  }
}

const VALUE_TYPES = ['i32', 'i64', 'f32', 'f64'] as const;

/**
 * The type of a guest's Wasm function, found by linking it against the candidate types of its arity (its
 * `length`), for messages when it is not the expected one; null when it takes more than 4 parameters (the
 * search would be long) or has a type outside i32/i64/f32/f64 with at most one result.
 */
export function findSignature(fn: Function): string | null {
  const n = fn.length;
  if (n > 4) return null;
  const params: string[][] = [[]];
  for (let i = 0; i < n; i++) {
    const next: string[][] = [];
    for (const p of params) for (const t of VALUE_TYPES) next.push([...p, t]);
    params.splice(0, params.length, ...next);
  }
  for (const p of params) {
    for (const r of [[], ...VALUE_TYPES.map((t) => [t])]) {
      const sig = `${p.join(' ')} -> ${r.join(' ')}`.trim();
      if (hasSignature(fn, sig)) return sig;
    }
  }
  return null;
}
