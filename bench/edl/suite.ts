/**
 * `emon bench --edl my.edl --enclave my.wasm`: benchmark a user's own enclave interface. Every public ECALL of
 * the EDL is called through the real gate (runtime/enclave) with inputs generated from its declaration: each
 * buffer gets the size its `size=`/`count=` parameter is set to, swept over a range of sizes (strings get that
 * many characters), so the result is transition latency vs buffer size for *their* functions. Every OCALL gate
 * is driven the same way from the enclave's side. A probe instance with tracing on counts the OCALLs each ECALL
 * makes, so the modeled hardware cost (runtime/hw/cost) covers the whole round trip. Measurements run with
 * tracing off unless a suite asks otherwise (bench/suites/tracing.ts prices tracing this way).
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { EmonError } from '../../runtime/errors.js';
import { readRegularFile } from '../../runtime/files.js';
import { parseEdl } from '../../runtime/enclave/edl/parser.js';
import { readEdl } from '../../runtime/enclave/edl/generate.js';
import { deepStruct, elementSize, isAddress, isAggregate, returnsValue, scalarOf, wasmTypeOf, type EdlFunction, type EdlInterface, type EdlParam, type EdlStruct, type OpaqueType, type SizeExpr } from '../../runtime/enclave/edl/types.js';
import type { EnclaveImage } from '../../runtime/enclave/host.js';
import { Gate, type EcallFn } from '../../runtime/enclave/gate.js';
import { createEnclave, instantiateEnclave } from '../../runtime/hw/sgx/enclave.js';
import type { PlatformSecrets } from '../../runtime/hw/sgx/platform.js';
import { modeledCycles } from '../../runtime/hw/cost/model.js';
import { emulateCost } from '../../runtime/hw/cost/emulate.js';
import { MemoryTraceSink, type TraceSink } from '../../runtime/trace/sink.js';
import type { BenchCase, BenchSuite, SuiteContext } from '../suite.js';
import { watToWasm } from '../wat.js';
import { driverWat, guestWat, ocallGateParams } from './wat.js';

/** [out] buffers sized by a parameter get room for all swept inputs plus this, so a function that adds a header or
 * tag (sealing, encryption) has room to succeed rather than fail fast on a too-small output. */
export const OUT_HEADROOM = 256;
export const SIZES_FULL = [64, 256, 1024, 4096, 16384, 65536];
export const SIZES_QUICK = [64, 1024, 16384];

const FRAMES = 1024;
const FRAMES_LEN = 64 * 1024;
const STATUS = ['OK', 'AGAIN', 'EINVAL', 'EUNSPEC', 'ENOTALLOWED', 'ELOST'];

interface Plan {
  /** Parameter values (pointers already resolved to addresses). */
  readonly values: ReadonlyArray<number | bigint>;
  /** Bytes crossing the boundary per call: [in] + [out] + 2 × [in,out]. */
  readonly bytes: number;
  /**
   * The input bytes and where they go. Cases share buffers (and OCALL inputs sit in the marshalling area that
   * ECALLs reuse), and cases are sampled interleaved, so each batch rewrites its inputs first: a string must not
   * find another case's NUL in the middle of it.
   */
  readonly inputs: ReadonlyArray<{ readonly addr: number; readonly data: Uint8Array }>;
}

function restore(memory: WebAssembly.Memory, inputs: Plan['inputs']): void {
  const view = new Uint8Array(memory.buffer);
  for (const i of inputs) view.set(i.data, i.addr);
}

type Skip = { readonly skip: string };

/** Scalars that control a buffer's length, and how: param index -> 'size' | 'count' with the pointer's element size. */
function sizeControllers(f: EdlFunction): Map<number, { kind: 'size' | 'count'; elem: number; outOnly: boolean }> {
  const m = new Map<number, { kind: 'size' | 'count'; elem: number; outOnly: boolean }>();
  for (const p of f.params) {
    if (!p.type.pointer) continue;
    const out = p.direction === 'out';
    for (const [kind, e] of [['size', p.size], ['count', p.count]] as const) {
      if (e?.kind !== 'param') continue;
      const prev = m.get(e.index);
      m.set(e.index, prev ? { ...prev, outOnly: prev.outOnly && out } : { kind, elem: kind === 'count' ? elementSize(p.type) : 1, outOnly: out });
    }
  }
  return m;
}

