/**
 * The prefixed console of several guests (issue 10, defect 4): bytes pass through unchanged (a UTF-8 character
 * split across writes, binary bytes), every line keeps the guest's prefix, a partial line is held only up to
 * one write of at most CONSOLE_WRITE_BYTES (PIPE_BUF, so parallel guests' lines never interleave in a pipe), and
 * what is pending can be drained by another thread after the guest is stopped.
 */
import { describe, expect, it } from 'vitest';
import { CaptureConsole, CONSOLE_WRITE_BYTES, PrefixedConsole } from '../../runtime/monitor/console.js';

/** Line bytes per piece for the prefix 'g| ': the write bound less the prefix and the newline. */
const PREFIXED_LINE_BYTES = CONSOLE_WRITE_BYTES - 3 - 1;

class Bytes extends CaptureConsole {
  readonly writes: Buffer[] = [];
  override write(bytes: Uint8Array, offset: number, length: number): void {
    this.writes.push(Buffer.from(bytes.subarray(offset, offset + length)));
  }
  all(): Buffer {
    return Buffer.concat(this.writes);
  }
}

const P = Buffer.from('g| ');

describe('PrefixedConsole', () => {
  it('every write it makes is one whole prefixed line of at most CONSOLE_WRITE_BYTES', () => {
    const out = new Bytes();
    const c = new PrefixedConsole('g| ', out);
    expect(c.lineBytes).toBe(PREFIXED_LINE_BYTES);
    const data = Buffer.from(`short\n${'y'.repeat(3 * CONSOLE_WRITE_BYTES)}\nz`);
    c.write(data, 0, data.length);
    c.flush();
    for (const w of out.writes) {
      expect(w.length).toBeLessThanOrEqual(CONSOLE_WRITE_BYTES);
      expect(w.subarray(0, 3).toString()).toBe('g| ');
      expect(w[w.length - 1]).toBe(10);
      expect(w.subarray(3, w.length - 1).includes(10)).toBe(false);
    }
    expect(Buffer.concat(out.writes.map((w) => w.subarray(3, w.length - 1))).toString()).toBe(`short${'y'.repeat(3 * CONSOLE_WRITE_BYTES)}z`);
  });

  it('a UTF-8 character split across two writes comes out whole', () => {
    const out = new Bytes();
    const c = new PrefixedConsole('g| ', out);
    const euro = Buffer.from('€\n'); // e2 82 ac 0a
    c.write(euro, 0, 1);
    c.write(euro, 1, 3);
    expect(out.all()).toEqual(Buffer.concat([P, euro]));
    expect(out.all().toString('utf8')).toBe('g| €\n');
  });

  it('binary bytes (every value 0..255) pass through unchanged, split only after each newline', () => {
    const out = new Bytes();
    const c = new PrefixedConsole('g| ', out);
    const all = new Uint8Array(256).map((_, i) => i);
    c.write(all, 0, 256);
    c.flush();
    // 0x0a is the one newline: the bytes before it and after it each get a prefix; flush ends the last line.
    expect(out.all()).toEqual(Buffer.concat([P, all.subarray(0, 11), P, all.subarray(11), Buffer.from('\n')]));
  });

  it('several lines in one write, an empty line, and a line ending exactly at the end of a write', () => {
    const out = new Bytes();
    const c = new PrefixedConsole('g| ', out);
    const b = Buffer.from('one\n\ntwo\nthr');
    c.write(b, 0, b.length);
    c.write(Buffer.from('ee\n'), 0, 3);
    c.flush();
    expect(out.all().toString()).toBe('g| one\ng| \ng| two\ng| three\n');
  });

  it(`holds at most ${PREFIXED_LINE_BYTES} bytes of a partial line: a longer one leaves in prefixed pieces, nothing lost`, () => {
    const out = new Bytes();
    const c = new PrefixedConsole('g| ', out);
    const data = new Uint8Array(3 * PREFIXED_LINE_BYTES + 5).map((_, i) => 97 + (i % 26));
    for (let i = 0; i < data.length; i += 1000) c.write(data, i, Math.min(1000, data.length - i));
    // Exactly at the bound nothing leaves yet; one byte more flushes a full piece.
    expect(out.all().length).toBe(3 * (P.length + PREFIXED_LINE_BYTES + 1));
    c.flush();
    const lines = out.all().toString('latin1').split('\n').filter(Boolean);
    expect(lines.map((l) => l.length)).toEqual([PREFIXED_LINE_BYTES + 3, PREFIXED_LINE_BYTES + 3, PREFIXED_LINE_BYTES + 3, 5 + 3]);
    expect(lines.map((l) => l.slice(3)).join('')).toBe(Buffer.from(data).toString('latin1'));
  });

  it('exactly PREFIXED_LINE_BYTES pending then a newline: one line, no empty piece', () => {
    const out = new Bytes();
    const c = new PrefixedConsole('g| ', out);
    const data = new Uint8Array(PREFIXED_LINE_BYTES).fill(120);
    c.write(data, 0, data.length);
    expect(out.all().length).toBe(0);
    c.write(Buffer.from('\n'), 0, 1);
    expect(out.all()).toEqual(Buffer.concat([P, data, Buffer.from('\n')]));
  });

  it('a partial line left in the shared buffer is printed by drain (the supervisor, after a timeout)', () => {
    const shared = PrefixedConsole.pendingBuffer();
    const worker = new PrefixedConsole('g| ', new Bytes(), shared);
    worker.write(Buffer.from('last words'), 0, 10);
    const out = new Bytes();
    PrefixedConsole.drain(shared, 'g| ', out);
    expect(out.all().toString()).toBe('g| last words\n');
    PrefixedConsole.drain(shared, 'g| ', out);
    expect(out.all().toString()).toBe('g| last words\n');
  });
});
