/**
 * Loading a guest the way Solo5's tender loads an ELF unikernel (tenders/common/elf.c): read the binary,
 * check it is what it claims, read its manifest, impose the memory cap, and compile it once. The returned
 * WebAssembly.Module is reused for every boot, so booting never compiles.
 */
import { readRegularFile } from '../files.js';
import path from 'node:path';
import { EmonError } from '../errors.js';
import { readManifest, type Manifest } from './manifest.js';
import { HYPERCALL_SIGNATURES, SOLO5_IMPORT_MODULE, type HypercallName } from './abi.js';
import { createHash } from 'node:crypto';
import type { GuestMeasurement } from './extension.js';
import { dataSegments, functionExports, functionImports, memoryDecl, withMemoryMax } from './wasmbin.js';

export const WASM_PAGE = 65536;
/** WASI's import module; C guests built with `emon cc` serve it inside the guest (guest/c/libc). */
const WASI_MODULE = 'wasi_snapshot_preview1';
/** The WASI functions guest/c/libc/wasi.c serves inside the guest. */
const WASI_SERVED_IN_GUEST: readonly string[] = ['fd_write', 'fd_read', 'fd_close', 'fd_seek', 'fd_fdstat_get', 'fd_prestat_get', 'fd_prestat_dir_name', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'clock_time_get', 'clock_res_get', 'poll_oneoff', 'sched_yield', 'random_get', 'proc_exit'];
export const DEFAULT_MEM_MIB = 64;

export interface LoadedGuest {
  /** Guest name used in messages: the file name without .wasm, unless given. */
  readonly name: string;
  readonly file: string;
  readonly module: WebAssembly.Module;
  /** The binary as compiled (with the capped memory limits), e.g. to send to a worker. */
  readonly bytes: Uint8Array;
  readonly manifest: Manifest;
  readonly memCapPages: number;
  /** When the manifest asks for runtime integrity monitoring: the module's measurement (measureGuest). */
  readonly measurement?: GuestMeasurement;
}

/**
 * The measurement of a guest module as a secure world is given it: SHA-256 of the file's bytes (what
 * `sha256sum guest.wasm` prints, before emon caps its memory or rewrites it) and its data segments.
 */
export function measureGuest(bytes: Uint8Array, what: string): GuestMeasurement {
  const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  return { sha256: sha(bytes), dataSegments: dataSegments(bytes, what).map((s) => ({ ...s, sha256: sha(bytes.subarray(s.at, s.at + s.length)) })) };
}

export function guestNameOf(file: string): string {
  return path.basename(file).replace(/\.wasm$/, '');
}

export function readGuestFile(file: string): Uint8Array {
  try {
    return readRegularFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EmonError('E_NO_FILE', `cannot read guest ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`, {
      hint: 'check the path; `npm run build` puts the example guests in build/guests/',
    });
  }
}

/** Validates the binary and imposes the cap; `what` names it in errors. */
export function prepareGuestBytes(bytes: Uint8Array, what: string, memMiB: number): { bytes: Uint8Array; manifest: Manifest; memCapPages: number } {
  if (!Number.isInteger(memMiB) || memMiB < 1 || memMiB > 4095) {
    throw new EmonError('E_USAGE', `--mem=${memMiB} for ${what} is not a whole number of MiB between 1 and 4095`);
  }
  const capPages = memMiB * (1024 * 1024 / WASM_PAGE);
  const manifest = readManifest(bytes, what);
  const mem = memoryDecl(bytes, what);
  if (mem.imported > 0) {
    throw new EmonError('E_BAD_WASM', `${what} imports its memory; emon guests define and export it`, {
      hint: 'build without --import-memory (clang) or --importMemory (asc)',
    });
  }
  if (mem.defined.length !== 1) {
    throw new EmonError('E_BAD_WASM', `${what} defines ${mem.defined.length} memories; a Solo5 guest has exactly one`, {
      hint: 'export one linear memory named "memory"',
    });
  }
  checkHypercallImports(bytes, what);
  checkEntryExport(bytes, what);
  const min = mem.defined[0]!.min;
  if (min > capPages) {
    throw new EmonError('E_MEM_CAP', `${what} needs ${(min * WASM_PAGE) / 2 ** 20} MiB of memory at start but --mem is ${memMiB} MiB`, {
      hint: `raise --mem to at least ${Math.ceil((min * WASM_PAGE) / 2 ** 20) + 1}`,
    });
  }
  return { bytes: withMemoryMax(bytes, capPages, what), manifest, memCapPages: capPages };
}

