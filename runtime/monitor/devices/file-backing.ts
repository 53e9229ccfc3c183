/**
 * The untrusted side of a secure block device: the image file the monitor owns, read and written at byte
 * offsets and made durable with fdatasync(2) when the trusted store commits (runtime/storage/store.ts
 * `Backing`). Nothing here is trusted: the store authenticates everything it reads back.
 */
import fs from 'node:fs';
import { EmonError } from '../../errors.js';
import type { Backing } from '../../storage/store.js';

export class FileBacking implements Backing {
  private constructor(
    readonly where: string,
    private readonly fd: number,
  ) {}

  /** Opens `file` read-write, creating it (empty) when `create` is set. */
  static open(file: string, create: boolean): FileBacking {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st !== undefined && !st.isFile()) {
      throw new EmonError('E_ATTACH', `secure block image ${file} is not a regular file`, { hint: 'give the path of an image file (a device, FIFO or folder cannot hold a secure store)' });
    }
    try {
      return new FileBacking(file, fs.openSync(file, create ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR, 0o600));
    } catch (e) {
      throw new EmonError('E_ATTACH', `cannot open secure block image ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'create it by adding ,size=BYTES (e.g. --block:storage=disk.img,secure=sealed,size=1M)',
      });
    }
  }

  size(): number {
    return fs.fstatSync(this.fd).size;
  }

  read(offset: number, out: Uint8Array): number {
    let done = 0;
    while (done < out.length) {
      const n = fs.readSync(this.fd, out, done, out.length - done, offset + done);
      if (n <= 0) break;
      done += n;
    }
    return done;
  }

  write(offset: number, data: Uint8Array): void {
    let done = 0;
    while (done < data.length) done += fs.writeSync(this.fd, data, done, data.length - done, offset + done);
  }

  sync(): void {
    fs.fdatasyncSync(this.fd);
  }

  grow(bytes: number): void {
    if (this.size() < bytes) fs.ftruncateSync(this.fd, bytes);
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
