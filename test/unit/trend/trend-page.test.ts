import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebApp, type WebLogger } from '../../../functions/web/app.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import { randomTokens } from '../../../shared/adapters/form-tokens.ts';
import { TREND_CSS_HASH } from '../../../shared/domain/templates/trend-page.ts';
import type { StoredHistoryEntry } from '../../../shared/use-cases/ports.ts';
import { issueTrendLink } from '../../../shared/use-cases/trend-link.ts';
import { FakeAlertStore } from '../../support/fakes.ts';
import { FakeFeedbackStore, httpEvent, RecordingPublisher } from '../web/support/fake-feedback-store.ts';
import { clientWithSessions, FakeTrendStore, linkFor } from './support/trend-fixture.ts';

type Response = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string>; body: string };

const NOW = new Date('2026-12-01T14:00:00.000Z');
const DAY = 86_400_000;

let trend: FakeTrendStore;
let publisher: RecordingPublisher;
let clock: ManualClock;
let logger: WebLogger & { info: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };
let showsFirstName: boolean;
let viewed: { therapistId: string; clientId: string; viewedAt: string }[];

function app() {
  const store = new FakeFeedbackStore();
  return createWebApp({
    feedback: { store, publisher, clock, instruments: { active: DEFAULT_INSTRUMENT, find: () => DEFAULT_INSTRUMENT } },
    optOut: { store, publisher, clock },
    acknowledge: { store: new FakeAlertStore(), publisher, clock, linkDays: 30 },
    trend: {
      links: trend,
      pages: trend,
      publisher,
      clock,
      practiceTimeZone: 'America/New_York',
      showsFirstName,
      instrument: (id) => (id === DEFAULT_INSTRUMENT.id ? DEFAULT_INSTRUMENT : undefined),
      onViewed: { trendViewed: async (view) => void viewed.push(view) },
    },
    practiceName: 'Riverside <Counselling>',
    practiceTimeZone: 'America/New_York',
    logger,
  });
}

async function get(path: string, method = 'GET'): Promise<Response> {
  return (await app()(httpEvent(method, path))) as Response;
}

beforeEach(() => {
  trend = new FakeTrendStore();
  publisher = new RecordingPublisher();
  clock = new ManualClock(NOW);
  logger = { info: vi.fn(), error: vi.fn() } as unknown as typeof logger;
  showsFirstName = true;
  viewed = [];
  clientWithSessions(trend, NOW);
  for (const row of trend.rows) row.instrumentId = DEFAULT_INSTRUMENT.id;
});

