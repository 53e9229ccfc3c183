/**
 * The observatory's report: one self-contained HTML page (inline SVG and CSS, no script, no external resource)
 * with, per attack run, a timeline of what the untrusted monitor saw (page number against time: faults, A/D
 * bits sampled at transitions, transitions marked), the score against chance, and the recovered secret beside
 * the real one. Optional extra tables (e.g. the cost of each mitigation) go at the end.
 */
import type { CampaignResult } from './campaign.js';
import { describeObservation } from './from-trace.js';
import type { ObservedEvent } from './observation.js';

/** Transitions drawn per run: enough to see the pattern, few enough to read it. */
export const TIMELINE_TRANSITIONS = 96;
/** Symbols shown in the secret/recovered rows. */
const SHOWN_SYMBOLS = 56;

export interface ReportTable {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const num = (x: number): string => (Number.isFinite(x) ? String(Math.round(x * 100) / 100) : '0');

function symbol(v: number, alphabet: number): string {
  if (alphabet <= 16) return v.toString(16);
  if (alphabet <= 26) return String.fromCharCode(97 + v);
  return v.toString(16).padStart(2, '0') + ' ';
}

function plot(label: string, all: readonly ObservedEvent[]): string {
  // The first TIMELINE_TRANSITIONS transitions.
  const events: ObservedEvent[] = [];
  let transitions = 0;
  for (const e of all) {
    if (e.kind === 'ecall' || e.kind === 'ocall' || e.kind === 'eexit' || e.kind === 'smc') transitions++;
    if (transitions > TIMELINE_TRANSITIONS) break;
    events.push(e);
  }
  const pages: number[] = [];
  for (const e of events) {
    if (e.kind === 'fault') pages.push(e.page);
    if (e.kind === 'ad') pages.push(...e.accessed, ...e.dirty);
  }
  // A cache attack's run: its y axis is the cache set.
  const sets = pages.length === 0 && events.some((e) => e.kind === 'cache');
  if (sets) for (const e of events) if (e.kind === 'cache') pages.push(...e.sets);
  const pMin = pages.length ? Math.min(...pages) : 0;
  const pMax = pages.length ? Math.max(...pages) : 1;
  const W = 960;
  const H = 320;
  const L = 56;
  const B = 36;
  // Time runs left to right one transition interval per column, each interval to its own scale: a slow first
  // interval (JIT, first touches) would otherwise squeeze the rest into a line.
  const marksAt: number[] = [];
  for (const e of events) if (e.kind === 'ecall' || e.kind === 'ocall' || e.kind === 'eexit' || e.kind === 'smc') marksAt.push(e.t);
  const cols = Math.max(1, marksAt.length - 1);
  const colW = (W - L - 12) / cols;
  // Few transitions (a real run's trace): plain linear time from the first event to the last.
  const linear = marksAt.length <= 12;
  const tFirst = events.length ? Math.min(...events.map((e) => e.t)) : 0;
  const tLast = events.length ? Math.max(...events.map((e) => e.t)) : 1;
  const x = (t: number): number => {
    if (linear) return L + ((t - tFirst) / Math.max(1e-9, tLast - tFirst)) * (W - L - 12);
    let i = 0;
    while (i + 1 < marksAt.length - 1 && t >= marksAt[i + 1]!) i++;
    const a = marksAt[i] ?? 0;
    const b = marksAt[i + 1] ?? a;
    const f = b > a ? Math.min(1, Math.max(0, (t - a) / (b - a))) : 0;
    return L + (i + f) * colW;
  };
  const tMax = linear ? tLast - tFirst : marksAt.length ? marksAt[marksAt.length - 1]! - marksAt[0]! : 0;
  // Up to 48 distinct pages: one row per page seen (code pages sit far above data pages and would squeeze them
  // into a line on a linear scale); more: a linear page axis.
  const distinct = [...new Set(pages)].sort((a, b) => a - b);
  const rows = distinct.length <= 48 ? new Map(distinct.map((p, i) => [p, i])) : null;
  const y = (p: number): number =>
    rows ? H - B - 8 - ((rows.get(p) ?? 0) / Math.max(1, distinct.length - 1)) * (H - B - 24) : H - B - ((p - pMin) / Math.max(1, pMax - pMin)) * (H - B - 12);
  const marks: string[] = [];
  for (const e of events) {
    if (e.kind === 'ecall' || e.kind === 'eexit' || e.kind === 'ocall' || e.kind === 'smc') {
      const what = e.kind === 'ocall' ? `ocall #${e.id}, ${e.size} bytes` : e.kind === 'smc' ? `SMC ${esc(e.name)}, ${e.size} bytes` : e.kind === 'ecall' ? `ecall ${esc(e.name)}, ${e.size} bytes` : e.kind;
      marks.push(`<line class="tr ${e.kind}" x1="${num(x(e.t))}" x2="${num(x(e.t))}" y1="8" y2="${H - B}"><title>${what} at ${num(e.t)} ms</title></line>`);
    } else if (e.kind === 'fault') {
      marks.push(`<circle class="pt fault" cx="${num(x(e.t))}" cy="${num(y(e.page))}" r="3"><title>fault, page ${e.page} (${e.write ? 'write' : 'read'}) at ${num(e.t)} ms</title></circle>`);
    } else if (e.kind === 'cache' && sets) {
      for (const c of e.sets) marks.push(`<rect class="pt cache" x="${num(x(e.t) - 2.5)}" y="${num(y(c) - 2.5)}" width="5" height="5"><title>cache set ${c} used at ${num(e.t)} ms</title></rect>`);
    } else if (e.kind === 'ad') {
      const dirty = new Set(e.dirty);
      for (const p of e.accessed) {
        marks.push(`<rect class="pt ${dirty.has(p) ? 'dirty' : 'acc'}" x="${num(x(e.t) - 2.5)}" y="${num(y(p) - 2.5)}" width="5" height="5"><title>page ${p}: A${dirty.has(p) ? ', D' : ''} at ${num(e.t)} ms</title></rect>`);
      }
    }
  }
  const axis = [
    `<line class="axis" x1="${L}" y1="${H - B}" x2="${W - 8}" y2="${H - B}"/>`,
    `<line class="axis" x1="${L}" y1="8" x2="${L}" y2="${H - B}"/>`,
    `<text x="${L}" y="${H - 14}">${linear ? 'time (linear)' : events.some((e) => e.kind === 'smc') ? 'time: one column per transition interval (from one SMC to the next)' : 'time: one column per transition interval (ECALL in, OCALLs, ECALL out)'}</text>`,
    `<text x="${W - 8}" y="${H - 14}" text-anchor="end">${num(tMax)} ms in the first ${Math.min(transitions, TIMELINE_TRANSITIONS)} transitions</text>`,
    ...(rows
      ? distinct.filter((_, i) => distinct.length <= 24 || i % Math.ceil(distinct.length / 24) === 0).map((p) => `<text x="${L - 6}" y="${num(y(p) + 4)}" text-anchor="end">${p}</text>`)
      : [`<text x="${L - 6}" y="${num(y(pMin))}" text-anchor="end">${pMin}</text>`, `<text x="${L - 6}" y="${num(y(pMax) + 8)}" text-anchor="end">${pMax}</text>`]),
    `<text x="12" y="${(H - B) / 2}" transform="rotate(-90 12 ${(H - B) / 2})" text-anchor="middle">${sets ? 'cache set (sets seen)' : rows ? 'page number (pages seen)' : 'page number'}</text>`,
  ];
  return `<svg class="plot timeline" role="img" aria-label="${esc(label)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${axis.join('')}${marks.join('')}</svg>`;
}

function secretRows(r: CampaignResult): string {
  const n = Math.min(SHOWN_SYMBOLS, r.secret.length);
  const real: string[] = [];
  const got: string[] = [];
  for (let i = 0; i < n; i++) {
    real.push(`<span>${esc(symbol(r.secret[i]!, r.alphabet))}</span>`);
    const ok = r.recovered[i] === r.secret[i];
    got.push(`<span class="${ok ? 'hit' : 'miss'}">${esc(symbol(r.recovered[i]!, r.alphabet))}</span>`);
  }
  return `<div class="secret"><div><b>secret</b> <code class="real">${real.join('')}</code></div><div><b>recovered</b> <code class="recovered">${got.join('')}</code></div><div class="note">first ${n} of ${r.symbols} symbols</div></div>`;
}

function table(t: ReportTable): string {
  const head = t.head.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = t.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(typeof c === 'number' ? num(c) : c)}</td>`).join('')}</tr>`).join('');
  return `<h2>${esc(t.title)}</h2><table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

export function scoreTable(results: readonly CampaignResult[]): ReportTable {
  return {
    title: 'Scores: secret symbols recovered, against chance',
    head: ['attack', 'victim ECALL (TA: command)', 'symbols', 'recovered', 'chance', 'processed before stop', 'faults', 'A/D samples', 'cache probes', 'OCALLs (TA: SMCs)'],
    rows: results.map((r) => [r.attack, r.entry, r.symbols, pct(r.accuracy), pct(r.chance), r.stopped ? `${r.processed} (stopped, ${pct(r.exposed)} exposed)` : String(r.processed), r.faults, r.adSamples, r.cacheProbes, r.ocalls]),
  };
}

export function renderTimeline(results: readonly CampaignResult[], extra: readonly ReportTable[] = []): string {
  return page([scoreTable(results)], results
    .map((r) => `<section><h2>${esc(r.attack)} on ${esc(r.entry)}</h2><p>${pct(r.accuracy)} of ${r.symbols} symbols recovered (chance ${pct(r.chance)})${r.stopped ? `; the enclave stopped itself after ${r.processed} symbols` : ''}; ${r.faults} faults, ${r.adSamples} A/D samples, ${r.ocalls} ${r.world === 'tz' ? `SMCs, ${r.symbols} TA commands in` : 'OCALLs, ECALL'} ${num(r.ms)} ms.</p>${plot(`${r.attack} on ${r.entry}: ${r.cacheProbes > 0 && r.faults === 0 && r.adSamples === 0 ? 'cache set' : 'page number'} against time`, r.events)}${secretRows(r)}</section>`)
    .join('\n'), extra);
}

/** The timeline of a real run, from its trace (from-trace.ts): one plot per enclave, then the tables. */
export function renderRunTimeline(source: string, enclaves: readonly { track: string; events: readonly ObservedEvent[]; ecalls: number; ocalls: number; faults: number; pages: number; adSamples: number; world?: 'sgx' | 'tz'; smcs?: number }[], tables: readonly ReportTable[]): string {
  const sections = enclaves
    .map((e) => `<section><h2>${esc(e.track)}</h2><p>${esc(describeObservation(e))}.</p>${plot(`${e.track}: ${e.world === 'tz' ? 'TA commands, RPCs and SMCs' : 'page number'} against time`, e.events)}</section>`)
    .join('\n');
  return page([], `<p>Recorded from ${esc(source)}</p>${sections}`, tables);
}

function page(first: readonly ReportTable[], body: string, extra: readonly ReportTable[]): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>emon: what the host sees</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
svg{background:#fafafa;border:1px solid #ddd;display:block;margin:8px 0}
text{font-size:11px;fill:#444}.axis{stroke:#888}
.tr{stroke-width:1}.tr.ocall{stroke:#ccc}.tr.smc{stroke:#c80}.tr.ecall,.tr.eexit{stroke:#2a2;stroke-width:2}
.fault{fill:#d22}.cache{fill:#93c}.acc{fill:#36c}.dirty{fill:#e80}
code{white-space:nowrap}code span{display:inline-block;width:1.1em;text-align:center}.hit{background:#cfc}.miss{background:#fcc}
.legend span{margin-right:16px}.note{color:#777;font-size:12px}
</style></head><body>
<h1>What the host sees</h1>
<p class="legend"><span style="color:#d22">&#9679; page fault</span><span style="color:#36c">&#9632; accessed bit</span><span style="color:#e80">&#9632; accessed + dirty</span><span style="color:#93c">&#9632; cache set used</span><span style="color:#2a2">| ECALL / TA command in/out</span><span style="color:#aaa">| OCALL / RPC</span><span style="color:#c80">| SMC</span></p>
${first.map(table).join('\n')}
${body}
${extra.map(table).join('\n')}
</body></html>
`;
}
