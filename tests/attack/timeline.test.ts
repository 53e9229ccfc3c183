/**
 * The observatory's report: one self-contained HTML file (no script, no external resource, hostile names
 * escaped) that renders in headless Chromium (Debian's /usr/bin/chromium, as the bench report test does) with a
 * timeline that has fault and A/D marks and transitions, the score table, and the recovered secret beside the
 * real one; and the timeline of a real run (`emon attack observe --run`, renderRunTimeline) with its sizes table.
 * The Chromium checks are skipped where chromium is not installed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { CHROMIUM } from '../../bench/report/screenshot.js';
import { openHtml } from '../fixtures/chromium-page.js';
import { runCampaign, type CampaignResult } from '../../runtime/attack/campaign.js';
import { costTable, measureCost } from '../../runtime/attack/cost.js';
import { findAttack } from '../../runtime/attack/registry.js';
import { renderRunTimeline, renderTimeline } from '../../runtime/attack/timeline.js';
import { observeTrace, sizesTable, type RunObservation } from '../../runtime/attack/from-trace.js';
import { runObserved } from '../../runtime/attack/run-observed.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { guests, root } from '../cli/helpers.js';
import { victimBytes } from './fixtures.js';

const haveChromium = existsSync(CHROMIUM);
let results: CampaignResult[] = [];
let html = '';
/** A real run's observation (enclave-seal and the sealer, A/D bits sampled) and its timeline page. */
let run: RunObservation;
let runHtml = '';
/** A TrustZone run's observation (tee-hello and its TA) and its page. */
let tzRun: RunObservation;
let tzHtml = '';

beforeAll(async () => {
  const bytes = await victimBytes();
  for (const attack of ['controlled-channel', 'accessed-bits'] as const) {
    results.push(await runCampaign({ attack: findAttack(attack)!, bytes, victim: 'lut', entry: 'lut_naive', alphabet: 16, symbols: 256, seed: 9 }));
  }
  results.push(await runCampaign({ attack: findAttack('accessed-bits')!, bytes, victim: 'lut', entry: 'lut_hardened', alphabet: 16, symbols: 256, seed: 9 }));
  html = renderTimeline(results, [costTable(await measureCost(bytes, [{ name: 'lut', alphabet: 16 }], 3, 64))]);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'emon-run-timeline-'));
  const observed = await runObserved(['--epc=76p', `--state-dir=${path.join(tmp, 'st')}`, `--block:storage=${path.join(tmp, 's.img')},size=64K`, `--enclave:sealer=${path.join(root, 'build', 'enclaves', 'sealer.wasm')}`, path.join(guests, 'enclave-seal.wasm')]);
  run = observeTrace(observed.events, observed.samples);
  runHtml = renderRunTimeline('a test run of enclave-seal', run.enclaves, [sizesTable(run)]);
  const tz = await runObserved(['--backend=tz', `--ta-dir=${path.join(root, 'build', 'ta')}`, path.join(guests, 'tee-hello.wasm')]);
  tzRun = observeTrace(tz.events, tz.samples);
  tzHtml = renderRunTimeline('a test run of tee-hello on TrustZone', tzRun.enclaves, [sizesTable(tzRun)]);
}, 120_000);

describe('a real run observed with A/D sampling', () => {
  it('has an A/D sample just before each ECALL enters (taken at entry) and one at each exit', () => {
    const e = run.enclaves.find((x) => x.track === 'enclave-seal/sealer')!;
    expect(e.ecalls).toBe(1);
    const i = e.events.findIndex((x) => x.kind === 'ecall');
    expect(e.events[i - 1]).toMatchObject({ kind: 'ad', t: e.events[i]!.t });
    // Entry, the OCALL, and the ECALL's exit.
    expect(e.adSamples).toBeGreaterThanOrEqual(3);
  });
});

describe('attack report (static)', () => {
  it('is one file with no script and no external resources', () => {
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html.match(/<svg class="plot timeline"/g)).toHaveLength(3);
    expect(html).toContain('Scores: secret symbols recovered, against chance');
    expect(html).toContain('Cost of the mitigations and of observing');
  });

  it('escapes names that come from the command line or a user module', () => {
    const hostile = { ...results[0]!, entry: '<img src=x onerror=alert(1)>', attack: '<script>' };
    const out = renderTimeline([hostile]);
    expect(out).not.toMatch(/<img|<script/);
  });
});

