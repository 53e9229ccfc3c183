/**
 * Short counted loops (runtime/monitor/counted-loop.ts), which the preemption pass leaves unchecked: the shapes
 * that are recognised and those that are not, and a property test that no loop recognised as counted runs more
 * than K + 2 times per entry, whatever its counter starts at (guest code is untrusted: a loop wrongly left
 * unchecked would let a guest keep its worker).
 */
import { describe, expect, it } from 'vitest';
import binaryen from 'binaryen';
import fc from 'fast-check';
import { isShortCountedLoop, MAX_TRIP } from '../../runtime/monitor/counted-loop.js';
import { wat } from './helpers.js';

const B = binaryen;

/** A module whose "run"(start) sets $i = start, runs the loop (at most CAP times) and returns its iterations. */
const CAP = 10_000;
const loopModule = (body: string, cond: string) => `(module (func (export "run") (param $start i32) (result i32) (local $i i32) (local $n i32)
  (local.set $i (local.get $start))
  (block $out (loop $l
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (br_if $out (i32.gt_u (local.get $n) (i32.const ${CAP})))
    ${body}
    (br_if $l ${cond})))
  (local.get $n)))`;

/** The first loop of the module's first function, as binaryen reads it. */
function firstLoop(m: binaryen.Module): number {
  let found = 0;
  const visit = (e: number): void => {
    if (!e || found) return;
    const id = B.getExpressionId(e);
    if (id === B.LoopId) {
      found = e;
      return;
    }
    if (id === B.BlockId) for (const c of (B.getExpressionInfo(e) as binaryen.BlockInfo).children) visit(c);
  };
  visit(B.getFunctionInfo(m.getFunctionByIndex(0)).body);
  if (!found) throw new Error('no loop');
  return found;
}

async function classify(body: string, cond: string): Promise<boolean> {
  const m = B.readBinary(await wat(loopModule(body, cond)));
  try {
    return isShortCountedLoop(firstLoop(m));
  } finally {
    m.dispose();
  }
}

const INC = (c: number) => `(local.set $i (i32.add (local.get $i) (i32.const ${c})))`;
const LT_U = (k: number) => `(i32.lt_u (local.get $i) (i32.const ${k}))`;

describe('short counted loops', () => {
  it('recognises i += c; br_if (i <u K), also with the increment teed into the comparison', async () => {
    expect(await classify(INC(1), LT_U(4096))).toBe(true);
    expect(await classify(`(drop (local.get $i)) ${INC(4)}`, LT_U(100))).toBe(true);
    expect(await classify('(nop)', `(i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 16))`)).toBe(true);
    expect(await classify(INC(1), LT_U(MAX_TRIP))).toBe(true);
  });

  it('leaves every other shape checked', async () => {
    for (const [body, cond] of [
      [INC(1), LT_U(MAX_TRIP + 1)], // too many trips
      [INC(1), `(i32.lt_s (local.get $i) (i32.const 10))`], // signed: a negative start runs 2^31 times
      [INC(1), `(i32.ne (local.get $i) (i32.const 10))`], // a start above 10 wraps around
      [INC(0), LT_U(10)], // no progress
      [INC(-1), LT_U(10)], // counts down
      [`(if (local.get $start) (then ${INC(1)}))`, LT_U(10)], // conditional increment
      [`${INC(1)} (local.set $i (i32.const 0))`, LT_U(10)], // counter reset
      [`${INC(1)} (br_if $l (i32.eqz (local.get $start)))`, LT_U(10)], // a second back-edge
      [`${INC(1)} (block $x (loop $inner (br $x)))`, LT_U(10)], // not innermost
      ['(nop)', LT_U(10)], // no increment at all
    ] as const) {
      expect(await classify(body, cond), `${body} / ${cond}`).toBe(false);
    }
  });

  it('property: a loop recognised as counted runs at most K + 2 times from any start', async () => {
    const stmt = fc.oneof(
      fc.constantFrom(0, 1, 2, 3, -1, 65535).map((c) => INC(c)),
      fc.constant(`(if (i32.and (local.get $n) (i32.const 1)) (then ${INC(1)}))`),
      fc.integer({ min: -3, max: 30 }).map((k) => `(local.set $i (i32.const ${k}))`),
      fc.constant('(br_if $l (i32.eq (local.get $n) (i32.const 3)))'),
      fc.constant('(br_if $out (i32.eq (local.get $i) (i32.const 7)))'),
      fc.constant('(nop)'),
      fc.constant('(drop (local.get $i))'),
    );
    const cond = fc.tuple(fc.constantFrom('lt_u', 'lt_s', 'ne', 'le_u', 'tee'), fc.integer({ min: -2, max: 40 }), fc.constantFrom(1, 2, 0)).map(([op, k, c]) =>
      op === 'tee' ? { k, text: `(i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const ${c}))) (i32.const ${k}))` } : { k, text: `(i32.${op} (local.get $i) (i32.const ${k}))` },
    );
    let counted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stmt, { maxLength: 4 }), cond, async (body, c) => {
        const bytes = await wat(loopModule(body.join(' '), c.text));
        const m = B.readBinary(bytes);
        let isCounted: boolean;
        try {
          isCounted = isShortCountedLoop(firstLoop(m));
        } finally {
          m.dispose();
        }
        if (!isCounted) return;
        counted++;
        const run = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource)).exports.run as (s: number) => number;
        for (const start of [0, 1, c.k, c.k + 1, -1, -5, 0x7fffffff, -0x10]) expect(run(start), `start ${start}: ${body.join(' ')} / ${c.text}`).toBeLessThanOrEqual(Math.max(0, c.k) + 2);
      }),
      { numRuns: 300 },
    );
    // The generator does reach the recognised shapes, so the property says something.
    expect(counted).toBeGreaterThan(5);
  });
});