/** Does this function's traffic depend on a size we can sweep? */
export function isSweepable(f: EdlFunction): boolean {
  return sizeControllers(f).size > 0 || f.params.some((p) => p.isString || p.direction === 'user_check' || memberSized(p));
}

/** A deep-copied struct parameter with a member buffer sized by another member: swept like a sized buffer. */
function memberSized(p: EdlParam): boolean {
  const st = p.type.pointer && p.direction !== 'user_check' ? deepStruct(p.type) : null;
  return st !== null && st.members.some((m) => m.size?.kind === 'param' || m.count?.kind === 'param');
}

/** Buffers a parameter needs in the bench layout: itself plus one per deep-copied member. */
function buffersOf(p: EdlParam): number {
  if (!isAddress(p)) return 0;
  const st = p.type.pointer && p.direction !== 'user_check' ? deepStruct(p.type) : null;
  return 1 + (st ? st.members.filter((m) => m.type.pointer && (m.size || m.count)).length : 0);
}

/**
 * The bytes of a deep-copied struct at `addr` followed by its member buffers: members sized by another member
 * get that member set so the buffer has `s` bytes; returns the image to write and the bytes crossing.
 */
function deepImage(st: EdlStruct, addr: number, s: number): { image: Uint8Array; bytes: number } {
  const sizes = new Map<number, number>();
  const lens: number[] = [];
  for (const m of st.members) {
    if (!m.type.pointer || (!m.size && !m.count)) continue;
    const elem = elementSize(m.type);
    const operand = (e: SizeExpr | null, unit: number): number => {
      if (e === null) return 1;
      if (e.kind === 'const') return e.value;
      const v = Math.max(1, Math.floor(s / unit));
      sizes.set(e.index, v);
      return v;
    };
    const count = operand(m.count, m.size ? (m.size.kind === 'const' ? m.size.value : 1) : elem);
    const size = m.size ? operand(m.size, m.count?.kind === 'const' ? m.count.value : 1) : elem;
    lens.push(count * size);
  }
  const head = (st.size + 7) & ~7;
  const total = head + lens.reduce((a, b) => a + ((b + 7) & ~7), 0);
  const image = Uint8Array.from({ length: total }, (_, j) => (j * 31 + 7) & 0xff);
  const dv = new DataView(image.buffer);
  for (const [index, v] of sizes) {
    const m = st.members[index]!;
    const at = m.offset;
    const w = elementSize({ ...m.type, pointer: false });
    if (w === 8) dv.setBigUint64(at, BigInt(v), true);
    else if (w === 2) dv.setUint16(at, v, true);
    else if (w === 1) dv.setUint8(at, v);
    else dv.setUint32(at, v, true);
  }
  let cursor = head;
  let k = 0;
  for (const m of st.members) {
    if (!m.type.pointer || (!m.size && !m.count)) continue;
    dv.setUint32(m.offset, addr + cursor, true);
    cursor += (lens[k++]! + 7) & ~7;
  }
  return { image, bytes: st.size + lens.reduce((a, b) => a + b, 0) };
}

/**
 * Values for every parameter at sweep size `s`, with buffers at `bufAddr(k)` (k-th pointer parameter) of
 * `bufLen` bytes each, in `memory` (the memory the inputs are read from: the guest's for ECALLs, the enclave's
 * for OCALLs). The inputs are written there once now and again before each measured batch.
 */
