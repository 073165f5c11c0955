import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, DESKTOP, HAS_CHROMIUM, launchChromium, screenshot } from './browser.js';
import { buildWebApp, startE2eServer, type E2eServer } from './server.js';

/**
 * Own accounts in the web app, end to end in headless Chromium against the real server: every mailed link is taken
 * from the development outbox (/dev/mail) as a developer would, and followed in the browser. Forgotten password,
 * email confirmation, change of password, change of email, sessions signed out from another device, deletion.
 */

// Skipped only on a developer machine without Chromium; CI (.ci/run sets CI=true and installs it) must run them.
const SKIP = !HAS_CHROMIUM && !process.env.CI;
if (SKIP) console.warn(`[e2e] SKIPPED: no Chromium at ${CHROMIUM_PATH}.`);

const PASSWORD = 'correct horse battery';
const UI_TIMEOUT = 10_000;
/** Unique per run, and no address a part of another: /dev/mail rows are matched by their whole recipient. */
const run = Date.now().toString(36);
const address = (name: string) => `${name}-${run}@example.com`;

describe.skipIf(SKIP)('accounts end to end (headless Chromium)', () => {
  let server: E2eServer;
  let browser: Browser;
  let webRoot: string;
  const pageErrors: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!HAS_CHROMIUM) throw new Error(`CI is set but there is no Chromium at ${CHROMIUM_PATH}`);
    webRoot = await mkdtemp(path.join(tmpdir(), 'sv-e2e-web-'));
    const env = { SIGNUP_RATE_LIMIT: '1000', AUTH_RATE_LIMIT: '1000', ARCHIVE_INTERVAL_MS: '0' };
    const [built, started, launched] = await Promise.allSettled([buildWebApp(webRoot), startE2eServer(webRoot, env), launchChromium()]);
    if (started.status === 'fulfilled') server = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    for (const r of [built, started, launched]) if (r.status === 'rejected') throw r.reason;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
  }, 60_000);

  /** A browser of its own (cookies and all), watched for script errors. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ baseURL: server.url, viewport: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
    return page;
  }

  async function signUp(page: Page, email: string): Promise<void> {
    await page.goto('/signup');
    await page.getByTestId('signup-email').fill(email);
    await page.getByTestId('signup-password').fill(PASSWORD);
    await page.getByTestId('signup-submit').click();
    await page.waitForURL('**/create', { timeout: UI_TIMEOUT });
  }

  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto('/login');
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(password);
    await page.getByTestId('login-submit').click();
    await page.waitForURL('**/create', { timeout: UI_TIMEOUT });
  }

  /** The status of a sign-in through the API, from outside any browser. */
  async function loginStatus(email: string, password: string): Promise<number> {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    return res.status;
  }

  /** The outbox's row of the newest mail to `to` (exactly) whose subject is `subject`. */
  const mailRow = (page: Page, to: string, subject: string) =>
    page
      .locator('tr')
      .filter({ has: page.locator('td', { hasText: new RegExp(`^${to.replace(/[.+]/g, '\\$&')}$`) }) })
      .filter({ hasText: subject })
      .first();

  /**
   * Opens /dev/mail in `page` until the mail to `to` has arrived (mail leaves in the background) and returns the link
   * to `pathname` it carries, as the page lists it.
   */
  async function mailedLink(page: Page, to: string, subject: string, pathname: string): Promise<string> {
    const link = () => mailRow(page, to, subject).locator(`a[href*="${pathname}?token="]`);
    await expect
      .poll(async () => {
        await page.goto('/dev/mail');
        return link().count();
      }, { timeout: UI_TIMEOUT })
      .toBeGreaterThan(0);
    const href = (await link().first().getAttribute('href'))!;
    expect(new URL(href).origin).toBe(new URL(server.url).origin);
    return href;
  }

  async function openAccount(page: Page): Promise<void> {
    await page.goto('/account');
    await page.getByTestId('account-balance').waitFor({ timeout: UI_TIMEOUT });
  }

  it('resets a forgotten password from the link in the outbox, and signs in with the new one', async () => {
    const page = await newPage();
    const email = address('forgot');
    await signUp(page, email);
    await page.context().clearCookies();

    await page.goto('/login');
    await page.getByTestId('forgot-password').click();
    await page.waitForURL('**/forgot-password');
    await page.getByTestId('recover-email').fill(email);
    await page.getByTestId('recover-submit').click();
    await page.getByTestId('recover-sent').waitFor({ timeout: UI_TIMEOUT });

    await page.goto(await mailedLink(page, email, 'Reset your password', '/reset-password'));
    await page.getByTestId('reset-password').fill('a brand new password');
    await page.getByTestId('reset-submit').click();
    await page.waitForURL('**/create', { timeout: UI_TIMEOUT });
    await openAccount(page);
    expect(await page.getByTestId('account-email').innerText()).toContain(email);
    expect(await loginStatus(email, PASSWORD)).toBe(401);
    expect(await loginStatus(email, 'a brand new password')).toBe(200);
  });

  it('confirms the address with the link mailed at signup', async () => {
    const page = await newPage();
    const email = address('confirm');
    await signUp(page, email);
    await openAccount(page);
    await page.getByTestId('email-unconfirmed').waitFor({ timeout: UI_TIMEOUT });

    await page.goto(await mailedLink(page, email, 'Confirm your email address', '/confirm'));
    await page.getByTestId('confirm-done').waitFor({ timeout: UI_TIMEOUT });
    await openAccount(page);
    await page.getByTestId('change-email-submit').waitFor();
    expect(await page.getByTestId('email-unconfirmed').count()).toBe(0);
  });

  it('changes the password on the Account page; the next sign-in needs the new one', async () => {
    const page = await newPage();
    const email = address('password');
    await signUp(page, email);
    await openAccount(page);
    await page.getByTestId('current-password').fill('not my password');
    await page.getByTestId('new-password').fill('another good password');
    await page.getByTestId('change-password-submit').click();
    await page.locator('#password-error', { hasText: 'not correct' }).waitFor({ timeout: UI_TIMEOUT });

    await page.getByTestId('current-password').fill(PASSWORD);
    await page.getByTestId('change-password-submit').click();
    await page.getByTestId('password-changed').waitFor({ timeout: UI_TIMEOUT });

    await page.getByTestId('logout').click();
    await page.waitForURL(`${server.url}/`, { timeout: UI_TIMEOUT });
    await logIn(page, email, 'another good password');
    expect(await loginStatus(email, PASSWORD)).toBe(401);
  });

  it('changes the email: a link to the new address, a notice to the old; the new address signs in', async () => {
    const page = await newPage();
    const oldEmail = address('before');
    const newEmail = address('after');
    await signUp(page, oldEmail);
    await openAccount(page);
    await page.getByTestId('new-email').fill(newEmail);
    await page.getByTestId('change-email-password').fill(PASSWORD);
    await page.getByTestId('change-email-submit').click();
    await page.getByTestId('change-email-sent').filter({ hasText: newEmail }).waitFor({ timeout: UI_TIMEOUT });
    await screenshot(page, 'account-change-email');

    const link = await mailedLink(page, newEmail, 'Confirm your new email address', '/change-email');
    await mailRow(page, oldEmail, 'Your email address is being changed').waitFor({ timeout: UI_TIMEOUT });
    expect(await loginStatus(oldEmail, PASSWORD)).toBe(200); // nothing changes until the link is opened

    await page.goto(link);
    await page.getByTestId('change-email-done').filter({ hasText: newEmail }).waitFor({ timeout: UI_TIMEOUT });
    // This browser was signed in as the account: it carries the new address at once.
    await openAccount(page);
    await page.getByTestId('account-email').filter({ hasText: newEmail }).waitFor({ timeout: UI_TIMEOUT });
    expect(await loginStatus(oldEmail, PASSWORD)).toBe(401);
    expect(await loginStatus(newEmail, PASSWORD)).toBe(200);

    await page.goto(link);
    await page.getByTestId('change-email-failed').waitFor({ timeout: UI_TIMEOUT });
  });

  it('lists the sessions and signs out another device, then every other one', async () => {
    const email = address('sessions');
    const here = await newPage();
    await signUp(here, email);
    const phone = await newPage();
    await logIn(phone, email, PASSWORD);
    const laptop = await newPage();
    await logIn(laptop, email, PASSWORD);

    await openAccount(here);
    const rows = here.getByTestId('session-row');
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(3);
    const current = here.locator('[data-testid="session-row"][data-current="true"]');
    expect(await current.count()).toBe(1);
    expect(await current.innerText()).toContain('this device');
    expect(await current.innerText()).toContain('127.0.0.1');
    await screenshot(here, 'account-sessions');

    // The laptop's session is the most recently started other one: the first row that is not this device.
    await here.locator('[data-testid="session-row"][data-current="false"]').first().getByTestId('session-sign-out').click();
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(2);
    const signedOut = async (page: Page) => {
      await page.getByTestId('nav-account').click();
      await page.waitForURL(/\/login\?next=%2Faccount$/, { timeout: UI_TIMEOUT });
    };
    await signedOut(laptop);

    await here.getByTestId('sign-out-others').click();
    await expect.poll(() => rows.count(), { timeout: UI_TIMEOUT }).toBe(1);
    await signedOut(phone);
    await openAccount(here); // this device is still signed in

    await here.getByTestId('sign-out-everywhere').click();
    await here.waitForURL(`${server.url}/`, { timeout: UI_TIMEOUT });
    expect(await here.evaluate(async () => (await fetch('/api/auth/me')).status)).toBe(401);
  });

  it('deletes the account with its password; it can no longer sign in', async () => {
    const page = await newPage();
    const email = address('delete');
    await signUp(page, email);
    await openAccount(page);
    await page.getByTestId('delete-account-password').fill('not my password');
    await page.getByTestId('delete-account-submit').click();
    await page.getByText('The password is not correct; the account was not deleted').waitFor({ timeout: UI_TIMEOUT });

    await page.getByTestId('delete-account-password').fill(PASSWORD);
    await page.getByTestId('delete-account-submit').click();
    await page.waitForURL(`${server.url}/`, { timeout: UI_TIMEOUT });
    await page.getByTestId('nav-login').waitFor({ timeout: UI_TIMEOUT });
    expect(await loginStatus(email, PASSWORD)).toBe(401);
  });

  it('raised no script errors in the pages', async () => {
    for (const context of contexts) await context.close();
    expect(pageErrors).toEqual([]);
  });
});
