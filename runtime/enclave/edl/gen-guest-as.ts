/**
 * Generates the guest side of an EDL (`NAME_u.ts`, AssemblyScript), as sgx_edger8r generates `NAME_u.c`: one
 * stub per ECALL that fills the argument frame and calls the "emon" import (runtime/enclave/abi.ts), plus
 * `NAME_open`/`NAME_close`. Stubs return an emon status and store the ECALL's result at `retval` (may be 0), as
 * SGX's `sgx_status_t f(eid, &retval, ...)`. The guest's entry file exports one handler per OCALL.
 */
import { asRet, asSret, asSlotType, asType, asTypeDecls, banner, describeParam, GUEST_SCRATCH_SIZE } from './gen-common.js';
import { aggregateName, isAggregate, scalarOf, valueSize, type EdlInterface, returnsValue } from './types.js';

export function generateGuestAs(iface: EdlInterface): string {
  const slots = 1 + Math.max(0, ...iface.trusted.map((f) => f.params.length));
  const L: string[] = [banner(iface, '//')];
  L.push(`// Guest side of ${iface.name}.edl: ECALL stubs over the "emon" import module.`);
  L.push('');
  L.push('@external("emon", "enclave_open")');
  L.push('declare function __emon_enclave_open(name: usize, nameLen: usize, scratch: usize, scratchLen: usize, handleOut: usize): i32;');
  L.push('@external("emon", "enclave_close")');
  L.push('declare function __emon_enclave_close(handle: i32): i32;');
  L.push('@external("emon", "ecall")');
  L.push('declare function __emon_ecall(handle: i32, fn: i32, frame: usize): i32;');
  L.push('');
  const types = asTypeDecls(iface.types ?? []);
  if (types.length) L.push(`// Types of ${iface.name}.edl (structs travel as addresses of their bytes, laid out as in C).`, ...types, '');
  L.push(`const SCRATCH_SIZE: usize = ${GUEST_SCRATCH_SIZE};`);
  L.push('const SCRATCH: usize = memory.data(<i32>SCRATCH_SIZE, 16);');
  L.push(`// One frame is enough even for nested ECALLs: the gate reads all arguments before entering the enclave.`);
  L.push(`const FRAME: usize = memory.data(${8 * slots}, 8);`);
  L.push('const HANDLE: usize = memory.data(4, 4);');
  L.push('');
  L.push(`/** Open the enclave the manifest declares as \`name\`: its handle (>= 0), or minus an emon status. */`);
  L.push(`export function ${iface.name}_open(name: string): i32 {`);
  L.push('  const buf = String.UTF8.encode(name);');
  L.push('  const rc = __emon_enclave_open(changetype<usize>(buf), <usize>buf.byteLength, SCRATCH, SCRATCH_SIZE, HANDLE);');
  L.push('  return rc == 0 ? load<i32>(HANDLE) : -rc;');
  L.push('}');
  L.push('');
  L.push(`export function ${iface.name}_close(handle: i32): i32 {`);
  L.push('  return __emon_enclave_close(handle);');
  L.push('}');
  for (const f of iface.trusted) {
    const hasRet = returnsValue(f);
    const params = ['handle: i32', ...(hasRet ? ['retval: usize'] : []), ...f.params.map((p) => `${p.name}: ${asType(p)}`)];
    L.push('');
    const sret = isAggregate(f.ret);
    const retDoc = sret ? `${aggregateName(f.ret)} (${valueSize(f.ret)} bytes) written` : asRet(f);
    L.push(`/** ECALL ${f.index} ${f.name}(${f.params.map(describeParam).join(', ')})${hasRet ? ` -> ${retDoc} at retval` : ''}. */`);
    L.push(`export function ${f.name}(${params.join(', ')}): i32 {`);
    // A struct result: slot 0 carries the address the gate writes it to.
    if (sret) L.push('  store<u32>(FRAME, <u32>retval);');
    f.params.forEach((p, i) => {
      const t = asSlotType(p);
      L.push(`  store<${t}>(FRAME + ${8 * (i + 1)}, <${t}>${p.name});`);
    });
    L.push(`  const rc = __emon_ecall(handle, ${f.index}, FRAME);`);
    if (hasRet && !sret) {
      const s = scalarOf(f.ret);
      const slot = s.wasm === 'i32' ? 'i32' : s.wasm;
      L.push(`  if (rc == 0 && retval != 0) store<${s.as}>(retval, <${s.as}>load<${slot}>(FRAME));`);
    }
    L.push('  return rc;');
    L.push('}');
  }
  L.push('');
  L.push('// OCALL handlers the guest entry file must export (pointers are guest addresses in the scratch area):');
  for (const f of iface.untrusted) {
    L.push(`//   export function ${f.name}(${[...asSret(f), ...f.params.map((p) => `${p.name}: ${asType(p)}`)].join(', ')}): ${asRet(f)}`);
  }
  return L.join('\n') + '\n';
}
