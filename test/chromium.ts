import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); no browser is downloaded. `AIFLOW_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.AIFLOW_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium; without the sandbox when run as root (it refuses to start otherwise). */
export function launchChromium(): Promise<Browser> {
  const root = process.getuid?.() === 0;
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: root ? ['--no-sandbox'] : [] });
}