function plan(f: EdlFunction, s: number, bufAddr: (k: number) => number, bufLen: number, memory: () => WebAssembly.Memory): Plan | Skip {
  const ctl = sizeControllers(f);
  const inputs: Array<{ addr: number; data: Uint8Array }> = [];
  const write = (addr: number, data: Uint8Array): void => {
    inputs.push({ addr, data });
  };
  // Input-sizing scalars get the swept size; output-only ones get room for every input plus headroom, so that a
  // function producing "inputs + header" (sealing aad and data into one blob) succeeds at every size.
  const inBuffers = f.params.filter((p) => p.type.pointer && (p.direction === 'in' || p.direction === 'inout') && !p.isString && (p.size?.kind === 'param' || p.count?.kind === 'param')).length;
  const outRoom = Math.max(1, inBuffers) * s + OUT_HEADROOM;
  const scalar: Array<number | bigint> = f.params.map((p, i) => {
    const c = ctl.get(i);
    const v = c ? Math.max(1, Math.floor((c.outOnly ? outRoom : s) / c.elem)) : 1;
    return wasmTypeOf(p.type) === 'i64' ? BigInt(v) : v;
  });
  const values: Array<number | bigint> = [...scalar];
  let bytes = 0;
  let k = 0;
  for (let i = 0; i < f.params.length; i++) {
    const p = f.params[i]!;
    if (!isAddress(p)) continue;
    const addr = bufAddr(k);
    k += buffersOf(p);
    values[i] = addr;
    if (p.direction === 'user_check') continue;
    let len: number;
    const st = p.type.pointer ? deepStruct(p.type) : null;
    if (p.isString) {
      len = p.isWide ? Math.max(4, s & ~3) : s;
      const str = new Uint8Array(len).fill(p.isWide ? 0 : 0x61);
      if (p.isWide) for (let j = 0; j + 4 < len; j += 4) str[j] = 0x61;
      str[len - 1] = 0;
      write(addr, str);
    } else if (st) {
      const d = deepImage(st, addr, s);
      if (d.image.length > bufLen * buffersOf(p)) return { skip: `${p.name} would need ${d.image.length} bytes` };
      write(addr, d.image);
      len = d.bytes;
    } else {
      const operand = (e: typeof p.size): number => (e === null ? 1 : e.kind === 'const' ? e.value : Number(scalar[e.index]));
      len = operand(p.count) * (p.size ? operand(p.size) : elementSize(p.type));
      if (p.direction !== 'out') write(addr, Uint8Array.from({ length: Math.min(len, bufLen) }, (_, j) => (j * 31 + 7) & 0xff));
    }
    if (len > bufLen * buffersOf(p)) return { skip: `${p.name} would need ${len} bytes` };
    bytes += p.direction === 'inout' ? 2 * len : len;
  }
  restore(memory(), inputs);
  return { values, bytes, inputs };
}

function writeFrame(dv: DataView, fp: number, f: EdlFunction, values: ReadonlyArray<number | bigint>): void {
  for (let i = 0; i < 8 * (f.params.length + 1); i++) dv.setUint8(fp + i, 0);
  f.params.forEach((p, i) => {
    const at = fp + 8 * (i + 1);
    const v = values[i]!;
    if (isAddress(p)) return dv.setUint32(at, Number(v), true);
    switch (wasmTypeOf(p.type)) {
      case 'i64':
        return dv.setBigInt64(at, BigInt(v), true);
      case 'f32':
        return dv.setFloat32(at, Number(v), true);
      case 'f64':
        return dv.setFloat64(at, Number(v), true);
      default:
        return dv.setInt32(at, Number(v), true);
    }
  });
}

/** The ECALL's return value from frame slot 0 (what the function itself said about the generated input). */
function readRet(dv: DataView, fp: number, f: EdlFunction): number | string | null {
  if (!returnsValue(f) || isAggregate(f.ret)) return null;
  switch (scalarOf(f.ret).wasm) {
    case 'i64':
      return dv.getBigInt64(fp, true).toString();
    case 'f32':
      return dv.getFloat32(fp, true);
    case 'f64':
      return dv.getFloat64(fp, true);
    default:
      return scalarOf(f.ret).signed ? dv.getInt32(fp, true) : dv.getUint32(fp, true);
  }
}

