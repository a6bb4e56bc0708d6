import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, type TestContext } from 'node:test';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { DEFAULT_WEB_DIR } from '../../server/src/http/web.js';
import { ManualClock } from '../../server/src/lib/clock.js';
import type { Config } from '../../server/src/config.js';
import { client, factories, startTestApp, type Client, type TestApp } from '../../server/src/testing/harness.js';
import { startTestSmtpServer, type TestSmtpOptions, type TestSmtpServer } from '../../server/src/testing/smtp.js';

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

/** A free port on 127.0.0.1: nothing listens on it (the probe closes before the caller takes it). */
export async function freePort(): Promise<number> {
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

export const DESKTOP = { width: 1280, height: 900 };
/** A phone-sized window: the portal, and the console's read-only views, must work there. */
export const PHONE = { width: 390, height: 844 };

type Viewport = typeof DESKTOP;
interface PageOptions {
  viewport?: Viewport;
  acceptDownloads?: boolean;
}
/** A user made by `factories.signedInUser`: its email, password, and an API session token. */
export type TestUser = Awaited<ReturnType<typeof factories.signedInUser>>;

export interface JourneyOptions {
  /** The server's configuration over the test app's. */
  config?: Partial<Config>;
  /**
   * Starts a test SMTP server first, with these options. The web server sends through it (`smtpUrl`) unless
   * `configure` is false: then it starts as a fresh install does, holding mail, and the journey sets SMTP later.
   */
  smtp?: TestSmtpOptions & { configure?: boolean };
  /** The shared `page`'s window (DESKTOP unless told) and whether it accepts downloads. */
  page?: PageOptions;
  /**
   * The file's own setup once the server and browser are up (shared fixtures). Here and not in a `before` of
   * the file's: Node 20 starts the `before` hooks of a file together, so one could not wait for another.
   */
  setup?: (journey: Journey) => Promise<void>;
  /** The file's own teardown, before the browser and the server close (what it started on top of them). */
  teardown?: () => Promise<unknown>;
}

/**
 * What every journey file shares, started before its tests and closed after them: the web server, Chromium,
 * one page (in its own browser context), and the test SMTP server when asked for. The fields throw when read
 * while the journeys cannot run, which each test checks first with `skipUnlessRunnable`.
 */
export interface Journey {
  readonly server: WebServer;
  /** The admin-token API client, for fixtures and for checking what the UI did. */
  readonly api: Client;
  readonly url: string;
  /** The test app: its Fastify app, services (worker, settings) and manual clock. */
  readonly app: TestApp;
  readonly browser: Browser;
  readonly page: Page;
  readonly smtp: TestSmtpServer;
  /** A page in a browser context of its own (no shared session), with the journeys' default timeout. */
  newPage(options?: PageOptions): Promise<Page>;
  /** A new staff user of `role` signed in on `page` (the shared one unless told), on the Dashboard; with the console navigation. */
  signInStaff(role?: string, page?: Page): Promise<{ user: TestUser; nav: Locator }>;
  /** A new user of `customerId` signed in on `page`, on the portal's licenses page (its heading names the customer). */
  signInCustomer(role: 'customer-admin' | 'customer-member', customerId: string, page?: Page): Promise<TestUser>;
  /** Runs the jobs due, then the link to /set-password that the mail to `email` holds (asserting that it arrived and holds one). */
  mailedPasswordLink(email: string): Promise<string>;
}

/** How long a journey's page waits for what it looks for. */
const PAGE_TIMEOUT = 10_000;

async function openPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, acceptDownloads: options.acceptDownloads });
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_TIMEOUT);
  return page;
}

/**
 * Registers the `before` and `after` hooks of a journey file (server, browser, page, SMTP) and returns the
 * journey, whose fields are there from the first test on (and in `setup`).
 */
export function journey(options: JourneyOptions = {}): Journey {
  let smtp: TestSmtpServer | undefined;
  let server: WebServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  before(async () => {
    if (cannotRun()) return;
    const { configure = true, ...smtpOptions } = options.smtp ?? {};
    if (options.smtp) smtp = await startTestSmtpServer(smtpOptions);
    server = await startWebServer({ config: { ...(smtp && configure ? { smtpUrl: smtp.url } : {}), ...options.config } });
    browser = await launchBrowser();
    page = await openPage(browser, options.page);
    await options.setup?.(self);
  });
  after(async () => {
    await options.teardown?.();
    await browser?.close();
    await server?.close();
    await smtp?.stop();
  });
  const get = () => {
    if (!server || !browser || !page) throw new Error(`The browser journeys cannot run here: ${cannotRun() ?? 'their setup failed'}`);
    return { server, browser, page };
  };

  const self: Journey = {
    get server() {
      return get().server;
    },
    get api() {
      return get().server.api;
    },
    get url() {
      return get().server.url;
    },
    get app() {
      return get().server.t;
    },
    get browser() {
      return get().browser;
    },
    get page() {
      return get().page;
    },
    get smtp() {
      if (!smtp) throw new Error('This journey started no SMTP server: journey({ smtp: {} })');
      return smtp;
    },
    newPage: (pageOptions) => openPage(get().browser, pageOptions),
    async signInStaff(role = 'owner', page = self.page) {
      const user = await factories.signedInUser(self.api, self.app.app, role);
      await signIn(page, self.url + '/sign-in', user.email, user.password);
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      return { user, nav: page.getByRole('navigation', { name: 'Console navigation' }) };
    },
    async signInCustomer(role, customerId, page = self.page) {
      const user = await factories.signedInUser(self.api, self.app.app, role, customerId);
      await signIn(page, self.url + '/', user.email, user.password);
      await page.getByRole('heading', { name: /licenses/, level: 1 }).waitFor();
      return user;
    },
    async mailedPasswordLink(email) {
      await self.app.services.worker.drain();
      const mail = self.smtp.received.find((m) => m.envelopeTo.includes(email));
      assert.ok(mail, `the mail to ${email} arrived`);
      const link = new RegExp(`${self.url.replace(/[.:/]/g, '\\$&')}/set-password\\?token=[A-Za-z0-9_-]+`).exec(mail.text ?? '')?.[0];
      assert.ok(link, `the mail links to the web app's /set-password: ${mail.text}`);
      return link;
    },
  };
  return self;
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
