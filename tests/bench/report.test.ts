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

  it('renders params near ±Number.MAX_VALUE (the axis would round to infinity) without hanging or crashing', () => {
    const copy = JSON.parse(JSON.stringify(run)) as { suites: Array<Record<string, unknown>> };
    copy.suites.push({
      name: 'extreme',
      description: 'axis at the edge of double range',
      // A case fast-check found (FC_SEED=297270811) that crashed the process with an endless tick loop.
      cases: ([{"name": "A4[~", "params": {"ZR": "_7*%V@CbB}", "FOZ'fm\\2kL": -31, "": -1.7976931348623135e+308, "%1u1,Iy!=9": -876115258, "j>w": 1.4576465586288505e+87, "tLAiAbsH{f": -2.05087103081477e-129}, "median": 0.0010000000000000033}, {"name": " $z $&i1", "params": {"=+u": 4.1521907285357836e+294, "xw^": 1991142343}, "median": 0.0010000000000000024}, {"name": "/3??YS6o", "params": {"(8DR4": 1019830137, "YUw0VMMoVq": -5.3028367756722275e-306, "ujJS$X": -459052260, "a_m": 1.164149300893712e-159, "]de&v": -1.0277565400577618e+247, "C;)0h": -1006898755, "T{Dl8b": -219505106}, "median": 0.0010000000000000005}, {"name": "y[", "params": {}, "median": 1000000000}, {"name": "I50?", "params": {"; ": -2027612244}, "median": 509326.4999998937}, {"name": "{%}yap", "params": {"g^|[H}2": "r-Uufww65", "": 601492913, "=dX": "DeJU:&}1", "X[\\%mDX$": 1662117.2198341948, "ij'D;": -1554213327}, "median": 149930.56651756444}, {"name": "%#", "params": {"mQCjJl0S)": "RN", "}6hh{H": -1027603939, "7Px^<n$dX1": 6.077763554514539e-99, "h{&e01": -3.670525058575895e+39, ".?ULd3q": 985662322, "qXXs": -2.2228186962830304e+59, "e$p": -4.544895754344405e+50}, "median": 0.0010000000000000007}] as Array<{ name: string; params: Record<string, unknown>; median: number }>).map((c) => ({ ...run.floor, name: c.name, params: c.params, median: c.median, q1: c.median, q3: c.median, baselines: {} })),
    });
    expect(renderReport([copy as unknown as BenchRun])).toContain('extreme');
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
