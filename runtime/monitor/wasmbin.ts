/**
 * Just enough of the WebAssembly binary format (WebAssembly Core Specification 2.0, §5.5 "Modules") to read
 * and rewrite what the monitor needs before compiling a guest: the section list, custom sections (where the
 * `solo5.manifest` lives) and the memory section's limits (to impose the `--mem` cap). Every read is
 * bounds-checked and reports a typed error naming the file; nothing else of the module is interpreted.
 */
import { EmonError } from '../errors.js';

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
export const WASM_VERSION = [0x01, 0x00, 0x00, 0x00];
const SECTION_CUSTOM = 0;
const SECTION_TYPE = 1;
const SECTION_IMPORT = 2;
const SECTION_FUNCTION = 3;
const SECTION_MEMORY = 5;
const SECTION_EXPORT = 7;

export interface Section {
  readonly id: number;
  /** Offset of the section id byte. */
  readonly start: number;
  /** Offset of the payload (after the size field). */
  readonly payload: number;
  /** Offset one past the payload. */
  readonly end: number;
  /** For custom sections, the name. */
  readonly name?: string;
  /** For custom sections, where the content after the name starts. */
  readonly content?: number;
}

export interface Limits {
  readonly min: number;
  readonly max: number | undefined;
  readonly shared: boolean;
  readonly memory64: boolean;
}

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly what: string,
  ) {}

  fail(why: string): never {
    throw new EmonError('E_BAD_WASM', `${this.what} is not a valid WebAssembly module: ${why} at byte ${this.pos}`, {
      hint: 'rebuild the guest, or check that the file is a .wasm binary and not truncated',
    });
  }

  byte(): number {
    if (this.pos >= this.bytes.length) this.fail('unexpected end of file');
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) this.fail('LEB128 value too large');
        return result;
      }
      shift += 7;
    }
    return this.fail('LEB128 value too long');
  }

  u64(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    return this.fail('LEB128 value too long');
  }

  name(): string {
    const len = this.u32();
    if (this.pos + len > this.bytes.length) this.fail('name runs past the end');
    const s = new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
}

/** Lists the sections of a module, checking the header and that every section lies inside the file. */
export function readSections(bytes: Uint8Array, what: string): Section[] {
  const r = new Reader(bytes, 0, what);
  if (bytes.length < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new EmonError('E_BAD_WASM', `${what} is not a WebAssembly module (no \\0asm header)`, {
      hint: 'pass a compiled .wasm guest, e.g. build/guests/hello.wasm',
    });
  }
  if (WASM_VERSION.some((b, i) => bytes[4 + i] !== b)) {
    throw new EmonError('E_BAD_WASM', `${what} has an unsupported WebAssembly version`, {
      hint: 'emon runs version 1 (MVP and later proposals) binaries',
    });
  }
  r.pos = 8;
  const sections: Section[] = [];
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.u32();
    const payload = r.pos;
    const end = payload + size;
    if (end > bytes.length) r.fail(`section ${id} runs past the end of the file`);
    if (id === SECTION_CUSTOM) {
      const name = r.name();
      if (r.pos > end) r.fail('custom section name runs past its section');
      sections.push({ id, start, payload, end, name, content: r.pos });
    } else {
      sections.push({ id, start, payload, end });
    }
    r.pos = end;
  }
  return sections;
}

