/**
 * `emon edl gen`: parse one EDL file and write its guest stubs (AssemblyScript and C), enclave bridge and a
 * JSON description of the interface into an output folder (by convention named `generated/`).
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadEdl, type EdlLoadOptions } from './imports.js';
import path from 'node:path';
import { EmonError } from '../../errors.js';
import { generateEnclaveAs } from './gen-enclave-as.js';
import { generateGuestAs } from './gen-guest-as.js';
import { generateGuestC } from './gen-guest-c.js';
import type { EdlInterface } from './types.js';

/** Parse an EDL file with its imports (./imports.ts); `searchPath` is edger8r's --search-path. */
export function readEdl(file: string, options: EdlLoadOptions = {}): EdlInterface {
  try {
    // A device or FIFO would be read until memory runs out, or forever.
    if (!statSync(file).isFile()) throw new Error('not a regular file');
  } catch (e) {
    throw new EmonError('E_EDL_READ', `cannot read EDL file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'check the path' });
  }
  return loadEdl(file, options);
}

/** Writes NAME_u.ts, NAME_u.h, NAME_t.ts into `outDir`; returns the paths written. */
export function generateAll(iface: EdlInterface, outDir: string): string[] {
  const files: Array<[string, string]> = [
    [`${iface.name}_u.ts`, generateGuestAs(iface)],
    [`${iface.name}_u.h`, generateGuestC(iface)],
    [`${iface.name}_t.ts`, generateEnclaveAs(iface)],
  ];
  try {
    mkdirSync(outDir, { recursive: true });
    return files.map(([name, text]) => {
      const p = path.join(outDir, name);
      // Unchanged outputs keep their mtime, so incremental builds downstream stay incremental.
      if (!existsSync(p) || readFileSync(p, 'utf8') !== text) writeFileSync(p, text);
      return p;
    });
  } catch (e) {
    throw new EmonError('E_WRITE', `cannot write the stubs of ${iface.name}.edl into ${outDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: '--out names a folder (created if missing); pick one that is not a file',
    });
  }
}
