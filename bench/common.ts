/**
 * Pieces the transition suites share (bench/suites/transitions.ts, tz.ts): the floor for copy-bound cases and the
 * check that the build's outputs a suite needs are there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { EmonError } from '../runtime/errors.js';
import { projectRoot } from '../runtime/paths.js';

/** A loop calling the host's copy2x(n) import: the floor for a call that copies a buffer in and out. */
export const FLOOR_COPY_WAT = `(module
  (import "bench" "copy2x" (func $copy (param i32) (result i32)))
  (func (export "loop") (param $n i32) (result i32)
    (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (call $copy (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc)))`;

/** `file`, or a named error saying the build has not made it yet. */
export function need(file: string): string {
  if (!existsSync(file)) throw new EmonError('E_BENCH', `${path.relative(projectRoot, file)} is missing`, { hint: 'run `npm run build` first' });
  return file;
}
