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

/** The prefix of a guest's console lines when several guests share the monitor's stdout. */
export function consolePrefix(guest: string): string {
  return `${guest}| `;
}

/**
 * The most one console write(2) of a prefixed console carries: POSIX PIPE_BUF on Linux. Writes of at most
 * PIPE_BUF bytes to a pipe are atomic, so the lines of guests running in parallel workers never interleave
 * inside one another when stdout is a pipe.
 */
export const CONSOLE_WRITE_BYTES = 4096;

/**
 * Prefixes every line with the guest's name, so the output of several guests of one `emon run` stays
 * readable. Bytes are not decoded (a UTF-8 character split across two writes, or binary output, comes out as
 * written), but prefixes and newlines are added. Each prefixed line leaves in one write of at most
 * CONSOLE_WRITE_BYTES: a partial line waits for its newline, but a line longer than `lineBytes` leaves in
 * pieces, each prefixed and ended with an inserted newline (as is a last line without one), so a
 * guest that never writes a newline costs bounded memory and linear time. The partial line lives in a
 * SharedArrayBuffer (when given) so that the supervisor can still print it if it has to terminate the
 * guest's worker (`--timeout`): see `drain`.
 */
export class PrefixedConsole implements ConsoleSink {
  private readonly prefix: Buffer;
  /** Bytes of a line one piece carries: the write bound less the prefix and the newline. */
  readonly lineBytes: number;
  /** [0]: bytes pending; the bytes follow from byte 4. */
  private readonly len: Int32Array;
  private readonly pending: Uint8Array;
  /** One piece on its way out: prefix, line bytes, newline. */
  private readonly piece: Uint8Array;

  constructor(
    prefix: string,
    private readonly out: ConsoleSink = stdoutConsole,
    shared: SharedArrayBuffer = PrefixedConsole.pendingBuffer(),
  ) {
    this.prefix = Buffer.from(prefix, 'utf8').subarray(0, CONSOLE_WRITE_BYTES / 2);
    this.lineBytes = CONSOLE_WRITE_BYTES - this.prefix.length - 1;
    this.len = new Int32Array(shared, 0, 1);
    this.pending = new Uint8Array(shared, 4, CONSOLE_WRITE_BYTES);
    this.piece = new Uint8Array(CONSOLE_WRITE_BYTES);
    this.piece.set(this.prefix, 0);
  }

  /** The shared buffer for one guest's partial line (made by the supervisor, given to the worker). */
  static pendingBuffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(4 + CONSOLE_WRITE_BYTES);
  }

  /**
   * Prints what a console left pending in `shared` (its worker was terminated) as a last prefixed line. Call
   * only once the worker no longer runs.
   */
  static drain(shared: SharedArrayBuffer, prefix: string, out: ConsoleSink = stdoutConsole): void {
    new PrefixedConsole(prefix, out, shared).flush();
  }

  write(bytes: Uint8Array, offset: number, length: number): void {
    const end = offset + length;
    let at = offset;
    while (at < end) {
      const nl = bytes.subarray(at, end).indexOf(10);
      const stop = nl < 0 ? end : at + nl;
      this.hold(bytes, at, stop);
      if (nl < 0) break;
      this.emitPending();
      at = stop + 1;
    }
  }

  flush(): void {
    if (Atomics.load(this.len, 0) !== 0) this.emitPending();
  }

  /** Keeps [from, to) of `bytes` as the partial line; a full pending line leaves as a piece of its own first. */
  private hold(bytes: Uint8Array, from: number, to: number): void {
    while (from < to) {
      let n = Atomics.load(this.len, 0);
      if (n === this.lineBytes) {
        this.emitPending();
        n = 0;
      }
      const c = Math.min(to - from, this.lineBytes - n);
      this.pending.set(bytes.subarray(from, from + c), n);
      Atomics.store(this.len, 0, n + c);
      from += c;
    }
  }

  /** The pending bytes as one prefixed line (one write), and the pending area emptied. */
  private emitPending(): void {
    const n = Atomics.load(this.len, 0);
    const p = this.prefix.length;
    this.piece.set(this.pending.subarray(0, n), p);
    this.piece[p + n] = 10;
    Atomics.store(this.len, 0, 0);
    this.out.write(this.piece, 0, p + n + 1);
  }
}
