/**
 * A hardware monotonic counter, as SGX Platform Services offered them (sgx_create_monotonic_counter /
 * sgx_increment_monotonic_counter / sgx_read_monotonic_counter, kept by the Management Engine in its
 * replay-protected flash) and as eMMC RPMB write counters do (JEDEC JESD84-B51 §6.6.22): a 64-bit value that
 * only ever grows, survives restarts, and is durable when an increment returns. Trusted code ties a sealed
 * state to the counter's value so that an older copy of that state, restored by the untrusted system, is
 * recognised as older.
 *
 * emon keeps each counter with the platform state (`--state-dir`, next to the root secrets of
 * ./sgx/platform.ts), in `counters/<id>.ctr`: two 16-byte slots, each `value u64 LE || check u64` (the first
 * 8 bytes of SHA-256 of "emon-ctr/1", the id and the value). An increment writes the slot the new value's
 * parity selects and fdatasyncs it, so a write torn by a crash leaves the other slot, one below, intact; a
 * read takes the larger valid slot. The platform state is the hardware's: the monitor never writes it.
 */
import { closeSync, fdatasyncSync, fstatSync, mkdirSync, openSync, readSync, writeSync, constants as fsc } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { EmonError } from '../errors.js';

const SLOT_BYTES = 16;
const FILE_BYTES = 2 * SLOT_BYTES;
const ID_PATTERN = /^[0-9a-f]{16,64}$/;
/** SGX refused increments past its counter's limit; emon keeps values exact in a JS number's integer range. */
export const COUNTER_MAX = BigInt(Number.MAX_SAFE_INTEGER);

function check(id: string, value: bigint): Uint8Array {
  const tag = new TextEncoder().encode(`emon-ctr/1${id}`);
  const msg = new Uint8Array(tag.length + 8);
  msg.set(tag);
  new DataView(msg.buffer).setBigUint64(tag.length, value, true);
  return new Uint8Array(createHash('sha256').update(msg).digest()).subarray(0, 8);
}

function encode(id: string, value: bigint): Uint8Array {
  const slot = new Uint8Array(SLOT_BYTES);
  new DataView(slot.buffer).setBigUint64(0, value, true);
  slot.set(check(id, value), 8);
  return slot;
}

function decode(id: string, slot: Uint8Array): bigint | null {
  const value = new DataView(slot.buffer, slot.byteOffset, SLOT_BYTES).getBigUint64(0, true);
  const want = check(id, value);
  for (let i = 0; i < 8; i++) if (slot[8 + i] !== want[i]) return null;
  return value;
}

export class MonotonicCounter {
  private value: bigint;

  private constructor(
    readonly id: string,
    readonly file: string,
    private readonly fd: number,
    value: bigint,
  ) {
    this.value = value;
  }

  /**
   * Opens counter `id` (16 to 64 lowercase hex digits) under `stateDir`, creating it at 0 on first use.
   * A counter file whose slots are both damaged is refused: silently restarting at 0 would undo rollback
   * protection for everything tied to it.
   */
  static open(stateDir: string, id: string): MonotonicCounter {
    if (!ID_PATTERN.test(id)) {
      throw new EmonError('E_COUNTER', `monotonic counter id "${id}" is not 16 to 64 lowercase hex digits`, { hint: 'derive the id from a key or a hash' });
    }
    const dir = path.join(path.resolve(stateDir), 'counters');
    const file = path.join(dir, `${id}.ctr`);
    let fd: number;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      fd = openSync(file, fsc.O_RDWR | fsc.O_CREAT, 0o600);
    } catch (e) {
      throw new EmonError('E_COUNTER', `cannot open monotonic counter ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'pass a writable platform state directory with --state-dir',
      });
    }
    const size = fstatSync(fd).size;
    if (size === 0) {
      const fresh = new Uint8Array(FILE_BYTES);
      fresh.set(encode(id, 0n), 0);
      writeSync(fd, fresh, 0, FILE_BYTES, 0);
      fdatasyncSync(fd);
      return new MonotonicCounter(id, file, fd, 0n);
    }
    const bytes = new Uint8Array(FILE_BYTES);
    const n = readSync(fd, bytes, 0, FILE_BYTES, 0);
    const a = n >= SLOT_BYTES ? decode(id, bytes.subarray(0, SLOT_BYTES)) : null;
    const b = n >= FILE_BYTES ? decode(id, bytes.subarray(SLOT_BYTES)) : null;
    if (a === null && b === null) {
      closeSync(fd);
      throw new EmonError('E_COUNTER', `monotonic counter ${file} is damaged (no valid slot)`, {
        hint: 'the platform state was altered; restore it from a backup. Data tied to this counter cannot be checked for rollback without it',
      });
    }
    const value = a === null ? b! : b === null ? a : a > b ? a : b;
    return new MonotonicCounter(id, file, fd, value);
  }

  /** The current value (read once at open; only this object increments it). */
  read(): bigint {
    return this.value;
  }

  /** Adds one and returns the new value, durable when this returns. */
  increment(): bigint {
    const next = this.value + 1n;
    if (next > COUNTER_MAX) {
      throw new EmonError('E_COUNTER', `monotonic counter ${this.file} is exhausted`, { hint: 'counters, like SGX\'s, cannot be reset; create a new store' });
    }
    const slot = Number(next & 1n) * SLOT_BYTES;
    try {
      writeSync(this.fd, encode(this.id, next), 0, SLOT_BYTES, slot);
      fdatasyncSync(this.fd);
    } catch (e) {
      throw new EmonError('E_COUNTER', `cannot increment monotonic counter ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'check the platform state directory (disk full or read-only?)',
      });
    }
    this.value = next;
    return next;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
