/**
 * Short counted loops, which the preemption pass (./asyncify.ts) leaves without a fuel check: an innermost loop
 * whose only back-edge is its last instruction, `br_if $l (i32.lt_u i K)` with a constant K <= MAX_TRIP, and
 * whose counter i is written once per iteration, unconditionally, as `i += c` (c >= 1). Such a loop runs at
 * most K + 1 times per entry whatever i starts at (unsigned: i only grows, and cannot wrap before reaching K), so
 * the check of the enclosing loop or function bounds its time, as a compiler's trip-count analysis bounds a
 * counted loop (the "canonical induction variable" of LLVM's ScalarEvolution). A check inside such a loop is the
 * costliest kind: it makes the hottest code unwindable.
 */
import binaryen from 'binaryen';
import { FIELDS, kindById, LISTS, wrapper, type Ref } from '../hw/epc/ir.js';

const B = binaryen;
/** The most iterations a loop left unchecked may make per entry. */
export const MAX_TRIP = 65536;

/** Whether `loop` (a binaryen Loop expression) is a short counted innermost loop. */
export function isShortCountedLoop(loop: Ref): boolean {
  return countedTrips(loop) !== null;
}

/** The bound K of a short counted innermost loop (it runs at most K + 1 times per entry), or null. */
export function countedTrips(loop: Ref): number | null {
  const { name, body } = B.getExpressionInfo(loop) as binaryen.LoopInfo;
  if (!name || B.getExpressionId(body) !== B.BlockId) return null;
  const children = (B.getExpressionInfo(body) as binaryen.BlockInfo).children;
  const last = children[children.length - 1];
  if (last === undefined || B.getExpressionId(last) !== B.BreakId) return null;
  const br = B.getExpressionInfo(last) as binaryen.BreakInfo;
  if (br.name !== name || !br.condition || br.value) return null;
  if (B.getExpressionId(br.condition) !== B.BinaryId) return null;
  const cmp = B.getExpressionInfo(br.condition) as binaryen.BinaryInfo;
  if (cmp.op !== B.LtUInt32 || B.getExpressionId(cmp.right) !== B.ConstId) return null;
  const k = (B.getExpressionInfo(cmp.right) as binaryen.ConstInfo).value as number;
  if (!(k >= 0 && k <= MAX_TRIP)) return null;

  // The counter: read by the comparison, or incremented in it (`local.tee $i (i32.add ...)`).
  let counter: number;
  let incrementedIn: Ref | null = null;
  const leftId = B.getExpressionId(cmp.left);
  if (leftId === B.LocalGetId) counter = (B.getExpressionInfo(cmp.left) as binaryen.LocalGetInfo).index;
  else if (leftId === B.LocalSetId && isIncrement(cmp.left)) {
    counter = (B.getExpressionInfo(cmp.left) as binaryen.LocalSetInfo).index;
    incrementedIn = cmp.left;
  } else return null;
  if (incrementedIn === null) {
    // Else a top-level `local.set $i (i32.add (local.get $i) (i32.const c))` before the br_if.
    incrementedIn = children.slice(0, -1).find((c) => B.getExpressionId(c) === B.LocalSetId && isIncrement(c) && (B.getExpressionInfo(c) as binaryen.LocalSetInfo).index === counter) ?? null;
    if (incrementedIn === null) return null;
  }

  // Nothing else may write the counter, branch back to the loop, or hold a loop; anything unknown disqualifies.
  let ok = true;
  const walk = (e: Ref): void => {
    if (!e || !ok) return;
    const id = B.getExpressionId(e);
    const kind = kindById.get(id);
    if (kind === undefined || id === B.LoopId) {
      ok = false;
      return;
    }
    if (id === B.LocalSetId && e !== incrementedIn && (B.getExpressionInfo(e) as binaryen.LocalSetInfo).index === counter) ok = false;
    if (id === B.BreakId && e !== last && (B.getExpressionInfo(e) as binaryen.BreakInfo).name === name) ok = false;
    if (id === B.SwitchId) {
      const sw = B.getExpressionInfo(e) as binaryen.SwitchInfo;
      if (sw.defaultName === name || sw.names.includes(name)) ok = false;
    }
    const w = wrapper(kind);
    for (const f of FIELDS[kind] ?? []) walk(w[`get${f}`]!(e));
    const list = LISTS[kind];
    if (list) {
      const count = w[list[0]]!(e);
      for (let i = 0; i < count; i++) walk(w[list[1]]!(e, i));
    }
  };
  walk(body);
  return ok ? k : null;
}

/** `local.set/tee $i (i32.add (local.get $i) (i32.const c))` with 1 <= c < 2^16. */
function isIncrement(set: Ref): boolean {
  const s = B.getExpressionInfo(set) as binaryen.LocalSetInfo;
  if (B.getExpressionId(s.value) !== B.BinaryId) return false;
  const add = B.getExpressionInfo(s.value) as binaryen.BinaryInfo;
  if (add.op !== B.AddInt32 || B.getExpressionId(add.left) !== B.LocalGetId || B.getExpressionId(add.right) !== B.ConstId) return false;
  const c = (B.getExpressionInfo(add.right) as binaryen.ConstInfo).value as number;
  return (B.getExpressionInfo(add.left) as binaryen.LocalGetInfo).index === s.index && c >= 1 && c < 65536;
}
