/** The self-contained HTML report of one or more benchmark runs (placeholder: a table until plots land). */
import type { BenchRun } from '../result.js';
import { caseLine } from '../format.js';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderReport(runs: readonly BenchRun[]): string {
  const body = runs
    .flatMap((r) => r.suites.flatMap((s) => s.cases.map((c) => `<li>${esc(caseLine(s.name, c))}</li>`)))
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>emon bench</title></head><body><ul>${body}</ul></body></html>\n`;
}
