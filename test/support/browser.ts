// A real browser for the tests: Debian's Chromium (headless shell), driven by playwright-core
// through its executable path (Playwright's own browser download is out of reach here). `.ci/run`
// installs it when it is missing. Every request the page makes is recorded, and so is every console
// error, so a test can say that nothing left loopback and nothing went wrong.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CANDIDATES = [process.env.TEST_CHROMIUM, '/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].filter((path): path is string => Boolean(path));
export const CHROMIUM = CANDIDATES.find((path) => existsSync(path));
/** Where the tests keep their screenshots (ignored by git; CI keeps them as artifacts). */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results');

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(`no Chromium at ${CANDIDATES.join(' or ')}: apt-get install chromium-headless-shell (or set TEST_CHROMIUM)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    // No sandbox as root; none of Chromium's own calls home, which this machine's network refuses.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps'],
  });
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
}

export async function openPage(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const watched: WatchedPage = { page, requests: [], errors: [] };
  page.on('request', (request) => watched.requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') watched.errors.push(message.text());
  });
  page.on('pageerror', (error) => watched.errors.push(error.message));
  return watched;
}

/** The requests that went anywhere but this machine (data: URLs are not requests on the network). */
export const offLoopback = (requests: string[]) =>
  requests.filter((url) => !url.startsWith('data:') && !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname));
