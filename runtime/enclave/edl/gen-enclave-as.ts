/**
 * Generates the enclave side of an EDL (`NAME_t.ts`, AssemblyScript), as sgx_edger8r generates `NAME_t.c`:
 * the marshalling area the host gate copies [in]/[out] buffers into, and one stub per OCALL. The enclave's
 * entry file implements and exports every trusted function and re-exports `__emon_ms`/`__emon_ms_size`.
 */
import { asRet, asSret, asType, asTypeDecls, banner, describeParam, ENCLAVE_MS_SIZE } from './gen-common.js';
import { aggregateName, returnsValue, type EdlInterface } from './types.js';

export function generateEnclaveAs(iface: EdlInterface): string {
  const L: string[] = [banner(iface, '//')];
  L.push(`// Enclave side of ${iface.name}.edl. Re-export the marshalling area from the enclave's entry file:`);
  L.push(`//   export { __emon_ms, __emon_ms_size } from "./generated/${iface.name}_t";`);
  L.push('');
  const types = asTypeDecls(iface.types ?? []);
  if (types.length) L.push(`// Types of ${iface.name}.edl: the gate hands structs over as enclave addresses of their copies.`, ...types, '');
  L.push(`const MS_SIZE: usize = ${ENCLAVE_MS_SIZE};`);
  L.push(`const MS: usize = memory.data(<i32>MS_SIZE, 16);`);
  L.push('/** Start of the area the host gate copies ECALL buffers into (never touched by enclave code). */');
  L.push('export function __emon_ms(): usize { return MS; }');
  L.push('export function __emon_ms_size(): usize { return MS_SIZE; }');
  L.push('');
  for (const f of iface.untrusted) {
    const hasRet = returnsValue(f);
    const params = [...(hasRet ? ['retval: usize'] : []), ...f.params.map((p) => `${p.name}: ${asType(p)}`)];
    const names = [...(hasRet ? ['retval'] : []), ...f.params.map((p) => p.name)];
    L.push(`@external("emon_ocall", "${f.name}")`);
    L.push(`declare function __ocall_${f.name}(${params.join(', ')}): i32;`);
    L.push(`/**`);
    L.push(` * OCALL ${f.name}(${f.params.map(describeParam).join(', ')})${hasRet ? ` -> ${asRet(f)} stored at retval (may be 0)` : ''}.`.replace('-> void stored', `-> ${aggregateName(f.ret)} stored`));
    L.push(` * Returns 0 when the call went through, else an emon status (2: a bad buffer or the guest's scratch is full).`);
    L.push(` * The result comes from untrusted code: check it before use.`);
    L.push(` */`);
    L.push(`// @ts-ignore: decorator`);
    L.push(`@inline export function ${f.name}(${params.join(', ')}): i32 {`);
    L.push(`  return __ocall_${f.name}(${names.join(', ')});`);
    L.push(`}`);
    L.push('');
  }
  L.push('// ECALLs the entry file must export (pointers are enclave addresses of copied buffers):');
  for (const f of iface.trusted) {
    L.push(`//   export function ${f.name}(${[...asSret(f), ...f.params.map((p) => `${p.name}: ${asType(p)}`)].join(', ')}): ${asRet(f)}`);
  }
  return L.join('\n') + '\n';
}
