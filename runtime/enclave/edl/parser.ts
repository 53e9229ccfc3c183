/**
 * Parser for SGX's Enclave Definition Language (Intel SGX Developer Reference, "Enclave Definition Language
 * Syntax"), the whole language sgx_edger8r accepts: several trusted/untrusted blocks (merged), public and
 * private ECALLs, allow lists, `include`, `from "x.edl" import *|f, g` (./imports.ts resolves the files),
 * struct/union/enum definitions with deep-copied pointer members, fixed and multi-dimensional arrays, every
 * pointer attribute, `long double`, and types from included headers (sized by ./foreign-types.ts: emon's SDK
 * table, `--type` options, `// emon: type NAME=SIZE` comments). Every error names file:line:col and states
 * edger8r's rule (or, for a header type of unknown size, how to declare it); nothing is silently ignored.
 */
import { EmonError } from '../../errors.js';
import { layoutMembers } from './layout.js';
import { LONG_DOUBLE, parseTypeDecl, sameType, SDK_TYPES, unknownTypeHint } from './foreign-types.js';
import {
  SCALARS,
  isAggregate,
  type OpaqueType,
  type Direction,
  type EdlEnum,
  type EdlFunction,
  type EdlImport,
  type EdlInterface,
  type EdlMember,
  type EdlParam,
  type EdlStruct,
  type EdlType,
  type SizeExpr,
  type SourceLoc,
  type UserType,
} from './types.js';

interface Token {
  readonly kind: 'ident' | 'number' | 'string' | 'punct' | 'eof';
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

const PUNCT = new Set(['{', '}', '(', ')', '[', ']', ';', ',', '*', '=', '.', '-']);
/** Function attributes in `[...]` before the return type: calling conventions mean nothing off Windows x86. */
const FN_ATTRS = new Set(['cdecl', 'stdcall', 'fastcall', 'dllimport']);
/** Function suffixes after the parameter list. */
const FN_SUFFIX = new Set(['propagate_errno', 'transition_using_threads']);
/** Nesting bound: hostile input must not exhaust the JS stack through imports. */
const MAX_IMPORT_DEPTH = 64;
const MAX_DIM = 1 << 24;
/** Largest type or array emon lays out: the gate's lengths are wasm32 (and far above any per-call cap). */
const MAX_BYTES = 0x7fffffff;

/** `emon: type NAME=SIZE` inside a comment: a header type's size, invisible to edger8r. */
const TYPE_PRAGMA = /emon:\s*type\s+([^\n]*?)\s*(?:\*\/|$)/gm;

interface Lexed {
  readonly toks: Token[];
  readonly pragmas: Array<{ spec: string; where: string }>;
}

function lex(text: string, file: string): Lexed {
  const out: Token[] = [];
  const pragmas: Array<{ spec: string; where: string }> = [];
  const comment = (from: number, to: number, atLine: number): void => {
    const body = text.slice(from, to);
    if (!body.includes('emon:')) return;
    for (const m of body.matchAll(TYPE_PRAGMA)) {
      const before = text.slice(0, from + m.index);
      const nl = before.lastIndexOf('\n');
      pragmas.push({ spec: m[1]!, where: `${file}:${atLine + (body.slice(0, m.index).match(/\n/g)?.length ?? 0)}:${before.length - nl}` });
    }
  };
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (msg: string): never => {
    throw new EmonError('E_EDL_SYNTAX', `${file}:${line}:${i - lineStart + 1}: ${msg}`, {
      hint: 'fix the EDL file at the given line and column',
    });
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const start = i;
      while (i < text.length && text[i] !== '\n') i++;
      comment(start + 2, i, line);
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment');
      comment(i + 2, end, line);
      for (let j = i; j < end; j++) if (text[j] === '\n') (line++, (lineStart = j + 1));
      i = end + 2;
    } else if (c === '#') {
      fail('preprocessor directives are not EDL (edger8r does not run the C preprocessor); use include "file.h"');
    } else if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      out.push({ kind: 'ident', text: text.slice(start, i), line, col: start - lineStart + 1 });
    } else if (/[0-9]/.test(c)) {
      const start = i;
      while (i < text.length && /[0-9A-Fa-fxX]/.test(text[i]!)) i++;
      out.push({ kind: 'number', text: text.slice(start, i), line, col: start - lineStart + 1 });
    } else if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i++;
      if (text[i] !== '"') fail('unterminated string');
      i++;
      out.push({ kind: 'string', text: text.slice(start + 1, i - 1), line, col: start - lineStart + 1 });
    } else if (PUNCT.has(c)) {
      out.push({ kind: 'punct', text: c, line, col: i - lineStart + 1 });
      i++;
    } else {
      fail(`unexpected character '${c}'`);
    }
  }
  out.push({ kind: 'eof', text: '<end of file>', line, col: i - lineStart + 1 });
  return { toks: out, pragmas };
}

