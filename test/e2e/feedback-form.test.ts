/**
 * A client answers from the email, in a real headless Chromium against the local stack: the link
 * comes from the mail in the SES emulator, the form is completed by keyboard only on a 320 px wide
 * screen with JavaScript off, and the answer lands in DynamoDB Local. axe-core checks the form,
 * the thank-you page and every error page in English and Spanish.
 *
 * Needs Debian's `chromium` (`apt-get install -y chromium`; `npx playwright install` does not work
 * here). Without it the suite is skipped locally and fails in CI.
 */
import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { PAGE_TEXT } from '../../shared/domain/form/i18n.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import { SUPPORTED_LOCALES, type Locale } from '../../shared/events/contracts.ts';
import { documentClient, eventBridgeClient, mailTo, sendSession, sessionDetail, waitFor } from '../integration/support/local-stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const HOUR = 3_600_000;
const PHONE = { width: 320, height: 640 };
const FORM = 'application/x-www-form-urlencoded';
/** Page expression: nothing scrolls sideways (tsconfig has no DOM types, so page code is a string). */
const FITS_WIDTH = 'document.documentElement.scrollWidth <= document.documentElement.clientWidth';
/** What the keyboard answers: item id → value. */
const ANSWERS: Record<string, number> = { relationship: 8, goals: 0, approach: 9, overall: 10 };

let stack: LocalStack;
let events: EventBridgeClient;
let table: DynamoDBDocumentClient;
let browser: Browser;
/** JavaScript off: the client's own browsing, proving the pages need none. */
let noScript: BrowserContext;
/** JavaScript on, only so axe-core can run in the page. */
let audit: BrowserContext;
const clock = new ManualClock(new Date());
const axeFindings: string[] = [];
const offOrigin: string[] = [];
const cspReports: string[] = [];

async function newContext(javaScriptEnabled: boolean): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled, hasTouch: false });
  context.on('request', (request) => {
    if (!request.url().startsWith(stack.endpoints.web)) offOrigin.push(request.url());
  });
  context.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspReports.push(message.text());
  });
  return context;
}

/** Sends a completed session and returns the client's id, email and the form link from their mail. */
async function requestFeedback(locale: Locale): Promise<{ clientId: string; sessionId: string; email: string; formUrl: string; optOutUrl: string }> {
  const detail = sessionDetail(clock.now());
  detail.client = { ...detail.client, locale };
  await sendSession(events, detail);
  const [mail] = await waitFor(async () => {
    const mails = await mailTo(stack, detail.client.email);
    return mails.length > 0 ? mails : undefined;
  }, { description: `the feedback email to ${detail.client.email}` });
  // The link's token is written just after SES accepted the email: let the request function finish.
  await stack.waitForIdle();
  const web = stack.endpoints.web.replace(/[.]/g, '\\.');
  const formUrl = new RegExp(`${web}/f/[A-Za-z0-9_-]{43}`).exec(mail!.body.text!)![0];
  const optOutUrl = new RegExp(`${web}/u/[A-Za-z0-9_-]{43}`).exec(mail!.body.text!)![0];
  return { clientId: detail.clientId, sessionId: detail.sessionId, email: detail.client.email, formUrl, optOutUrl };
}

/** Opens a URL with any method, content type and body (a browser only GETs from the address bar). */
async function openWith(page: Page, url: string, init: { method: string; contentType?: string; body?: string }): Promise<number> {
  await page.route(url, (route) =>
    route.continue({ method: init.method, postData: init.body ?? '', headers: { ...route.request().headers(), ...(init.contentType ? { 'content-type': init.contentType } : {}) } }),
  );
  const response = await page.goto(url);
  await page.unroute(url);
  return response!.status();
}

/**
 * Presses the page's submit button and waits until the answer to that POST has loaded. Waiting
 * only for 'load' resolves at once (the page that holds the button is loaded already), and closing
 * a page while its form post is still in flight can stall Chromium for half a minute.
 */
async function submitForm(page: Page): Promise<void> {
  const answered = page.waitForResponse((response) => response.request().method() === 'POST' && response.request().isNavigationRequest());
  await page.click('button[type=submit]');
  await answered;
  await page.waitForLoadState('load');
}