/** The user's EDL must describe the enclave it is run against (same functions, same parameter counts). */
function checkMatches(user: EdlInterface, embedded: string | null, file: string, edlFile: string): void {
  if (embedded === null) return;
  // Label the embedded copy so that its messages point into the enclave file (the last path part names the interface).
  const theirs = parseEdl(embedded, `${file}:emon.edl/${user.name}.edl`);
  const shape = (i: EdlInterface): string[] => [...i.trusted, ...i.untrusted].map((f) => `${f.name}/${f.params.length}`);
  const a = shape(user);
  const b = shape(theirs);
  const diff = a.find((x, k) => x !== b[k]) ?? b.find((x, k) => x !== a[k]);
  if (diff !== undefined) {
    throw new EmonError('E_EDL_MISMATCH', `${edlFile} does not describe ${file}: the enclave's embedded EDL differs at ${diff}`, {
      hint: 'pass the EDL the enclave was built from (or rebuild the enclave from this EDL)',
    });
  }
}

function loadImage(edlFile: string, enclaveFile: string, searchPath: readonly string[], types: readonly OpaqueType[]): EnclaveImage {
  let bytes: Uint8Array;
  try {
    // Readable at all? A missing file is E_NO_FILE, as for the enclave; readEdl then parses it with its imports.
    readRegularFile(edlFile);
  } catch (e) {
    throw new EmonError('E_NO_FILE', `cannot read EDL ${edlFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint: 'give the path of your .edl file' });
  }
  try {
    bytes = new Uint8Array(readRegularFile(enclaveFile));
  } catch (e) {
    throw new EmonError('E_NO_FILE', `cannot read enclave ${enclaveFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      hint: 'give the path of the signed enclave .wasm built from that EDL',
    });
  }
  const iface = readEdl(edlFile, { searchPath, types });
  const sigFile = `${enclaveFile}.sig`;
  const enclave = createEnclave(bytes, enclaveFile, existsSync(sigFile) ? { sigstruct: new Uint8Array(readRegularFile(sigFile)) } : {});
  checkMatches(iface, enclave.edl, enclaveFile, edlFile);
  return { name: path.basename(enclaveFile).replace(/\.wasm$/, ''), enclave, iface };
}

/** One enclave instance wired to the bench guest through its own gate (what runtime/enclave/host.ts openEnclave
 * does, keeping the OCALL gates too so they can be driven directly). */
interface Opened {
  readonly ecalls: readonly EcallFn[];
  readonly ocalls: Readonly<Record<string, Function>>;
  readonly exports: WebAssembly.Exports;
  readonly memory: WebAssembly.Memory;
}

interface Harness {
  readonly image: EnclaveImage;
  readonly guest: WebAssembly.Instance;
  /** Current bench instance and its driver; replaced when an enclave is lost to a generated input. */
  open: Opened;
  driver: WebAssembly.Exports;
  probe: Opened;
  readonly probeSink: MemoryTraceSink;
}

export interface EdlSuiteOptions {
  /** Measure with this trace sink on the gate (to price tracing); null or absent: tracing off, as by default. */
  readonly measureTrace?: TraceSink | null;
  /** Folders searched for the EDL's imports after its own (edger8r's --search-path). */
  readonly searchPath?: readonly string[];
  /** Sizes of header types (`--type NAME=SIZE`). */
  readonly types?: readonly OpaqueType[];
}

