/**
 * Parser for SGX's Enclave Definition Language (Intel SGX Developer Reference, "Enclave Definition Language
 * Syntax"): `enclave { trusted { ... }; untrusted { ... }; };` with the pointer attributes of sgx_edger8r.
 * Every error names file:line:col; constructs emon does not model are refused as "unsupported", never ignored.
 */
import { EmonError } from '../../errors.js';
import {
  SCALARS,
  type Direction,
  type EdlFunction,
  type EdlInterface,
  type EdlParam,
  type EdlType,
  type SizeExpr,
  type SourceLoc,
} from './types.js';

interface Token {
  readonly kind: 'ident' | 'number' | 'string' | 'punct' | 'eof';
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

const PUNCT = new Set(['{', '}', '(', ')', '[', ']', ';', ',', '*', '=', '.']);
const UNSUPPORTED_TOP = new Set(['include', 'from', 'import', 'struct', 'union', 'enum', 'typedef']);
const UNSUPPORTED_ATTR = new Set(['isptr', 'isary', 'readonly', 'sizefunc', 'propagate_errno', 'transition_using_threads']);

function lex(text: string, file: string): Token[] {
  const out: Token[] = [];
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
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail('unterminated comment');
      for (let j = i; j < end; j++) if (text[j] === '\n') (line++, (lineStart = j + 1));
      i = end + 2;
    } else if (c === '#') {
      fail('preprocessor directives are unsupported');
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
  return out;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly toks: Token[],
    private readonly file: string,
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
  fail(t: Token, msg: string, code = 'E_EDL_SYNTAX'): never {
    throw new EmonError(code, `${this.file}:${t.line}:${t.col}: ${msg}`, {
      hint: code === 'E_EDL_UNSUPPORTED' ? 'emon supports scalar and pointer parameters only; pass structs as byte buffers' : 'fix the EDL file at the given line and column',
    });
  }
  expect(text: string): Token {
    const t = this.next();
    if (t.text !== text || t.kind === 'string') this.fail(t, `expected '${text}', found '${t.text}'`);
    return t;
  }
  accept(text: string): boolean {
    if (this.peek().text === text && this.peek().kind !== 'string') {
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
  unsupportedCheck(t: Token): void {
    if (t.kind === 'ident' && UNSUPPORTED_TOP.has(t.text)) this.fail(t, `'${t.text}' is unsupported by emon's EDL`, 'E_EDL_UNSUPPORTED');
  }

  parseFile(name: string): EdlInterface {
    this.expect('enclave');
    this.expect('{');
    const trusted: EdlFunction[] = [];
    const untrusted: EdlFunction[] = [];
    while (!this.accept('}')) {
      const t = this.peek();
      this.unsupportedCheck(t);
      if (t.text === 'trusted') {
        this.next();
        this.parseSection(true, trusted);
      } else if (t.text === 'untrusted') {
        this.next();
        this.parseSection(false, untrusted);
      } else {
        this.fail(t, `expected 'trusted', 'untrusted' or '}', found '${t.text}'`);
      }
    }
    this.accept(';');
    const end = this.peek();
    if (end.kind !== 'eof') this.fail(end, `unexpected '${end.text}' after the enclave block`);
    return { name, file: this.file, trusted, untrusted };
  }

  parseSection(trusted: boolean, into: EdlFunction[]): void {
    this.expect('{');
    while (!this.accept('}')) {
      this.unsupportedCheck(this.peek());
      into.push(this.parseFunction(trusted, into.length));
    }
    this.expect(';');
  }

  parseType(): { type: EdlType; at: Token } {
    const at = this.peek();
    let isConst = false;
    while (this.peek().text === 'const') (this.next(), (isConst = true));
    this.unsupportedCheck(this.peek());
    const words: string[] = [this.ident('a type').text];
    if (words[0] === 'unsigned' || words[0] === 'long' || words[0] === 'signed') {
      while (['int', 'char', 'short', 'long'].includes(this.peek().text)) words.push(this.next().text);
    }
    let base = words.join(' ');
    if (base.startsWith('signed')) base = base.replace(/^signed ?/, '') || 'int';
    if (base === 'unsigned int') base = 'unsigned';
    if (base === 'long int' || base === 'long long int') base = base.replace(/ int$/, '');
    if (base === 'short int') base = 'short';
    if (!SCALARS[base]) this.fail(at, `unknown or unsupported type '${base}'`, 'E_EDL_UNSUPPORTED');
    let pointer = false;
    while (this.peek().text === 'const') (this.next(), (isConst = true));
    if (this.accept('*')) pointer = true;
    if (this.peek().text === '*') this.fail(this.peek(), 'pointers to pointers are unsupported', 'E_EDL_UNSUPPORTED');
    return { type: { base, pointer, isConst }, at };
  }

  parseFunction(trusted: boolean, index: number): EdlFunction {
    const start = this.peek();
    const isPublic = this.accept('public');
    if (isPublic && !trusted) this.fail(start, "'public' applies to trusted functions only");
    const { type: ret, at: retAt } = this.parseType();
    if (ret.pointer) this.fail(retAt, 'pointer return values are unsupported', 'E_EDL_UNSUPPORTED');
    const nameTok = this.ident('a function name');
    this.expect('(');
    const raw: Array<{ attrs: RawAttrs | null; type: EdlType; name: string; tok: Token }> = [];
    if (this.peek().text === 'void' && this.peek(1).text === ')') this.next();
    while (!this.accept(')')) {
      if (raw.length > 0) this.expect(',');
      const attrs = this.peek().text === '[' ? this.parseAttrs() : null;
      const { type } = this.parseType();
      const tok = this.ident('a parameter name');
      if (this.peek().text === '[') this.fail(this.peek(), 'array parameters are unsupported; use a pointer with size= or count=', 'E_EDL_UNSUPPORTED');
      raw.push({ attrs, type, name: tok.text, tok });
    }
    const allow: string[] = [];
    if (this.peek().text === 'allow') {
      const t = this.next();
      if (trusted) this.fail(t, "'allow' applies to untrusted functions only");
      this.expect('(');
      while (!this.accept(')')) {
        if (allow.length > 0) this.expect(',');
        allow.push(this.ident('a trusted function name').text);
      }
    }
    if (this.peek().text === 'transition_using_threads' || this.peek().text === 'propagate_errno') {
      this.fail(this.peek(), `'${this.peek().text}' is unsupported by emon's EDL`, 'E_EDL_UNSUPPORTED');
    }
    this.expect(';');
    const params = raw.map((r) => this.checkParam(r, raw));
    return { name: nameTok.text, index, isPublic, ret, params, allow, loc: this.loc(start) };
  }

  parseAttrs(): RawAttrs {
    const open = this.expect('[');
    const attrs: RawAttrs = { tok: open, dirs: [], size: null, count: null, isString: false };
    do {
      const t = this.ident('an attribute');
      if (UNSUPPORTED_ATTR.has(t.text)) this.fail(t, `attribute '${t.text}' is unsupported by emon's EDL`, 'E_EDL_UNSUPPORTED');
      if (t.text === 'in' || t.text === 'out' || t.text === 'user_check') attrs.dirs.push(t.text);
      else if (t.text === 'string' || t.text === 'wstring') {
        if (t.text === 'wstring') this.fail(t, "attribute 'wstring' is unsupported by emon's EDL", 'E_EDL_UNSUPPORTED');
        attrs.isString = true;
      } else if (t.text === 'size' || t.text === 'count') {
        this.expect('=');
        const v = this.next();
        let e: RawSize;
        if (v.kind === 'number') {
          const n = Number(v.text);
          if (!Number.isSafeInteger(n) || n < 0) this.fail(v, `bad ${t.text} '${v.text}'`);
          e = { kind: 'const', value: n, tok: v };
        } else if (v.kind === 'ident') e = { kind: 'param', name: v.text, tok: v };
        else this.fail(v, `expected a number or parameter name after '${t.text}='`);
        if (t.text === 'size') attrs.size = e;
        else attrs.count = e;
      } else this.fail(t, `unknown attribute '${t.text}'`);
    } while (this.accept(','));
    this.expect(']');
    return attrs;
  }

  checkParam(r: { attrs: RawAttrs | null; type: EdlType; name: string; tok: Token }, all: ReadonlyArray<{ type: EdlType; name: string }>): EdlParam {
    const a = r.attrs;
    const at = a?.tok ?? r.tok;
    if (all.filter((p) => p.name === r.name).length > 1) this.fail(r.tok, `parameter '${r.name}' is declared twice`);
    if (!r.type.pointer) {
      if (r.type.base === 'void') this.fail(r.tok, `parameter '${r.name}' cannot be void`);
      if (a) this.fail(at, `attributes apply to pointer parameters only ('${r.name}' is a ${r.type.base})`);
      return { name: r.name, type: r.type, direction: null, size: null, count: null, isString: false, loc: this.loc(r.tok) };
    }
    if (!a || a.dirs.length === 0) this.fail(r.tok, `pointer parameter '${r.name}' needs [in], [out], [in, out] or [user_check]`);
    const dirs = new Set(a.dirs);
    if (dirs.size !== a.dirs.length) this.fail(at, `repeated direction attribute on '${r.name}'`);
    let direction: Direction;
    if (dirs.has('user_check')) {
      if (dirs.size > 1 || a.size || a.count || a.isString) this.fail(at, `'user_check' cannot be combined with other attributes on '${r.name}'`);
      direction = 'user_check';
    } else direction = dirs.has('in') && dirs.has('out') ? 'inout' : dirs.has('in') ? 'in' : 'out';
    if (r.type.isConst && direction !== 'in' && direction !== 'user_check') this.fail(at, `'${r.name}' is const but marked [out]`);
    if (a.isString) {
      if (direction === 'out') this.fail(at, `'string' needs [in] on '${r.name}'`);
      if (a.size || a.count) this.fail(at, `'string' cannot be combined with size= or count= on '${r.name}'`);
      if (r.type.base !== 'char' && r.type.base !== 'unsigned char' && r.type.base !== 'int8_t' && r.type.base !== 'uint8_t') {
        this.fail(at, `'string' needs a char pointer, '${r.name}' is ${r.type.base}*`);
      }
    }
    const resolve = (s: RawSize | null): SizeExpr | null => {
      if (!s) return null;
      if (s.kind === 'const') return { kind: 'const', value: s.value };
      const index = all.findIndex((p) => p.name === s.name);
      if (index < 0) this.fail(s.tok, `size/count refers to unknown parameter '${s.name}'`);
      const p = all[index]!;
      if (p.type.pointer || !['i32', 'i64'].includes(SCALARS[p.type.base]!.wasm)) this.fail(s.tok, `size/count parameter '${s.name}' must be an integer scalar`);
      return { kind: 'param', name: s.name, index };
    };
    const size = resolve(a.size);
    const count = resolve(a.count);
    if (direction !== 'user_check' && !a.isString && !size && !count && r.type.base === 'void') {
      this.fail(at, `void pointer '${r.name}' needs size= or count=`);
    }
    return { name: r.name, type: r.type, direction, size, count, isString: a.isString, loc: this.loc(r.tok) };
  }
}

type RawSize = { kind: 'const'; value: number; tok: Token } | { kind: 'param'; name: string; tok: Token };
interface RawAttrs {
  tok: Token;
  dirs: string[];
  size: RawSize | null;
  count: RawSize | null;
  isString: boolean;
}

/** Parse EDL text; `file` is used in messages and, unless `name` is given, to name the interface. */
export function parseEdl(text: string, file: string, name?: string): EdlInterface {
  const base = name ?? file.replace(/\\/g, '/').split('/').pop()!.replace(/\.edl$/, '');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(base)) {
    throw new EmonError('E_EDL_NAME', `${file}: the EDL file name must be a C identifier (it names the generated files)`, {
      hint: 'rename the file, e.g. my_enclave.edl',
    });
  }
  const parser = new Parser(lex(text, file), file);
  const iface = parser.parseFile(base);
  const seen = new Map<string, EdlFunction>();
  for (const f of [...iface.trusted, ...iface.untrusted]) {
    const prev = seen.get(f.name);
    if (prev) {
      throw new EmonError('E_EDL_SYNTAX', `${file}:${f.loc.line}:${f.loc.col}: function '${f.name}' is already declared at line ${prev.loc.line}`, {
        hint: 'give each trusted and untrusted function a distinct name',
      });
    }
    seen.set(f.name, f);
  }
  for (const f of iface.untrusted) {
    for (const name of f.allow) {
      if (!iface.trusted.some((t) => t.name === name)) {
        throw new EmonError('E_EDL_SYNTAX', `${file}:${f.loc.line}:${f.loc.col}: allow(${name}) names no trusted function`, {
          hint: 'list only functions declared in the trusted section',
        });
      }
    }
  }
  return iface;
}
