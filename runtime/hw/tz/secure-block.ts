/**
 * A block device assigned to the TrustZone secure world at start: `--secure:NAME=block:PATH[,sector=BYTES]`.
 * It models a storage controller that the TrustZone Protection Controller (Arm BP147 TZPC TRM, "decode protection")
 * puts on the secure side of the bus, as boards do for an eMMC's replay-protected partition: from then on only
 * the secure world reaches it. Its blocks follow Solo5's BLOCK_BASIC rules (tenders/hvt/hvt_module_blk.c): a
 * power-of-two block size of at least 512 (default 512), an image of whole blocks, I/O of whole blocks inside the
 * image. TAs read and write it through TEE_SecureBlockInfo/Read/Write (enclaves/tasdk); the normal world's
 * block_acquire/read/write on it are refused and traced by runtime/enclave/teec.ts.
 */
import fs from 'node:fs';
import { EmonError } from '../../errors.js';
import { TEE_ERROR_BAD_PARAMETERS, TEE_ERROR_GENERIC, TEE_SUCCESS } from './gp.js';

export const SECURE_BLOCK_PREFIX = 'block:';
export const SECURE_BLOCK_DEFAULT_SECTOR = 512;

export interface SecureBlock {
  readonly name: string;
  readonly capacity: number;
  readonly blockSize: number;
  /**
   * Whole-block I/O between the device at byte `offset` and `mem[at, at + len)`: TEE_SUCCESS,
   * TEE_ERROR_BAD_PARAMETERS (unaligned, empty, past the end) or TEE_ERROR_GENERIC (the host's I/O failed).
   */
  io(write: boolean, offset: number, mem: Uint8Array, at: number, len: number): number;
  close(): void;
}

/** Whether a `--secure:NAME=VALUE` value names a block device rather than a stream device (a keypad's file). */
export const isSecureBlock = (value: string): boolean => value.startsWith(SECURE_BLOCK_PREFIX);

/** Opens the block device of `--secure:NAME=block:PATH[,sector=BYTES]`; an E_ATTACH EmonError naming the fault. */
export function openSecureBlock(name: string, value: string): SecureBlock {
  const where = `--secure:${name}=${value}`;
  const [file, ...opts] = value.slice(SECURE_BLOCK_PREFIX.length).split(',');
  if (!file) throw new EmonError('E_ATTACH', `${where}: no image path`, { hint: `write --secure:${name}=block:PATH[,sector=BYTES]` });
  let blockSize = SECURE_BLOCK_DEFAULT_SECTOR;
  for (const opt of opts) {
    const m = /^sector=(\d+)$/.exec(opt);
    const n = m ? Number(m[1]) : NaN;
    if (!m || n < 512 || (n & (n - 1)) !== 0) {
      throw new EmonError('E_ATTACH', `${where}: "${opt}" is not an option of a secure block device`, { hint: 'the only option is sector=BYTES, a power of two of at least 512' });
    }
    blockSize = n;
  }
  let fd: number;
  let capacity: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    capacity = st.size;
    fd = fs.openSync(file, 'r+');
  } catch (e) {
    throw new EmonError('E_ATTACH', `${where}: cannot open the image: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: 'give an existing regular file, e.g. made with `truncate -s 64K disk.img`' });
  }
  if (capacity === 0 || capacity % blockSize !== 0) {
    fs.closeSync(fd);
    throw new EmonError('E_ATTACH', `${where}: the image is ${capacity} bytes, not a whole non-zero number of ${blockSize}-byte blocks`, { hint: 'resize it (truncate -s) or give sector=' });
  }
  let open = true;
  return {
    name,
    capacity,
    blockSize,
    io(write, offset, mem, at, len) {
      if (!open || len === 0 || offset < 0 || offset % blockSize !== 0 || len % blockSize !== 0 || offset + len > capacity || at + len > mem.length) {
        return TEE_ERROR_BAD_PARAMETERS;
      }
      try {
        let done = 0;
        while (done < len) {
          const n = write ? fs.writeSync(fd, mem, at + done, len - done, offset + done) : fs.readSync(fd, mem, at + done, len - done, offset + done);
          if (n <= 0) return TEE_ERROR_GENERIC;
          done += n;
        }
        return TEE_SUCCESS;
      } catch {
        return TEE_ERROR_GENERIC;
      }
    },
    close() {
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}