/** Build a BenchSuite for `edlFile` implemented by `enclaveFile`. Errors (bad EDL, unsigned enclave) surface here. */
export async function edlSuite(edlFile: string, enclaveFile: string, options: EdlSuiteOptions = {}): Promise<BenchSuite> {
  const image = loadImage(edlFile, enclaveFile, options.searchPath ?? [], options.types ?? []);
  const iface = image.iface;
  const skipped: Array<{ case: string; reason: string }> = [];
  const ocallsPer: Record<string, Record<string, number>> = {};
  const returns: Record<string, number | string | null> = {};
  let harness: Harness | null = null;

  return {
    name: `edl:${iface.name}`,
    description: `every ECALL/OCALL of ${path.basename(edlFile)} against ${path.basename(enclaveFile)}, buffers swept over sizes`,
    async setup(ctx: SuiteContext): Promise<BenchCase[]> {
      const sizes = ctx.quick ? SIZES_QUICK : SIZES_FULL;
      // One buffer per pointer parameter, each large enough for the biggest [out] buffer: all inputs plus headroom.
      const maxPtrs = Math.max(1, ...[...iface.trusted, ...iface.untrusted].map((f) => f.params.reduce((n, p) => n + buffersOf(p), 0)));
      const bufLen = maxPtrs * Math.max(...sizes) + OUT_HEADROOM;
      const scratchPtr = FRAMES + FRAMES_LEN;
      const scratchLen = maxPtrs * (bufLen + 8) + 4096;
      const bufBase = scratchPtr + scratchLen;
      const pages = Math.ceil((bufBase + maxPtrs * bufLen) / 65536) + 1;
      const guest = new WebAssembly.Instance(new WebAssembly.Module(await watToWasm(`${iface.name}-guest`, guestWat(iface, pages))), {});
      const gmem = guest.exports.memory as WebAssembly.Memory;
      const driverModule = new WebAssembly.Module(await watToWasm(`${iface.name}-driver`, driverWat(iface)));
      const platform: PlatformSecrets = { sealRoot: randomBytes(32), reportRoot: randomBytes(32), stateDir: '(benchmark: ephemeral platform)' };
      const emulate = ctx.emulateCost === true;
      const openOne = (trace: TraceSink | null): Opened => {
        const gate = new Gate({
          iface,
          guest: 'bench',
          enclave: image.name,
          guestMemory: () => gmem,
          guestExports: () => guest.exports,
          scratch: { ptr: scratchPtr, len: scratchLen },
          trace,
          spinEcall: emulate ? () => emulateCost('sgx', 'ecall') : null,
          spinOcall: emulate ? () => emulateCost('sgx', 'ocall') : null,
        });
        const inst = instantiateEnclave(image.enclave, platform, { memory: () => gmem }, gate.ocallImports as Record<string, WebAssembly.ImportValue>);
        gate.attach(inst.exports, inst.memory, inst.memoryLimit);
        return { ecalls: gate.ecalls, ocalls: gate.ocallImports, exports: inst.exports, memory: inst.memory };
      };
      const withDriver = (open: Opened): WebAssembly.Exports =>
        new WebAssembly.Instance(driverModule, {
          ecall: Object.fromEntries(open.ecalls.map((fn, i) => [String(i), fn])),
          ocall: Object.fromEntries(iface.untrusted.map((f, j) => [String(j), open.ocalls[f.name]!])),
        }).exports as WebAssembly.Exports;
      const probeSink = new MemoryTraceSink();
      const measureTrace = options.measureTrace ?? null;
      const open = openOne(measureTrace);
      harness = { image, guest, open, driver: withDriver(open), probe: openOne(probeSink), probeSink };
      const h = harness;
      const reopen = (): void => {
        h.open = openOne(measureTrace);
        h.driver = withDriver(h.open);
        h.probe = openOne(probeSink);
      };

      const cases: BenchCase[] = [];
      const gdv = (): DataView => new DataView(gmem.buffer);
      let frame = FRAMES;
      for (const f of iface.trusted) {
        if (!f.isPublic) {
          skipped.push({ case: f.name, reason: 'private ECALL: callable only during an OCALL that allows it' });
          continue;
        }
        for (const s of isSweepable(f) ? sizes : [0]) {
          const name = s === 0 ? f.name : `${f.name}/${s}`;
          const p = plan(f, Math.max(s, 1), (k) => bufBase + k * bufLen, bufLen, () => gmem);
          if ('skip' in p) {
            skipped.push({ case: name, reason: p.skip });
            continue;
          }
          const fp = frame;
          frame += 8 * (f.params.length + 1);
          if (frame > FRAMES + FRAMES_LEN) throw new EmonError('E_BENCH_EDL', `${edlFile}: too many ECALL cases to lay out`);
          writeFrame(gdv(), fp, f, p.values);
          const loopName = `ecall${f.index}`;
          const status = (h.driver[loopName] as (n: number, fp: number) => number)(1, fp);
          if (status !== 0) {
            const msSize = Number((h.open.exports['__emon_ms_size'] as () => number)()) >>> 0;
            const why = status === 2 && p.bytes > msSize ? ` (${p.bytes} bytes of buffers exceed the enclave's ${msSize}-byte marshalling area)` : '';
            skipped.push({ case: name, reason: `the gate returned ${STATUS[status] ?? status} for the generated input${why}` });
            if (status === 5) reopen();
            continue;
          }
          returns[name] = readRet(gdv(), fp, f);
          probeSink.events.length = 0;
          restore(gmem, p.inputs);
          h.probe.ecalls[f.index]!(fp);
          const counts: Record<string, number> = {};
          for (const e of probeSink.events) if (e.kind === 'ocall') counts[e.name] = (counts[e.name] ?? 0) + 1;
          const nOcalls = Object.values(counts).reduce((a, b) => a + b, 0);
          if (nOcalls > 0) ocallsPer[name] = counts;
          cases.push({
            name,
            ...(p.bytes > 0 ? { bytes: p.bytes } : {}),
            params: { fn: f.name, ...(s > 0 ? { size: s } : {}), backend: 'sgx' },
            modeledCycles: {
              sgx: modeledCycles('sgx', 'ecall')! + nOcalls * modeledCycles('sgx', 'ocall')!,
              tz: modeledCycles('tz', 'ta_invoke')! + nOcalls * modeledCycles('tz', 'ocall')!,
            },
            run(n) {
              restore(gmem, p.inputs);
              const st = (h.driver[loopName] as (n: number, fp: number) => number)(n, fp);
              if (st !== 0) throw new EmonError('E_BENCH_EDL', `ECALL ${name} returned ${STATUS[st] ?? st} while being measured`);
            },
          });
        }
      }
      for (const f of iface.untrusted) cases.push(...ocallCases(f, h, sizes, skipped));
      return cases;
    },
    async extra() {
      return { edl: edlFile, enclave: enclaveFile, skipped, ocallsPerEcall: ocallsPer, returnValues: returns, outHeadroom: OUT_HEADROOM };
    },
    async teardown() {
      harness = null;
    },
  };
}

