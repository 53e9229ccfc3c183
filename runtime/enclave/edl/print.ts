/**
 * Prints a parsed interface back as one self-contained EDL file, imports inlined: what emon embeds in a signed
 * enclave (custom section emon.edl) when the source EDL imports others, so that the gate rebuilds the same
 * interface from the enclave alone. Parsing the output gives the same functions, indices, types and layouts.
 */
import { declText } from './foreign-types.js';
import type { EdlFunction, EdlInterface, EdlMember, EdlParam, EdlType, SizeExpr, UserType } from './types.js';

function typeName(t: EdlType, stars: number): string {
  const kw = t.user ? `${t.user.kind} ` : '';
  return `${t.isConst ? 'const ' : ''}${kw}${t.base}${stars > 0 ? ' ' + '*'.repeat(stars) : ''}`;
}

const operand = (e: SizeExpr): string => (e.kind === 'const' ? String(e.value) : e.name);

function member(m: EdlMember): string {
  const attrs = [...(m.size ? [`size=${operand(m.size)}`] : []), ...(m.count ? [`count=${operand(m.count)}`] : [])];
  const dims = m.dims.map((d) => `[${d}]`).join('');
  return `${attrs.length ? `[${attrs.join(', ')}] ` : ''}${typeName(m.type, m.type.depth ?? (m.type.pointer ? 1 : 0))} ${m.name}${dims};`;
}

export function printType(t: UserType): string {
  if (t.kind === 'enum') return `enum ${t.name} { ${t.values.map((v) => `${v.name} = ${v.value}`).join(', ')} };`;
  return `${t.kind} ${t.name} {\n${t.members.map((m) => `        ${member(m)}`).join('\n')}\n    };`;
}

function param(p: EdlParam): string {
  const flags = p.flags ?? [];
  const hidden = flags.includes('isptr') || flags.includes('isary');
  const dims = p.dims ?? [];
  const attrs: string[] = [];
  if (p.direction === 'inout') attrs.push('in', 'out');
  else if (p.direction && !p.byValue) attrs.push(p.direction);
  if (p.isString) attrs.push(p.isWide ? 'wstring' : 'string');
  attrs.push(...flags);
  if (p.size) attrs.push(`size=${operand(p.size)}`);
  if (p.count && dims.length === 0) attrs.push(`count=${operand(p.count)}`);
  const depth = p.type.depth ?? (p.type.pointer ? 1 : 0);
  const stars = hidden ? 0 : depth - (dims.length ? 1 : 0);
  const t = hidden && flags.includes('readonly') ? { ...p.type, isConst: false } : p.type;
  return `${attrs.length ? `[${attrs.join(', ')}] ` : ''}${typeName(t, stars)} ${p.name}${dims.map((d) => `[${d}]`).join('')}`;
}

function fn(f: EdlFunction, trusted: boolean): string {
  const pre = (f.attrs ?? []).filter((a) => a !== 'propagate_errno' && a !== 'transition_using_threads');
  const post = (f.attrs ?? []).filter((a) => a === 'propagate_errno' || a === 'transition_using_threads');
  const head = `${pre.length ? `[${pre.join(', ')}] ` : ''}${trusted && f.isPublic ? 'public ' : ''}${typeName(f.ret, f.ret.pointer ? (f.ret.depth ?? 1) : 0)} ${f.name}`;
  const allow = f.allow.length ? ` allow(${f.allow.join(', ')})` : '';
  return `${head}(${f.params.length ? f.params.map(param).join(', ') : 'void'})${allow}${post.map((a) => ` ${a}`).join('')};`;
}

export function printEdl(iface: EdlInterface): string {
  const L: string[] = [`/* ${iface.name}.edl with its imports inlined by emon */`, ...declLines(iface, false), 'enclave {'];
  for (const inc of iface.includes ?? []) L.push(`    include "${inc}"`);
  for (const t of iface.types ?? []) L.push(`    ${printType(t)}`);
  L.push('    trusted {');
  for (const f of iface.trusted) L.push(`        ${fn(f, true)}`);
  L.push('    };', '    untrusted {');
  for (const f of iface.untrusted) L.push(`        ${fn(f, false)}`);
  L.push('    };', '};', '');
  return L.join('\n');
}

/** `// emon: type NAME=SIZE` lines for declared header types (all, or only those given as --type options). */
function declLines(iface: EdlInterface, optionsOnly: boolean): string[] {
  return (iface.declared ?? []).filter((t) => !optionsOnly || t.origin === 'option').map((t) => `// emon: type ${declText(t)}`);
}

/**
 * The EDL text to embed in an enclave built from `iface` read from `sourceText`: the source unless it imports,
 * plus the sizes of header types given as --type options, so that the enclave's EDL alone rebuilds the interface.
 */
export function embeddableEdl(iface: EdlInterface, sourceText: string): string {
  if ((iface.imports ?? []).length !== 0) return printEdl(iface);
  const extra = declLines(iface, true);
  return extra.length === 0 ? sourceText : `${sourceText.replace(/\n?$/, '\n')}${extra.join('\n')}\n`;
}