/** Resolves `from "x.edl"`: returns the parsed interface of the file (./imports.ts). */
export type ImportResolver = (spec: string, fromFile: string, at: SourceLoc, depth: number) => EdlInterface;

type RawSize = { kind: 'const'; value: number; tok: Token } | { kind: 'param'; name: string; tok: Token };
interface RawAttrs {
  tok: Token;
  dirs: string[];
  size: RawSize | null;
  count: RawSize | null;
  isString: boolean;
  isWide: boolean;
  flags: string[];
}
interface RawParam {
  attrs: RawAttrs | null;
  type: EdlType;
  typeTok: Token;
  name: string;
  tok: Token;
  dims: number[];
}

class Parser {
  private pos = 0;
  readonly trusted: EdlFunction[] = [];
  readonly untrusted: EdlFunction[] = [];
  readonly includes: string[] = [];
  readonly types = new Map<string, UserType>();
  readonly imports: EdlImport[] = [];
  /** Enumerator names → values, for later enumerators and constants in dims/size/count. */
  readonly enumerators = new Map<string, number>();
  /** Header types given a size by a comment, a --type option, or an import (emon's SDK table is the fallback). */
  readonly declared = new Map<string, OpaqueType>();

  constructor(
    private readonly toks: Token[],
    private readonly file: string,
    private readonly resolve: ImportResolver | null,
    private readonly depth: number,
  ) {}

