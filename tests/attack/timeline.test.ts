/**
 * The observatory's report: one self-contained HTML file (no script, no external resource, hostile names
 * escaped) that renders in headless Chromium (Debian's /usr/bin/chromium, as the bench report test does) with a
 * timeline that has fault and A/D marks and transitions, the score table, and the recovered secret beside the
 * real one. Skipped, with the reason, where chromium is not installed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { CHROMIUM } from '../../bench/report/screenshot.js';
import { openHtml } from '../fixtures/chromium-page.js';
import { runCampaign, type CampaignResult } from '../../runtime/attack/campaign.js';
import { costTable, measureCost } from '../../runtime/attack/cost.js';
import { findAttack } from '../../runtime/attack/registry.js';
import { renderTimeline } from '../../runtime/attack/timeline.js';
import { victimBytes } from './fixtures.js';

const haveChromium = existsSync(CHROMIUM);
let results: CampaignResult[] = [];
let html = '';

beforeAll(async () => {
  const bytes = await victimBytes();
  for (const attack of ['controlled-channel', 'accessed-bits'] as const) {
    results.push(await runCampaign({ attack: findAttack(attack)!, bytes, victim: 'lut', entry: 'lut_naive', alphabet: 16, symbols: 256, seed: 9 }));
  }
  results.push(await runCampaign({ attack: findAttack('accessed-bits')!, bytes, victim: 'lut', entry: 'lut_hardened', alphabet: 16, symbols: 256, seed: 9 }));
  html = renderTimeline(results, [costTable(await measureCost(bytes, [{ name: 'lut', alphabet: 16 }], 3, 64))]);
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