export function compileGuest(bytes: Uint8Array, what: string): WebAssembly.Module {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as BufferSource);
  } catch (e) {
    throw new EmonError('E_BAD_WASM', `${what} does not compile: ${(e as Error).message}`, {
      hint: 'rebuild the guest; `emon inspect` shows what emon sees in it',
    });
  }
  const exports = WebAssembly.Module.exports(module);
  if (!exports.some((e) => e.name === 'solo5_app_main' && e.kind === 'function')) {
    throw new EmonError('E_BAD_WASM', `${what} does not export the function solo5_app_main`, {
      hint: 'export `solo5_app_main(start_info: i32): i32` (C: -Wl,--export=solo5_app_main)',
    });
  }
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) {
    throw new EmonError('E_BAD_WASM', `${what} does not export its memory as "memory"`, {
      hint: 'C: -Wl,--export=memory; AssemblyScript exports it by default',
    });
  }
  return module;
}

/** Reads, validates, caps and compiles a guest file. */
export function loadGuest(file: string, options: { memMiB?: number; name?: string } = {}): LoadedGuest {
  const raw = readGuestFile(file);
  const name = options.name ?? guestNameOf(file);
  const what = `guest ${name} (${file})`;
  const prepared = prepareGuestBytes(raw, what, options.memMiB ?? DEFAULT_MEM_MIB);
  const measured = prepared.manifest.raw['integrity'] === undefined ? {} : { measurement: measureGuest(raw, what) };
  return { name, file, module: compileGuest(prepared.bytes, what), ...prepared, ...measured };
}

/**
 * A JS import accepts any Wasm signature, so a guest built against a wrong header would fail only when the
 * call happens; checking the "solo5" imports against the ABI at load turns that into a clear error.
 */
function checkHypercallImports(bytes: Uint8Array, what: string): void {
  for (const imp of functionImports(bytes, what)) {
    if (imp.module === WASI_MODULE) {
      // C guests built with `emon cc` get WASI inside the guest (guest/c/libc, over Solo5 calls); what is left
      // as an import is either a guest built otherwise or something a unikernel does not have (files, sockets).
      const served = WASI_SERVED_IN_GUEST.includes(imp.name);
      throw new EmonError('E_IMPORT', `${what} imports function "${WASI_MODULE}"."${imp.name}", which emon does not provide`, {
        hint: served
          ? `build C guests with \`emon cc\`, whose bindings serve ${imp.name} inside the guest (docs/c-guests.md)`
          : `a unikernel has no ${/^(path_|fd_)/.test(imp.name) ? 'file system (use a block device)' : /^sock_/.test(imp.name) ? 'sockets (use a net device)' : `WASI ${imp.name}`}; \`emon cc\` serves the rest of WASI inside the guest (docs/c-guests.md)`,
      });
    }
    if (imp.module !== SOLO5_IMPORT_MODULE) continue;
    const want = HYPERCALL_SIGNATURES[imp.name as HypercallName] as string | undefined;
    if (want === undefined) {
      throw new EmonError('E_IMPORT', `${what} imports "solo5"."${imp.name}", which emon does not provide`, {
        hint: `the solo5 module provides: ${Object.keys(HYPERCALL_SIGNATURES).join(', ')}`,
      });
    }
    if (imp.signature !== null && imp.signature !== want) {
      throw new EmonError('E_IMPORT', `${what} imports "solo5"."${imp.name}" as (${imp.signature}), but the hypercall is (${want})`, {
        hint: 'rebuild the guest against guest/c/solo5.h or guest/as/solo5.ts',
      });
    }
  }
}

/** The type the monitor calls solo5_app_main with: (start_info: i32) -> status i32. */
export const ENTRY_SIGNATURE = 'i32 -> i32';

/**
 * The entry point is called from JS, which converts whatever it returns: an i64 result or parameter would
 * throw inside the monitor, an f64 would become a status, multi-value or externref 0. Its type is checked
 * at load instead, so a wrong one is refused with both types named.
 */
function checkEntryExport(bytes: Uint8Array, what: string): void {
  const sig = functionExports(bytes, what).get('solo5_app_main');
  if (sig === undefined) return; // compileGuest says it is missing
  if (sig !== ENTRY_SIGNATURE) {
    throw new EmonError('E_BAD_WASM', `${what} exports solo5_app_main as (${sig ?? 'a type emon cannot read'}), but the monitor calls it as (${ENTRY_SIGNATURE})`, {
      hint: 'declare it as `int solo5_app_main(const struct solo5_start_info *)` (C) or `solo5_app_main(startInfo: usize): i32` (AssemblyScript)',
    });
  }
}
