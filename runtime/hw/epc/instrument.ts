/**
 * Residency instrumentation of enclave modules: the "page table" of emon's EPC (DESIGN.md §5, Intel SDM Vol. 3D
 * §36.5 "EPC and management of EPC pages"). Real SGX catches an access to an evicted page with the MMU; a Wasm
 * engine has no per-page protection, so this binaryen pass makes the enclave's own code do the check:
 *
 *  - every load and store (scalar, atomic, v128, SIMD lane/splat/zero loads) gets an inline guard that reads one
 *    byte per touched page from a residency map and calls hw (`emon_epc.miss`) only when a byte is 0. An access
 *    that spans two pages (an unaligned 8-byte load at a page end) checks both pages; the guard is one shared
 *    guard function per (size, read/write) that binaryen inlines (plain inlining plus local cleanup: the engine
 *    folds the constants; the full optimizing pipeline cost 3-5x the load time for no measured gain), so the
 *    fast path is two L1-resident byte loads, an AND and a not-taken branch;
 *  - memory.copy / memory.fill become calls into hw, which pages both ranges through chunk by chunk (a copy larger
 *    than the whole EPC still works); memory.init first makes its destination resident; memory.size / memory.grow
 *    are virtualised, so the enclave sees its own size while the physical memory also holds the map.
 *
 * Why the map lives in the enclave's own memory, above the enclave's maximum size: Node 20's engine has no
 * multi-memory, and a call per access would cost 10x. The enclave cannot reach the map: its virtual size stops
 * below it, every map byte for addresses past the virtual size (the map's own pages included) stays 0, so any such
 * access goes to the slow path, which raises the out-of-bounds trap the unmodified module would have raised. The
 * check is exact: a 0 byte never lets an access through, and a 1 byte is only set by hw for a resident page.
 * Byte 0 also stands for "resident but not referenced": CLOCK clears bytes instead of keeping access bits on the
 * fast path, and the next access re-sets them through the slow path (as an OS samples PTE accessed bits).
 *
 * Resident mode (whole enclave pinned in the EPC) skips the guards; only memory.grow is routed to hw, to keep
 * the enclave within the size it reserved.
 */
import binaryen from 'binaryen';
import { EmonError } from '../../errors.js';
import { PAGE_SHIFT, PAGE_SIZE, WASM_PAGE } from './size.js';

/** Residency map byte of a resident, dirty page: the only value that lets a store through (see space.ts). */
const MAP_WRITABLE = 3;

/** The import module hw serves to instrumented enclaves. */
export const EPC_IMPORT = 'emon_epc';

export type EpcMode = 'paged' | 'resident';

export interface InstrumentOptions {
  readonly mode: EpcMode;
  /** Largest size the enclave may grow to, in bytes (its configured size; rounded up to 64 KiB). */
  readonly maxBytes: number;
  /** Name used in error messages. */
  readonly name: string;
}

/** Where things are in the instrumented enclave's memory. */
export interface EpcLayout {
  readonly mode: EpcMode;
  /** Virtual size at instantiation and the most it can grow to, in 64 KiB Wasm pages. */
  readonly initialWasmPages: number;
  readonly maxWasmPages: number;
  /** Byte address of the residency map (= maxWasmPages * 64 KiB); 0 in resident mode. */
  readonly mapBase: number;
  /** Physical Wasm pages hw grows the memory to after instantiation (virtual max + map). */
  readonly physicalWasmPages: number;
  /** Export name of the memory (added as `__epc_memory` when the module did not export it), or null if imported. */
  readonly memoryExport: string | null;
  /** [module, name] of the memory import when the module imports its memory. */
  readonly memoryImport: readonly [string, string] | null;
  /** The module's start function, deferred until hw has set up the pages, exported under this name. */
  readonly startExport: string | null;
}

export interface InstrumentedModule {
  readonly bytes: Uint8Array;
  readonly layout: EpcLayout;
  /** How many memory accesses got a guard (0 in resident mode). */
  readonly guardedAccesses: number;
}

const B = binaryen;
type Ref = number;
/** What Node 20's engine runs (binaryen's `All` would also emit encodings V8 11 rejects). */
const FEATURES = B.Features.MVP | B.Features.MutableGlobals | B.Features.NontrappingFPToInt | B.Features.SIMD128 |
  B.Features.BulkMemory | B.Features.BulkMemoryOpt | B.Features.SignExt | B.Features.ReferenceTypes | B.Features.Multivalue |
  B.Features.ExceptionHandling | B.Features.TailCall | B.Features.ExtendedConst;

