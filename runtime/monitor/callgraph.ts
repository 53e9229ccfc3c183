/**
 * The recursive functions of a guest: those on a cycle of its call graph (strongly connected components, Tarjan,
 * "Depth-first search and linear graph algorithms", SIAM J. Comput. 1(2), 1972). The preemption pass
 * (./asyncify.ts) checks fuel on every loop header, so between two checks a guest runs straight-line code and
 * calls; only a cycle of calls can go on without reaching a loop header, so only these functions need the check
 * at their entry. Every function with a check can unwind, and Asyncify must instrument it and every caller: a
 * leaf helper without loops that is left unchecked costs its callers nothing.
 *
 * Indirect calls are followed conservatively: `call_indirect`, `call_ref`, any expression the walker does not
 * know, and a call to an import other than the hypercalls (a host function that may call back into the guest,
 * an enclave's OCALL path) may reach every function whose address is taken (table elements, `ref.func`) and
 * every exported one.
 */
import binaryen from 'binaryen';
import { FIELDS, kindById, LISTS, wrapper, type Ref } from '../hw/epc/ir.js';
import { SOLO5_IMPORT_MODULE } from './abi.js';

const B = binaryen;

/** Names of the defined functions that are on a cycle of calls (including a function calling itself). */
export function recursiveFunctions(m: binaryen.Module, hostModules: readonly string[] = [SOLO5_IMPORT_MODULE]): Set<string> {
  const imported = new Map<string, string>();
  const defined: string[] = [];
  const bodies = new Map<string, Ref>();
  const n = m.getNumFunctions();
  for (let i = 0; i < n; i++) {
    const fi = B.getFunctionInfo(m.getFunctionByIndex(i));
    if (fi.module !== '' && fi.module !== null) imported.set(fi.name, fi.module as string);
    else {
      defined.push(fi.name);
      bodies.set(fi.name, fi.body);
    }
  }
  const escaping = new Set<string>();
  for (let i = 0; i < m.getNumElementSegments(); i++) {
    for (const f of B.getElementSegmentInfo(m.getElementSegmentByIndex(i)).data) escaping.add(f);
  }
  for (let i = 0; i < m.getNumExports(); i++) {
    const x = B.getExportInfo(m.getExportByIndex(i));
    if (x.kind === B.ExternalFunction) escaping.add(x.value);
  }

  // Direct callees per function, and whether it may call indirectly.
  const callees = new Map<string, Set<string>>();
  const indirect = new Set<string>();
  for (const name of defined) {
    const out = new Set<string>();
    let any = false;
    const walk = (e: Ref): void => {
      if (!e) return;
      const id = B.getExpressionId(e);
      const kind = kindById.get(id);
      if (kind === undefined) {
        any = true;
        return;
      }
      if (id === B.CallId) {
        const target = (B.getExpressionInfo(e) as binaryen.CallInfo).target;
        const from = imported.get(target);
        if (from === undefined) out.add(target);
        else if (!hostModules.includes(from)) any = true;
      } else if (id === B.CallIndirectId) {
        any = true;
      } else if (id === B.RefFuncId) {
        escaping.add((B.getExpressionInfo(e) as binaryen.RefFuncInfo).func);
      }
      const w = wrapper(kind);
      for (const f of FIELDS[kind] ?? []) walk(w[`get${f}`]!(e));
      const list = LISTS[kind];
      if (list) {
        const count = w[list[0]]!(e);
        for (let i = 0; i < count; i++) walk(w[list[1]]!(e, i));
      }
    };
    walk(bodies.get(name)!);
    callees.set(name, out);
    if (any) indirect.add(name);
  }
  for (const name of indirect) for (const f of escaping) if (bodies.has(f)) callees.get(name)!.add(f);

  // Tarjan's algorithm, iteratively (a guest may have thousands of functions).
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const recursive = new Set<string>();
  let next = 0;
  for (const root of defined) {
    if (index.has(root)) continue;
    const work: Array<[string, Iterator<string>]> = [];
    const visit = (v: string): void => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      work.push([v, callees.get(v)![Symbol.iterator]()]);
    };
    visit(root);
    while (work.length > 0) {
      const [v, it] = work[work.length - 1]!;
      const step = it.next();
      if (!step.done) {
        const w = step.value;
        if (!index.has(w)) visit(w);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || callees.get(v)!.has(v)) for (const f of component) recursive.add(f);
      }
    }
  }
  return recursive;
}
