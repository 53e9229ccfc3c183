/**
 * Where emon's own files are, whether this module runs compiled (dist/runtime/...) or as TypeScript source
 * under vitest (runtime/...). Worker threads always start from the compiled JavaScript in dist/.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const compiled = path.basename(path.dirname(here)) === 'dist';

/** The repository (package) root. */
export const projectRoot = compiled ? path.resolve(here, '..', '..') : path.resolve(here, '..');

/** Build outputs of AssemblyScript/C guests and enclaves (not committed). */
export const buildDir = path.join(projectRoot, 'build');

/** Compiled JavaScript of a runtime module, e.g. distModule('monitor/worker.js'). */
export function distModule(relativeToRuntime: string): string {
  return path.join(projectRoot, 'dist', 'runtime', relativeToRuntime);
}
