import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEFAULT_WEB_DIR } from '../../server/src/http/web.js';
import { ManualClock } from '../../server/src/lib/clock.js';
import type { Config } from '../../server/src/config.js';
import { client, startTestApp, type Client, type TestApp } from '../../server/src/testing/harness.js';

/**
 * Browser journeys: a real Keyhaven server (SQLite, the built web app) on a free port, driven by
 * Debian's Chromium through playwright-core. Without Chromium or a build the journeys are reported
 * as skipped, with the reason, never passed.
 */

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RESULTS_DIR = path.join(ROOT, 'test-results');

/** Why the journeys cannot run here, or null when they can. */
export function cannotRun(): string | null {
  if (!existsSync(CHROMIUM)) return `Chromium not installed at ${CHROMIUM}: apt-get install chromium`;
  if (!existsSync(path.join(DEFAULT_WEB_DIR, 'index.html'))) return 'The web app is not built: npm run build';
  return null;
}

/** Skips the test with the reason when the journeys cannot run; returns true when it skipped. */
export function skipUnlessRunnable(t: TestContext): boolean {
  const reason = cannotRun();
  if (reason) t.skip(reason);
  return reason !== null;
}

export interface WebServer {
  t: TestApp;
  /** The admin-token API client, for fixtures and for checking what the UI did. */
  api: Client;
  url: string;
  close(): Promise<void>;
}

/** A free port on 127.0.0.1 (the probe closes before the server takes it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (address && typeof address !== 'string' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A listening test app whose public URL is the address the browser uses, so the links the server builds
 * (signed downloads, password mails) open in the test's browser. Its clock starts at the real time,
 * because the browser computes "days left" from its own clock.
 */
export async function startWebServer(options: { config?: Partial<Config> } = {}): Promise<WebServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await startTestApp('sqlite', { clock: new ManualClock(new Date().toISOString()), config: { publicUrl: url, ...options.config } });
  await t.app.listen({ port, host: '127.0.0.1' });
  return { t, api: client(t.app), url, close: () => t.close() };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** A full-page screenshot under test-results/ at the repository root. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS_DIR, `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, url: string, email: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/** The WCAG 2.0/2.1 level A and AA rules, which is what the web app promises. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe-core (the accessibility rules engine) on the page as it is now; returns its violations. */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, not added as an inline <script>: the app's Content-Security-Policy
  // (rightly) refuses inline scripts, and the audit must run under the policy the app really has.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(AXE_SOURCE, 'utf8'));
  return page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  }, AXE_TAGS);
}

/**
 * Collects what Chromium reports as blocked by the page's Content-Security-Policy (console errors such as
 * "Refused to load … because it violates the following Content Security Policy directive"), from now on.
 */
export function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.push(`${page.url()}: ${message.text()}`);
  });
  return seen;
}

/** A readable list of violations for an assertion message. */
export function describeViolations(where: string, violations: AxeViolation[]): string {
  return violations
    .map((v) => `${where}: ${v.id} (${v.impact ?? 'n/a'}) ${v.help}\n${v.nodes.map((n) => `    at ${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n')}`)
    .join('\n');
}
