/**
 * The trend page on the local stack, as a therapist meets it: a client's answers drop and they
 * leave a comment; the alert email says there is a comment and links to the client's trend page;
 * the page shows the comment escaped, the EHR id, the sessions and the acknowledgement; every view
 * is published as TrendPageViewed; expired and revoked links answer 410; and every call the
 * functions made passed the local IAM enforcement of their declared access.
 */
import { describe, expect, it } from 'vitest';
import { linksCommand } from '../../bin/links.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbTrendStore } from '../../shared/adapters/dynamodb-trend-store.ts';
import { randomTokens } from '../../shared/adapters/form-tokens.ts';
import { issueTrendLink, trendLinkPath } from '../../shared/use-cases/trend-link.ts';
import { awaitMail, mailedLink, mailTo, postAnswers, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const DAY = 86_400_000;
const COMMENT = '<script>alert(1)</script> Felt rushed & "unheard" today';
const TREND_LINK = /http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]{43}/;

const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const local = useLocalStack({ quiet: process.env['TREND_DEBUG'] === undefined, clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000 });

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
    await sendSession(local.events, { ...base, sessionId: `${base.clientId}-s${index + 1}`, endedAt, therapistId, therapist: { email: therapist, name: 'Dr. Lee' } });
    const mail = await awaitMail(local.stack, base.client.email, { nth: index + 1, description: `feedback email ${index + 1}` });
    const last = index === totals.length - 1;
    await postAnswers(local.stack, mailedLink(mail, 'f'), { ...itemsFor(total), ...(last ? { talk: 'yes', comment: COMMENT } : {}) });
    clock.advance(DAY);
  }
  return { clientId: base.clientId, therapistId, therapistMail: () => mailTo(local.stack, therapist) };
}

/** Runs `alliance links revoke …` against the local stack; returns what it printed. */
async function revoke(args: string[]): Promise<string> {
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => out.push(chunk) > 0) as unknown as typeof process.stdout.write;
  try {
    await linksCommand(['revoke', ...args, '--endpoint', local.stack.endpoints.dynamodb]);
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
    const views = local.published.filter((event) => event['detail-type'] === 'TrendPageViewed');
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
      const token = await issueTrendLink({ therapistId: client.therapistId, clientId: client.clientId, now: clock.now() }, { links: new DynamoDbTrendStore(local.stack.tableName, local.table), tokens: randomTokens, linkDays: 7 });
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
    expect(local.published.filter((event) => event['detail-type'] === 'TrendPageViewed')).toHaveLength(4);

    // Every call the web, evaluate and alert functions made was within their declared access.
    expect(local.stack.iamDenials()).toEqual([]);
  }, 180_000);
});
