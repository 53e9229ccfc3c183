/**
 * Shared helpers for the crypto core tests: hex, vector files, and a raw view of a core instance for testing
 * the AssemblyScript API itself (pointers into the instance's memory) rather than the wrapper.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { instantiateCore, type CoreExports, type CryptoFlavor } from '../../runtime/hw/crypto/index.js';

export const flavors: readonly CryptoFlavor[] = ['simd', 'scalar'];

export function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

const root = path.resolve(__dirname, '..', '..');

export function wycheproof<T>(name: string): { numberOfTests: number; testGroups: T[] } {
  return JSON.parse(readFileSync(path.join(root, '..', 'shared', 'vectors', 'wycheproof', `${name}_test.json`), 'utf8'));
}

export function localVectors<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(__dirname, 'vectors', name), 'utf8')) as T;
}

/** A core instance with a bump arena above heap_base, for calling the exports with raw pointers. */
export class RawCore {
  readonly core: CoreExports;
  private next: number;
  private readonly start: number;

  constructor(flavor: CryptoFlavor) {
    this.core = instantiateCore(flavor);
    this.start = this.next = (this.core.heap_base() + 15) & ~15;
  }

  get mem(): Uint8Array {
    return new Uint8Array(this.core.memory.buffer);
  }

  /** Copies `bytes` in (or reserves `bytes` zero bytes) and returns the pointer. */
  put(bytes: Uint8Array | number): number {
    const len = typeof bytes === 'number' ? bytes : bytes.length;
    const p = this.next;
    this.next = (p + len + 15) & ~15;
    const need = this.next - this.core.memory.buffer.byteLength;
    if (need > 0) this.core.memory.grow(Math.ceil(need / 65536));
    if (typeof bytes !== 'number') this.mem.set(bytes, p);
    else this.mem.fill(0, p, p + len);
    return p;
  }

  get(p: number, len: number): Uint8Array {
    return this.mem.slice(p, p + len);
  }

  reset(): void {
    this.next = this.start;
  }
}
