/**
 * Generates the guest side of an EDL for C guests built with clang for wasm32 (`NAME_u.h`): the same stubs as
 * ./gen-guest-as.ts, header-only, with the frame on the C stack, and prototypes of the OCALL handlers the
 * program must define (exported under their EDL names).
 */
import { banner, cDecl, cForeignDecls, cType, cRet, cTypeDecls, describeParam, GUEST_SCRATCH_SIZE } from './gen-common.js';
import { isAggregate, scalarOf, wasmTypeOf, type EdlFunction, type EdlInterface, type EdlParam, returnsValue } from './types.js';

function slotStore(p: EdlParam, i: number): string {
  if (p.byValue) return `  frame[${i + 1}].u64 = (uint32_t)(uintptr_t)&${p.name};`;
  if (p.type.pointer) return `  frame[${i + 1}].u64 = (uint32_t)(uintptr_t)${p.name};`;
  const w = wasmTypeOf(p.type);
  if (w === 'f32') return `  frame[${i + 1}].f32 = ${p.name};`;
  if (w === 'f64') return `  frame[${i + 1}].f64 = ${p.name};`;
  return `  frame[${i + 1}].i64 = (int64_t)${p.name};`;
}

/** The union member the gate wrote the return value as (runtime/enclave/gate-codegen.ts storeRet). */
function retMember(f: EdlFunction): string {
  const w = scalarOf(f.ret).wasm;
  return w === 'i32' ? 'i32' : w;
}

export function generateGuestC(iface: EdlInterface): string {
  const G = iface.name.toUpperCase();
  const L: string[] = [banner(iface, '/*')];
  L.push(`/* Guest side of ${iface.name}.edl for C guests: ECALL stubs over the "emon" import module. */`);
  L.push(`#ifndef EMON_${G}_U_H`, `#define EMON_${G}_U_H`, '#include <stddef.h>', '#include <stdint.h>');
  for (const inc of iface.includes ?? []) L.push(`#include "${inc}"`);
  L.push('');
  const foreign = cForeignDecls(iface);
  if (foreign.length) L.push('/* Types from included headers, with the sizes emon copies (docs/edl.md, "Types from headers"). */', ...foreign, '');
  const types = cTypeDecls(iface.types ?? []);
  if (types.length) L.push(`/* Types of ${iface.name}.edl, laid out as the gate copies them. */`, ...types, '');
  L.push('#define EMON_IMPORT(n) __attribute__((import_module("emon"), import_name(n)))');
  L.push('EMON_IMPORT("enclave_open") int32_t __emon_enclave_open(const void *name, size_t name_len, void *scratch, size_t scratch_len, int32_t *handle_out);');
  L.push('EMON_IMPORT("enclave_close") int32_t __emon_enclave_close(int32_t handle);');
  L.push('EMON_IMPORT("ecall") int32_t __emon_ecall(int32_t handle, int32_t fn, void *frame);');
  L.push('');
  L.push('#ifndef EMON_SLOT_DEFINED');
  L.push('#define EMON_SLOT_DEFINED');
  L.push('/* One 8-byte slot of an ECALL frame (runtime/enclave/abi.ts); no libc needed, so -nostdlib guests link. */');
  L.push('typedef union { uint64_t u64; int64_t i64; int32_t i32; float f32; double f64; } emon_slot;');
  L.push('static inline size_t emon_strlen_(const char *s) { size_t n = 0; while (s[n]) n++; return n; }');
  L.push('#endif');
  L.push('');
  L.push(`static uint8_t __emon_${iface.name}_scratch[${GUEST_SCRATCH_SIZE}] __attribute__((aligned(16)));`);
  L.push('');
  L.push(`/* Open the enclave the manifest declares as name; 0 and *handle on success, else an emon status. */`);
  L.push(`static inline int32_t ${iface.name}_open(const char *name, int32_t *handle) {`);
  L.push('  return __emon_enclave_open(name, emon_strlen_(name), __emon_' + iface.name + '_scratch, sizeof __emon_' + iface.name + '_scratch, handle);');
  L.push('}');
  L.push(`static inline int32_t ${iface.name}_close(int32_t handle) { return __emon_enclave_close(handle); }`);
  for (const f of iface.trusted) {
    const hasRet = returnsValue(f);
    const params = ['int32_t handle', ...(hasRet ? [`${cRet(f)} *retval`] : []), ...f.params.map(cDecl)];
    L.push('');
    L.push(`/* ECALL ${f.index} ${f.name}(${f.params.map(describeParam).join(', ')}) */`);
    L.push(`static inline int32_t ${f.name}(${params.join(', ')}) {`);
    L.push(`  emon_slot frame[${f.params.length + 1}] = {{0}};`);
    // A struct result: slot 0 carries the address the gate writes it to.
    if (isAggregate(f.ret)) L.push('  frame[0].u64 = (uint32_t)(uintptr_t)retval;');
    f.params.forEach((p, i) => L.push(slotStore(p, i)));
    L.push(`  int32_t rc = __emon_ecall(handle, ${f.index}, frame);`);
    if (hasRet && !isAggregate(f.ret)) L.push(`  if (rc == 0 && retval) *retval = (${cRet(f)})${f.ret.pointer ? '(uintptr_t)(uint32_t)' : ''}frame[0].${retMember(f)};`);
    L.push('  return rc;');
    L.push('}');
  }
  L.push('');
  L.push('/* OCALL handlers this program must define; they are exported under their EDL names. A struct passed by');
  L.push(' * value arrives as a pointer to its copy; a struct result is written through the retval pointer given first. */');
  for (const f of iface.untrusted) {
    const sret = isAggregate(f.ret) ? [`${cRet(f)} *retval`] : [];
    const list = [...sret, ...f.params.map((p) => (p.byValue ? `const ${cType(p)} *${p.name}` : cDecl(p)))];
    L.push(`__attribute__((export_name("${f.name}"))) ${sret.length ? 'void' : cRet(f)} ${f.name}(${list.length ? list.join(', ') : 'void'});`);
  }
  L.push('', '#endif', '');
  return L.join('\n');
}
