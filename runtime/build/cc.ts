/**
 * The C unikernel build: one clang line that compiles and links an application against emon's Solo5 bindings
 * (guest/c/bindings, the counterpart of Solo5's bindings library) and either Debian's wasi-libc with WASI
 * served inside the guest (guest/c/libc) or the small freestanding set (guest/c/nolibc). `emon cc` and the
 * example build (steps/20-guests.ts) both come here; other C builds (the TrustZone TAs, enclave stubs) can too.
 *
 * Both builds get real TLS: clang 14 keeps `__thread` only with -matomics -mbulk-memory, and wasm-ld 14 lays
 * TLS out only for --shared-memory, so the module is linked that way and the memory's shared flag (and the
 * maximum it forced) is cleared afterwards; atomic instructions are valid on unshared memory (WebAssembly
 * threads proposal), and emon guests have one unshared memory. Debian's wasi-libc is built without those
 * features, so wasm-ld would refuse to link it into a shared-memory module ("--shared-memory is disallowed by
 * errno.o"): libc builds add --no-check-features. What that check guards against, a library whose
 * thread-locals are plain globals shared by all threads, is harmless in a unikernel with one thread of
 * control; the one such variable a program can name, errno, is declared as the plain global it is by
 * guest/c/libc/include/__errno.h, found before the sysroot's header.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../errors.js';
import { embedManifest } from '../monitor/manifest.js';
import { projectRoot } from '../paths.js';

export const cDir = path.join(projectRoot, 'guest', 'c');
/** Where Debian's wasi-libc package puts the library (its headers are in /usr/include/wasm32-wasi). */
export const WASI_LIBC_DIR = '/usr/lib/wasm32-wasi';

export interface CcOptions {
  readonly sources: readonly string[];
  readonly output: string;
  /** Link wasi-libc (default) or the freestanding set. */
  readonly libc: boolean;
  /** Further clang arguments (-D, -I, -O, -W...). */
  readonly extra?: readonly string[];
}

function cFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => path.join(dir, f));
}

/** The bindings' sources for a libc or a freestanding build. */
export function bindingSources(libc: boolean): string[] {
  return [...cFiles(path.join(cDir, 'bindings')), ...cFiles(path.join(cDir, libc ? 'libc' : 'nolibc'))];
}

/** The whole clang command line (without the program name). */
export function ccArgs(o: CcOptions): string[] {
  const common = ['-O2', '-fstack-protector-strong', '-I', cDir, '-Wl,--no-entry'];
  const tls = ['-matomics', '-mbulk-memory', '-ftls-model=local-exec', '-Wl,--shared-memory', '-Wl,--max-memory=4294967296'];
  const mode = o.libc
    ? ['--target=wasm32-wasi', '-nostartfiles', ...tls, '-Wl,--no-check-features', '-isystem', path.join(cDir, 'libc', 'include')]
    : ['--target=wasm32', '-ffreestanding', '-nostdlib', ...tls, '-isystem', path.join(cDir, 'nolibc', 'include')];
  return [...mode, ...common, ...(o.extra ?? []), '-o', o.output, ...o.sources, ...bindingSources(o.libc)];
}

function leb(r: { b: Uint8Array; pos: number }): number {
  let v = 0;
  let shift = 0;
  for (;;) {
    const x = r.b[r.pos++];
    if (x === undefined) throw new EmonError('E_BAD_WASM', 'truncated module after linking');
    v += (x & 0x7f) * 2 ** shift;
    shift += 7;
    if ((x & 0x80) === 0) return v;
  }
}

function encLeb(n: number): number[] {
  const out: number[] = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) x |= 0x80;
    out.push(x);
  } while (n > 0);
  return out;
}

/** The module with its one defined memory made unshared and without a maximum (emon caps it with --mem). */
export function unshareMemory(bytes: Uint8Array): Uint8Array {
  const r = { b: bytes, pos: 8 };
  while (r.pos < bytes.length) {
    const start = r.pos;
    const id = bytes[r.pos++]!;
    const size = leb(r);
    const payload = r.pos;
    if (id === 5) {
      const count = leb(r);
      const flags = bytes[r.pos++]!;
      if (count !== 1 || (flags & 2) === 0) return bytes;
      const min = leb(r);
      if (flags & 1) leb(r);
      const section = [...encLeb(1), 0x00, ...encLeb(min), ...bytes.subarray(r.pos, payload + size)];
      const replaced = [5, ...encLeb(section.length), ...section];
      const out = new Uint8Array(start + replaced.length + bytes.length - (payload + size));
      out.set(bytes.subarray(0, start), 0);
      out.set(replaced, start);
      out.set(bytes.subarray(payload + size), start + replaced.length);
      return out;
    }
    r.pos = payload + size;
  }
  return bytes;
}

export function haveClang(): boolean {
  for (const tool of ['clang', 'wasm-ld']) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      return false;
    }
  }
  return true;
}

export function haveWasiLibc(): boolean {
  return existsSync(path.join(WASI_LIBC_DIR, 'libc.a'));
}

/** Compiles and links; embeds manifest.json when given. Throws EmonError with clang's messages. */
export function cc(o: CcOptions & { manifest?: string }): void {
  if (!haveClang()) {
    throw new EmonError('E_BUILD', 'clang and wasm-ld are needed to build C unikernels', { hint: 'apt-get install clang lld' });
  }
  if (o.libc && !haveWasiLibc()) {
    throw new EmonError('E_BUILD', `wasi-libc is not installed (${WASI_LIBC_DIR}/libc.a)`, {
      hint: 'apt-get install wasi-libc libclang-rt-dev-wasm32, or build without libc: emon cc --no-libc',
    });
  }
  try {
    execFileSync('clang', ccArgs(o), { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new EmonError('E_BUILD', `clang failed building ${o.output}:\n${String(err.stderr ?? err.message).trimEnd()}`, {
      hint: 'fix the error above; `emon cc --dry-run ...` prints the clang command line',
    });
  }
  let bytes: Uint8Array = readFileSync(o.output);
  bytes = unshareMemory(bytes);
  if (o.manifest !== undefined) bytes = embedManifest(bytes, o.manifest, o.output);
  writeFileSync(o.output, bytes);
}
