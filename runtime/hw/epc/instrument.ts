/**
 * Residency instrumentation of enclave modules: the "page table" of emon's EPC (DESIGN.md §5, Intel SDM Vol. 3D
 * §36.5 "EPC and management of EPC pages"). Real SGX catches an access to an evicted page with the MMU; a Wasm
 * engine has no per-page protection, so this binaryen pass makes the enclave's own code do the check:
 *
 *  - every load and store (scalar, atomic, v128, SIMD lane/splat/zero loads) gets an inline guard that reads one
 *    byte per touched page from a residency map (0: no access; 1: resident, loads only; 3: resident and dirty,
 *    loads and stores; see space.ts) and calls hw (`emon_epc.miss`) only when the byte does not allow the access.
 *    An access that spans two pages (an unaligned 8-byte load at a page end) checks both pages;
 *  - before the map, loads consult a per-function page cache: a local holds the base of the last page a load
 *    found mapped, and a load inside that page is let through after a subtraction and one unsigned compare.
 *    Only hw changes the map, and only while the enclave is inside a call: so every call (direct, indirect, or
 *    to hw for a bulk operation or a miss) forgets the cache once its operands are evaluated, and no handler or
 *    return path can see a stale one. Sequential loads then cost a compare instead of two map loads. Stores
 *    check the map directly: a second cache for them measured slower on random updates (a mostly-missing
 *    compare in front of the map test) and no faster on sequential ones;
 *  - a store whose value is a pure function of one load of the same local address (`a[i] = f(a[i])`) has its
 *    load guarded as a store and no guard of its own: nothing between the two can evict (no call, no other
 *    access). Such a fault is reported as a write, as the read-modify-write instruction of a CPU would;
 *  - the guards are emitted inline with scratch locals (no helper functions, no inlining pass: the pass costs a
 *    read, a walk and an emit, and V8's optimizing tier folds the repeated address arithmetic);
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
import { addVar, FIELDS, kindById, laneBytes, LISTS, simdLoadBytes, wrapper, type Ref, type Wrapper } from './ir.js';
import { PAGE_SHIFT, PAGE_SIZE, WASM_PAGE } from './size.js';

/** Residency map byte of a resident, dirty page: the only value that lets a store through (see space.ts). */
const MAP_WRITABLE = 3;
/** Page cache value meaning "no page known": 4 GiB - 4 KiB, above every enclave's memory (checked below). */
const NO_PAGE = -PAGE_SIZE;

/** The import module hw serves to instrumented enclaves. */
export const EPC_IMPORT = 'emon_epc';

export type EpcMode = 'paged' | 'resident';

export interface InstrumentOptions {
  readonly mode: EpcMode;
  /** Largest size the enclave may grow to, in bytes (its configured size; rounded up to 64 KiB). */
  readonly maxBytes: number;
  /** Name used in error messages. */
  readonly name: string;
  /** Validate the output with binaryen too (for debugging the pass; V8 validates it anyway when compiling). */
  readonly validate?: boolean;
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
/** What Node 20's engine runs (binaryen's `All` would also emit encodings V8 11 rejects). */
const FEATURES = B.Features.MVP | B.Features.MutableGlobals | B.Features.NontrappingFPToInt | B.Features.SIMD128 |
  B.Features.BulkMemory | B.Features.BulkMemoryOpt | B.Features.SignExt | B.Features.ReferenceTypes | B.Features.Multivalue |
  B.Features.ExceptionHandling | B.Features.TailCall | B.Features.ExtendedConst;

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
  // < 65536: the last 4 KiB below 4 GiB stay outside the memory, so NO_PAGE names a page no access can use.
  if (physicalWasmPages >= 65536) fail(options.name, `its configured size (${options.maxBytes} bytes) plus the residency map reaches 4 GiB`);
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
  const imports = new Set<string>();
  const need = (name: string, params: number, results: number): string => {
    if (!imports.has(name)) {
      imports.add(name);
      m.addFunctionImport(`__epc_${name}`, EPC_IMPORT, name, params, results);
    }
    return `__epc_${name}`;
  };