describe.skipIf(!haveChromium)('attack report in Chromium', () => {
  it('renders timelines with faults, A/D marks and transitions, and the secret beside the recovered one', async () => {
    const { browser, page, errors, requests } = await openHtml(html, 'attack');
    try {
      const plots = await page.$$eval('svg.timeline', (svgs) =>
        svgs.map((s) => ({
          faults: s.querySelectorAll('circle.fault').length,
          ad: s.querySelectorAll('rect.acc, rect.dirty').length,
          transitions: s.querySelectorAll('line.tr').length,
          width: s.getBoundingClientRect().width,
        })),
      );
      expect(plots).toHaveLength(3);
      // Controlled channel: faults, no A/D samples; accessed bits: A/D samples, no faults.
      expect(plots[0]!.faults).toBeGreaterThan(0);
      expect(plots[0]!.ad).toBe(0);
      expect(plots[1]!.faults).toBe(0);
      expect(plots[1]!.ad).toBeGreaterThan(0);
      for (const p of plots) {
        expect(p.transitions).toBeGreaterThan(10);
        expect(p.width).toBeGreaterThan(500);
      }
      const coords = await page.$$eval('circle.pt, rect.pt', (cs) =>
        cs.map((c) => Number(c.getAttribute('cx') ?? c.getAttribute('x')) + Number(c.getAttribute('cy') ?? c.getAttribute('y'))),
      );
      expect(coords.every((v) => Number.isFinite(v))).toBe(true);
      // The real and the recovered secret side by side: the naive victim's rows match, the hardened one's do not.
      const rows = await page.$$eval('div.secret', (ds) =>
        ds.map((d) => ({ real: d.querySelector('code.real')!.textContent, recovered: d.querySelector('code.recovered')!.textContent, misses: d.querySelectorAll('.miss').length })),
      );
      expect(rows).toHaveLength(3);
      expect(rows[0]!.recovered).toBe(rows[0]!.real);
      expect(rows[0]!.misses).toBe(0);
      expect(rows[2]!.misses).toBeGreaterThan(20);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe.skipIf(!haveChromium)('the timeline of a real run in Chromium', () => {
  it('renders the enclave\'s faults or A/D marks and its transitions, with the sizes table, and no errors or requests', async () => {
    expect(runHtml).not.toMatch(/<script|<link|src=|@import|url\(/i);
    const { browser, page, errors, requests } = await openHtml(runHtml, 'run-timeline');
    try {
      const plots = await page.$$eval('svg.timeline', (svgs) =>
        svgs.map((s) => ({
          label: s.getAttribute('aria-label'),
          marks: s.querySelectorAll('circle.fault, rect.acc, rect.dirty').length,
          transitions: s.querySelectorAll('line.tr').length,
          width: s.getBoundingClientRect().width,
          height: s.getBoundingClientRect().height,
        })),
      );
      expect(plots).toHaveLength(run.enclaves.length);
      const sealer = plots.find((p) => p.label?.startsWith('enclave-seal/sealer'))!;
      expect(sealer.marks).toBeGreaterThan(0);
      // ECALL in, its OCALL, ECALL out.
      expect(sealer.transitions).toBeGreaterThanOrEqual(3);
      expect(sealer.width).toBeGreaterThan(500);
      expect(sealer.height).toBeGreaterThan(100);
      const coords = await page.$$eval('circle.pt, rect.pt, line.tr', (cs) => cs.map((c) => Number(c.getAttribute('cx') ?? c.getAttribute('x') ?? c.getAttribute('x1'))));
      expect(coords.every((v) => Number.isFinite(v))).toBe(true);
      const sizes = await page.$$eval('table tr', (rows) => rows.map((r) => r.textContent ?? ''));
      expect(sizes.some((r) => r.includes('block_write') && r.includes('4096'))).toBe(true);
      expect(sizes.some((r) => r.includes('ECALL seal_data'))).toBe(true);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('renders a TrustZone run: TA commands in and out and the SMCs around them, with their sizes', async () => {
    expect(tzRun.enclaves.map((e) => e.world)).toEqual(['tz']);
    const { browser, page, errors, requests } = await openHtml(tzHtml, 'tz-timeline');
    try {
      const plot = await page.$eval('svg.timeline', (s) => ({
        commands: s.querySelectorAll('line.tr.ecall').length,
        smcs: s.querySelectorAll('line.tr.smc').length,
        width: s.getBoundingClientRect().width,
      }));
      expect(plot.commands).toBe(3);
      expect(plot.smcs).toBe(2);
      expect(plot.width).toBeGreaterThan(500);
      const text = await page.textContent('body');
      expect(text).toContain('3 TA commands, 0 RPCs, 2 other SMCs');
      const sizes = await page.$$eval('table tr', (rows) => rows.map((r) => r.textContent ?? ''));
      expect(sizes.some((r) => /TA command cmd 2/.test(r) && /\d+/.test(r))).toBe(true);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
