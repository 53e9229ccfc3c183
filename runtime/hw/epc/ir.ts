/**
 * The parts of binaryen's expression IR the EPC instrumentation pass (instrument.ts) walks: each expression
 * kind's child slots, the kinds without children, and the access widths of SIMD loads and lane accesses
 * (WebAssembly SIMD proposal, https://github.com/WebAssembly/simd). binaryen's JS API exposes children only
 * through per-kind getters and setters, so the walker is table-driven.
 */
import binaryen from 'binaryen';

const B = binaryen;
export type Ref = number;

/** Child slots per expression kind: [getter/setter suffix] on the binaryen wrapper class, or a list accessor. */
export const FIELDS: Record<string, readonly string[]> = {
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
export const LISTS: Record<string, readonly [string, string, string]> = {
  Block: ['getNumChildren', 'getChildAt', 'setChildAt'],
  Call: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  CallIndirect: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  Throw: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  TupleMake: ['getNumOperands', 'getOperandAt', 'setOperandAt'],
  Try: ['getNumCatchBodies', 'getCatchBodyAt', 'setCatchBodyAt'],
};
export const LEAVES = new Set(['Nop', 'Unreachable', 'Const', 'LocalGet', 'GlobalGet', 'MemorySize', 'DataDrop', 'Pop',
  'RefNull', 'RefFunc', 'TableSize', 'Rethrow', 'AtomicFence']);

export const kindById = new Map<number, string>();
for (const k of [...Object.keys(FIELDS), ...Object.keys(LISTS), ...LEAVES, 'AtomicRMW', 'AtomicCmpxchg', 'AtomicWait', 'AtomicNotify']) {
  const id = (B as unknown as Record<string, number>)[`${k}Id`];
  if (typeof id === 'number') kindById.set(id, k);
}

export const simdLoadBytes = new Map<number, number>([
  [B.Load8SplatVec128, 1], [B.Load16SplatVec128, 2], [B.Load32SplatVec128, 4], [B.Load64SplatVec128, 8],
  [B.Load8x8SVec128, 8], [B.Load8x8UVec128, 8], [B.Load16x4SVec128, 8], [B.Load16x4UVec128, 8],
  [B.Load32x2SVec128, 8], [B.Load32x2UVec128, 8], [B.Load32ZeroVec128, 4], [B.Load64ZeroVec128, 8],
]);
export const laneBytes = new Map<number, [number, boolean]>([
  [B.Load8LaneVec128, [1, false]], [B.Load16LaneVec128, [2, false]], [B.Load32LaneVec128, [4, false]],
  [B.Load64LaneVec128, [8, false]], [B.Store8LaneVec128, [1, true]], [B.Store16LaneVec128, [2, true]],
  [B.Store32LaneVec128, [4, true]], [B.Store64LaneVec128, [8, true]],
]);

export type Wrapper = Record<string, (...a: number[]) => number>;
/** Appends a local of `type` to a function and returns its index (binaryen's C API; not in the typings). */
export const addVar = (B as unknown as { _BinaryenFunctionAddVar(func: number, type: number): number })._BinaryenFunctionAddVar;
export function wrapper(kind: string): Wrapper {
  return (B as unknown as Record<string, Wrapper>)[kind] as Wrapper;
}

