/**
 * Recovery: turns an attack's observations back into the secret by template matching, the profiling step of
 * Xu et al. (IEEE S&P 2015, §4: the attacker runs the public enclave code on inputs of its choice and learns
 * which page pattern each input produces). Templates come from a training run on a known secret; each observed
 * segment is matched to the nearest template. Symbols the observations cannot tell apart (same page set,
 * or durations within the noise) form one group, and the recovery guesses the group's lowest symbol: with no
 * signal it guesses a constant, which scores exactly chance on a balanced secret.
 */
import type { AttackModule } from './module.js';
import type { Segment } from './observation.js';

export type Templates =
  | { readonly kind: 'pages'; readonly keys: readonly (readonly number[])[] }
  | { readonly kind: 'sets'; readonly weights: readonly ReadonlyMap<number, number>[]; readonly background: readonly (readonly number[])[] }
  | { readonly kind: 'timing'; readonly centers: readonly number[]; readonly group: readonly number[] };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[s.length >> 1]!;
}
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** The symbol segments: those that end with an OCALL (an SMC for a TA), in order (one per processed symbol). */
export function symbolSegments(segments: readonly Segment[]): Segment[] {
  return segments.filter((s) => s.end !== 'eexit');
}

/** Builds templates from a training run: `segments[i]` was produced by symbol `secret[i]`. */
export function train(attack: AttackModule, segments: readonly Segment[], secret: Uint8Array, alphabet: number): Templates {
  const seg = symbolSegments(segments);
  const first = attack.feature(seg[0]!);
  if (first.kind === 'pages') {
    const keys: number[][] = [];
    for (let v = 0; v < alphabet; v++) {
      const counts = new Map<string, { n: number; pages: number[] }>();
      // Skip the first segment (it also holds the ECALL's own first touches).
      for (let i = 1; i < seg.length; i++) {
        if (secret[i] !== v) continue;
        const f = attack.feature(seg[i]!);
        if (f.kind !== 'pages') continue;
        const k = f.pages.join(',');
        const c = counts.get(k) ?? { n: 0, pages: [...f.pages] };
        c.n++;
        counts.set(k, c);
      }
      let best: { n: number; pages: number[] } = { n: 0, pages: [] };
      for (const c of counts.values()) if (c.n > best.n) best = c;
      keys.push(best.pages);
    }
    return { kind: 'pages', keys };
  }
  if (first.kind === 'sets') {
    // Cache sets carry background (the secret and output buffers' lines move with the position): weigh each set
    // by how much more often it shows with a symbol than overall, and keep only clear signals.
    const withSym = Array.from({ length: alphabet }, () => new Map<number, number>());
    const perSym = new Array<number>(alphabet).fill(0);
    const overall = new Map<number, number>();
    let total = 0;
    for (let i = 1; i < seg.length; i++) {
      const f = attack.feature(seg[i]!);
      const v = secret[i]!;
      if (f.kind !== 'sets' || v >= alphabet) continue;
      perSym[v]!++;
      total++;
      for (const x of new Set(f.sets)) {
        withSym[v]!.set(x, (withSym[v]!.get(x) ?? 0) + 1);
        overall.set(x, (overall.get(x) ?? 0) + 1);
      }
    }
    const weights = withSym.map((m, v) => {
      const w = new Map<number, number>();
      for (const [x, n] of m) {
        const lift = n / Math.max(1, perSym[v]!) - (overall.get(x) ?? 0) / Math.max(1, total);
        if (lift > SET_SIGNAL) w.set(x, lift);
      }
      return w;
    });
    // Background: sets present in nearly every segment of a window of positions (the lines of the secret and
    // output buffers the enclave walks through), whatever the symbol.
    const windows = new Map<number, { n: number; count: Map<number, number> }>();
    for (let i = 1; i < seg.length; i++) {
      const f = attack.feature(seg[i]!);
      if (f.kind !== 'sets') continue;
      const b = Math.floor(i / WINDOW);
      let w = windows.get(b);
      if (!w) windows.set(b, (w = { n: 0, count: new Map() }));
      w.n++;
      for (const x of new Set(f.sets)) w.count.set(x, (w.count.get(x) ?? 0) + 1);
    }
    const background: number[][] = [];
    for (const [b, w] of windows) background[b] = [...w.count].filter(([, n]) => n >= 0.9 * w.n).map(([x]) => x);
    return { kind: 'sets', weights, background };
  }
  const times: number[][] = Array.from({ length: alphabet }, () => []);
  for (let i = 1; i < seg.length; i++) {
    const f = attack.feature(seg[i]!);
    if (f.kind === 'timing' && secret[i]! < alphabet) times[secret[i]!]!.push(f.ms);
  }
  const centers = times.map(median);
  const spread = times.map((t) => quantile(t, 0.75) - quantile(t, 0.25));
  // Symbols whose durations lie within the larger of their interquartile ranges cannot be told apart: one group,
  // guessed as its lowest symbol.
  const order = centers.map((c, v) => ({ c, v })).sort((x, y) => x.c - y.c);
  const group = new Array<number>(alphabet).fill(0);
  let members: number[] = [];
  const flush = (): void => {
    const g = Math.min(...members);
    for (const m of members) group[m] = g;
  };
  for (let i = 0; i < order.length; i++) {
    const b = order[i]!;
    if (i > 0) {
      const a = order[i - 1]!;
      if (b.c - a.c > Math.max(spread[a.v]!, spread[b.v]!, 1e-6)) {
        flush();
        members = [];
      }
    }
    members.push(b.v);
  }
  flush();
  return { kind: 'timing', centers, group };
}