  // Per-function scratch locals and the page cache (see the header comment), created on first use.
  let fnRef = 0;
  let vars = new Map<string, number>();
  const local = (key: string, type: number): number => {
    let i = vars.get(key);
    if (i === undefined) vars.set(key, (i = addVar(fnRef, type)));
    return i;
  };
  const rc = (): number => local('rc', i32);
  const invalidate = (): Ref[] => [m.local.set(rc(), m.i32.const(NO_PAGE))];
  const ea = (ptr: number, offset: number): Ref => (offset === 0 ? m.local.get(ptr, i32) : m.i32.add(m.local.get(ptr, i32), m.i32.const(offset)));
  const mapAt = (addr: Ref): Ref => m.i32.load8_u(mapBase, 1, m.i32.shr_u(addr, m.i32.const(PAGE_SHIFT)));
  /**
   * The guard of one access of `size` bytes at local `ptr` + `offset`: the cache test, then the map test, then
   * hw. A miss may evict any page, so both caches are forgotten before it (before, not after: hw may throw, and
   * the enclave may catch that in a handler that then runs with the caches as they were).
   */
  const check = (ptr: number, offset: number, size: number, write: boolean): Ref => {
    guarded++;
    const map = size === 1 ? mapAt(ea(ptr, offset)) : m.i32.and(mapAt(ea(ptr, offset)), mapAt(ea(ptr, offset + size - 1)));
    const miss = need('miss', p(i32, i32, i32, i32), none);
    const slow = m.if(write ? m.i32.lt_u(map, m.i32.const(MAP_WRITABLE)) : m.i32.eqz(map), m.block(null, [
      ...invalidate(),
      m.call(miss, [m.local.get(ptr, i32), m.i32.const(offset), m.i32.const(size), m.i32.const(write ? 1 : 0)], none),
    ]));
    if (write) return slow;
    return m.if(
      m.i32.gt_u(m.i32.sub(ea(ptr, offset), m.local.get(rc(), i32)), m.i32.const(PAGE_SIZE - size)),
      m.block(null, [slow, m.local.set(rc(), m.i32.and(ea(ptr, offset), m.i32.const(-PAGE_SIZE)))]),
    );
  };
  /** A load's address operand, guarded: evaluated into a scratch local, checked, and passed on. */
  const guardLoad = (ptr: Ref, offset: number, size: number, write: boolean): Ref => {
    const t = local('t', i32);
    return m.block(null, [m.local.set(t, ptr), check(t, offset, size, write), m.local.get(t, i32)], i32);
  };
  /**
   * A store (or lane access with operands Ptr and Value/Vec): both operands go to locals first, because the value
   * runs after the address and may itself miss and evict the target page; the check sits between them and the
   * access. Locals are per store nesting depth, so a store inside another's value keeps its own.
   */
  const guardStore = (e: Ref, w: Wrapper, second: number, result: number, offset: number, size: number, write: boolean, depth: number): Ref => {
    const secondField = w.getValue ? 'Value' : 'Vec';
    const ptr = local(`p${depth}`, i32);
    const val = local(`v${depth}/${second}`, second);
    const sets = [m.local.set(ptr, w.getPtr!(e)), m.local.set(val, w[`get${secondField}`]!(e))];
    w.setPtr!(e, m.local.get(ptr, i32));
    w[`set${secondField}`]!(e, m.local.get(val, second));
    return m.block(null, [...sets, check(ptr, offset, size, write), e], result);
  };
  /**
   * Any call may evict (through hw, or a callee's guards): the caches are forgotten once the operands are
   * evaluated and before control leaves, so they are already forgotten when the call returns or throws.
   */
  const forgetAtCall = (e: Ref, kind: 'Call' | 'CallIndirect'): Ref => {
    const w = wrapper(kind);
    // Operands with no guard inside may run after the reset.
    const simple = (x: Ref): boolean => { const k = kindById.get(B.getExpressionId(x)); return k === 'Const' || k === 'LocalGet' || k === 'GlobalGet'; };
    const wrap = (x: Ref): Ref => {
      const type = B.getExpressionType(x);
      if (type === B.unreachable) return x; // the call is never reached
      if (simple(x)) return m.block(null, [...invalidate(), x], type);
      const t = local(`c/${type}`, type);
      return m.block(null, [m.local.set(t, x), ...invalidate(), m.local.get(t, type)], type);
    };
    if (kind === 'CallIndirect') {
      w.setTarget!(e, wrap(w.getTarget!(e)));
      return e;
    }
    const n = w.getNumOperands!(e);
    if (n === 0) return m.block(null, [...invalidate(), e], B.getExpressionType(e));
    const last = w.getOperandAt!(e, n - 1);
    if (B.getExpressionId(last) === B.PopId) {
      // A `pop` must stay first in its catch body: forget after the call instead (exact unless the call throws
      // into another handler of this function; compilers put a catch's value in a local first).
      const type = B.getExpressionType(e);
      if (type === B.none) return m.block(null, [e, ...invalidate()], B.none);
      const t = local(`c/${type}`, type);
      return m.block(null, [m.local.set(t, e), ...invalidate(), m.local.get(t, type)], type);
    }
    w.setOperandAt!(e, n - 1, wrap(last));
    return e;
  };
  let initSites = 0;
  let guarded = 0;
  let storeDepth = 0;
  /** Loads that are the read of a read-modify-write of the same address: guarded for the store (see below). */
  const rmwLoads = new Set<Ref>();
  const PURE = new Set(['Const', 'LocalGet', 'GlobalGet', 'Unary', 'Binary', 'Select']);
  /**
   * `store(local $a + o, f(load(local $a + o)))` with f pure (no call, no other access, no local set): the load
   * is guarded as a store (the page made writable), and the store needs no guard, since nothing between the
   * two can evict. Returns the load, or 0 if `e` is not of that shape.
   */
  const rmwLoad = (e: Ref): Ref => {
    const st = wrapper('Store');
    const ptr = st.getPtr!(e);
    const pid = B.getExpressionId(ptr);
    // `local.get $a`, or `local.tee $a (address)` (the address computed in the store itself, as compilers emit it).
    const tee = pid === B.LocalSetId && (wrapper('LocalSet').isTee!(ptr) as unknown as boolean);
    if (pid !== B.LocalGetId && !tee) return 0;
    const index = wrapper(tee ? 'LocalSet' : 'LocalGet').getIndex!(ptr);
    let found: Ref = 0;
    let ok = true;
    const scan = (x: Ref): void => {
      if (!ok || !x) return;
      const k = kindById.get(B.getExpressionId(x));
      if (k === 'Load') {
        const ld = wrapper('Load');
        const lp = ld.getPtr!(x);
        if (found || ld.isAtomic!(x) || B.getExpressionId(lp) !== B.LocalGetId || wrapper('LocalGet').getIndex!(lp) !== index ||
          ld.getOffset!(x) !== st.getOffset!(e) || ld.getBytes!(x) < st.getBytes!(e)) {
          ok = false;
          return;
        }
        found = x;
        return;
      }
      if (k === undefined || !PURE.has(k)) {
        ok = false;
        return;
      }
      for (const f of FIELDS[k] ?? []) scan(wrapper(k)[`get${f}`]!(x));
    };
    scan(st.getValue!(e));
    return ok ? found : 0;
  };

