/**
 * The human-readable account of an interface that `emon edl check` prints, in the spirit of what sgx_edger8r's
 * generated marshalling structures tell a reader: imports resolved, user types with their wasm32 sizes and
 * member offsets, and for every ECALL/OCALL which bytes each parameter copies and in which direction.
 */
import { describeParam, foreignTypesUsed } from './gen-common.js';
import { aggregateName, deepStruct, elementSize, isAddress, isAggregate, valueSize, type EdlFunction, type EdlInterface, type EdlParam, type EdlType, type SizeExpr } from './types.js';

const operand = (e: SizeExpr): string => (e.kind === 'const' ? String(e.value) : e.name);

/** How many bytes a parameter copies, as a formula over the call's parameters. */
export function copyBytes(p: EdlParam): string {
  if (p.byValue) return `${elementSize(p.type)} (a copy of the ${p.type.user ? p.type.user.kind : 'value'})`;
  if (p.isString) return p.isWide ? '4 × (wcslen+1)' : 'strlen+1';
  const elem = elementSize(p.type);
  const count = p.count ? operand(p.count) : '1';
  const size = p.size ? operand(p.size) : String(elem);
  if (p.count?.kind !== 'param' && p.size?.kind !== 'param') return String((p.count ? Number(count) : 1) * Number(size));
  return p.count && p.size ? `${count} × ${size}` : p.count ? `${count} × ${elem}` : size;
}

function flow(p: EdlParam, ecall: boolean): string {
  const [a, b] = ecall ? ['guest', 'enclave'] : ['enclave', 'guest'];
  switch (p.direction) {
    case 'in':
      return `${a} → ${b}`;
    case 'out':
      return `${b} → ${a} (zeroed first)`;
    case 'inout':
      return `${a} → ${b} → ${a}`;
    default:
      return 'not copied (opaque address)';
  }
}

/** A type as EDL spells it: `size_t`, `const char*`, `struct rec_t`, `long double`. */
function typeText(t: EdlType): string {
  const kw = t.user ? `${t.user.kind} ` : '';
  return `${t.isConst ? 'const ' : ''}${kw}${t.base}${'*'.repeat(t.pointer ? (t.depth ?? 1) : 0)}`;
}

/** Calling conventions and dllimport, written before the return type as in EDL (accepted and ignored off Windows). */
const CONVENTIONS = new Set(['cdecl', 'stdcall', 'fastcall', 'dllimport']);

function fnLines(f: EdlFunction, ecall: boolean): string[] {
  const conv = (f.attrs ?? []).filter((a) => CONVENTIONS.has(a));
  const pre = `${conv.length ? `[${conv.join(', ')}] ` : ''}${f.isPublic ? 'public ' : ''}${typeText(f.ret)}`;
  const head = `${ecall ? 'ecall' : 'ocall'} ${f.index} ${pre} ${f.name}(${f.params.map(describeParam).join(', ')})`;
  const tail = [...(f.allow.length ? [`allow(${f.allow.join(', ')})`] : []), ...(f.attrs ?? []).filter((a) => a === 'propagate_errno' || a === 'transition_using_threads')];
  const L = [`${head}${tail.length ? ' ' + tail.join(' ') : ''}${f.from ? `  [from ${f.from}]` : ''}`];
  if (isAggregate(f.ret)) L.push(`    retval: ${ecall ? 'enclave → guest' : 'guest → enclave'}, ${valueSize(f.ret)} bytes (${aggregateName(f.ret)} returned by value)`);
  for (const p of f.params) {
    if (!isAddress(p)) continue;
    if (p.direction === 'user_check') {
      L.push(`    ${p.name}: ${flow(p, ecall)}`);
      continue;
    }
    const bytes = copyBytes(p);
    L.push(`    ${p.name}: ${flow(p, ecall)}, ${bytes.replace(/ \(a copy/, ' bytes (a copy')}${bytes.includes('(a copy') ? '' : ' bytes'}`);
    const s = p.type.pointer ? deepStruct(p.type) : null;
    for (const m of s?.members ?? []) {
      if (!m.type.pointer || (!m.size && !m.count)) continue;
      const elem = elementSize(m.type);
      const n = m.count && m.size ? `${operand(m.count)} × ${operand(m.size)}` : m.count ? `${operand(m.count)} × ${elem}` : operand(m.size!);
      L.push(`      ${p.name}->${m.name}: deep copy, ${n} bytes`);
    }
  }
  return L;
}

export function describeInterface(iface: EdlInterface): string[] {
  const L: string[] = [`interface ${iface.name} (${iface.file})`];
  for (const i of iface.imports ?? []) L.push(`import "${i.spec}" -> ${i.file} (${i.names === null ? '*' : i.names.join(', ')})`);
  for (const inc of iface.includes ?? []) L.push(`include "${inc}"`);
  const origin = { sdk: "emon's table of SDK types", comment: 'an emon: type comment', option: '--type', builtin: 'built in' } as const;
  for (const t of foreignTypesUsed(iface)) {
    L.push(`header type ${t.name}: ${t.scalar ? `${t.scalar.c}, ` : ''}${t.size} bytes, align ${t.align} (${origin[t.origin]})`);
  }
  for (const t of iface.types ?? []) {
    if (t.kind === 'enum') {
      L.push(`enum ${t.name}: 4 bytes { ${t.values.map((v) => `${v.name} = ${v.value}`).join(', ')} }`);
      continue;
    }
    L.push(`${t.kind} ${t.name}: ${t.size} bytes, align ${t.align}`);
    for (const m of t.members) {
      const ann = [...(m.size ? [`size=${operand(m.size)}`] : []), ...(m.count ? [`count=${operand(m.count)}`] : [])];
      const kw = m.type.user ? `${m.type.user.kind} ` : '';
      L.push(`    +${m.offset} ${ann.length ? `[${ann.join(', ')}] ` : ''}${kw}${m.type.base}${'*'.repeat(m.type.pointer ? (m.type.depth ?? 1) : 0)} ${m.name}${m.dims.map((d) => `[${d}]`).join('')} (${m.bytes} bytes)`);
    }
  }
  for (const f of iface.trusted) L.push(...fnLines(f, true));
  for (const f of iface.untrusted) L.push(...fnLines(f, false));
  return L;
}