/** How much more often (absolute probability) a cache set must show with a symbol than overall to count. */
const SET_SIGNAL = 0.25;
/** Positions per background window (one cache line of one-byte symbols). */
const WINDOW = 64;

function distance(a: readonly number[], b: readonly number[]): number {
  const sb = new Set(b);
  let common = 0;
  for (const x of a) if (sb.has(x)) common++;
  return a.length + b.length - 2 * common;
}

/** One guessed symbol per symbol segment. */
export function recover(attack: AttackModule, t: Templates, segments: readonly Segment[]): number[] {
  const out: number[] = [];
  for (const s of symbolSegments(segments)) {
    const f = attack.feature(s);
    if (t.kind === 'pages' && f.kind === 'pages') {
      let best = 0;
      let bestD = Infinity;
      for (let v = 0; v < t.keys.length; v++) {
        const d = distance(f.pages, t.keys[v]!);
        if (d < bestD) {
          bestD = d;
          best = v;
        }
      }
      out.push(best);
    } else if (t.kind === 'sets' && f.kind === 'sets') {
      // Score the sets beyond this position's background; when the symbol's own set is a background set
      // (nothing beyond it), score the background sets instead.
      const bg = new Set(t.background[Math.floor(out.length / WINDOW)] ?? []);
      const fg = f.sets.filter((x) => !bg.has(x));
      const use = fg.length > 0 ? fg : f.sets;
      let best = 0;
      let bestScore = 0;
      for (let v = 0; v < t.weights.length; v++) {
        let score = 0;
        for (const x of use) score += t.weights[v]!.get(x) ?? 0;
        if (score > bestScore) {
          bestScore = score;
          best = v;
        }
      }
      out.push(best);
    } else if (t.kind === 'timing' && f.kind === 'timing') {
      let best = 0;
      let bestD = Infinity;
      for (let v = 0; v < t.centers.length; v++) {
        const d = Math.abs(f.ms - t.centers[v]!);
        if (d < bestD) {
          bestD = d;
          best = v;
        }
      }
      out.push(t.group[best]!);
    } else out.push(0);
  }
  return out;
}