/** The contents of every custom section with this name, in order. */
export function customSections(bytes: Uint8Array, name: string, what: string): Uint8Array[] {
  return readSections(bytes, what)
    .filter((s) => s.id === SECTION_CUSTOM && s.name === name)
    .map((s) => bytes.subarray(s.content!, s.end));
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function encodeSection(id: number, payload: Uint8Array): Uint8Array {
  const head = [id, ...leb(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/** Returns a copy of the module with every custom section `name` replaced by one holding `content` (appended). */
export function withCustomSection(bytes: Uint8Array, name: string, content: Uint8Array, what: string): Uint8Array {
  const sections = readSections(bytes, what);
  const keep = sections.filter((s) => !(s.id === SECTION_CUSTOM && s.name === name));
  const nameBytes = new TextEncoder().encode(name);
  const payload = new Uint8Array([...leb(nameBytes.length), ...nameBytes, ...content]);
  const parts = [bytes.subarray(0, 8), ...keep.map((s) => bytes.subarray(s.start, s.end)), encodeSection(0, payload)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function readLimits(r: Reader): Limits {
  const flags = r.byte();
  if (flags > 7) r.fail(`unknown memory limits flags 0x${flags.toString(16)}`);
  const memory64 = (flags & 4) !== 0;
  const min = memory64 ? r.u64() : r.u32();
  const max = flags & 1 ? (memory64 ? r.u64() : r.u32()) : undefined;
  return { min, max, shared: (flags & 2) !== 0, memory64 };
}

export interface MemoryDecl {
  /** Memories the module defines itself (memory section). */
  readonly defined: Limits[];
  /** Number of memories the module imports. */
  readonly imported: number;
}

/** The module's memories: defined limits, and how many are imported. */
export function memoryDecl(bytes: Uint8Array, what: string): MemoryDecl {
  const defined: Limits[] = [];
  let imported = 0;
  for (const s of readSections(bytes, what)) {
    if (s.id === SECTION_MEMORY) {
      const r = new Reader(bytes, s.payload, what);
      const count = r.u32();
      for (let i = 0; i < count; i++) defined.push(readLimits(r));
    } else if (s.id === SECTION_IMPORT) {
      const r = new Reader(bytes, s.payload, what);
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        r.name();
        r.name();
        const kind = r.byte();
        if (kind === 0) r.u32();
        else if (kind === 1) {
          r.byte();
          readLimits(r);
        } else if (kind === 2) {
          imported++;
          readLimits(r);
        } else if (kind === 3) {
          r.byte();
          r.byte();
        } else if (kind === 4) {
          r.byte();
          r.u32();
        } else r.fail(`unknown import kind ${kind}`);
      }
    }
  }
  return { defined, imported };
}

/**
 * Returns a copy of the module whose (single, defined) memory has maximum `maxPages`: a guest's memory.grow
 * past the cap then returns -1 inside the guest, the way a Solo5 guest sees the end of its heap, and the
 * monitor never has to intercept growth. A declared maximum below the cap is kept.
 */
export function withMemoryMax(bytes: Uint8Array, maxPages: number, what: string): Uint8Array {
  const sections = readSections(bytes, what);
  const mem = sections.find((s) => s.id === SECTION_MEMORY);
  if (!mem) return bytes;
  const r = new Reader(bytes, mem.payload, what);
  const count = r.u32();
  if (count !== 1) r.fail(`expected one memory, found ${count}`);
  const limits = readLimits(r);
  if (limits.memory64 || limits.shared) {
    throw new EmonError('E_BAD_WASM', `${what} declares a ${limits.memory64 ? '64-bit' : 'shared'} memory`, {
      hint: 'Solo5 guests use one unshared 32-bit linear memory',
    });
  }
  const max = limits.max === undefined ? maxPages : Math.min(limits.max, maxPages);
  const payload = new Uint8Array([...leb(1), 0x01, ...leb(limits.min), ...leb(max), ...bytes.subarray(r.pos, mem.end)]);
  const replaced = encodeSection(SECTION_MEMORY, payload);
  const out = new Uint8Array(mem.start + replaced.length + (bytes.length - mem.end));
  out.set(bytes.subarray(0, mem.start), 0);
  out.set(replaced, mem.start);
  out.set(bytes.subarray(mem.end), mem.start + replaced.length);
  return out;
}

const VALTYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

export interface FunctionImport {
  readonly module: string;
  readonly name: string;
  /** "i32 i32 -> i32"; null when the type uses encodings beyond the MVP/SIMD/reference types (not checked). */
  readonly signature: string | null;
}

/** The type section as signatures ("i32 i32 -> i32"), or null when it uses rec groups / GC types. */
function readTypes(bytes: Uint8Array, sections: readonly Section[], what: string): (string | null)[] | null {
  const types: (string | null)[] = [];
  const typeSec = sections.find((s) => s.id === SECTION_TYPE);
  if (typeSec) {
    const r = new Reader(bytes, typeSec.payload, what);
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      if (r.byte() !== 0x60) return null; // rec groups / GC types: leave the check to instantiation
      const vec = () => {
        const n = r.u32();
        const out: string[] = [];
        let known = true;
        for (let j = 0; j < n; j++) {
          const t = VALTYPES[r.byte()];
          if (t === undefined) known = false;
          else out.push(t);
        }
        return known ? out : null;
      };
      const params = vec();
      const results = vec();
      types.push(params && results ? `${params.join(' ')} -> ${results.join(' ')}`.trim() : null);
    }
  }
  return types;
}

/** Every function import's module, name and type index, in import order (other import kinds are skipped). */
function importedFunctions(bytes: Uint8Array, sections: ReturnType<typeof readSections>, what: string): Array<{ module: string; name: string; type: number }> {
  const out: Array<{ module: string; name: string; type: number }> = [];
  const impSec = sections.find((s) => s.id === SECTION_IMPORT);
  if (!impSec) return out;
  const r = new Reader(bytes, impSec.payload, what);
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const module = r.name();
    const name = r.name();
    const kind = r.byte();
    if (kind === 0) out.push({ module, name, type: r.u32() });
    else if (kind === 1) {
      r.byte();
      readLimits(r);
    } else if (kind === 2) readLimits(r);
    else if (kind === 3) {
      r.byte();
      r.byte();
    } else if (kind === 4) {
      r.byte();
      r.u32();
    } else r.fail(`unknown import kind ${kind}`);
  }
  return out;
}

/** The function imports of a module with their signatures, for checking them against the hypercall ABI. */
export function functionImports(bytes: Uint8Array, what: string): FunctionImport[] {
  const sections = readSections(bytes, what);
  const types = readTypes(bytes, sections, what);
  if (types === null) return [];
  return importedFunctions(bytes, sections, what).map(({ module, name, type }) => ({ module, name, signature: types[type] ?? null }));
}

/**
 * The signature of every exported function ("i32 -> i32"; null when its type uses encodings beyond the
 * MVP/SIMD/reference types), so that the exports the monitor calls are checked at load.
 */
export function functionExports(bytes: Uint8Array, what: string): Map<string, string | null> {
  const sections = readSections(bytes, what);
  const out = new Map<string, string | null>();
  const types = readTypes(bytes, sections, what);
  // Function indexes count the imported functions first, then the module's own.
  const funcTypes: number[] = importedFunctions(bytes, sections, what).map((f) => f.type);
  const funcSec = sections.find((s) => s.id === SECTION_FUNCTION);
  if (funcSec) {
    const r = new Reader(bytes, funcSec.payload, what);
    for (let i = 0, n = r.u32(); i < n; i++) funcTypes.push(r.u32());
  }
  const expSec = sections.find((s) => s.id === SECTION_EXPORT);
  if (!expSec) return out;
  const r = new Reader(bytes, expSec.payload, what);
  for (let i = 0, n = r.u32(); i < n; i++) {
    const name = r.name();
    const kind = r.byte();
    const index = r.u32();
    if (kind !== 0) continue;
    const t = funcTypes[index];
    out.set(name, types === null || t === undefined || t < 0 ? null : (types[t] ?? null));
  }
  return out;
}

const SECTION_DATA = 11;
/** The "name" custom section's data-segment names (the extended name section's subsection 9, as wasm-ld writes it). */
const NAME_SUBSECTION_DATA = 9;

// A data segment's description is hw's type (runtime/hw/measurement.ts), so that hardware watching a guest
// depends on no monitor code.
export type { DataSegment } from '../hw/measurement.js';
import type { DataSegment } from '../hw/measurement.js';

/**
 * The data segments of a module (spec §5.5.12): flags 0 (active, memory 0), 1 (passive) and 2 (active, explicit
 * memory), with the offset when it is a constant `i32.const` expression, and the names from the "name" section.
 */
export function dataSegments(bytes: Uint8Array, what: string): DataSegment[] {
  const sections = readSections(bytes, what);
  const names = new Map<number, string>();
  for (const s of sections) {
    if (s.id !== SECTION_CUSTOM || s.name !== 'name') continue;
    const r = new Reader(bytes, s.content!, what);
    while (r.pos < s.end) {
      const id = r.byte();
      const size = r.u32();
      const end = r.pos + size;
      if (end > s.end) r.fail('name subsection runs past its section');
      if (id === NAME_SUBSECTION_DATA) {
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const idx = r.u32();
          names.set(idx, r.name());
        }
      }
      r.pos = end;
    }
  }
  const sec = sections.find((s) => s.id === SECTION_DATA);
  if (!sec) return [];
  const r = new Reader(bytes, sec.payload, what);
  const count = r.u32();
  const out: DataSegment[] = [];
  for (let index = 0; index < count; index++) {
    const flags = r.u32();
    if (flags > 2) r.fail(`data segment ${index} has unknown flags ${flags}`);
    let offset: number | null = null;
    const active = flags !== 1;
    if (active) {
      const memory = flags === 2 ? r.u32() : 0;
      const value = constExpr(r);
      offset = memory === 0 ? value : null;
    }
    const length = r.u32();
    if (r.pos + length > sec.end) r.fail(`data segment ${index} runs past its section`);
    const at = r.pos;
    r.pos += length;
    const name = names.get(index);
    out.push(name === undefined ? { index, offset, length, at, active } : { index, offset, length, at, active, name });
  }
  if (out.some((s) => !s.active)) {
    const placed = startFunctionInits(bytes, sections, what);
    return out.map((s) => (s.active || !placed.has(s.index) || placed.get(s.index)!.length !== s.length ? s : { ...s, offset: placed.get(s.index)!.dest }));
  }
  return out;
}

const SECTION_START = 8;
const SECTION_CODE = 10;

/**
 * The `memory.init` instructions of the start function with constant operands — `i32.const dest; i32.const 0;
 * i32.const n; memory.init seg 0`, the sequence wasm-ld's `__wasm_init_memory` emits per passive segment — as
 * segment -> {dest, n}. A byte scan of that one function body: a match needs the whole five-instruction sequence.
 */
function startFunctionInits(bytes: Uint8Array, sections: readonly Section[], what: string): Map<number, { dest: number; length: number }> {
  const found = new Map<number, { dest: number; length: number }>();
  const start = sections.find((s) => s.id === SECTION_START);
  const code = sections.find((s) => s.id === SECTION_CODE);
  if (!start || !code) return found;
  const index = new Reader(bytes, start.payload, what).u32() - importedFunctions(bytes, sections as Section[], what).length;
  if (index < 0) return found;
  const r = new Reader(bytes, code.payload, what);
  const count = r.u32();
  if (index >= count) return found;
  for (let i = 0; i < index; i++) r.pos += r.u32();
  const size = r.u32();
  const end = r.pos + size;
  if (end > code.end) r.fail('a function body runs past the code section');
  const sleb = (): number | null => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (r.pos >= end) return null;
      const b = r.bytes[r.pos++]!;
      if (shift < 32) v |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return shift < 32 && (b & 0x40) !== 0 ? v | (-1 << shift) : v;
      if (shift > 35) return null;
    }
  };
  const body = r.pos;
  for (let p = body; p < end; p++) {
    if (bytes[p] !== 0x41) continue;
    r.pos = p + 1;
    const dest = sleb();
    if (dest === null || bytes[r.pos] !== 0x41) continue;
    r.pos++;
    const src = sleb();
    if (src !== 0 || bytes[r.pos] !== 0x41) continue;
    r.pos++;
    const n = sleb();
    if (n === null || bytes[r.pos] !== 0xfc || bytes[r.pos + 1] !== 0x08) continue;
    r.pos += 2;
    const seg = sleb();
    if (seg === null || seg < 0 || bytes[r.pos] !== 0x00) continue;
    if (!found.has(seg)) found.set(seg, { dest: dest >>> 0, length: n >>> 0 });
  }
  return found;
}

/**
 * Reads a constant expression (spec §3.3.10: i32/i64.const, global.get, and the extended-const adds, subs and
 * muls) up to its `end`; returns its value when it is exactly `i32.const N` (as an unsigned address), else null.
 */
function constExpr(r: Reader): number | null {
  const sleb = (bits: number): number => {
    let v = 0;
    let shift = 0;
    let b: number;
    do {
      b = r.byte();
      if (shift < 32) v |= (b & 0x7f) << shift;
      shift += 7;
      if (shift > bits + 7) r.fail('LEB128 value too long');
    } while ((b & 0x80) !== 0);
    if (shift < 32 && (b & 0x40) !== 0) v |= -1 << shift;
    return v;
  };
  let ops = 0;
  let single: number | null = null;
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return ops === 1 ? single : null;
    ops++;
    if (op === 0x41) single = sleb(32) >>> 0;
    else if (op === 0x42) {
      sleb(64);
      single = null;
    } else if (op === 0x23) {
      r.u32();
      single = null;
    } else if ((op >= 0x6a && op <= 0x6c) || (op >= 0x7c && op <= 0x7e)) single = null;
    else r.fail(`unsupported opcode 0x${op.toString(16)} in a constant expression`);
  }
}
