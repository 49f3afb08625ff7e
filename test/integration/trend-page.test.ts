/**
 * The trend page on the local stack, as a therapist meets it: a client's answers drop and they
 * leave a comment; the alert email says there is a comment and links to the client's trend page;
 * the page shows the comment escaped, the EHR id, the sessions and the acknowledgement; every view
 * is published as TrendPageViewed; expired and revoked links answer 410; and every call the
 * functions made passed the local IAM enforcement of their declared access.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linksCommand } from '../../bin/links.ts';
import type { EventEnvelope } from '../../infra/local/event-bus.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbTrendStore } from '../../shared/adapters/dynamodb-trend-store.ts';
import { randomTokens } from '../../shared/adapters/form-tokens.ts';
import { issueTrendLink, trendLinkPath } from '../../shared/use-cases/trend-link.ts';
import { documentClient, eventBridgeClient, mailTo, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';

const DAY = 86_400_000;
const COMMENT = '<script>alert(1)</script> Felt rushed & "unheard" today';
const TREND_LINK = /http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]{43}/;

let stack: LocalStack;
let events: EventBridgeClient;
let table: DynamoDBDocumentClient;
const published: EventEnvelope[] = [];
const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));

beforeAll(async () => {
  stack = await startLocalStack({
    ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 },
    quiet: process.env['TREND_DEBUG'] === undefined,
    clock,
    retry: { baseDelayMs: 20, maxDelayMs: 100 },
    schedulerIntervalMs: 3_600_000,
    onEvent: (event) => published.push(event),
  });
  events = eventBridgeClient(stack);
  table = documentClient(stack);
});

afterAll(async () => {
  events?.destroy();
  table?.destroy();
  await stack?.stop();
});

function itemsFor(total: number): Record<string, number> {
  const base = Math.floor(total / 4);
  const extra = total - base * 4;
  return Object.fromEntries(['relationship', 'goals', 'approach', 'overall'].map((id, i) => [id, base + (i < extra ? 1 : 0)]));
}

/** A client's sessions, a day apart, each answered from the mailed link; the last with a comment and a talk tick. */
async function course(totals: readonly number[]): Promise<{ clientId: string; therapistId: string; therapistMail: () => ReturnType<typeof mailTo> }> {
  const base = sessionDetail(clock.now());
  const therapistId = `t-${base.clientId}`;
  const therapist = `${therapistId}@practice.example`;
  for (const [index, total] of totals.entries()) {
    const endedAt = new Date(clock.now().getTime() - 3_600_000).toISOString();
    await sendSession(events, { ...base, sessionId: `${base.clientId}-s${index + 1}`, endedAt, therapistId, therapist: { email: therapist, name: 'Dr. Lee' } });
    await waitFor(async () => (await mailTo(stack, base.client.email)).length > index, { description: `feedback email ${index + 1}` });
    await stack.waitForIdle();
    const mail = (await mailTo(stack, base.client.email))[index]!;
    const link = /http:\/\/127\.0\.0\.1:\d+\/f\/[A-Za-z0-9_-]{43}/.exec(mail.body.text ?? '')![0];
    const form = new URLSearchParams(Object.entries(itemsFor(total)).map(([k, v]): [string, string] => [k, String(v)]));
    if (index === totals.length - 1) {
      form.set('talk', 'yes');
      form.set('comment', COMMENT);
    }
    const posted = await fetch(link, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(posted.status).toBe(303);
    await stack.waitForIdle();
    clock.advance(DAY);
  }
  return { clientId: base.clientId, therapistId, therapistMail: () => mailTo(stack, therapist) };
}

/** Runs `alliance links revoke …` against the local stack; returns what it printed. */
async function revoke(args: string[]): Promise<string> {
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as unknown as typeof process.stdout.write;
  try {
    await linksCommand(['revoke', ...args, '--endpoint', stack.endpoints.dynamodb]);
  } finally {
    process.stdout.write = write;
  }
  return out.join('');
}

describe('the trend page on the local stack', () => {
  it('goes from the alert email to the client’s trend page with the comment escaped, records every view, and refuses expired and revoked links', async () => {
    const client = await course([38, 38, 39, 38, 38, 27]);

    const mails = await client.therapistMail();
    expect(mails).toHaveLength(1);
    const text = mails[0]!.body.text ?? '';
    expect(text).toContain('left a comment: read it on the trend page (comments stay out of email)');
    expect(text).not.toContain('Felt rushed');
    expect(text + (mails[0]!.body.html ?? '')).not.toContain(client.clientId);
    const trendUrl = TREND_LINK.exec(text)![0];

    const page = await fetch(trendUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; form-action 'none'/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    const body = await page.text();
    expect(body).toContain(`client ${client.clientId}`);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Felt rushed &amp; &quot;unheard&quot; today');
    expect(body).not.toContain('<script>');
    expect(body).toContain('asked to talk about how therapy is going');
    expect(body.match(/<tr><th scope="row">/g)).toHaveLength(6);
    expect(body).toContain('<strong>sharp drop</strong> · not acknowledged');
    expect(Buffer.byteLength(body)).toBeLessThan(30 * 1024);

    // The therapist acknowledges; the page shows it (one update of the session's history row).
    const ackLink = /http:\/\/127\.0\.0\.1:\d+\/a\/[A-Za-z0-9_-]{43}/.exec(text)![0];
    expect((await fetch(ackLink, { method: 'POST' })).status).toBe(200);
    expect(await (await fetch(trendUrl)).text()).toMatch(/<strong>sharp drop<\/strong> · acknowledged /);

    // Every view is the audit record, ids only.
    const views = published.filter((event) => event['detail-type'] === 'TrendPageViewed');
    expect(views).toHaveLength(2);
    expect(views[0]!.source).toBe('alliance-feedback');
    expect(views[0]!.detail).toEqual({ therapistId: client.therapistId, clientId: client.clientId, recipientRole: 'therapist', linkIssuedAt: expect.any(String), viewedAt: expect.any(String) });

    // Revoked with the CLI (the link as pasted from the email): 410, and nothing more is recorded.
    expect(await revoke([trendUrl])).toContain('Revoked that trend link.');
    const revoked = await fetch(trendUrl);
    expect(revoked.status).toBe(410);
    expect(await revoked.text()).not.toContain(client.clientId);

    // Every link of the therapist for this client, revoked with one mark: 410; one issued after opens.
    const issue = async () => {
      const token = await issueTrendLink({ therapistId: client.therapistId, clientId: client.clientId, now: clock.now() }, { links: new DynamoDbTrendStore(stack.tableName, table), tokens: randomTokens, linkDays: 7 });
      return new URL(trendLinkPath(token), trendUrl).href;
    };
    const before = await issue();
    expect((await fetch(before)).status).toBe(200);
    clock.advance(1000);
    expect(await revoke(['--therapist', client.therapistId, '--client', client.clientId])).toContain(`Revoked every trend link issued to therapist ${client.therapistId} for client ${client.clientId}`);
    expect((await fetch(before)).status).toBe(410);
    clock.advance(1000);

    // A link issued now opens the page for trendLinkDays (7 by default), then answers 410.
    const fresh = await issue();
    expect((await fetch(fresh)).status).toBe(200);
    clock.advance(7 * DAY);
    expect((await fetch(fresh)).status).toBe(410);
    expect(published.filter((event) => event['detail-type'] === 'TrendPageViewed')).toHaveLength(4);

    // Every call the web, evaluate and alert functions made was within their declared access.
    expect(stack.iamDenials()).toEqual([]);
  }, 180_000);
});