/** Runs axe-core on the page and records every violation under the page's name. */
async function expectAccessible(page: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  for (const violation of result.violations) {
    axeFindings.push(`${name}: ${violation.id} (${violation.impact}) at ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
  }
  expect(result.violations.map((violation) => violation.id), name).toEqual([]);
  expect(await page.evaluate<boolean>(FITS_WIDTH), `${name} fits 320 px`).toBe(true);
}

async function storedSession(sessionId: string): Promise<Record<string, unknown> | undefined> {
  return (await table.send(new GetCommand({ TableName: stack.tableName, Key: keys.session(sessionId) }))).Item;
}

// A real browser on a shared 2-core machine: each axe run takes seconds, so the cases get 90 s.
describe.skipIf(!existsSync(CHROMIUM) && !process.env['CI'])('the feedback form in a real browser', { timeout: 90_000 }, () => {
  beforeAll(async () => {
    stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, clock, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    events = eventBridgeClient(stack);
    table = documentClient(stack);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    noScript = await newContext(false);
    audit = await newContext(true);
  });

  afterAll(async () => {
    if (axeFindings.length > 0) console.error(`axe-core findings:\n${axeFindings.join('\n')}`);
    await browser?.close();
    events?.destroy();
    table?.destroy();
    await stack?.stop();
  });

  it.each(SUPPORTED_LOCALES)('lets a client answer from the email by keyboard only, on a phone, without JavaScript (%s)', async (locale) => {
    const text = PAGE_TEXT[locale];
    const { sessionId, formUrl } = await requestFeedback(locale);
    const page = await noScript.newPage();

    const opened = await page.goto(formUrl);
    expect(opened!.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe(locale);

    for (const item of DEFAULT_INSTRUMENT.items) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate<string>('document.activeElement.name')).toBe(item.id);
      // The focused choice is visibly outlined (keyboard focus), and every choice is a 44 px target.
      expect(await page.evaluate<string>("getComputedStyle(document.activeElement.closest('label')).outlineStyle")).toBe('solid');
      for (const choice of await page.locator(`label:has(> input[name="${item.id}"])`).all()) {
        const box = (await choice.boundingBox())!;
        expect(box.width).toBeGreaterThanOrEqual(44);
        expect(box.height).toBeGreaterThanOrEqual(44);
      }
      const value = ANSWERS[item.id]!;
      // Tabbing into an unanswered group focuses its first choice (the minimum) without choosing it.
      if (value === DEFAULT_INSTRUMENT.min) await page.keyboard.press('Space');
      for (let step = DEFAULT_INSTRUMENT.min; step < value; step += 1) await page.keyboard.press('ArrowRight');
      expect(await page.locator(`input[name="${item.id}"]:checked`).getAttribute('value')).toBe(String(value));
    }
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('comment');
    await page.keyboard.type(locale === 'es' ? 'Gracias, ¡muy útil!' : 'Thank you, that helped.');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('talk');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe(text.submit);
    expect((await page.locator('button[type=submit]').boundingBox())!.height).toBeGreaterThanOrEqual(44);
    await Promise.all([page.waitForURL(/\/thanks$/), page.keyboard.press('Enter')]);

    expect(await page.locator('h1').textContent()).toBe(text.thanks.title);
    const stored = await storedSession(sessionId);
    expect(stored?.['answer']).toEqual({
      instrumentId: DEFAULT_INSTRUMENT.id,
      items: ANSWERS,
      talk: true,
      comment: locale === 'es' ? 'Gracias, ¡muy útil!' : 'Thank you, that helped.',
      // That there is a comment, for the evaluation (which never reads the words) and the digest.
      commented: true,
    });
    expect(stored?.['answeredAt']).toBe(clock.now().toISOString());
    // FeedbackSubmitted went through the bus to its consumers without being parked anywhere.
    await stack.waitForIdle();
    expect(stack.deadLetters).toEqual([]);
    await page.close();
  });

  it.each(SUPPORTED_LOCALES)('has no axe-core violation on the form, the thank-you page or any error page (%s)', async (locale) => {
    const text = PAGE_TEXT[locale];
    const { formUrl, optOutUrl } = await requestFeedback(locale);
    const page = await audit.newPage();
    await page.setExtraHTTPHeaders({ 'accept-language': locale === 'es' ? 'es-ES,es;q=0.9' : 'en-US,en;q=0.9' });

    expect((await page.goto(formUrl))!.status()).toBe(200);
    await expectAccessible(page, `${locale} form`);

    // 400: sent with nothing chosen; the summary takes the focus and links to each question.
    await submitForm(page);
    expect(await page.locator('.summary li').count()).toBe(DEFAULT_INSTRUMENT.items.length);
    expect(await page.evaluate<string>('document.activeElement.className')).toBe('summary');
    await expectAccessible(page, `${locale} 400 form with errors`);

    expect(await openWith(page, formUrl, { method: 'POST', contentType: 'application/json', body: '{}' })).toBe(415);
    await expectAccessible(page, `${locale} 415 unreadable`);
    expect(await openWith(page, formUrl, { method: 'POST', contentType: FORM, body: `comment=${'x'.repeat(40_000)}` })).toBe(413);
    await expectAccessible(page, `${locale} 413 too large`);
    expect(await openWith(page, formUrl, { method: 'PUT', contentType: FORM, body: '' })).toBe(405);
    await expectAccessible(page, `${locale} 405 not allowed`);

    const complete = 'relationship=5&goals=5&approach=5&overall=5';
    expect(await openWith(page, formUrl, { method: 'POST', contentType: FORM, body: complete })).toBe(200);
    expect(page.url()).toBe(`${formUrl}/thanks`);
    await expectAccessible(page, `${locale} thank-you`);
    expect(await openWith(page, formUrl, { method: 'POST', contentType: FORM, body: complete })).toBe(409);
    expect(await page.locator('h1').textContent()).toBe(text.answered.title);
    await expectAccessible(page, `${locale} 409 already answered`);
    expect((await page.goto(formUrl))!.status()).toBe(200);
    await expectAccessible(page, `${locale} already answered (GET)`);

    expect((await page.goto(`${stack.endpoints.web}/f/${'A'.repeat(43)}`))!.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe(text.notFound.title);
    await expectAccessible(page, `${locale} 404 not found`);

    expect((await page.goto(optOutUrl))!.status()).toBe(200);
    await expectAccessible(page, `${locale} opt-out`);
    await submitForm(page);
    expect(await page.locator('h1').textContent()).toBe(text.optedOut.title);
    await expectAccessible(page, `${locale} opted out`);
    await page.close();
  });

  it.each(SUPPORTED_LOCALES)('refuses an answer a page of another site posts, with an accessible 403 page, and stores nothing (%s)', async (locale) => {
    const { formUrl, sessionId } = await requestFeedback(locale);
    const page = await audit.newPage();
    // Refused before the link is read, so in the browser's language.
    await page.setExtraHTTPHeaders({ 'accept-language': locale === 'es' ? 'es-ES,es;q=0.9' : 'en-US,en;q=0.9' });
    // A page that is not the product's (an opaque origin: the browser says `Sec-Fetch-Site: cross-site`).
    const fields = DEFAULT_INSTRUMENT.items.map((item) => `<input type="hidden" name="${item.id}" value="0">`).join('');
    await page.setContent(`<main><form method="post" action="${formUrl}">${fields}<button type="submit">Go</button></form></main>`);

    const refused = page.waitForResponse((response) => response.request().method() === 'POST' && response.request().isNavigationRequest());
    await page.click('button[type=submit]');
    const response = await refused;
    await page.waitForLoadState('load');

    expect((await response.request().allHeaders())['sec-fetch-site']).toBe('cross-site');
    expect(response.status()).toBe(403);
    expect(await page.locator('h1').textContent()).toBe(PAGE_TEXT[locale].otherSite.title);
    await expectAccessible(page, `${locale} 403 another site`);
    await stack.waitForIdle();
    expect((await storedSession(sessionId))?.['answeredAt']).toBeUndefined();
    await page.close();
  });

  it('made no request outside the web origin and reported no Content-Security-Policy violation', () => {
    expect(offOrigin).toEqual([]);
    expect(cspReports).toEqual([]);
  });

  it.each([
    ['the page’s button', async (page: Page, optOutUrl: string) => {
      await page.goto(optOutUrl);
      await submitForm(page);
    }],
    ['a one-click POST (RFC 8058)', async (_page: Page, optOutUrl: string) => {
      const response = await fetch(optOutUrl, { method: 'POST', headers: { 'content-type': FORM }, body: 'List-Unsubscribe=One-Click' });
      expect(response.status).toBe(200);
    }],
  ])('opts a client out via %s, so their next session sends nothing', async (_name, optOutVia) => {
    const first = await requestFeedback('en');
    const page = await noScript.newPage();

    await optOutVia(page, first.optOutUrl);
    await page.close();
    expect((await table.send(new GetCommand({ TableName: stack.tableName, Key: keys.client(first.clientId) }))).Item?.['optedOutAt']).toBeDefined();

    // The next session, outside the 12-hour throttle, for the same client.
    clock.advance(13 * HOUR);
    const next = sessionDetail(clock.now());
    await sendSession(events, { ...next, clientId: first.clientId, client: { ...next.client, email: first.email } });
    await stack.waitForIdle();
    expect((await storedSession(next.sessionId))?.['skipReason']).toBe('opted-out');
    expect(await mailTo(stack, first.email)).toHaveLength(1);
  });

  it.each(SUPPORTED_LOCALES)('answers 410 once the link has expired, with an accessible page (%s)', async (locale) => {
    const { formUrl, optOutUrl, sessionId } = await requestFeedback(locale);
    const page = await audit.newPage();

    clock.advance(73 * HOUR);
    expect((await page.goto(formUrl))!.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe(PAGE_TEXT[locale].expired.title);
    await expectAccessible(page, `${locale} 410 expired`);
    expect(await openWith(page, formUrl, { method: 'POST', contentType: FORM, body: 'relationship=1&goals=1&approach=1&overall=1' })).toBe(410);
    expect((await storedSession(sessionId))?.['answeredAt']).toBeUndefined();

    // The opt-out link outlives the form.
    expect((await page.goto(optOutUrl))!.status()).toBe(200);
    await page.close();
  });
});