describe('GET /t/{token}: a client’s trend page', () => {
  it('shows the last 26 sessions with totals, items, the usual range, alerts and acknowledgements, under 30 KB', async () => {
    const token = await linkFor(trend, NOW);
    const response = await get(`/t/${token}`);

    expect(response.statusCode).toBe(200);
    const body = response.body;
    expect(Buffer.byteLength(body)).toBeLessThan(30 * 1024);
    expect(body).toContain('Ana (client c-1042)');
    // 26 rows in the table (one header row besides).
    expect(body.match(/<tr><th scope="row">/g)).toHaveLength(26);
    for (const item of DEFAULT_INSTRUMENT.items) expect(body).toContain(`<th scope="col">${item.shortLabel.en}</th>`);
    expect(body).toContain('35–39');
    expect(body).toContain('<strong>sharp drop</strong> · acknowledged');
    expect(body).toContain('<strong>one part dropped</strong> · not acknowledged');
    expect(body).toContain('1 alert not acknowledged: one part dropped');
    expect(body).toContain('not answered');
    expect(body).toContain('asked to talk about how therapy is going');
    // The chart, and its text equivalent for screen readers.
    expect(body).toMatch(/<svg [^>]*role="img" aria-labelledby="chart-title chart-desc"/);
    expect(body).toContain('The table below lists the same numbers.');
  });

  it('escapes the client’s comment and every other outside value', async () => {
    const token = await linkFor(trend, NOW);
    const body = (await get(`/t/${token}`)).body;

    expect(body).toContain('I felt rushed &lt;b&gt;today&lt;/b&gt; &amp; &quot;unheard&quot;.');
    expect(body).not.toContain('<b>today</b>');
    expect(body).toContain('Riverside &lt;Counselling&gt;');
  });

  it('dates every session in the therapist’s zone, else the practice’s', async () => {
    // 02:30 UTC on Dec 1 is the evening of Nov 30 in New York, and already Dec 1 in Berlin.
    trend.rows = trend.rows.slice(0, 1).map((row) => ({ ...row, endedAt: '2026-12-01T02:30:00.000Z' }));
    const token = await linkFor(trend, NOW);
    expect((await get(`/t/${token}`)).body).toContain('<tr><th scope="row">Nov 30, 2026</th>');
    trend.timeZones.set('t-7', 'Europe/Berlin');
    expect((await get(`/t/${token}`)).body).toContain('<tr><th scope="row">Dec 1, 2026</th>');
  });

  it('shows the first name only where the practice allows it', async () => {
    showsFirstName = false;
    const token = await linkFor(trend, NOW);
    const body = (await get(`/t/${token}`)).body;
    expect(body).toContain('Client c-1042');
    expect(body).not.toContain('Ana');
  });

  it('answers with the form’s headers and a CSP that allows only its own stylesheet', async () => {
    const token = await linkFor(trend, NOW);
    const { headers } = await get(`/t/${token}`);

    expect(headers['content-security-policy']).toBe(`default-src 'none'; style-src ${TREND_CSS_HASH}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`);
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-robots-tag']).toBe('noindex, nofollow');
  });

  it('records every view as TrendPageViewed with ids only, and tells the view listener', async () => {
    const token = await linkFor(trend, NOW);
    await get(`/t/${token}`);
    await get(`/t/${token}`);

    expect(publisher.published).toEqual([
      { detailType: 'TrendPageViewed', detail: { therapistId: 't-7', clientId: 'c-1042', recipientRole: 'therapist', linkIssuedAt: NOW.toISOString(), viewedAt: NOW.toISOString() } },
      { detailType: 'TrendPageViewed', detail: expect.objectContaining({ clientId: 'c-1042' }) },
    ]);
    expect(viewed).toEqual([{ therapistId: 't-7', clientId: 'c-1042', viewedAt: NOW.toISOString() }, expect.anything()]);
    // No comment, name or token in any log line.
    const logged = JSON.stringify([logger.info.mock.calls, logger.error.mock.calls]);
    expect(logged).not.toContain('rushed');
    expect(logged).not.toContain('Ana');
    expect(logged).not.toContain(token);
  });

  it('reads the link, then the marks and the history together, then the sessions’ words: no scan, nothing written', async () => {
    const token = await linkFor(trend, NOW);
    await get(`/t/${token}`);
    expect(trend.reads).toEqual(['findTrendLink', 'therapistContext', 'recentHistory', 'sessionWords']);
  });

  it('records nothing for a HEAD', async () => {
    const token = await linkFor(trend, NOW);
    expect((await get(`/t/${token}`, 'HEAD')).statusCode).toBe(200);
    expect(publisher.published).toEqual([]);
  });

  it('answers 503 and shows nothing when the view cannot be recorded', async () => {
    const token = await linkFor(trend, NOW);
    publisher.failNext = 1;
    const response = await get(`/t/${token}`);
    expect(response.statusCode).toBe(503);
    expect(response.body).not.toContain('c-1042');
  });

  it('404 for an unknown token, 410 once expired (7 days by default) or revoked, and records nothing then', async () => {
    expect((await get(`/t/${'x'.repeat(43)}`)).statusCode).toBe(404);
    expect((await get('/t/not-a-token')).statusCode).toBe(404);

    const token = await linkFor(trend, NOW);
    clock.set(new Date(NOW.getTime() + 7 * DAY - 1000));
    expect((await get(`/t/${token}`)).statusCode).toBe(200);
    clock.set(new Date(NOW.getTime() + 7 * DAY));
    const expired = await get(`/t/${token}`);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain('expired');
    expect(expired.body).not.toContain('c-1042');

    clock.set(new Date(NOW.getTime() + DAY));
    await trend.revokeTrendLink(token, clock.now());
    expect((await get(`/t/${token}`)).statusCode).toBe(410);

    const byTherapist = await linkFor(trend, clock.now());
    clock.set(new Date(NOW.getTime() + 2 * DAY));
    await trend.revokeTrendLinksBefore('t-7', 'c-1042', clock.now());
    const revoked = await get(`/t/${byTherapist}`);
    expect(revoked.statusCode).toBe(410);
    expect(revoked.body).toContain('revoked');
    // A link issued after the mark opens again.
    clock.set(new Date(NOW.getTime() + 3 * DAY));
    expect((await get(`/t/${await linkFor(trend, clock.now())}`)).statusCode).toBe(200);
    expect(publisher.published).toHaveLength(2);
  });

  it('says there is nothing yet for a client without evaluated sessions, and names an unanswered streak’s notice', async () => {
    trend.rows = [];
    const token = await linkFor(trend, NOW);
    const empty = await get(`/t/${token}`);
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('No answered or expired feedback requests for this client yet.');
    expect(empty.body).not.toContain('<svg');

    trend.rows = [{ clientId: 'c-1042', therapistId: 't-7', sessionId: 'q-1', endedAt: '2026-11-30T15:00:00.000Z', instrumentId: DEFAULT_INSTRUMENT.id, kind: 'expired', alerts: ['going-quiet'], alertsSent: { 'going-quiet': '2026-11-30T16:00:00.000Z' }, acknowledged: {} }];
    const quiet = (await get(`/t/${token}`)).body;
    expect(quiet).toContain('not answered');
    expect(quiet).toContain('<strong>gone quiet</strong> · not acknowledged');
  });

  it('says what became of each alert: emailed, left to the weekly digest, named in the leading kind’s email, or not emailed yet', async () => {
    const row = (sessionId: string, day: number, alerts: StoredHistoryEntry['alerts'], marks: Partial<StoredHistoryEntry> = {}): StoredHistoryEntry => ({
      clientId: 'c-1042', therapistId: 't-7', sessionId, endedAt: `2026-11-${day}T15:00:00.000Z`, instrumentId: DEFAULT_INSTRUMENT.id,
      kind: 'answered', total: 24, max: 40, items: {}, state: 'alert', talk: false, alerts, alertsSent: {}, acknowledged: {}, ...marks,
    } as StoredHistoryEntry);
    trend.rows = [
      // The unrepaired escalation the therapist was not emailed (alert-recipients.ts): their digest shows it.
      row('s-4', 28, ['unrepaired'], { alertsInDigest: { unrepaired: '2026-11-28T16:00:00.000Z' } }),
      // The alert function has not sent it (queued, retrying, or waiting for the therapist's registration).
      row('s-3', 27, ['rupture']),
      // One email per session: the other kinds are named in the leading kind's email.
      row('s-2', 26, ['rupture', 'client-asked'], { alertsSent: { rupture: '2026-11-26T16:00:00.000Z' } }),
    ];
    const token = await linkFor(trend, NOW);
    const body = (await get(`/t/${token}`)).body;

    expect(body).toContain('<strong>not yet repaired</strong> · in your weekly digest, not emailed');
    expect(body).toContain('<strong>sharp drop</strong> · not emailed yet');
    expect(body).toContain('<strong>sharp drop</strong> · not acknowledged<br><strong>asked to talk</strong> · with the sharp drop alert');
    expect(body).not.toContain('· raised');
    // Only the emailed one waits for an acknowledgement.
    expect(body).toContain('1 alert not acknowledged: sharp drop (Nov 26, 2026).');

    // A supervisor's link: it is the therapist's digest, not theirs.
    const supervisorToken = await issueTrendLink({ therapistId: 't-9', clientId: 'c-1042', recipientRole: 'supervisor', now: NOW }, { links: trend, tokens: randomTokens, linkDays: 7 });
    expect((await get(`/t/${supervisorToken}`)).body).toContain('<strong>not yet repaired</strong> · in the therapist’s weekly digest, not emailed to them');
  });

  it('is read-only: POST is 405', async () => {
    const token = await linkFor(trend, NOW);
    expect((await app()(httpEvent('POST', `/t/${token}`, { body: '', contentType: 'application/x-www-form-urlencoded' })) as Response).statusCode).toBe(405);
  });
});