  const walk = (e: Ref, fn: string): Ref => {
    if (!e) return e;
    const id = B.getExpressionId(e);
    const kind = kindById.get(id);
    if (kind === undefined) fail(options.name, `function ${fn} uses an instruction the EPC cannot guard (expression id ${id})`);
    if (kind.startsWith('Atomic') && kind !== 'AtomicFence') fail(options.name, `function ${fn} uses atomic read-modify-write instructions`);
    const w = wrapper(kind);
    const storeLike = paged && (kind === 'Store' || kind === 'SIMDLoadStoreLane');
    const rmw = paged && kind === 'Store' ? rmwLoad(e) : 0;
    if (rmw) rmwLoads.add(rmw);
    if (storeLike) storeDepth++;
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
    if (storeLike) storeDepth--;
    switch (kind) {
      case 'MemoryGrow': {
        const call = m.call(need('grow', i32, i32), [wrapper('MemoryGrow').getDelta!(e)], i32);
        return paged ? forgetAtCall(call, 'Call') : call;
      }
      case 'MemorySize':
        return paged ? m.call(need('size', none, i32), [], i32) : e;
    }
    if (!paged) return e;
    switch (kind) {
      case 'Call':
      case 'CallIndirect':
        return forgetAtCall(e, kind);
      case 'Load': {
        const ld = wrapper('Load');
        ld.setPtr!(e, guardLoad(ld.getPtr!(e), ld.getOffset!(e), ld.getBytes!(e), rmwLoads.has(e)));
        return e;
      }
      case 'Store': {
        const st = wrapper('Store');
        if (B.getExpressionInfo(e) && (st.isAtomic!(e) as unknown as boolean)) fail(options.name, `function ${fn} uses atomic stores`);
        if (rmw) return e;
        return guardStore(e, st, st.getValueType!(e), none, st.getOffset!(e), st.getBytes!(e), true, storeDepth);
      }
      case 'SIMDLoad':
        wrapper('SIMDLoad').setPtr!(e, guardLoad(wrapper('SIMDLoad').getPtr!(e), wrapper('SIMDLoad').getOffset!(e), simdLoadBytes.get(wrapper('SIMDLoad').getOp!(e)) ?? 16, false));
        return e;
      case 'SIMDLoadStoreLane': {
        const ln = wrapper('SIMDLoadStoreLane');
        const [size, write] = laneBytes.get(ln.getOp!(e)) ?? [16, true];
        return guardStore(e, ln, B.v128, write ? none : B.v128, ln.getOffset!(e), size, write, storeDepth);
      }
      case 'MemoryCopy':
        return forgetAtCall(m.call(need('copy', p(i32, i32, i32), none), [wrapper('MemoryCopy').getDest!(e), wrapper('MemoryCopy').getSource!(e), wrapper('MemoryCopy').getSize!(e)], none), 'Call');
      case 'MemoryFill':
        return forgetAtCall(m.call(need('fill', p(i32, i32, i32), none), [wrapper('MemoryFill').getDest!(e), wrapper('MemoryFill').getValue!(e), wrapper('MemoryFill').getSize!(e)], none), 'Call');
      case 'MemoryInit': {
        // A function per site: make [dest, dest+size) resident, then run the original instruction on its locals.
        const name = `__epc_init_${initSites++}`;
        const range = need('range', p(i32, i32), none);
        const seg = B.getExpressionInfo(e) as unknown as { segment: string };
        m.addFunction(name, p(i32, i32, i32), none, [], m.block(null, [
          m.call(range, [m.local.get(0, i32), m.local.get(2, i32)], none),
          m.memory.init(seg.segment, m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)),
        ], none));
        return forgetAtCall(m.call(name, [wrapper('MemoryInit').getDest!(e), wrapper('MemoryInit').getOffset!(e), wrapper('MemoryInit').getSize!(e)], none), 'Call');
      }
    }
    return e;
  };

  const originals: number[] = [];
  for (let i = 0; i < m.getNumFunctions(); i++) originals.push(m.getFunctionByIndex(i));
  for (const f of originals) {
    const fi = B.getFunctionInfo(f);
    if (fi.module) continue; // an import
    fnRef = f;
    vars = new Map();
    let body = walk(fi.body, fi.name);
    // Locals start at 0, a real page: the caches start out forgotten.
    if (vars.has('rc')) body = m.block(null, [...invalidate(), body], B.getExpressionType(body));
    if (body !== fi.body) wrapper('Function').setBody!(f, body);
  }
  if (options.validate && !m.validate()) fail(options.name, 'the instrumented module does not validate');
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