/** Child slots per expression kind: [getter/setter suffix] on the binaryen wrapper class, or a list accessor. */
const FIELDS: Record<string, readonly string[]> = {
  If: ['Condition', 'IfTrue', 'IfFalse'],
  Loop: ['Body'],
  Break: ['Condition', 'Value'],
  Switch: ['Condition', 'Value'],
  CallIndirect: ['Target'],
  LocalSet: ['Value'],
  GlobalSet: ['Value'],
  Load: ['Ptr'],
  Store: ['Ptr', 'Value'],
  Unary: ['Value'],
  Binary: ['Left', 'Right'],
  Select: ['IfTrue', 'IfFalse', 'Condition'],
  Drop: ['Value'],
  Return: ['Value'],
  MemoryGrow: ['Delta'],
  MemoryCopy: ['Dest', 'Source', 'Size'],
  MemoryFill: ['Dest', 'Value', 'Size'],
  MemoryInit: ['Dest', 'Offset', 'Size'],
  SIMDExtract: ['Vec'],
  SIMDReplace: ['Vec', 'Value'],
  SIMDShuffle: ['Left', 'Right'],
  SIMDTernary: ['A', 'B', 'C'],
  SIMDShift: ['Vec', 'Shift'],
  SIMDLoad: ['Ptr'],
  SIMDLoadStoreLane: ['Ptr', 'Vec'],
  RefIsNull: ['Value'],
  RefAs: ['Value'],
  TableGet: ['Index'],
  TableSet: ['Index', 'Value'],
  TableGrow: ['Value', 'Delta'],
  TupleExtract: ['Tuple'],
  Try: ['Body'],
};
/** Kinds whose children are a list (operands / children / catch bodies). */
const LISTS: Record<string, readonly [string, string, string]> = {
  Block: ['getNumChildren', 'getChildAt', 'setChildAt'],
  Call: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  CallIndirect: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  Throw: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  TupleMake: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  Try: ['getNumCatchBodies', 'getCatchBodyAt', 'setCatchBodyAt'],
};
const LEAVES = new Set(['Nop', 'Unreachable', 'Const', 'LocalGet', 'GlobalGet', 'MemorySize', 'DataDrop', 'Pop',
  'RefNull', 'RefFunc', 'TableSize', 'Rethrow', 'AtomicFence']);

const kindById = new Map<number, string>();
for (const k of [...Object.keys(FIELDS), ...Object.keys(LISTS), ...LEAVES, 'AtomicRMW', 'AtomicCmpxchg', 'AtomicWait', 'AtomicNotify']) {
  const id = (B as unknown as Record<string, number>)[`${k}Id`];
  if (typeof id === 'number') kindById.set(id, k);
}

const simdLoadBytes = new Map<number, number>([
  [B.Load8SplatVec128, 1], [B.Load16SplatVec128, 2], [B.Load32SplatVec128, 4], [B.Load64SplatVec128, 8],
  [B.Load8x8SVec128, 8], [B.Load8x8UVec128, 8], [B.Load16x4SVec128, 8], [B.Load16x4UVec128, 8],
  [B.Load32x2SVec128, 8], [B.Load32x2UVec128, 8], [B.Load32ZeroVec128, 4], [B.Load64ZeroVec128, 8],
]);
const laneBytes = new Map<number, [number, boolean]>([
  [B.Load8LaneVec128, [1, false]], [B.Load16LaneVec128, [2, false]], [B.Load32LaneVec128, [4, false]],
  [B.Load64LaneVec128, [8, false]], [B.Store8LaneVec128, [1, true]], [B.Store16LaneVec128, [2, true]],
  [B.Store32LaneVec128, [4, true]], [B.Store64LaneVec128, [8, true]],
]);

type Wrapper = Record<string, (...a: number[]) => number>;
function wrapper(kind: string): Wrapper {
  return (B as unknown as Record<string, Wrapper>)[kind] as Wrapper;
}

function fail(name: string, what: string): never {
  throw new EmonError('E_EPC_INSTRUMENT', `cannot prepare enclave ${name} for EPC paging: ${what}`, {
    hint: 'rebuild the enclave without threads/atomics and memory64, or give it the resident EPC mode',
  });
}

/** Rewrites an enclave module for the EPC (see the header comment). Throws E_EPC_INSTRUMENT / E_BAD_WASM. */
export function instrumentEnclave(bytes: Uint8Array, options: InstrumentOptions): InstrumentedModule {
  let m: binaryen.Module;
  try {
    m = B.readBinary(bytes);
  } catch (e) {
    throw new EmonError('E_BAD_WASM', `enclave ${options.name} is not a valid Wasm module`, { cause: e, hint: 'check the enclave file' });
  }
  try {
    m.setFeatures(FEATURES);
    if (!m.validate()) fail(options.name, 'the module does not validate');
    return rewrite(m, options);
  } finally {
    m.dispose();
  }
}

