/**
 * Resolution of EDL imports (`from "file.edl" import *;`, `from "file.edl" import f, g;`) as sgx_edger8r
 * does it (Intel SGX Developer Reference, "Importing EDL Libraries" and edger8r's `--search-path`): the
 * importing file's folder first, then each search path in order, then emon's own standard EDLs
 * (enclaves/sdk/edl: sgx_tstdc.edl, sgx_tswitchless.edl, sgx_pthread.edl, ...). A file reached twice is parsed
 * once; a file that imports itself, directly or not, is an error naming the chain.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { readRegularFile } from '../../files.js';
import { projectRoot } from '../../paths.js';
import { parseEdl, type ImportResolver } from './parser.js';
import type { EdlInterface, OpaqueType, SourceLoc } from './types.js';

/** emon's versions of the SDK's standard EDLs. */
export const STD_EDL_DIR = path.join(projectRoot, 'enclaves', 'sdk', 'edl');

export interface EdlLoadOptions {
  /** Folders searched after the importing file's own (edger8r's --search-path, repeatable). */
  readonly searchPath?: readonly string[];
  /** Sizes of header types (`--type NAME=SIZE`, ./foreign-types.ts), known to every file parsed. */
  readonly types?: readonly OpaqueType[];
}

function readText(file: string, why: string): string {
  try {
    return readRegularFile(file, 'utf8');
  } catch (e) {
    throw new EmonError('E_EDL_READ', `cannot read ${why} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'check the path' });
  }
}

/** Parse an EDL file and everything it imports. */
export function loadEdl(file: string, options: EdlLoadOptions = {}): EdlInterface {
  const searchPath = options.searchPath ?? [];
  const cache = new Map<string, EdlInterface>();
  const stack: string[] = [];

  const parseFile = (f: string, display: string, name: string | undefined, depth: number, at: SourceLoc | null): EdlInterface => {
    let real: string;
    try {
      real = realpathSync(f);
    } catch {
      real = path.resolve(f);
    }
    const hit = cache.get(real);
    if (hit) return hit;
    const k = stack.indexOf(real);
    if (k >= 0) {
      const chain = [...stack.slice(k), real].map((x) => path.basename(x)).join(' -> ');
      const where = at ? `${at.file}:${at.line}:${at.col}` : display;
      throw new EmonError('E_EDL_IMPORT_CYCLE', `${where}: import cycle ${chain}`, { hint: 'an EDL may not import itself, directly or through others; move the shared functions into a third file' });
    }
    stack.push(real);
    try {
      const text = readText(f, 'EDL file');
      // Imported files are libraries: their own name need not be an identifier (only the top file names outputs).
      const iface = parseEdl(text, display, name ?? (depth > 0 ? 'imported' : undefined), { resolve, depth, types: options.types ?? [] });
      cache.set(real, iface);
      return iface;
    } finally {
      stack.pop();
    }
  };

  const resolve: ImportResolver = (spec: string, fromFile: string, at: SourceLoc, depth: number) => {
    const dirs = [path.dirname(fileOf.get(fromFile) ?? fromFile), ...searchPath, STD_EDL_DIR];
    for (const d of dirs) {
      const candidate = path.resolve(d, spec);
      if (existsSync(candidate)) {
        const display = path.relative(process.cwd(), candidate) || candidate;
        fileOf.set(display, candidate);
        return parseFile(candidate, display, undefined, depth, at);
      }
    }
    throw new EmonError('E_EDL_IMPORT', `${at.file}:${at.line}:${at.col}: cannot find "${spec}" (searched ${dirs.map((d) => path.relative(process.cwd(), d) || '.').join(', ')})`, {
      hint: 'add its folder with --search-path DIR',
    });
  };
  /** Display names (relative paths used in messages) back to absolute files, to search next to the importer. */
  const fileOf = new Map<string, string>([[file, path.resolve(file)]]);
  return parseFile(file, file, undefined, 0, null);
}
