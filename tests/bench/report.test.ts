/**
 * The HTML report renders in a real headless Chromium (Debian's /usr/bin/chromium, as CI installs it): the
 * page loads with no console errors and no network requests, and every plot has data points. Skipped, with the
 * reason, where chromium is not installed. Also checks the HTML itself is self-contained and escaped.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runBench } from '../../bench/runner.js';
import { renderReport } from '../../bench/report/html.js';
import { parseBenchRun, type BenchRun } from '../../bench/result.js';
import { isEmonError } from '../../runtime/errors.js';
import fc from 'fast-check';

import { CHROMIUM } from '../../bench/report/screenshot.js';
import { openHtml } from '../fixtures/chromium-page.js';
const haveChromium = existsSync(CHROMIUM);
const fixtures = path.join(__dirname, 'fixtures', 'suites');

let run: BenchRun;
let html: string;

beforeAll(async () => {
  run = await runBench({ quick: true, suites: ['ecall-sweep', 'toy'], suitesDir: fixtures });
  html = renderReport([run]);
});

describe('HTML report (static)', () => {
  it('is one file with no external resources', () => {
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain('<svg');
  });

  it('draws a sweep per backend, a throughput plot, modeled-vs-measured bars and extra() plots', () => {
    expect(html).toContain('Transition latency vs buffer size (ecall-sweep)');
    expect(html).toContain('Throughput vs buffer size (ecall-sweep)');
    expect(html).toContain('Modeled hardware cost vs measured time per op');
    expect(html).toContain('faults vs working set (ecall-sweep)');
    expect(html).toMatch(/data-name="sgx"/);
    expect(html).toMatch(/data-name="tz"/);
  });

  it('puts the compare verdicts first when given two runs', () => {
    const edit = (factor: number): BenchRun => {
      const copy = JSON.parse(JSON.stringify(run)) as { suites: Array<{ name: string; cases: Array<{ name: string; samples: number[]; median: number }> }> };
      const c = copy.suites.find((x) => x.name === 'toy')!.cases[0]!;
      c.samples = Array.from({ length: 12 }, (_, i) => run.floor.median * (10 + i / 10) * factor);
      c.median = c.samples[6]!;
      return copy as unknown as BenchRun;
    };
    const out = renderReport([edit(1), edit(2)]);
    expect(out.indexOf('Run 2 against run 1')).toBeGreaterThan(0);
    expect(out.indexOf('Run 2 against run 1')).toBeLessThan(out.indexOf('<h2>Run 1 of 2'));
    expect(out).toMatch(/<td>toy<\/td><td>small<\/td>.*?<td class="bad">regression<\/td>/);
    expect(renderReport([run])).not.toContain('against run 1');
  });

  it('escapes names that come from result files', () => {
    const hostile = JSON.parse(JSON.stringify(run)) as { suites: { name: string; description: string }[] };
    hostile.suites[1]!.name = '<img src=x onerror=alert(1)>';
    const out = renderReport([hostile as unknown as BenchRun]);
    expect(out).not.toContain('<img');
  });
});

describe('result files are untrusted input', () => {
  it('parseBenchRun accepts only well-formed results and otherwise throws a typed error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          parseBenchRun(v, 'fuzz.json');
        } catch (e) {
          expect(isEmonError(e, 'E_BENCH_RESULT')).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('renders any names and params without injecting markup or throwing', () => {
    const str = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: str, params: fc.dictionary(str, fc.oneof(str, fc.double({ noNaN: true }), fc.integer())), median: fc.double({ min: 0.001, max: 1e9, noNaN: true }) }), { minLength: 1, maxLength: 8 }),
        str,
        (cases, suiteName) => {
          const copy = JSON.parse(JSON.stringify(run)) as { suites: Array<Record<string, unknown>> };
          copy.suites.push({
            name: `<script>${suiteName}`,
            description: '<b>x</b>',
            cases: cases.map((c) => ({ ...run.floor, name: `<img>${c.name}`, params: c.params, median: c.median, q1: c.median, q3: c.median, baselines: {} })),
          });
          const out = renderReport([copy as unknown as BenchRun]);
          expect(out).not.toMatch(/<script|<img|<b>x/);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe.skipIf(!haveChromium)('HTML report in Chromium', () => {
  it('renders with plots that have data points and no console errors', async () => {
    const { browser, page, errors, requests } = await openHtml(html, 'report');
    try {
      const plots = await page.$$eval('svg.plot', (svgs) =>
        svgs.map((s) => ({
          title: s.getAttribute('aria-label'),
          marks: s.querySelectorAll('.pt, .bar').length,
          width: s.getBoundingClientRect().width,
        })),
      );
      expect(plots.length).toBeGreaterThanOrEqual(4);
      for (const p of plots) {
        expect(p.marks, `plot "${p.title}" has data points`).toBeGreaterThan(0);
        expect(p.width).toBeGreaterThan(100);
      }
      // Points are inside the drawing: finite coordinates, not NaN from an empty scale.
      const coords = await page.$$eval('circle.pt', (cs) => cs.map((c) => Number(c.getAttribute('cx')) + Number(c.getAttribute('cy'))));
      expect(coords.every((v) => Number.isFinite(v))).toBe(true);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

if (!haveChromium) {
  describe('HTML report in Chromium', () => {
    it.skip(`skipped: ${CHROMIUM} not found (install Debian's chromium; .ci/run does)`, () => {});
  });
}
