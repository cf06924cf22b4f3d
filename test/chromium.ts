import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HANG_GUARD_MS } from './support.ts';

/** Debian's Chromium (`apt-get install -y chromium`); no browser is downloaded. `AIFLOW_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.AIFLOW_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium; without the sandbox when run as root (it refuses to start otherwise). */
export function launchChromium(): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: root ? ['--no-sandbox'] : [] });
}

/** A Chromium page on `url`; the page's uncaught errors are collected; confirmations are accepted. */
export async function openPage(t: TestContext, url: string): Promise<{ page: Page; pageErrors: string[] }> {
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  page.setDefaultTimeout(HANG_GUARD_MS);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(url);
  return { page, pageErrors };
}
