/**
 * Shared fixtures of the EPC tests: the compiled workloads (built from enclaves/workloads if missing), a plain
 * reference instance, EPC instances with small budgets, and an adversarial backing store.
 */
import { readFileSync } from 'node:fs';
import { buildWorkloads } from '../../../runtime/build/steps/40-epc.js';
import { Epc, UntrustedMemoryStore, type EpcFault, type EpcOptions } from '../../../runtime/hw/epc/index.js';
import type { EnclaveSpace, InstrumentedModule } from '../../../runtime/hw/epc/index.js';

let cached: Uint8Array | null = null;
export async function workloadBytes(): Promise<Uint8Array> {
  if (!cached) cached = new Uint8Array(readFileSync(await buildWorkloads()));
  return cached;
}

export interface Workloads {
  sortKernel(n: number, seed: number): number;
  hashKernel(bytes: number, passes: number, seed: number): bigint;
  hashFill(base: number, bytes: number, seed: number): void;
  hashAt(base: number, bytes: number, passes: number): bigint;
  tableKernel(entries: number, ops: number, seed: number): number;
  tableAt(base: number, entries: number, ops: number, seed: number): number;
  skewedAt(base: number, entries: number, ops: number, seed: number): number;
  bulkKernel(bytes: number, rounds: number, seed: number): number;
  reserve(bytes: number): number;
  read8(addr: number): number;
  write8(addr: number, v: number): void;
  read64(addr: number): bigint;
  write64(addr: number, v: bigint): void;
  read128lo(addr: number): bigint;
  copy(d: number, s: number, n: number): void;
  fill(d: number, v: number, n: number): void;
  size(): number;
  grow(pages: number): number;
  sum(addr: number, n: number): number;
  memory: WebAssembly.Memory;
}

/** The workloads without any EPC: the reference results. */
export async function plainWorkloads(): Promise<Workloads> {
  return new WebAssembly.Instance(new WebAssembly.Module(await workloadBytes()), {}).exports as unknown as Workloads;
}

export interface Loaded {
  epc: Epc;
  space: EnclaveSpace;
  w: Workloads;
  faults: EpcFault[];
}

/** Workloads in a fresh EPC of `pages` pages; every fault is recorded. */
export async function pagedWorkloads(pages: number, options: Partial<EpcOptions> & { maxBytes?: number; mode?: 'paged' | 'resident'; name?: string } = {}): Promise<Loaded> {
  const epc = options.budget ? new Epc(options) : new Epc({ ...options, pages });
  return loadInto(epc, options);
}

const prepared = new Map<string, { p: InstrumentedModule; m: WebAssembly.Module }>();

export async function loadInto(epc: Epc, options: { maxBytes?: number; mode?: 'paged' | 'resident'; name?: string } = {}): Promise<Loaded> {
  const faults: EpcFault[] = [];
  epc.subscribe((f) => faults.push(f));
  const name = options.name ?? 'test/workloads';
  const maxBytes = options.maxBytes ?? 2 << 20;
  const mode = options.mode ?? 'paged';
  const k = `${maxBytes}/${mode}`;
  let c = prepared.get(k);
  if (!c) {
    const p = epc.prepare(await workloadBytes(), { name, maxBytes, mode });
    prepared.set(k, (c = { p, m: new WebAssembly.Module(p.bytes as Uint8Array<ArrayBuffer>) }));
  }
  const { instance, space } = await epc.instantiate(c.p, c.m, {}, name);
  return { epc, space, w: instance.exports as unknown as Workloads, faults };
}

/** The untrusted monitor's storage, with hooks a test uses to misbehave. */
export class AdversarialStore extends UntrustedMemoryStore {
  /** Called on every fetch; may return something else than what hw stored. */
  onFetch: ((enclave: number, page: number, stored: Uint8Array | undefined) => Uint8Array | undefined) | null = null;
  fetch(enclave: number, page: number): Uint8Array | undefined {
    const stored = super.fetch(enclave, page);
    return this.onFetch ? this.onFetch(enclave, page, stored) : stored;
  }
  /** The stored sealed copy itself (for altering in place). */
  stored(enclave: number, page: number): Uint8Array | undefined {
    return super.fetch(enclave, page);
  }
}

export const PAGE = 4096;
