/**
 * Opens a rendered report in headless Chromium (system binary, driven by playwright-core),
 * checks the timeline chart is visible and takes a full-page screenshot.
 */
import { existsSync, accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** CHROMIUM_PATH when set and executable, else the first system Chromium found; undefined when none. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  const candidates = fromEnv ? [fromEnv, ...CANDIDATES] : CANDIDATES;
  return candidates.find((p) => existsSync(p) && isExecutable(p));
}

export interface BrowserCheck {
  screenshotBytes: number;
  hasTimeline: boolean;
  title: string;
  outcome: string;
}

export async function checkReportInBrowser(htmlPath: string, screenshotPath: string): Promise<BrowserCheck> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error('Chromium not found (set CHROMIUM_PATH or run scripts/install-chromium.sh)');
  }
  // Lazy import: playwright-core is a dev dependency and only needed here.
  const { chromium } = await import('playwright-core');
  const userDataDir = await mkdtemp(join(tmpdir(), 'canary-report-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_ARGS],
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
    offline: true,
    timeout: 60_000,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(pathToFileURL(resolve(htmlPath)).href, { waitUntil: 'load', timeout: 30_000 });
    const svg = page.locator('#timeline svg').first();
    let hasTimeline = false;
    if ((await svg.count()) > 0 && (await svg.isVisible())) {
      const box = await svg.boundingBox();
      hasTimeline = !!box && box.width > 0 && box.height > 0;
    }
    const title = await page.title();
    const outcome = (await page.locator('body').getAttribute('data-outcome')) ?? '';
    const shot = resolve(screenshotPath);
    await mkdir(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true, type: 'png' });
    const { size } = await stat(shot);
    return { screenshotBytes: size, hasTimeline, title, outcome };
  } finally {
    await context.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
