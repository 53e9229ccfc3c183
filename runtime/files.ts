/**
 * The one way the monitor and its tools read an input file: open it without blocking, check on the open
 * descriptor that it is a regular file, then read it. A FIFO would block the open (or the read) forever and a
 * device such as /dev/zero would be read until memory runs out; checking the descriptor rather than the path
 * leaves no window for the path to be swapped between the check and the read (POSIX open(2) O_NONBLOCK, fstat(2)).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** An error shaped like Node's fs errors, so callers can print `code` as they do for ENOENT. */
function notRegular(file: string, code: string, what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${file} ${what}`), { code, path: file, reason: what });
}

/**
 * What went wrong reading a file, in a few words for a message that already names the file: the helper's own
 * refusals say what the file is ("is not a regular file (...)", "is 2000000 bytes, over the 1048576-byte
 * limit"), Node's errors give their code (ENOENT, EACCES).
 */
export function fileErrorReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { reason?: string };
  return err.reason ?? err.code ?? err.message ?? String(e);
}

/**
 * Reads the regular file `file` (following symlinks); throws an fs-style error with `code` otherwise. With
 * `maxBytes`, a larger file is refused (code EFBIG) before any of it is read.
 */
export function readRegularFile(file: string, encoding?: undefined, maxBytes?: number): Buffer;
export function readRegularFile(file: string, encoding: 'utf8', maxBytes?: number): string;
export function readRegularFile(file: string, encoding?: 'utf8', maxBytes?: number): Buffer | string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw notRegular(file, 'EISDIR', 'is a directory');
    if (!st.isFile()) throw notRegular(file, 'not a regular file', 'is not a regular file (a FIFO, socket or device)');
    if (maxBytes !== undefined && st.size > maxBytes) throw notRegular(file, 'EFBIG', `is ${st.size} bytes, over the ${maxBytes}-byte limit`);
    return encoding === undefined ? readFileSync(fd) : readFileSync(fd, encoding);
  } finally {
    closeSync(fd);
  }
}