/** OCALL cases: arguments live in the enclave's marshalling area, as if the enclave had placed them. */
function ocallCases(f: EdlFunction, h: Harness, sizes: readonly number[], skipped: Array<{ case: string; reason: string }>): BenchCase[] {
  const cases: BenchCase[] = [];
  const ex = h.open.exports;
  const msBase = Number((ex['__emon_ms'] as () => number)()) >>> 0;
  const msSize = Number((ex['__emon_ms_size'] as () => number)()) >>> 0;
  const ptrs = Math.max(1, f.params.reduce((n, p) => n + buffersOf(p), 0));
  const hasRet = ocallGateParams(f).length > f.params.length;
  for (const s of isSweepable(f) ? sizes : [0]) {
    const name = s === 0 ? `ocall:${f.name}` : `ocall:${f.name}/${s}`;
    const slot = Math.floor((msSize - 64) / ptrs) & ~7;
    const p = plan(f, Math.max(s, 1), (k) => msBase + 64 + k * slot, slot, () => h.open.memory);
    if ('skip' in p) {
      skipped.push({ case: name, reason: `${p.skip}; the marshalling area offers ${slot} per buffer` });
      continue;
    }
    const args = [...(hasRet ? [msBase] : []), ...p.values];
    const loop = h.driver[`ocall${f.index}`] as (n: number, ...a: Array<number | bigint>) => number;
    const status = loop(1, ...args);
    if (status !== 0) {
      skipped.push({ case: name, reason: `the OCALL gate returned ${STATUS[status] ?? status} for the generated input` });
      continue;
    }
    cases.push({
      name,
      ...(p.bytes > 0 ? { bytes: p.bytes } : {}),
      params: { fn: `ocall ${f.name}`, ...(s > 0 ? { size: s } : {}), backend: 'sgx' },
      modeledCycles: { sgx: modeledCycles('sgx', 'ocall')!, tz: modeledCycles('tz', 'ocall')! },
      run(n) {
        restore(h.open.memory, p.inputs);
        const st = (h.driver[`ocall${f.index}`] as typeof loop)(n, ...args);
        if (st !== 0) throw new EmonError('E_BENCH_EDL', `OCALL ${name} returned ${STATUS[st] ?? st} while being measured`);
      },
    });
  }
  return cases;
}
