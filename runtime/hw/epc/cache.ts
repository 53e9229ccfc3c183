/**
 * Content-addressed cache of instrumented enclave modules (instrument.ts). The pass is a pure function of the
 * enclave's bytes and its options, and costs milliseconds per KB of code through binaryen's JS API, while the
 * same image is typically loaded many times (every guest run, every enclave of a guest built from one image).
 * The key is SHA-256 (FIPS 180-4) of the input bytes with the mode and size, so a changed image can never
 * reuse another's output. The enclave's measurement is taken over the original bytes elsewhere (hw/sgx) and is
 * not affected. Bounded by total output size, least recently used first out.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { instrumentEnclave, type InstrumentedModule, type InstrumentOptions } from './instrument.js';

const MAX_CACHED_BYTES = 64 << 20;

const entries = new Map<string, InstrumentedModule>();
let cachedBytes = 0;
let hits = 0;
let misses = 0;

function keyOf(bytes: Uint8Array, options: InstrumentOptions): string {
  const digest = sha256(bytes);
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return `${hex}/${options.mode}/${options.maxBytes}`;
}

/**
 * instrumentEnclave through the cache. The returned module is shared: callers must not modify its bytes (they
 * only compile them). Errors are not cached (they name the enclave being loaded).
 */
export function instrumentCached(bytes: Uint8Array, options: InstrumentOptions): InstrumentedModule {
  const key = keyOf(bytes, options);
  const hit = entries.get(key);
  if (hit) {
    hits++;
    entries.delete(key);
    entries.set(key, hit);
    return hit;
  }
  misses++;
  const out = instrumentEnclave(bytes, options);
  entries.set(key, out);
  cachedBytes += out.bytes.length;
  for (const [k, v] of entries) {
    if (cachedBytes <= MAX_CACHED_BYTES || k === key) break;
    entries.delete(k);
    cachedBytes -= v.bytes.length;
  }
  return out;
}

/** Hits and misses since the process started, and what is held (for reports and tests). */
export function instrumentCacheStats(): { hits: number; misses: number; entries: number; bytes: number } {
  return { hits, misses, entries: entries.size, bytes: cachedBytes };
}

/** Drops every cached module (tests, and benchmarks of the uncached pass). */
export function clearInstrumentCache(): void {
  entries.clear();
  cachedBytes = 0;
}
