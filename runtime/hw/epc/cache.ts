/**
 * Content-addressed cache of instrumented enclave modules (instrument.ts). The pass is a pure function of the
 * enclave's bytes and its options, and costs milliseconds per KB of code through binaryen's JS API, while the
 * same image is typically loaded many times (every guest run, every enclave of a guest built from one image).
 * The key is SHA-256 (FIPS 180-4) of the input bytes with the mode and size, so a changed image can never
 * reuse another's output. The enclave's measurement is taken over the original bytes elsewhere (hw/sgx) and is
 * not affected. Bounded by total output size, least recently used first out.
 *
 * Optionally the cache is also kept on disk, under the platform's state directory, for later processes. What
 * runs in the enclave then comes from a file, while the measurement covers the signed image; so each file is
 * authenticated with HMAC-SHA256 (RFC 2104) under a key derived from the platform's secrets, over its cache
 * key and contents, and a file that fails the check (altered, truncated, from another platform or image) is
 * ignored and rewritten. Writing is best effort: a full or read-only disk only costs the pass again.
 */
import { readRegularFile } from '../../files.js';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { instrumentEnclave, type EpcLayout, type InstrumentedModule, type InstrumentOptions } from './instrument.js';

/** Where and under which key instrumented modules persist across processes. */
export interface DiskCache {
  /** Directory of the cache files (e.g. STATE_DIR/epc-cache). */
  readonly dir: string;
  /** 32-byte HMAC key only this platform knows. */
  readonly key: Uint8Array;
}

const TAG_BYTES = 32;
const HEADER_BYTES = TAG_BYTES + 4;
let diskHits = 0;
let diskRejects = 0;

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
export function instrumentCached(bytes: Uint8Array, options: InstrumentOptions, disk?: DiskCache): InstrumentedModule {
  const key = keyOf(bytes, options);
  const hit = entries.get(key);
  if (hit) {
    hits++;
    entries.delete(key);
    entries.set(key, hit);
    return hit;
  }
  misses++;
  const file = disk ? path.join(disk.dir, `${key.replaceAll('/', '-')}.epcm`) : '';
  let out = disk ? readDisk(disk, key, file) : null;
  if (out) diskHits++;
  else {
    out = instrumentEnclave(bytes, options);
    if (disk) writeDisk(disk, key, file, out);
  }
  entries.set(key, out);
  cachedBytes += out.bytes.length;
  for (const [k, v] of entries) {
    if (cachedBytes <= MAX_CACHED_BYTES || k === key) break;
    entries.delete(k);
    cachedBytes -= v.bytes.length;
  }
  return out;
}

function tagOf(disk: DiskCache, key: string, body: Uint8Array): Uint8Array {
  return hmac.create(sha256, disk.key).update(new TextEncoder().encode(`emon-epc-module/1/${key}`)).update(body).digest();
}

/** File layout: HMAC tag (32 bytes), JSON length (u32 LE), JSON {layout, guardedAccesses}, module bytes. */
function readDisk(disk: DiskCache, key: string, file: string): InstrumentedModule | null {
  let raw: Uint8Array;
  try {
    raw = readRegularFile(file);
  } catch {
    return null;
  }
  try {
    if (raw.length < HEADER_BYTES) throw new Error('short');
    const body = raw.subarray(TAG_BYTES);
    const tag = tagOf(disk, key, body);
    let diff = 0;
    for (let i = 0; i < TAG_BYTES; i++) diff |= tag[i]! ^ raw[i]!;
    if (diff !== 0) throw new Error('tag');
    const n = new DataView(raw.buffer, raw.byteOffset + TAG_BYTES, 4).getUint32(0, true);
    if (HEADER_BYTES + n > raw.length) throw new Error('length');
    const meta = JSON.parse(new TextDecoder().decode(raw.subarray(HEADER_BYTES, HEADER_BYTES + n))) as { layout: EpcLayout; guardedAccesses: number };
    return { bytes: new Uint8Array(raw.subarray(HEADER_BYTES + n)), layout: meta.layout, guardedAccesses: meta.guardedAccesses };
  } catch {
    diskRejects++;
    return null;
  }
}

function writeDisk(disk: DiskCache, key: string, file: string, m: InstrumentedModule): void {
  try {
    const meta = new TextEncoder().encode(JSON.stringify({ layout: m.layout, guardedAccesses: m.guardedAccesses }));
    const body = new Uint8Array(4 + meta.length + m.bytes.length);
    new DataView(body.buffer).setUint32(0, meta.length, true);
    body.set(meta, 4);
    body.set(m.bytes, 4 + meta.length);
    const out = new Uint8Array(TAG_BYTES + body.length);
    out.set(tagOf(disk, key, body), 0);
    out.set(body, TAG_BYTES);
    mkdirSync(disk.dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}-${threadId}.tmp`;
    writeFileSync(tmp, out, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // Best effort: the module is in memory and the next process redoes the pass.
  }
}

/** Hits and misses since the process started, and what is held (for reports and tests). */
export function instrumentCacheStats(): { hits: number; misses: number; entries: number; bytes: number; diskHits: number; diskRejects: number } {
  return { hits, misses, entries: entries.size, bytes: cachedBytes, diskHits, diskRejects };
}

/** Drops every cached module (tests, and benchmarks of the uncached pass). */
export function clearInstrumentCache(): void {
  entries.clear();
  cachedBytes = 0;
}
