/**
 * Just enough of the WebAssembly binary format (WebAssembly Core Specification 2.0, §5.5 "Modules") to carry a
 * SIGSTRUCT and an EDL inside an enclave's .wasm as custom sections, and to measure the module without them —
 * the way an SGX enclave image carries its SIGSTRUCT in metadata outside the measured pages.
 */
import { EmonError } from '../../errors.js';

export interface SectionSpan {
  readonly id: number;
  /** Custom sections only. */
  readonly name: string | null;
  readonly start: number;
  readonly end: number;
  readonly payloadStart: number;
}

function readLeb(bytes: Uint8Array, pos: number, what: string): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= bytes.length) throw new EmonError('E_BAD_WASM', `truncated ${what}`);
    const b = bytes[pos++]!;
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7;
  }
  throw new EmonError('E_BAD_WASM', `overlong LEB128 in ${what}`);
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Top-level sections of a module; throws E_BAD_WASM naming `file` on any malformed or truncated structure. */
export function sections(bytes: Uint8Array, file: string): SectionSpan[] {
  const bad = (why: string): never => {
    throw new EmonError('E_BAD_WASM', `${file}: not a valid WebAssembly module (${why})`, {
      hint: 'rebuild the enclave with `npm run build` or check the path',
    });
  };
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) bad('no \\0asm magic');
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) bad('unsupported version');
  const out: SectionSpan[] = [];
  let pos = 8;
  try {
    while (pos < bytes.length) {
      const start = pos;
      const id = bytes[pos++]!;
      const [size, p] = readLeb(bytes, pos, 'section size');
      const end = p + size;
      if (end > bytes.length) bad(`section ${id} runs past the end of the file`);
      let name: string | null = null;
      let payloadStart = p;
      if (id === 0) {
        const [nlen, q] = readLeb(bytes, p, 'custom section name');
        if (q + nlen > end) bad('custom section name runs past its section');
        name = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(q, q + nlen));
        payloadStart = q + nlen;
      }
      out.push({ id, name, start, end, payloadStart });
      pos = end;
    }
  } catch (e) {
    if (e instanceof EmonError && e.code === 'E_BAD_WASM' && !e.message.startsWith(file)) bad(e.message);
    throw e;
  }
  return out;
}

/** Payload of the last custom section named `name`, or null. */
export function readCustomSection(bytes: Uint8Array, name: string, file: string): Uint8Array | null {
  const found = sections(bytes, file).filter((s) => s.name === name);
  const last = found[found.length - 1];
  return last ? bytes.slice(last.payloadStart, last.end) : null;
}

/** The module without any custom section named `name` (a fresh copy). */
export function stripCustomSection(bytes: Uint8Array, name: string, file: string): Uint8Array {
  const drop = sections(bytes, file).filter((s) => s.name === name);
  if (drop.length === 0) return bytes;
  const parts: Uint8Array[] = [];
  let pos = 0;
  for (const s of drop) {
    parts.push(bytes.subarray(pos, s.start));
    pos = s.end;
  }
  parts.push(bytes.subarray(pos));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/** The module with a custom section appended (any earlier section of that name removed first). */
export function withCustomSection(bytes: Uint8Array, name: string, payload: Uint8Array, file: string): Uint8Array {
  const base = stripCustomSection(bytes, name, file);
  const nameBytes = new TextEncoder().encode(name);
  const body = [...leb(nameBytes.length), ...nameBytes];
  const header = [0, ...leb(body.length + payload.length), ...body];
  const out = new Uint8Array(base.length + header.length + payload.length);
  out.set(base, 0);
  out.set(header, base.length);
  out.set(payload, base.length + header.length);
  return out;
}