  loc(t: Token = this.peek()): SourceLoc {
    return { file: this.file, line: t.line, col: t.col };
  }
  peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }
  next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  fail(t: Token | SourceLoc, msg: string, code = 'E_EDL_SYNTAX', hint?: string): never {
    const line = t.line;
    const col = t.col;
    throw new EmonError(code, `${this.file}:${line}:${col}: ${msg}`, {
      hint: hint ?? (code === 'E_EDL_UNSUPPORTED' ? 'see docs/edl.md for what emon supports and what replaces the rest' : 'fix the EDL file at the given line and column'),
    });
  }
  is(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.text === text && t.kind !== 'string';
  }
  expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || t.kind === 'string') this.fail(t, `expected '${text}', found '${t.text}'`);
    return t;
  }
  accept(text: string): boolean {
    if (this.is(text)) {
      this.next();
      return true;
    }
    return false;
  }
  ident(what: string): Token {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, `expected ${what}, found '${t.text}'`);
    return t;
  }
  /** A non-negative integer constant: a number or an enumerator. */
  constant(what: string): { value: number; tok: Token } {
    const t = this.next();
    let v: number;
    if (t.kind === 'number') v = Number(t.text);
    else if (t.kind === 'ident' && this.enumerators.has(t.text)) v = this.enumerators.get(t.text)!;
    else return this.fail(t, `expected a number for ${what}, found '${t.text}'`);
    if (!Number.isSafeInteger(v) || v < 0) this.fail(t, `bad ${what} '${t.text}'`);
    return { value: v, tok: t };
  }

  declare(t: OpaqueType, where: string): void {
    const prev = this.declared.get(t.name);
    if (prev && !sameType(prev, t)) {
      throw new EmonError('E_EDL_TYPE', `${where}: type '${t.name}' is declared as ${prev.size} bytes (align ${prev.align}${prev.scalar ? `, ${prev.scalar.c}` : ''}) and as ${t.size} bytes (align ${t.align}${t.scalar ? `, ${t.scalar.c}` : ''})`, {
        hint: 'give each header type one size (an --type option and an emon: type comment must agree)',
      });
    }
    if (!prev) this.declared.set(t.name, t);
  }

  parseFile(name: string): EdlInterface {
    this.expect('enclave');
    this.expect('{');
    while (!this.accept('}')) {
      const t = this.peek();
      if (t.kind === 'eof') this.fail(t, "expected '}' closing the enclave block");
      if (this.is('trusted')) (this.next(), this.parseSection(true));
      else if (this.is('untrusted')) (this.next(), this.parseSection(false));
      else if (this.is('include')) this.parseInclude();
      else if (this.is('from')) this.parseImport();
      else if (this.is('struct') || this.is('union')) this.parseStruct();
      else if (this.is('enum')) this.parseEnum();
      else if (this.is('typedef')) this.fail(t, "'typedef' is not EDL: define the type in a header and include it, or declare a struct/enum", 'E_EDL_SYNTAX');
      else this.fail(t, `expected 'trusted', 'untrusted', 'include', 'from', 'struct', 'union', 'enum' or '}', found '${t.text}'`);
    }
    this.accept(';');
    const end = this.peek();
    if (end.kind !== 'eof') this.fail(end, `unexpected '${end.text}' after the enclave block`);
    return {
      name,
      file: this.file,
      trusted: this.trusted,
      untrusted: this.untrusted,
      includes: this.includes,
      types: [...new Set(this.types.values())],
      imports: this.imports,
      declared: [...this.declared.values()],
    };
  }

  parseInclude(): void {
    this.next();
    const s = this.next();
    if (s.kind !== 'string' || !/^[A-Za-z0-9_./+-]+$/.test(s.text)) this.fail(s, 'include takes a quoted header name, e.g. include "user_types.h"');
    if (!this.includes.includes(s.text)) this.includes.push(s.text);
    this.accept(';');
  }

  parseImport(): void {
    const from = this.next();
    const s = this.next();
    if (s.kind !== 'string' || s.text === '') this.fail(s, 'from takes a quoted EDL file name, e.g. from "sgx_tstdc.edl" import *;');
    this.expect('import');
    let names: string[] | null = null;
    if (!this.accept('*')) {
      names = [this.ident('a function name or *').text];
      while (this.accept(',')) names.push(this.ident('a function name').text);
    }
    this.expect(';');
    if (this.resolve === null) {
      this.fail(from, `cannot import "${s.text}": this EDL was given as text with no folder to search`, 'E_EDL_IMPORT', 'parse it from its file (emon edl gen FILE.edl)');
    }
    if (this.depth >= MAX_IMPORT_DEPTH) this.fail(from, `imports nest deeper than ${MAX_IMPORT_DEPTH} files`, 'E_EDL_IMPORT');
    const lib = this.resolve(s.text, this.file, this.loc(from), this.depth + 1);
    for (const inc of lib.includes ?? []) if (!this.includes.includes(inc)) this.includes.push(inc);
    for (const t of lib.types ?? []) this.addType(t, this.loc(from));
    for (const [k, v] of enumeratorsOf(lib)) this.enumerators.set(k, v);
    for (const t of lib.declared ?? []) this.declare(t, `${this.file}:${from.line}:${from.col}`);
    for (const imp of lib.imports ?? []) this.imports.push(imp);
    this.imports.push({ spec: s.text, file: lib.file, names, loc: this.loc(from) });
    const all = [...lib.trusted.map((f) => ({ f, trusted: true })), ...lib.untrusted.map((f) => ({ f, trusted: false }))];
    const chosen =
      names === null
        ? all
        : names.map((n, k) => {
            const hit = all.find((x) => x.f.name === n);
            if (!hit) this.fail(this.loc(from), `"${s.text}" declares no function '${n}' (import list item ${k + 1})`, 'E_EDL_IMPORT', `functions there: ${all.map((x) => x.f.name).join(', ') || 'none'}`);
            return hit;
          });
    for (const { f, trusted } of chosen) {
      const into = trusted ? this.trusted : this.untrusted;
      // The same file reached twice (a diamond of imports) declares the same function once.
      if (into.some((g) => g.name === f.name && (g.from ?? g.loc.file) === (f.from ?? f.loc.file))) continue;
      into.push({ ...f, index: into.length, from: f.from ?? f.loc.file });
    }
  }

  addType(t: UserType, at: SourceLoc): void {
    const prev = this.types.get(t.name);
    if (prev === t) return;
    if (prev) this.fail(at, `${t.kind} '${t.name}' is already defined at ${prev.loc.file}:${prev.loc.line}`, 'E_EDL_SYNTAX', 'give each struct, union and enum a distinct name');
    if (SCALARS[t.name]) this.fail(at, `'${t.name}' is a built-in type and cannot be redefined`);
    this.types.set(t.name, t);
  }

  parseEnum(): void {
    const start = this.next();
    const name = this.peek().kind === 'ident' ? this.next().text : `__anon_enum_${start.line}_${start.col}`;
    this.expect('{');
    const values: Array<{ name: string; value: number }> = [];
    let nextValue = 0;
    while (!this.accept('}')) {
      if (values.length > 0) {
        this.expect(',');
        if (this.accept('}')) break;
      }
      const n = this.ident('an enumerator name');
      let v = nextValue;
      if (this.accept('=')) {
        const neg = this.accept('-');
        const c = this.constant('an enumerator value');
        v = neg ? -c.value : c.value;
      }
      if (v < -0x80000000 || v > 0x7fffffff) this.fail(n, `enumerator '${n.text}' = ${v} does not fit an int`);
      if (this.enumerators.has(n.text) || values.some((x) => x.name === n.text)) this.fail(n, `enumerator '${n.text}' is already defined`);
      values.push({ name: n.text, value: v });
      this.enumerators.set(n.text, v);
      nextValue = v + 1;
    }
    this.expect(';');
    const e: EdlEnum = { kind: 'enum', name, values, size: 4, align: 4, loc: this.loc(start) };
    this.addType(e, this.loc(start));
  }

  parseStruct(): void {
    const kw = this.next();
    const kind = kw.text as 'struct' | 'union';
    const nameTok = this.ident(`a ${kind} name`);
    this.expect('{');
    const raw: RawParam[] = [];
    while (!this.accept('}')) {
      const attrs = this.is('[') ? this.parseAttrs() : null;
      const { type, at } = this.parseType();
      const tok = this.ident('a member name');
      const dims = this.parseDims();
      this.expect(';');
      if (raw.some((r) => r.name === tok.text)) this.fail(tok, `member '${tok.text}' is declared twice in ${kind} ${nameTok.text}`);
      raw.push({ attrs, type, typeTok: at, name: tok.text, tok, dims });
    }
    this.expect(';');
    if (raw.length === 0) this.fail(nameTok, `${kind} ${nameTok.text} has no members (C does not allow an empty ${kind})`);
    for (const r of raw) {
      if (r.type.foreign && !r.type.opaque && !r.type.pointer) this.fail(r.typeTok, `unknown type '${r.type.base}' for member '${r.name}': a type from an included header, whose size emon does not know`, 'E_EDL_TYPE', unknownTypeHint(r.type.base));
      if (r.type.foreign && !r.type.opaque && r.type.pointer && r.attrs?.count && (r.type.depth ?? 1) === 1) {
        this.fail(r.typeTok, `count= on member '${r.name}' needs sizeof(${r.type.base}), which emon does not know (a type from an included header)`, 'E_EDL_TYPE', `use size= (bytes), or: ${unknownTypeHint(r.type.base)}`);
      }
      if (!r.type.pointer && r.type.base === 'void') this.fail(r.tok, `member '${r.name}' cannot be void`);
      if (r.type.user?.name === nameTok.text) this.fail(r.typeTok, `${kind} ${nameTok.text} cannot contain itself`);
    }
    const lay = layoutMembers(kind, raw);
    if (lay.size > MAX_BYTES) this.fail(nameTok, `${kind} ${nameTok.text} is ${lay.size} bytes, more than a wasm32 memory can hold`);
    const members: EdlMember[] = raw.map((r, k) => {
      const a = r.attrs;
      let size: SizeExpr | null = null;
      let count: SizeExpr | null = null;
      if (a) {
        const at = a.tok;
        if (a.dirs.length || a.isString || a.flags.length) {
          this.fail(at, `member '${r.name}': only size= and count= annotate struct members (the parameter's direction applies to them)`);
        }
        if (!r.type.pointer || r.dims.length) this.fail(at, `member '${r.name}': size=/count= annotate pointer members only`);
        if (kind === 'union') this.fail(at, `union ${nameTok.text}: a union member cannot be deep-copied (which member is live is unknown)`);
        const pointee = r.type.user;
        if (pointee && pointee.kind === 'struct' && pointee.members.some((m) => m.size || m.count)) {
          this.fail(at, `member '${r.name}': deep copy goes one level (${pointee.name} has deep-copied members itself)`, 'E_EDL_UNSUPPORTED');
        }
        if (r.type.base === 'void' && !a.size && (r.type.depth ?? 1) === 1) {
          if (!a.count) this.fail(at, `void pointer member '${r.name}' needs size=`);
        }
        const res = (s: RawSize | null): SizeExpr | null => {
          if (!s) return null;
          if (s.kind === 'const') return { kind: 'const', value: s.value };
          const index = raw.findIndex((m) => m.name === s.name);
          if (index < 0) this.fail(s.tok, `size/count of member '${r.name}' refers to unknown member '${s.name}' of ${nameTok.text}`);
          const m = raw[index]!;
          if (m.type.pointer || m.dims.length || m.type.user?.kind === 'struct' || m.type.user?.kind === 'union' || !['i32', 'i64'].includes((SCALARS[m.type.base] ?? SCALARS['int']!).wasm)) {
            this.fail(s.tok, `size/count member '${s.name}' must be an integer scalar`);
          }
          return { kind: 'param', name: s.name, index };
        };
        size = res(a.size);
        count = res(a.count);
      }
      return { name: r.name, type: r.type, dims: r.dims, offset: lay.offsets[k]!, bytes: lay.bytes[k]!, size, count, loc: this.loc(r.tok) };
    });
    const s: EdlStruct = { kind, name: nameTok.text, members, size: lay.size, align: lay.align, loc: this.loc(kw) };
    this.addType(s, this.loc(kw));
  }

  parseDims(): number[] {
    const dims: number[] = [];
    while (this.is('[')) {
      this.next();
      const c = this.constant('an array dimension');
      if (c.value === 0 || c.value > MAX_DIM) this.fail(c.tok, `array dimension ${c.value} is out of range (1..${MAX_DIM})`);
      this.expect(']');
      dims.push(c.value);
    }
    return dims;
  }

  parseSection(trusted: boolean): void {
    this.expect('{');
    while (!this.accept('}')) {
      if (this.peek().kind === 'eof') this.fail(this.peek(), `expected '}' closing the ${trusted ? 'trusted' : 'untrusted'} block`);
      if (this.is('include')) {
        this.parseInclude();
        continue;
      }
      const into = trusted ? this.trusted : this.untrusted;
      into.push(this.parseFunction(trusted, into.length));
    }
    this.expect(';');
  }

  parseType(): { type: EdlType; at: Token } {
    const at = this.peek();
    let isConst = false;
    while (this.is('const')) (this.next(), (isConst = true));
    let base: string;
    let user: UserType | null = null;
    let foreign = false;
    let opaque: OpaqueType | null = null;
    if (this.is('struct') || this.is('union') || this.is('enum')) {
      const kw = this.next().text;
      const n = this.ident(`a ${kw} name`);
      const t = this.types.get(n.text);
      if (!t || (kw === 'enum') !== (t.kind === 'enum') || (kw !== 'enum' && t.kind !== kw)) {
        this.fail(n, `unknown type '${kw} ${n.text}'`, 'E_EDL_TYPE', `define ${kw} ${n.text} in this EDL (or an imported one) before using it`);
      }
      base = n.text;
      user = t;
    } else {
      const words: string[] = [this.ident('a type').text];
      if (words[0] === 'unsigned' || words[0] === 'long' || words[0] === 'signed' || words[0] === 'short') {
        while (['int', 'char', 'short', 'long'].includes(this.peek().text) && this.peek().kind === 'ident') words.push(this.next().text);
        // edger8r's grammar has `long double` (Tlong Tdouble); nothing may follow or precede it.
        if (words.length === 1 && words[0] === 'long' && this.is('double') && this.peek().kind === 'ident') words.push(this.next().text);
      }
      base = words.join(' ');
      if (base !== 'long double' && this.is('double') && this.peek().kind === 'ident') this.fail(this.peek(), `'${base} double' is not a C type (EDL has double and long double)`, 'E_EDL_TYPE');
      if (base.startsWith('signed')) base = base.replace(/^signed ?/, '') || 'int';
      if (base === 'unsigned int') base = 'unsigned';
      if (base === 'long int' || base === 'long long int' || base === 'unsigned long int' || base === 'unsigned long long int' || base === 'short int' || base === 'unsigned short int') {
        base = base.replace(/ int$/, '');
      }
      if (base === 'long double') opaque = LONG_DOUBLE;
      else if (!SCALARS[base]) {
        const t = this.types.get(base);
        if (t) user = t;
        else if (words.length === 1 && /^[A-Za-z_]\w*$/.test(base)) {
          foreign = true;
          opaque = this.declared.get(base) ?? SDK_TYPES[base] ?? null;
        } else this.fail(at, `unknown type '${base}'`, 'E_EDL_TYPE');
      }
    }
    while (this.is('const')) (this.next(), (isConst = true));
    let depth = 0;
    while (this.accept('*')) {
      depth++;
      while (this.is('const')) this.next();
    }
    if (depth > 2) this.fail(at, 'pointers deeper than T** are not EDL', 'E_EDL_UNSUPPORTED');
    const type: EdlType = { base, pointer: depth > 0, isConst, depth, user, foreign, ...(opaque ? { opaque } : {}) };
    return { type, at };
  }

  parseFunction(trusted: boolean, index: number): EdlFunction {
    const start = this.peek();
    const attrs: string[] = [];
    if (this.is('[')) {
      this.next();
      do {
        const t = this.ident('a function attribute');
        if (!FN_ATTRS.has(t.text)) this.fail(t, `unknown function attribute '${t.text}' (edger8r knows cdecl, stdcall, fastcall, dllimport)`);
        attrs.push(t.text);
      } while (this.accept(','));
      this.expect(']');
    }
    const isPublic = this.accept('public');
    if (isPublic && !trusted) this.fail(start, "'public' applies to trusted functions only");
    const { type: ret, at: retAt } = this.parseType();
    if (ret.foreign && !ret.pointer && !ret.opaque) this.fail(retAt, `unknown type '${ret.base}' (the return type): a type from an included header, whose size emon does not know`, 'E_EDL_TYPE', unknownTypeHint(ret.base));
    const nameTok = this.ident('a function name');
    if (SCALARS[nameTok.text] || ['enclave', 'trusted', 'untrusted', 'public', 'double'].includes(nameTok.text)) this.fail(nameTok, `'${nameTok.text}' is a reserved word`);
    this.expect('(');
    const raw: RawParam[] = [];
    if (this.is('void') && this.is(')', 1)) this.next();
    while (!this.accept(')')) {
      if (raw.length > 0) this.expect(',');
      const pa = this.is('[') ? this.parseAttrs() : null;
      const { type, at } = this.parseType();
      const tok = this.ident('a parameter name');
      const dims = this.parseDims();
      raw.push({ attrs: pa, type, typeTok: at, name: tok.text, tok, dims });
      if (raw.length > 64) this.fail(tok, 'more than 64 parameters');
    }
    const allow: string[] = [];
    for (;;) {
      if (this.is('allow')) {
        const t = this.next();
        if (trusted) this.fail(t, "'allow' applies to untrusted functions only");
        this.expect('(');
        while (!this.accept(')')) {
          if (allow.length > 0) this.expect(',');
          allow.push(this.ident('a trusted function name').text);
        }
      } else if (this.peek().kind === 'ident' && FN_SUFFIX.has(this.peek().text)) {
        const t = this.next();
        if (t.text === 'propagate_errno' && trusted) this.fail(t, "'propagate_errno' applies to untrusted functions only");
        attrs.push(t.text);
      } else break;
    }
    this.expect(';');
    const params = raw.map((r) => this.checkParam(r, raw));
    return { name: nameTok.text, index, isPublic, ret, params, allow, attrs, loc: this.loc(start) };
  }

  parseAttrs(): RawAttrs {
    const open = this.expect('[');
    const attrs: RawAttrs = { tok: open, dirs: [], size: null, count: null, isString: false, isWide: false, flags: [] };
    do {
      const t = this.ident('an attribute');
      if (t.text === 'in' || t.text === 'out' || t.text === 'user_check') attrs.dirs.push(t.text);
      else if (t.text === 'string' || t.text === 'wstring') {
        if (attrs.isString) this.fail(t, `'${t.text}' given twice`);
        attrs.isString = true;
        attrs.isWide = t.text === 'wstring';
      } else if (t.text === 'isptr' || t.text === 'isary' || t.text === 'readonly') {
        if (attrs.flags.includes(t.text)) this.fail(t, `'${t.text}' given twice`);
        attrs.flags.push(t.text);
      } else if (t.text === 'sizefunc') {
        this.fail(t, "'sizefunc' was removed from the Intel SGX SDK (edger8r refuses it since SDK 2.0)", 'E_EDL_UNSUPPORTED', 'compute the byte count in the caller and pass it as a parameter named by size=');
      } else if (t.text === 'size' || t.text === 'count') {
        if ((t.text === 'size' ? attrs.size : attrs.count) !== null) this.fail(t, `'${t.text}=' given twice`);
        this.expect('=');
        const v = this.peek();
        let e: RawSize;
        if (v.kind === 'number' || (v.kind === 'ident' && this.enumerators.has(v.text))) {
          const c = this.constant(t.text);
          e = { kind: 'const', value: c.value, tok: v };
        } else if (v.kind === 'ident') e = { kind: 'param', name: this.next().text, tok: v };
        else this.fail(v, `expected a number or parameter name after '${t.text}='`);
        if (t.text === 'size') attrs.size = e;
        else attrs.count = e;
      } else this.fail(t, `unknown attribute '${t.text}'`);
    } while (this.accept(','));
    this.expect(']');
    return attrs;
  }

  checkParam(r: RawParam, all: readonly RawParam[]): EdlParam {
    const a = r.attrs;
    const at = a?.tok ?? r.tok;
    if (all.filter((p) => p.name === r.name).length > 1) this.fail(r.tok, `parameter '${r.name}' is declared twice`);
    const flags = a?.flags ?? [];
    let type = r.type;
    if (type.foreign) {
      // A type from an included header: edger8r takes sizeof from the header; emon from its table or a declaration.
      if (!type.opaque && !type.pointer && !flags.includes('isptr') && !flags.includes('isary')) {
        this.fail(r.typeTok, `unknown type '${type.base}' for '${r.name}': a type from an included header, whose size emon does not know`, 'E_EDL_TYPE', `${unknownTypeHint(type.base)}; a header pointer type is [isptr] (an array type [isary]) with size=`);
      }
    } else if (flags.includes('isptr') || flags.includes('isary')) {
      this.fail(at, `'${flags.includes('isptr') ? 'isptr' : 'isary'}' marks a type defined in an included header; '${type.base}' is ${type.user ? `a ${type.user.kind} of this EDL` : 'a built-in type'}`);
    }
    if (flags.includes('isptr') && flags.includes('isary')) this.fail(at, `'isptr' and 'isary' exclude each other on '${r.name}'`);
    if (flags.includes('readonly') && !flags.includes('isptr')) this.fail(at, `'readonly' goes with 'isptr' (it marks a header pointer type as pointing at const data) on '${r.name}'`);
    if ((flags.includes('isptr') || flags.includes('isary')) && type.pointer) this.fail(at, `'${r.name}' is already a pointer; isptr/isary are for header types that hide one`);
    if (flags.includes('isptr') || flags.includes('isary')) {
      // isptr: the type is itself a pointer, so what it points at is counted in bytes (size=); isary: the type is an
      // array, copied whole (sizeof the type when emon knows it).
      type = { ...type, pointer: true, depth: 1, isConst: type.isConst || flags.includes('readonly'), opaque: flags.includes('isary') ? (type.opaque ?? null) : null };
    }
    const dims = r.dims;
    if (dims.length) type = { ...type, pointer: true, depth: (type.depth ?? 0) + 1 };
    if (!type.pointer) {
      if (type.base === 'void') this.fail(r.tok, `parameter '${r.name}' cannot be void`);
      if (a) this.fail(at, `attributes apply to pointer and array parameters only ('${r.name}' is a ${type.base})`);
      if (isAggregate(type)) {
        // By value (a struct, union, long double or sized header type): the slot carries the address of the caller's copy, copied in as [in] would be.
        return { name: r.name, type, direction: 'in', size: null, count: null, isString: false, byValue: true, dims: [], flags, loc: this.loc(r.tok) };
      }
      return { name: r.name, type, direction: null, size: null, count: null, isString: false, loc: this.loc(r.tok) };
    }
    if (!a || a.dirs.length === 0) {
      // edger8r passes an [isary] header array without a direction as it is, like [user_check].
      if (!a || !flags.includes('isary') || a.size || a.count || a.isString) {
        this.fail(r.tok, `pointer parameter '${r.name}' needs [in], [out], [in, out] or [user_check] (edger8r refuses a pointer without a direction)`);
      }
      a.dirs.push('user_check');
    }
    const dirs = new Set(a.dirs);
    if (dirs.size !== a.dirs.length) this.fail(at, `repeated direction attribute on '${r.name}'`);
    let direction: Direction;
    if (dirs.has('user_check')) {
      if (dirs.size > 1 || a.size || a.count || a.isString) this.fail(at, `'user_check' cannot be combined with other attributes on '${r.name}'`);
      direction = 'user_check';
    } else direction = dirs.has('in') && dirs.has('out') ? 'inout' : dirs.has('in') ? 'in' : 'out';
    if (type.isConst && (direction === 'out' || direction === 'inout')) this.fail(at, `'${r.name}' is const but marked [out] (edger8r: an [out] pointer must be writable)`);
    if (dims.length && (a.size || a.count)) this.fail(at, `array '${r.name}' has a fixed size; size= and count= do not apply`);
    if (a.isString) {
      const word = a.isWide ? 'wstring' : 'string';
      if (direction === 'out') this.fail(at, `'${word}' needs [in] on '${r.name}' (the length of an [out] string is unknown; use [out, size=n])`);
      if (a.size || a.count) this.fail(at, `'${word}' cannot be combined with size= or count= on '${r.name}' (its length is strlen+1)`);
      if (dims.length) this.fail(at, `'${word}' does not apply to the array '${r.name}'`);
      const okChar = a.isWide ? ['wchar_t'] : ['char', 'unsigned char', 'int8_t', 'uint8_t'];
      if (!okChar.includes(type.base) || (type.depth ?? 1) !== 1) this.fail(at, `'${word}' needs a ${a.isWide ? 'wchar_t' : 'char'} pointer, '${r.name}' is ${type.base}${'*'.repeat(type.depth ?? 1)}`);
    }
    const resolve = (s: RawSize | null): SizeExpr | null => {
      if (!s) return null;
      if (s.kind === 'const') return { kind: 'const', value: s.value };
      const index = all.findIndex((p) => p.name === s.name);
      if (index < 0) this.fail(s.tok, `size/count refers to unknown parameter '${s.name}'`);
      const p = all[index]!;
      const pScalar = p.type.foreign ? (p.type.opaque?.scalar ?? null) : (SCALARS[p.type.base] ?? (p.type.user?.kind === 'enum' ? SCALARS['int']! : null));
      if (p.type.pointer || p.dims.length || !pScalar || !['i32', 'i64'].includes(pScalar.wasm)) {
        this.fail(s.tok, `size/count parameter '${s.name}' must be an integer scalar`);
      }
      return { kind: 'param', name: s.name, index };
    };
    const size = resolve(a.size);
    const count = dims.length ? { kind: 'const' as const, value: dims.reduce((x, y) => x * y, 1) } : resolve(a.count);
    if (dims.length && dims.reduce((x, y) => x * y, 1) * (r.type.pointer ? 4 : r.type.user ? r.type.user.size : r.type.opaque ? r.type.opaque.size : (SCALARS[r.type.base]?.size ?? 1)) > MAX_BYTES) this.fail(r.tok, `array '${r.name}' is larger than a wasm32 memory can hold`);
    const elemVoid = type.base === 'void' && (type.depth ?? 1) === 1;
    const unsized = type.foreign && !type.opaque && (type.depth ?? 1) === 1;
    if (direction !== 'user_check' && count && !size && unsized && !flags.includes('isary')) {
      this.fail(at, `count= on '${r.name}' needs sizeof(${type.base}), which emon does not know (a type from an included header)`, 'E_EDL_TYPE', `use size= (bytes), or: ${unknownTypeHint(type.base)}`);
    }
    if (direction !== 'user_check' && !a.isString && !size && unsized) {
      const hint = flags.length ? `add size=N (bytes), e.g. [${a.dirs.join(', ')}, ${flags.join(', ')}, size=16]` : `add size=N (bytes), or: ${unknownTypeHint(type.base)}`;
      this.fail(at, `'${r.name}' of header type '${type.base}' needs size= for [${direction === 'inout' ? 'in, out' : direction}]: emon does not read C headers, so it cannot take sizeof(${type.base}) as edger8r does`, 'E_EDL_TYPE', hint);
    }
    if (direction !== 'user_check' && !a.isString && !size && !count && elemVoid) {
      this.fail(at, `void pointer '${r.name}' needs size= or count= for [${direction === 'inout' ? 'in, out' : direction}] (edger8r cannot know how many bytes it points at)`);
    }
    if (direction !== 'user_check' && type.user?.kind === 'struct') {
      const deep = type.user.members.some((m) => m.size || m.count);
      if (deep && (size || (count && !(count.kind === 'const' && count.value === 1)) || dims.length)) {
        this.fail(at, `'${r.name}' points at ${type.user.name}, whose members are deep-copied: pass one struct (no size=, count= or array)`, 'E_EDL_UNSUPPORTED');
      }
      if (deep && direction === 'out') {
        this.fail(at, `[out] cannot deep-copy ${type.user.name} for '${r.name}': the member sizes live in the struct the callee would fill`, 'E_EDL_UNSUPPORTED', 'use [in, out] so the caller sets the sizes');
      }
    }
    return { name: r.name, type, direction, size, count, isString: a.isString, isWide: a.isWide, dims, flags, loc: this.loc(r.tok) };
  }
}

