/**
 * A therapist opens a client's trend page in a real headless Chromium against the local stack:
 * 26 sessions (history rows and their sessions, as the evaluation and the web function store
 * them), a link issued as the alert issues it. axe-core finds nothing on a 320 px phone, nothing
 * scrolls sideways but the table's own region, no request leaves the page's origin, the CSP blocks
 * nothing, and the page prints on exactly one A4 page (and one Letter page).
 *
 * Needs Debian's `chromium` (`apt-get install -y chromium`). Without it the suite is skipped
 * locally and fails in CI.
 */
import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { seedTrendClient } from '../../bench/trend/fixture.ts';
import { documentClient } from '../integration/support/local-stack.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PHONE = { width: 320, height: 640 };
const FITS_WIDTH = 'document.documentElement.scrollWidth <= document.documentElement.clientWidth';

let stack: LocalStack;
let table: DynamoDBDocumentClient;
let browser: Browser;
let audit: BrowserContext;
const clock = new ManualClock(new Date('2026-12-01T14:00:00.000Z'));
const offOrigin: string[] = [];
const cspReports: string[] = [];

/** Pages in a PDF (each page object once). */
function pageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;
}

/** Stores the bench's 26-session client as the product stores it, and returns a link for its therapist. */
async function seededClient(): Promise<string> {
  return `${stack.endpoints.web}${await seedTrendClient(table, stack.tableName, clock.now(), 26)}`;
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env['CI'])('the trend page in a real browser', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, clock, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
    table = documentClient(stack);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    audit = await browser.newContext({ viewport: PHONE, javaScriptEnabled: true });
    audit.on('request', (request) => {
      if (!request.url().startsWith(stack.endpoints.web)) offOrigin.push(request.url());
    });
    audit.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) cspReports.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    table?.destroy();
    await stack?.stop();
  });

  it('shows 26 sessions accessibly on a phone, asks nothing of any other origin, and prints on one A4 page', async () => {
    const url = await seededClient();
    const page = await audit.newPage();

    const response = await page.goto(url);
    expect(response!.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Alliance trend — Ana (client c-1042)');
    expect(await page.locator('tbody tr').count()).toBe(26);
    // The comment is text, never markup.
    expect(await page.locator('.comment b').count()).toBe(0);
    expect(await page.locator('.comment', { hasText: 'I felt rushed <b>today</b>' }).count()).toBe(1);

    const result = await new AxeBuilder({ page }).analyze();
    expect(result.violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`)).toEqual([]);
    expect(await page.evaluate<boolean>(FITS_WIDTH)).toBe(true);

    const a4 = await page.pdf({ format: 'A4' });
    expect(pageCount(a4)).toBe(1);
    expect(pageCount(await page.pdf({ format: 'Letter' }))).toBe(1);

    expect(offOrigin).toEqual([]);
    expect(cspReports).toEqual([]);
    await page.close();
  });
});
