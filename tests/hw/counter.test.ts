/** The hardware monotonic counter: persistence across reopen, torn-slot recovery, damage refused. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MonotonicCounter } from '../../runtime/hw/counter.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-ctr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const ID = '0123456789abcdef0123456789abcdef';

describe('MonotonicCounter', () => {
  it('starts at 0, only grows, and keeps its value across reopen', () => {
    const dir = path.join(tmp, 'a');
    const c = MonotonicCounter.open(dir, ID);
    expect(c.read()).toBe(0n);
    for (let i = 1n; i <= 5n; i++) expect(c.increment()).toBe(i);
    c.close();
    const d = MonotonicCounter.open(dir, ID);
    expect(d.read()).toBe(5n);
    expect(d.increment()).toBe(6n);
    d.close();
    // counters are per id
    const other = MonotonicCounter.open(dir, 'ff'.repeat(16));
    expect(other.read()).toBe(0n);
    other.close();
  });

  it('a torn newest slot falls back to the other slot (one below)', () => {
    const dir = path.join(tmp, 'b');
    const c = MonotonicCounter.open(dir, ID);
    c.increment();
    c.increment(); // value 2 lives in slot 0, value 1 in slot 1
    c.close();
    const file = path.join(dir, 'counters', `${ID}.ctr`);
    const bytes = readFileSync(file);
    bytes[3] ^= 0x40; // tear slot 0
    writeFileSync(file, bytes);
    const d = MonotonicCounter.open(dir, ID);
    expect(d.read()).toBe(1n);
    d.close();
  });

  it('refuses a counter with no valid slot and a malformed id', () => {
    const dir = path.join(tmp, 'c');
    MonotonicCounter.open(dir, ID).close();
    const file = path.join(dir, 'counters', `${ID}.ctr`);
    writeFileSync(file, Buffer.alloc(32, 0xaa));
    expect(() => MonotonicCounter.open(dir, ID)).toThrow(/counter .* is damaged/);
    expect(() => MonotonicCounter.open(dir, '../x')).toThrow(/not 16 to 64 lowercase hex/);
  });
});