function enumeratorsOf(iface: EdlInterface): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const t of iface.types ?? []) if (t.kind === 'enum') for (const v of t.values) out.push([v.name, v.value]);
  return out;
}

export interface ParseOptions {
  /** Resolves imports; without one, `from ... import` is refused. */
  readonly resolve?: ImportResolver;
  /** Import nesting depth of this file (set by the resolver). */
  readonly depth?: number;
  /** Sizes of header types given on the command line (`--type NAME=SIZE`, ./foreign-types.ts). */
  readonly types?: readonly OpaqueType[];
}

/** Parse EDL text; `file` is used in messages and, unless `name` is given, to name the interface. */
export function parseEdl(text: string, file: string, name?: string, options: ParseOptions = {}): EdlInterface {
  const base = name ?? file.replace(/\\/g, '/').split('/').pop()!.replace(/\.edl$/, '');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(base)) {
    throw new EmonError('E_EDL_NAME', `${file}: the EDL file name must be a C identifier (it names the generated files)`, {
      hint: 'rename the file, e.g. my_enclave.edl',
    });
  }
  const lexed = lex(text, file);
  const parser = new Parser(lexed.toks, file, options.resolve ?? null, options.depth ?? 0);
  for (const t of options.types ?? []) parser.declare(t, `${file}: --type`);
  for (const p of lexed.pragmas) parser.declare(parseTypeDecl(p.spec, 'comment', p.where), p.where);
  const iface = parser.parseFile(base);
  const seen = new Map<string, EdlFunction>();
  for (const f of [...iface.trusted, ...iface.untrusted]) {
    const prev = seen.get(f.name);
    if (prev) {
      throw new EmonError('E_EDL_SYNTAX', `${f.loc.file}:${f.loc.line}:${f.loc.col}: function '${f.name}' is already declared at ${prev.loc.file === f.loc.file ? '' : `${prev.loc.file}:`}line ${prev.loc.line} (edger8r: function names are unique across trusted and untrusted)`, {
        hint: 'give each trusted and untrusted function a distinct name',
      });
    }
    seen.set(f.name, f);
  }
  for (const f of iface.untrusted) {
    for (const n of f.allow) {
      if (!iface.trusted.some((t) => t.name === n)) {
        throw new EmonError('E_EDL_SYNTAX', `${f.loc.file}:${f.loc.line}:${f.loc.col}: allow(${n}) names no trusted function (in ${f.name}; edger8r: allow lists trusted functions of this interface)`, {
          hint: 'list only functions declared in (or imported into) the trusted section',
        });
      }
    }
  }
  return iface;
}
