/**
 * Screenshot of a rendered report in headless Chromium (Debian's /usr/bin/chromium through playwright-core), for
 * keeping a picture of a run next to its JSON under bench/results/.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { EmonError } from '../../runtime/errors.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function screenshotReport(htmlFile: string, pngFile: string): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new EmonError('E_UNAVAILABLE', `cannot take a screenshot of ${htmlFile}: ${CHROMIUM} not found`, {
      hint: "install Debian's chromium package (apt-get install chromium)",
    });
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(pathToFileURL(htmlFile).href);
    await page.screenshot({ path: pngFile, fullPage: true });
  } finally {
    await browser.close();
  }
}
