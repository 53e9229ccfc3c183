/**
 * Routes an enclave's loads and stores through the cache model (model.ts), opt-in: a binaryen pass replaces the
 * address operand of every scalar load and store with a call `emon_cache.at(addr, offset) -> addr` that records
 * the access of the line at addr + offset and returns addr unchanged, so evaluation order and results are the
 * Wasm ones. Runs before the EPC instrumentation, which then guards the access as usual. SIMD and atomic accesses
 * and bulk memory operations are not routed (the victims that use the model have none); the cost is one import
 * call per access, which is why only `emon attack` turns it on.
 */
import binaryen from 'binaryen';
import { EmonError } from '../../errors.js';
import { FIELDS, kindById, LISTS, wrapper, type Ref } from '../epc/ir.js';
import { ENCLAVE, type SetAssocCache } from './model.js';

const B = binaryen;
export const CACHE_IMPORT = 'emon_cache';

export function instrumentCacheAccesses(bytes: Uint8Array, name: string): Uint8Array {
  let m: binaryen.Module;
  try {
    m = B.readBinary(bytes);
  } catch (e) {
    throw new EmonError('E_BAD_WASM', `enclave ${name} is not a valid Wasm module`, { cause: e, hint: 'check the enclave file' });
  }
  try {
    m.setFeatures(B.Features.All);
    const at = '__emon_cache_at';
    m.addFunctionImport(at, CACHE_IMPORT, 'at', B.createType([B.i32, B.i32]), B.i32);
    const walk = (e: Ref): Ref => {
      if (e === 0) return e;
      const kind = kindById.get(B.getExpressionId(e));
      if (kind === undefined) return e;
      const w = wrapper(kind);
      for (const f of FIELDS[kind] ?? []) {
        const get = w[`get${f}`];
        const set = w[`set${f}`];
        if (!get || !set) continue;
        const c = get(e);
        if (c) {
          const n = walk(c);
          if (n !== c) set(e, n);
        }
      }
      const list = LISTS[kind];
      if (list) {
        const count = w[list[0]]!(e);
        for (let i = 0; i < count; i++) {
          const c = w[list[1]]!(e, i);
          const n = walk(c);
          if (n !== c) w[list[2]]!(e, i, n);
        }
      }
      if (kind === 'Load' || kind === 'Store') {
        const x = wrapper(kind);
        if (!(x.isAtomic!(e) as unknown as boolean)) x.setPtr!(e, m.call(at, [x.getPtr!(e), m.i32.const(x.getOffset!(e))], B.i32));
      }
      return e;
    };
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const f = m.getFunctionByIndex(i);
      const info = B.getFunctionInfo(f);
      if (info.module || info.name === at) continue;
      const body = walk(info.body);
      if (body !== info.body) wrapper('Function').setBody!(f, body);
    }
    if (!m.validate()) throw new EmonError('E_EPC_INSTRUMENT', `enclave ${name}: the module with cache accesses does not validate`);
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}

/**
 * The two halves of routing one trusted module through `cache`: the rewrite above and the import it calls, which
 * records each access as the victim's (`owner`, ENCLAVE by default). An SGX victim (runtime/attack/victim.ts)
 * and a TrustZone TA (hw/tz's TaInstrumentation, runtime/attack/ta-campaign.ts) take the same pair.
 */
export function cacheRouting(cache: SetAssocCache, owner = ENCLAVE): { rewrite(wasm: Uint8Array, name: string): Uint8Array; readonly imports: WebAssembly.Imports } {
  return {
    rewrite: instrumentCacheAccesses,
    imports: {
      [CACHE_IMPORT]: {
        at: (addr: number, offset: number): number => {
          cache.access(owner, (addr >>> 0) + (offset >>> 0));
          return addr;
        },
      },
    },
  };
}
