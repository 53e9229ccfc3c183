/**
 * The untrusted side of an EDL benchmark, generated as WebAssembly text from the EDL (Intel SGX Developer
 * Reference, "Enclave Definition Language Syntax"): a guest module that owns the memory the gate copies from
 * and exports a do-nothing handler per OCALL with the exact Wasm signature the gate calls (ABI in
 * runtime/enclave/abi.ts), and a driver module that loops inside Wasm over each ECALL entry point and each OCALL
 * gate, so only the transition is timed and not a JS loop.
 */
import { isAggregate, wasmTypeOf, scalarOf, returnsValue, type EdlFunction, type EdlInterface } from '../../runtime/enclave/edl/types.js';

type WasmType = 'i32' | 'i64' | 'f32' | 'f64';

function retType(f: EdlFunction): WasmType | null {
  // A struct result goes through an sret pointer (ocallGateParams, guestWat), not a Wasm result.
  return !returnsValue(f) || isAggregate(f.ret) ? null : scalarOf(f.ret).wasm;
}

const zero = (t: WasmType): string => `(${t}.const 0)`;

/** Guest module: memory plus one handler per OCALL, returning 0 (the handler's body is not what is measured). */
export function guestWat(iface: EdlInterface, pages: number): string {
  const handlers = iface.untrusted.map((f) => {
    const params = [...(isAggregate(f.ret) ? ['i32'] : []), ...f.params.map((p) => wasmTypeOf(p.type))].join(' ');
    const ret = retType(f);
    return `  (func (export "${f.name}")${params ? ` (param ${params})` : ''}${ret ? ` (result ${ret}) ${zero(ret)}` : ''})`;
  });
  return `(module\n  (memory (export "memory") ${pages})\n${handlers.join('\n')}\n)`;
}

/** Wasm parameter types of the OCALL gate as the enclave imports it: `(retval_ptr?, params...) -> status`. */
export function ocallGateParams(f: EdlFunction): WasmType[] {
  return [...(returnsValue(f) ? (['i32'] as WasmType[]) : []), ...f.params.map((p) => wasmTypeOf(p.type))];
}

/**
 * Driver module: `ecall<i>(n, frame)` calls ECALL entry i n times with the same frame and ORs the statuses;
 * `ocall<j>(n, args...)` calls OCALL gate j n times with the same arguments. Both return 0 when every call
 * returned OK.
 */
export function driverWat(iface: EdlInterface): string {
  const L: string[] = ['(module'];
  iface.trusted.forEach((_, i) => L.push(`  (import "ecall" "${i}" (func $e${i} (param i32) (result i32)))`));
  iface.untrusted.forEach((f, j) => {
    const ps = ocallGateParams(f);
    L.push(`  (import "ocall" "${j}" (func $o${j}${ps.length ? ` (param ${ps.join(' ')})` : ''} (result i32)))`);
  });
  const loop = (call: string): string =>
    `    (local $bad i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $bad (i32.or (local.get $bad) ${call}))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $bad))`;
  iface.trusted.forEach((_, i) => {
    L.push(`  (func (export "ecall${i}") (param $n i32) (param $fp i32) (result i32)\n${loop(`(call $e${i} (local.get $fp))`)}`);
  });
  iface.untrusted.forEach((f, j) => {
    const ps = ocallGateParams(f);
    const decl = ps.map((t, k) => ` (param $a${k} ${t})`).join('');
    const args = ps.map((_, k) => ` (local.get $a${k})`).join('');
    L.push(`  (func (export "ocall${j}") (param $n i32)${decl} (result i32)\n${loop(`(call $o${j}${args})`)}`);
  });
  L.push(')');
  return L.join('\n');
}