function rewrite(m: binaryen.Module, options: InstrumentOptions): InstrumentedModule {
  if (!m.hasMemory()) fail(options.name, 'the module has no linear memory');
  const info = m.getMemoryInfo();
  if (info.is64) fail(options.name, 'memory64 is not supported');
  if (info.shared) fail(options.name, 'shared memory is not supported');
  const maxWasmPages = Math.ceil(options.maxBytes / WASM_PAGE);
  if (info.initial > maxWasmPages) {
    fail(options.name, `its initial memory (${info.initial * 64} KiB) exceeds its configured size (${maxWasmPages * 64} KiB)`);
  }
  const paged = options.mode === 'paged';
  const maxPages4k = maxWasmPages * (WASM_PAGE / PAGE_SIZE);
  const mapBytes = paged ? Math.ceil((maxPages4k + (maxPages4k >>> 12) + 64) / WASM_PAGE) * WASM_PAGE : 0;
  const physicalWasmPages = paged ? maxWasmPages + mapBytes / WASM_PAGE : info.initial;
  if (paged && info.max !== undefined && info.max < physicalWasmPages) {
    fail(options.name, `its memory maximum (${info.max} x 64 KiB) leaves no room for its configured size plus the residency map (${physicalWasmPages} x 64 KiB)`);
  }
  if (physicalWasmPages > 65536) fail(options.name, `its configured size (${options.maxBytes} bytes) plus the residency map exceeds 4 GiB`);
  const mapBase = paged ? maxWasmPages * WASM_PAGE : 0;

  let memoryExport: string | null = null;
  for (let i = 0; i < m.getNumExports(); i++) {
    const e = B.getExportInfo(m.getExportByIndex(i));
    if (e.kind === B.ExternalMemory) memoryExport = e.name;
  }
  const memoryImport: readonly [string, string] | null = info.module ? [info.module, info.base ?? ''] : null;
  if (!memoryExport && !memoryImport) {
    m.addMemoryExport('0', '__epc_memory');
    memoryExport = '__epc_memory';
  }
  let startExport: string | null = null;
  const start = m.getStart();
  if (start) {
    startExport = '__epc_start';
    m.addFunctionExport(B.getFunctionInfo(start).name, startExport);
    m.setStart(0);
  }

  const none = B.none;
  const i32 = B.i32;
  const p = (...t: number[]): number => B.createType(t);
  const guards = new Set<string>();
  const imports = new Set<string>();
  const need = (name: string, params: number, results: number): string => {
    if (!imports.has(name)) {
      imports.add(name);
      m.addFunctionImport(`__epc_${name}`, EPC_IMPORT, name, params, results);
    }
    return `__epc_${name}`;
  };
  const guardName = (size: number, write: boolean): string => {
    const name = `__epc_chk_${size}_${write ? 'w' : 'r'}`;
    if (!guards.has(name)) {
      guards.add(name);
      const miss = need('miss', p(i32, i32, i32, i32), none);
      const ea = (): Ref => m.local.get(2, i32);
      const mapAt = (addr: Ref): Ref => m.i32.load8_u(mapBase, 1, m.i32.shr_u(addr, m.i32.const(PAGE_SHIFT)));
      const resident = size === 1 ? mapAt(ea()) : m.i32.and(mapAt(ea()), mapAt(m.i32.add(ea(), m.i32.const(size - 1))));
      m.addFunction(name, p(i32, i32), i32, [i32], m.block(null, [
        m.local.set(2, m.i32.add(m.local.get(0, i32), m.local.get(1, i32))),
        m.if(write ? m.i32.lt_u(resident, m.i32.const(MAP_WRITABLE)) : m.i32.eqz(resident), m.call(miss, [m.local.get(0, i32), m.local.get(1, i32), m.i32.const(size), m.i32.const(write ? 1 : 0)], none)),
        m.local.get(0, i32),
      ], i32));
    }
    return name;
  };
  const guard = (ptr: Ref, offset: number, size: number, write: boolean): Ref => {
    guarded++;
    return m.call(guardName(size, write), [ptr, m.i32.const(offset)], i32);
  };
  let initSites = 0;
  let guarded = 0;
  let sites = 0;
  /** Moves `e` (a store or lane access with operands Ptr and Value/Vec) into a one-caller function that checks first. */
  const deferred = (e: Ref, w: Wrapper, second: number, result: number, offset: number, size: number, write: boolean): Ref => {
    const secondField = w.getValue ? 'Value' : 'Vec';
    const ptr = w.getPtr!(e);
    const val = w[`get${secondField}`]!(e);
    w.setPtr!(e, guard(m.local.get(0, i32), offset, size, write));
    w[`set${secondField}`]!(e, m.local.get(1, second));
    const name = `__epc_site_${sites++}`;
    m.addFunction(name, p(i32, second), result, [], e);
    return m.call(name, [ptr, val], result);
  };

  const walk = (e: Ref, fn: string): Ref => {
    if (!e) return e;
    const id = B.getExpressionId(e);
    const kind = kindById.get(id);
    if (kind === undefined) fail(options.name, `function ${fn} uses an instruction the EPC cannot guard (expression id ${id})`);
    if (kind.startsWith('Atomic') && kind !== 'AtomicFence') fail(options.name, `function ${fn} uses atomic read-modify-write instructions`);
    const w = wrapper(kind);
    for (const f of FIELDS[kind] ?? []) {
      const child = w[`get${f}`]!(e);
      const n = walk(child, fn);
      if (n !== child) w[`set${f}`]!(e, n);
    }
    const list = LISTS[kind];
    if (list) {
      const count = w[list[0]]!(e);
      for (let i = 0; i < count; i++) {
        const child = w[list[1]]!(e, i);
        const n = walk(child, fn);
        if (n !== child) w[list[2]]!(e, i, n);
      }
    }
    switch (kind) {
      case 'MemoryGrow':
        return m.call(need('grow', i32, i32), [wrapper('MemoryGrow').getDelta!(e)], i32);
      case 'MemorySize':
        return paged ? m.call(need('size', none, i32), [], i32) : e;
    }
    if (!paged) return e;
    switch (kind) {
      case 'Load':
        wrapper('Load').setPtr!(e, guard(wrapper('Load').getPtr!(e), wrapper('Load').getOffset!(e), wrapper('Load').getBytes!(e), false));
        return e;
      case 'Store': {
        const st = wrapper('Store');
        if (B.getExpressionInfo(e) && (st.isAtomic!(e) as unknown as boolean)) fail(options.name, `function ${fn} uses atomic stores`);
        // The value operand runs after the address and may itself fault and evict the target page, so the
        // check must sit between the two: the store moves into a function called with both operands evaluated.
        return deferred(e, st, st.getValueType!(e), none, st.getOffset!(e), st.getBytes!(e), true);
      }
      case 'SIMDLoad':
        wrapper('SIMDLoad').setPtr!(e, guard(wrapper('SIMDLoad').getPtr!(e), wrapper('SIMDLoad').getOffset!(e), simdLoadBytes.get(wrapper('SIMDLoad').getOp!(e)) ?? 16, false));
        return e;
      case 'SIMDLoadStoreLane': {
        const ln = wrapper('SIMDLoadStoreLane');
        const [size, write] = laneBytes.get(ln.getOp!(e)) ?? [16, true];
        return deferred(e, ln, B.v128, write ? none : B.v128, ln.getOffset!(e), size, write);
      }
      case 'MemoryCopy':
        return m.call(need('copy', p(i32, i32, i32), none), [wrapper('MemoryCopy').getDest!(e), wrapper('MemoryCopy').getSource!(e), wrapper('MemoryCopy').getSize!(e)], none);
      case 'MemoryFill':
        return m.call(need('fill', p(i32, i32, i32), none), [wrapper('MemoryFill').getDest!(e), wrapper('MemoryFill').getValue!(e), wrapper('MemoryFill').getSize!(e)], none);
      case 'MemoryInit': {
        // A function per site: make [dest, dest+size) resident, then run the original instruction on its locals.
        const name = `__epc_init_${initSites++}`;
        const range = need('range', p(i32, i32), none);
        const seg = B.getExpressionInfo(e) as unknown as { segment: string };
        m.addFunction(name, p(i32, i32, i32), none, [], m.block(null, [
          m.call(range, [m.local.get(0, i32), m.local.get(2, i32)], none),
          m.memory.init(seg.segment, m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)),
        ], none));
        return m.call(name, [wrapper('MemoryInit').getDest!(e), wrapper('MemoryInit').getOffset!(e), wrapper('MemoryInit').getSize!(e)], none);
      }
    }
    return e;
  };

  const originals: number[] = [];
  for (let i = 0; i < m.getNumFunctions(); i++) originals.push(m.getFunctionByIndex(i));
  for (const f of originals) {
    const fi = B.getFunctionInfo(f);
    if (fi.module) continue; // an import
    const body = walk(fi.body, fi.name);
    if (body !== fi.body) wrapper('Function').setBody!(f, body);
  }
  if (paged) {
    B.setAlwaysInlineMaxSize(40);
    B.setOneCallerInlineMaxSize(1000);
    m.runPasses(['inlining', 'simplify-locals', 'vacuum']);
  }
  if (!m.validate()) fail(options.name, 'the instrumented module does not validate');
  return {
    bytes: m.emitBinary(),
    layout: {
      mode: options.mode,
      initialWasmPages: info.initial,
      maxWasmPages,
      mapBase,
      physicalWasmPages,
      memoryExport,
      memoryImport,
      startExport,
    },
    guardedAccesses: guarded,
  };
}
