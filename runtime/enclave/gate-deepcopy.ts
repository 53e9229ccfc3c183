/**
 * The gate's deep copy of struct members, as sgx_edger8r generates it for EDL structs whose pointer members
 * carry `size=`/`count=` (Intel SGX Developer Reference, "Structure Deep Copy"): the struct is copied, then
 * each annotated member's buffer, and the copy's pointer fields are rewritten to the copies. Member pointers and
 * sizes are read once from the source before anything moves, and every member buffer goes through the same
 * bounds, NULL, cap and overlap checks as a parameter buffer (./gate-codegen.ts includes them in its lists).
 * On the way back ([in, out]) member buffers are copied back and the caller's struct keeps its own pointers.
 */
import { elementSize, scalarOf, deepStruct, type EdlFunction, type EdlMember, type EdlParam, type EdlStruct } from './edl/types.js';

/** A buffer the gate places: a parameter (id "3") or a deep-copied member (id "3m1"). */
export interface PlacedBuffer {
  readonly id: string;
  readonly name: string;
  readonly writes: boolean;
}

interface DeepMember {
  readonly m: EdlMember;
  readonly k: number;
}

function deepMembers(s: EdlStruct): DeepMember[] {
  return s.members.map((m, k) => ({ m, k })).filter(({ m }) => m.type.pointer && (m.size !== null || m.count !== null));
}

/** Parameters whose struct the gate deep-copies (by pointer, not user_check; by-value structs are copied flat). */
export function deepParams(f: EdlFunction): Array<{ p: EdlParam; i: number; s: EdlStruct }> {
  const out: Array<{ p: EdlParam; i: number; s: EdlStruct }> = [];
  f.params.forEach((p, i) => {
    const s = p.type.pointer && p.direction !== 'user_check' ? deepStruct(p.type) : null;
    if (s) out.push({ p, i, s });
  });
  return out;
}

/** JS reading integer member `m` of the struct at `at` in DataView `dv`, as an unsigned number. */
function readSizeMember(dv: string, at: string, m: EdlMember): string {
  const o = `${at} + ${m.offset}`;
  switch (scalarOf(m.type).size) {
    case 1:
      return `${dv}.getUint8(${o})`;
    case 2:
      return `${dv}.getUint16(${o}, true)`;
    case 8:
      return `Number(BigInt.asUintN(64, ${dv}.getBigInt64(${o}, true)))`;
    default:
      return `${dv}.getUint32(${o}, true)`;
  }
}

/**
 * Checks for every deep-copied member of every struct parameter, emitted after the parameters' own checks:
 * locals p<i>m<k> (source address), l<i>m<k> (length). `srcDv` views the source memory, `srcSize` is its size.
 */
export function deepChecks(f: EdlFunction, srcSize: string, srcDv: string, writes: (p: EdlParam) => boolean): { code: string[]; bufs: PlacedBuffer[] } {
  const code: string[] = [];
  const bufs: PlacedBuffer[] = [];
  for (const { p, i, s } of deepParams(f)) {
    for (const { m, k } of deepMembers(s)) {
      const id = `${i}m${k}`;
      const who = `${p.name}->${m.name}`;
      const operand = (e: NonNullable<EdlMember['size']>): string => (e.kind === 'const' ? String(e.value) : readSizeMember(srcDv, `p${i}`, s.members[e.index]!));
      const elem = elementSize(m.type);
      const len = `${m.count ? operand(m.count) : '1'} * ${m.size ? operand(m.size) : String(elem)}`;
      code.push(
        `let p${id} = 0, l${id} = 0; if (p${i} !== 0) { p${id} = ${srcDv}.getUint32(p${i} + ${m.offset}, true); l${id} = ${len}; ` +
          `if (p${id} === 0) { if (l${id} !== 0) return c.reject('E_GATE_NULL', name, '${who}', 0, l${id}); } ` +
          `else { if (l${id} > c.cap) return c.reject('E_GATE_CAP', name, '${who}', p${id}, l${id}); ` +
          `if (p${id} + l${id} > ${srcSize}) return c.reject('E_GATE_BOUNDS', name, '${who}', p${id}, l${id}); } }`,
      );
      bufs.push({ id, name: who, writes: writes(p) });
    }
  }
  return { code, bufs };
}

/**
 * After the structs were copied: copy each member buffer (`copy(from, to, n)` names the direction's copy) and
 * point the copy's member at it. `dstDv` views the destination memory.
 */
export function deepCopyIn(f: EdlFunction, copy: string, dstDv: string): string[] {
  const out: string[] = [];
  for (const { i, s } of deepParams(f)) {
    for (const { m, k } of deepMembers(s)) {
      const id = `${i}m${k}`;
      out.push(`if (l${id} !== 0) ${copy}(p${id}, d${id}, l${id});`);
      out.push(`if (d${i} !== 0) ${dstDv}.setUint32(d${i} + ${m.offset}, p${id} === 0 ? 0 : d${id}, true);`);
    }
  }
  return out;
}

/**
 * After the call, for [in, out] structs: copy member buffers back (`copy(from, to, n)`) and give the caller's
 * struct back its own pointers, which the struct copy-back overwrote with the callee's. `srcDv` views the
 * caller's memory.
 */
export function deepCopyOut(f: EdlFunction, copy: string, srcDv: string, writes: (p: EdlParam) => boolean): string[] {
  const out: string[] = [];
  for (const { p, i, s } of deepParams(f)) {
    if (!writes(p)) continue;
    for (const { m, k } of deepMembers(s)) {
      const id = `${i}m${k}`;
      out.push(`if (l${id} !== 0) ${copy}(d${id}, p${id}, l${id});`);
      out.push(`if (p${i} !== 0) ${srcDv}.setUint32(p${i} + ${m.offset}, p${id}, true);`);
    }
  }
  return out;
}
