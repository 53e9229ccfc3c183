/**
 * Where a guest's console_write bytes go (Solo5's tender writes them to its stdout). Sinks write straight from
 * guest memory: the stdout sink is one fs.writeSync on fd 1 (synchronous from any thread, so output keeps the
 * order of the calls), and the null sink lets benchmarks time the hypercall itself.
 */
import fs from 'node:fs';

export interface ConsoleSink {
  write(bytes: Uint8Array, offset: number, length: number): void;
}

/** Used only to sleep while a full stdout pipe drains. */
const pause = new Int32Array(new SharedArrayBuffer(4));
let stdoutClosed = false;

/**
 * Node may leave fd 1 non-blocking when it is a pipe, so a reader slower than the guest gives EAGAIN: wait a
 * millisecond and retry rather than lose output. A reader that went away (EPIPE) ends console output quietly,
 * as a Unix tender killed by SIGPIPE would stop printing, without taking the monitor down.
 */
export const stdoutConsole: ConsoleSink = {
  write(bytes, offset, length) {
    let done = 0;
    while (done < length && !stdoutClosed) {
      try {
        done += fs.writeSync(1, bytes, offset + done, length - done);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
        else if (code === 'EPIPE') stdoutClosed = true;
        else throw e;
      }
    }
  },
};

export const nullConsole: ConsoleSink = { write() {} };

/** Keeps the output in memory, for tests. */
export class CaptureConsole implements ConsoleSink {
  private readonly chunks: Buffer[] = [];
  write(bytes: Uint8Array, offset: number, length: number): void {
    this.chunks.push(Buffer.from(bytes.subarray(offset, offset + length)));
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Prefixes every line with the guest's name, so the output of several guests of one `emon run` stays
 * readable; a partial line waits for its end (or for flush() when the guest ends).
 */
export class PrefixedConsole implements ConsoleSink {
  private pending = '';
  constructor(
    private readonly prefix: string,
    private readonly out: ConsoleSink = stdoutConsole,
  ) {}

  write(bytes: Uint8Array, offset: number, length: number): void {
    const text = this.pending + Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString('utf8');
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    if (lines.length > 0) this.emit(lines.map((l) => `${this.prefix}${l}\n`).join(''));
  }

  flush(): void {
    if (this.pending !== '') this.emit(`${this.prefix}${this.pending}\n`);
    this.pending = '';
  }

  private emit(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.out.write(b, 0, b.length);
  }
}
