import { createHash } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebApp, type WebLogger } from '../../../functions/web/app.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { randomTokens } from '../../../shared/adapters/form-tokens.ts';
import { PAGE_TEXT } from '../../../shared/domain/form/i18n.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import type { Locale } from '../../../shared/events/contracts.ts';
import { FakeAlertStore } from '../../support/fakes.ts';
import { FakeFeedbackStore, httpEvent, RecordingPublisher } from './support/fake-feedback-store.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-25T21:00:00Z');
const EXPIRES_AT = new Date(NOW.getTime() + 72 * HOUR).toISOString();
const FORM = 'application/x-www-form-urlencoded';
const COMPLETE = 'relationship=8&goals=7&approach=9&overall=10';

type Response = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string>; body: string };

let store: FakeFeedbackStore;
let publisher: RecordingPublisher;
let clock: ManualClock;
let logger: WebLogger & { info: ReturnType<typeof vi.fn>; error: ReturnType<typeof vi.fn> };
let app: ReturnType<typeof createWebApp>;
let token: string;
let optOutToken: string;

/** The opt-out link of the same email: a token of its own. */
function newOptOutLink(locale: Locale = 'en', clientId = 'c-1'): string {
  const { token: link } = randomTokens.create();
  store.addOptOutLink(link, { clientId, locale });
  return link;
}

function newLink(locale: Locale = 'en', sessionId = 's-1'): string {
  const { token: link } = randomTokens.create();
  store.addLink(link, { sessionId, clientId: 'c-1', therapistId: 't-1', locale, expiresAt: EXPIRES_AT });
  return link;
}

async function send(...args: Parameters<typeof httpEvent>): Promise<Response> {
  return (await app(httpEvent(...args))) as Response;
}

const post = (path: string, body: string, contentType = FORM) => send('POST', path, { body, contentType });

beforeEach(() => {
  store = new FakeFeedbackStore();
  publisher = new RecordingPublisher();
  clock = new ManualClock(NOW);
  logger = { info: vi.fn(), error: vi.fn() } as unknown as typeof logger;
  app = createWebApp({
    feedback: { store, publisher, clock, instruments: { active: DEFAULT_INSTRUMENT, find: (id) => (id === DEFAULT_INSTRUMENT.id ? DEFAULT_INSTRUMENT : undefined) } },
    optOut: { store, publisher, clock },
    acknowledge: { store: new FakeAlertStore(), publisher, clock, linkDays: 30 },
    practiceName: 'Riverside Counselling',
    practiceTimeZone: 'UTC',
    logger,
  });
  token = newLink();
  optOutToken = newOptOutLink();
});

describe('GET /f/{token}', () => {
  it('shows the form and changes nothing, however often it is opened', async () => {
    // Act
    const responses = await Promise.all(Array.from({ length: 10 }, () => send('GET', `/f/${token}`)));

    // Assess
    for (const response of responses) {
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('<form method="post" novalidate>');
    }
    expect(store.writes).toBe(0);
    expect(publisher.published).toEqual([]);
  });

  it('then still takes the answer: ten opens and one post record one answer', async () => {
    for (let i = 0; i < 10; i += 1) await send('GET', `/f/${token}`);

    const response = await post(`/f/${token}`, `${COMPLETE}&comment=Thanks&talk=yes`);

    expect(response.statusCode).toBe(303);
    expect(response.headers['location']).toBe(`${token}/thanks`);
    expect(store.sessions.get('s-1')).toMatchObject({
      answeredAt: NOW.toISOString(),
      answer: { instrumentId: DEFAULT_INSTRUMENT.id, items: { relationship: 8, goals: 7, approach: 9, overall: 10 }, talk: true, comment: 'Thanks' },
    });
  });

  it('shows the page in the language of the link, not of the browser', async () => {
    const spanish = newLink('es', 's-2');
    const response = await send('GET', `/f/${spanish}`, { acceptLanguage: 'en-US' });
    expect(response.body).toContain('<html lang="es">');
    expect(response.headers['content-language']).toBe('es');
    expect(response.body).toContain(PAGE_TEXT.es.submit);
  });

  it('says the link was already answered, with 200: the GET conflicted with nothing', async () => {
    await post(`/f/${token}`, COMPLETE);
    const response = await send('GET', `/f/${token}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.en.answered.title}</h1>`);
    expect(response.body).not.toContain('<form');
  });

  it('answers 410 once the link has expired, checked in code since TTL deletes late', async () => {
    clock.set(new Date(EXPIRES_AT));
    const response = await send('GET', `/f/${token}`);
    expect(response.statusCode).toBe(410);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.en.expired.title}</h1>`);
  });

  it('answers 410 once the expiry was announced, even if the clock disagrees', async () => {
    store.sessions.get('s-1')!.expiredAt = NOW.toISOString();
    expect((await send('GET', `/f/${token}`)).statusCode).toBe(410);
  });

  it.each([
    ['unknown', 'A'.repeat(43)],
    ['too short', 'abc'],
    ['percent-encoded', `${'A'.repeat(40)}%2F1`],
    ['with markup', '%3Cscript%3E'],
  ])('answers 404 for an %s token, in the browser’s language', async (_name, bad) => {
    const response = await send('GET', `/f/${bad}`, { acceptLanguage: 'es-ES,es;q=0.9' });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.es.notFound.title}</h1>`);
    expect(response.body).not.toContain('script&gt;');
  });

  it('reads the token and the session’s answer state, both eventually consistent (one read unit)', async () => {
    await send('GET', `/f/${token}`);
    expect(store.reads).toEqual(['token', 'session']);
  });

  it('answers 404 when the link’s session is gone', async () => {
    store.sessions.delete('s-1');
    expect((await send('GET', `/f/${token}`)).statusCode).toBe(404);
  });

  it('answers a HEAD like a GET, without a body', async () => {
    const response = await send('HEAD', `/f/${token}`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('');
    expect(store.writes).toBe(0);
  });
});

describe('security headers', () => {
  it('lets exactly the page’s own stylesheet through a strict policy, on every page', async () => {
    const responses = [
      await send('GET', `/f/${token}`),
      await send('GET', '/nowhere'),
      await post(`/f/${token}`, 'relationship=1'),
      await send('GET', `/u/${optOutToken}`),
    ];
    for (const response of responses) {
      const style = /<style>([\s\S]*?)<\/style>/.exec(response.body)![1]!;
      const hash = createHash('sha256').update(style).digest('base64');
      expect(response.headers['content-security-policy']).toBe(
        `default-src 'none'; style-src 'sha256-${hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      );
      expect(response.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
    }
  });
});

describe('POST /f/{token}', () => {
  it('records the answer and announces it without the comment text or any contact detail', async () => {
    await post(`/f/${token}`, `${COMPLETE}&comment=${encodeURIComponent('My email is ana@example.com')}`);

    expect(publisher.published).toEqual([
      {
        detailType: 'FeedbackSubmitted',
        detail: {
          sessionId: 's-1',
          clientId: 'c-1',
          therapistId: 't-1',
          instrumentId: DEFAULT_INSTRUMENT.id,
          items: { relationship: 8, goals: 7, approach: 9, overall: 10 },
          talk: false,
          hasComment: true,
          submittedAt: NOW.toISOString(),
        },
      },
    ]);
    expect(JSON.stringify(publisher.published)).not.toContain('ana@example.com');
  });

  it('reads only the token and writes the session once: the conditional write is the check', async () => {
    const response = await post(`/f/${token}`, COMPLETE);
    expect(response.statusCode).toBe(303);
    expect(store.reads).toEqual(['token']);
    expect(store.writes).toBe(1);
  });

  it('passes the session’s end from the token on in FeedbackSubmitted', async () => {
    const link = randomTokens.create().token;
    store.addLink(link, { sessionId: 's-2', clientId: 'c-2', therapistId: 't-1', locale: 'en', expiresAt: EXPIRES_AT, sessionEndedAt: '2026-11-25T20:00:00.000Z' });

    await post(`/f/${link}`, COMPLETE);

    expect(publisher.published[0]?.detail).toMatchObject({ sessionId: 's-2', sessionEndedAt: '2026-11-25T20:00:00.000Z' });
  });

  it('still announces the answer, without the session’s end, when the token’s value is malformed', async () => {
    const link = randomTokens.create().token;
    store.addLink(link, { sessionId: 's-2', clientId: 'c-2', therapistId: 't-1', locale: 'en', expiresAt: EXPIRES_AT, sessionEndedAt: 'yesterday' });

    const response = await post(`/f/${link}`, COMPLETE);

    expect(response.statusCode).toBe(303);
    expect(publisher.published).toHaveLength(1);
    expect(publisher.published[0]?.detail).not.toHaveProperty('sessionEndedAt');
  });

  it('checks the answer against the instrument pinned on the link, not the practice’s current one', async () => {
    const current = { ...DEFAULT_INSTRUMENT, id: 'current-v2', items: DEFAULT_INSTRUMENT.items.map((item) => ({ ...item, id: `${item.id}-2` })) };
    app = createWebApp({
      feedback: { store, publisher, clock, instruments: { active: current, find: (id) => [current, DEFAULT_INSTRUMENT].find((i) => i.id === id) } },
      optOut: { store, publisher, clock },
      acknowledge: { store: new FakeAlertStore(), publisher, clock, linkDays: 30 },
      practiceName: 'Riverside Counselling',
      practiceTimeZone: 'UTC',
      logger,
    });
    const pinned = randomTokens.create().token;
    store.addLink(pinned, { sessionId: 's-2', clientId: 'c-2', therapistId: 't-1', locale: 'en', expiresAt: EXPIRES_AT, instrumentId: DEFAULT_INSTRUMENT.id });

    expect((await post(`/f/${pinned}`, COMPLETE)).statusCode).toBe(303);
    expect(store.sessions.get('s-2')?.answer?.instrumentId).toBe(DEFAULT_INSTRUMENT.id);
    expect((await post(`/f/${token}`, COMPLETE)).statusCode).toBe(400);
  });

  it('answers 409, not 400, to a post with errors once the session was answered', async () => {
    await post(`/f/${token}`, COMPLETE);
    const response = await post(`/f/${token}`, 'relationship=3');
    expect(response.statusCode).toBe(409);
  });

  it('answers 410, not 400, to a post with errors once the expiry was announced', async () => {
    store.sessions.get('s-1')!.expiredAt = NOW.toISOString();
    expect((await post(`/f/${token}`, 'relationship=3')).statusCode).toBe(410);
  });

  it('answers 409, not 410, to a post after the expiry when the session was answered in time', async () => {
    await post(`/f/${token}`, COMPLETE);
    clock.set(new Date(EXPIRES_AT));
    expect((await post(`/f/${token}`, COMPLETE)).statusCode).toBe(409);
  });

  it('answers 410 when the session’s expiry was announced though the token’s has not passed', async () => {
    store.sessions.get('s-1')!.expiredAt = NOW.toISOString();
    const response = await post(`/f/${token}`, COMPLETE);
    expect(response.statusCode).toBe(410);
    expect(publisher.published).toEqual([]);
  });

  it('answers 404 when the link’s session is gone, and stores nothing', async () => {
    store.sessions.delete('s-1');
    const response = await post(`/f/${token}`, COMPLETE);
    expect(response.statusCode).toBe(404);
    expect(store.sessions.has('s-1')).toBe(false);
    expect(publisher.published).toEqual([]);
  });

  it('takes the first answer only: a second post gets 409 and changes nothing', async () => {
    await post(`/f/${token}`, COMPLETE);
    clock.advance(60_000);

    const second = await post(`/f/${token}`, 'relationship=0&goals=0&approach=0&overall=0');

    expect(second.statusCode).toBe(409);
    expect(second.body).toContain(`<h1>${PAGE_TEXT.en.answered.title}</h1>`);
    expect(store.sessions.get('s-1')!.answer!.items).toEqual({ relationship: 8, goals: 7, approach: 9, overall: 10 });
    expect(publisher.published).toHaveLength(1);
  });

  it('takes one answer per session even when two posts race', async () => {
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(`/f/${token}`, COMPLETE)));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([303, 409, 409, 409, 409]);
    expect(publisher.published).toHaveLength(1);
  });

  it('takes one answer per session across the request’s and the reminder’s links', async () => {
    const reminderLink = newLink('en', 's-1');
    await post(`/f/${reminderLink}`, COMPLETE);
    expect((await post(`/f/${token}`, COMPLETE)).statusCode).toBe(409);
    expect((await send('GET', `/f/${token}`)).body).toContain(PAGE_TEXT.en.answered.title);
  });

  it('answers 410 after the expiry and stores nothing', async () => {
    clock.set(new Date(new Date(EXPIRES_AT).getTime() + 1));
    const response = await post(`/f/${token}`, COMPLETE);
    expect(response.statusCode).toBe(410);
    expect(store.sessions.get('s-1')!.answeredAt).toBeUndefined();
    expect(publisher.published).toEqual([]);
  });

  it('answers 404 for an unknown token and stores nothing', async () => {
    const response = await post(`/f/${'B'.repeat(43)}`, COMPLETE);
    expect(response.statusCode).toBe(404);
    expect(store.writes).toBe(0);
  });

  it('re-renders the form with 400, the errors and the values, and stores nothing', async () => {
    const response = await post(`/f/${token}`, 'relationship=3&goals=12&comment=hola&talk=yes');

    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<div class="summary" role="alert"');
    expect(response.body).toContain('name="relationship" value="3" checked>');
    expect(response.body).toContain('>hola</textarea>');
    expect(response.body).toContain('aria-describedby="goals-hint goals-error"');
    expect(store.writes).toBe(0);
    expect(publisher.published).toEqual([]);
  });

  it('accepts a base64-encoded body and a charset parameter, as API Gateway may send them', async () => {
    const response = await send('POST', `/f/${token}`, { body: `${COMPLETE}&comment=${encodeURIComponent('¡Gracias!')}`, contentType: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8', base64: true });
    expect(response.statusCode).toBe(303);
    expect(store.sessions.get('s-1')!.answer!.comment).toBe('¡Gracias!');
  });

  it.each([
    ['JSON', 'application/json', JSON.stringify({ relationship: 1 })],
    ['multipart', 'multipart/form-data; boundary=x', '--x--'],
    ['no content type', '', COMPLETE],
  ])('answers 415 to %s and stores nothing', async (_name, contentType, body) => {
    const response = await send('POST', `/f/${token}`, { body, ...(contentType ? { contentType } : {}) });
    expect(response.statusCode).toBe(415);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.en.unreadable.title}</h1>`);
    expect(store.writes).toBe(0);
  });

  it('answers 413 to a body over 32 KB and stores nothing', async () => {
    const response = await post(`/f/${token}`, `${COMPLETE}&comment=${'x'.repeat(33 * 1024)}`);
    expect(response.statusCode).toBe(413);
    expect(store.writes).toBe(0);
  });

  it('still thanks the client when the announcement fails after the answer was stored, and logs the session', async () => {
    publisher.failNext = 1;
    const response = await post(`/f/${token}`, COMPLETE);
    expect(response.statusCode).toBe(303);
    expect(store.sessions.get('s-1')!.answeredAt).toBeDefined();
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('FeedbackSubmitted not published'), expect.objectContaining({ sessionId: 's-1' }));
  });

  it('answers 503, not a crash, when the table fails, and logs no token', async () => {
    store.failReads = true;
    const response = await post(`/f/${token}`, COMPLETE);
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.en.unavailable.title}</h1>`);
    expect(JSON.stringify([logger.error.mock.calls, logger.info.mock.calls])).not.toContain(token);
  });

  it('answers 405 to other methods, naming the allowed ones', async () => {
    const response = await send('PUT', `/f/${token}`, { body: COMPLETE, contentType: FORM });
    expect(response.statusCode).toBe(405);
    expect(response.headers['allow']).toBe('GET, HEAD, POST');
  });
});

describe('POST /f/{token} with random input', () => {
  const field = fc.constantFrom('relationship', 'goals', 'approach', 'overall', 'comment', 'talk', 'x');
  const value = fc.oneof(fc.integer({ min: -2, max: 12 }).map(String), fc.string({ maxLength: 40 }), fc.constant('yes'));
  const body = fc.oneof(
    fc.array(fc.tuple(field, value), { maxLength: 10 }).map((pairs) => new URLSearchParams(pairs).toString()),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );
  const contentType = fc.constantFrom(FORM, `${FORM}; charset=utf-8`, 'text/plain', 'application/json', '');

  it('never answers 5xx and never stores a partial answer', async () => {
    await fc.assert(
      fc.asyncProperty(body, contentType, fc.boolean(), async (text, type, base64) => {
        store = new FakeFeedbackStore();
        app = createWebApp({
          feedback: { store, publisher, clock, instruments: { active: DEFAULT_INSTRUMENT, find: () => undefined } },
          optOut: { store, publisher, clock },
          acknowledge: { store: new FakeAlertStore(), publisher, clock, linkDays: 30 },
          practiceName: 'P',
          practiceTimeZone: 'UTC',
          logger,
        });
        const link = newLink();
        const response = (await app(httpEvent('POST', `/f/${link}`, { body: text, ...(type ? { contentType: type } : {}), base64 }))) as Response;
        expect(response.statusCode).toBeLessThan(500);
        const answer = store.sessions.get('s-1')!.answer;
        if (answer) expect(Object.keys(answer.items).sort()).toEqual(['approach', 'goals', 'overall', 'relationship']);
        expect(response.statusCode === 303).toBe(answer !== undefined);
      }),
      { numRuns: 300 },
    );
  });
});

describe('GET /f/{token}/thanks', () => {
  it('thanks the client in their language and shows nothing of the answer', async () => {
    const spanish = newLink('es', 's-2');
    await post(`/f/${spanish}`, `${COMPLETE}&comment=secreto&talk=yes`);

    const response = await send('GET', `/f/${spanish}/thanks`);

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.es.thanks.title}</h1>`);
    expect(response.body).not.toMatch(/secreto|Riverside Counselling<\/h1>|value=/);
  });

  it('reads the answer state eventually consistent, and again strongly only when that read shows no answer yet', async () => {
    await post(`/f/${token}`, COMPLETE);
    store.reads = [];

    const answered = await send('GET', `/f/${token}/thanks`);
    const answeredReads = store.reads;
    store.reads = [];
    const other = newLink('en', 's-3');
    const unanswered = await send('GET', `/f/${other}/thanks`);

    expect(answered.statusCode).toBe(200);
    expect(answeredReads).toEqual(['token', 'session']);
    // The redirect comes a moment after the write: a read that misses it is asked again, strongly.
    expect(unanswered.statusCode).toBe(303);
    expect(store.reads).toEqual(['token', 'session', 'session (consistent)']);
  });

  it('does not thank a client who has not answered: it sends them back to the form', async () => {
    const response = await send('GET', `/f/${token}/thanks`);

    expect(response.statusCode).toBe(303);
    expect(response.body).not.toContain(PAGE_TEXT.en.thanks.title);
    expect(new URL(response.headers['location']!, `https://practice.example/feedback/f/${token}/thanks`).pathname).toBe(`/feedback/f/${token}`);
  });

  it('does not thank on an expired, unanswered link either: the form it leads back to says it expired', async () => {
    clock.set(new Date(EXPIRES_AT));
    const response = await send('GET', `/f/${token}/thanks`);
    expect(response.statusCode).toBe(303);
    expect((await send('GET', `/f/${token}`)).statusCode).toBe(410);
  });

  it('answers 404 when the link’s session is gone (erased)', async () => {
    store.sessions.delete('s-1');
    expect((await send('GET', `/f/${token}/thanks`)).statusCode).toBe(404);
  });

  it('answers 404 for an unknown token', async () => {
    expect((await send('GET', `/f/${'D'.repeat(43)}/thanks`)).statusCode).toBe(404);
  });
});

describe('/u/{token}', () => {
  it('shows the opt-out page and changes nothing, however often it is opened', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await send('GET', `/u/${optOutToken}`);
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain(`<button type="submit">${PAGE_TEXT.en.optOutButton}</button>`);
    }
    expect(store.writes).toBe(0);
    expect(store.clients.size).toBe(0);
  });

  it('opts the client out from the page’s button and announces it once', async () => {
    const response = await send('POST', `/u/${optOutToken}`, { body: '', contentType: FORM });
    const again = await send('POST', `/u/${optOutToken}`, { body: '', contentType: FORM });

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.en.optedOut.title}</h1>`);
    expect(again.statusCode).toBe(200);
    expect(store.clients.get('c-1')).toEqual({ optedOutAt: NOW.toISOString() });
    expect(publisher.published).toEqual([{ detailType: 'ClientUnsubscribed', detail: { clientId: 'c-1', optedOutAt: NOW.toISOString() } }]);
  });

  it.each([
    ['urlencoded', FORM, 'List-Unsubscribe=One-Click'],
    ['multipart', 'multipart/form-data; boundary=b', '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n'],
  ])('opts the client out with an RFC 8058 one-click post (%s) and answers 200', async (_name, contentType, body) => {
    const response = await send('POST', `/u/${optOutToken}`, { body, contentType });
    expect(response.statusCode).toBe(200);
    expect(store.clients.get('c-1')?.optedOutAt).toBe(NOW.toISOString());
  });

  it('keeps working after the form link has expired, in the client’s language', async () => {
    const spanish = newLink('es', 's-2');
    const spanishOptOut = newOptOutLink('es');
    clock.advance(30 * 24 * HOUR);
    expect((await send('GET', `/f/${spanish}`)).statusCode).toBe(410);

    const response = await send('POST', `/u/${spanishOptOut}`, { body: 'List-Unsubscribe=One-Click', contentType: FORM });

    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.es.optedOut.title}</h1>`);
    expect(store.clients.get('c-1')?.optedOutAt).toBeDefined();
  });

  it('does not take a form token: the form’s link opts nobody out', async () => {
    expect((await send('GET', `/u/${token}`)).statusCode).toBe(404);
    const response = await send('POST', `/u/${token}`, { body: 'List-Unsubscribe=One-Click', contentType: FORM });
    expect(response.statusCode).toBe(404);
    expect(store.clients.size).toBe(0);
    expect(publisher.published).toEqual([]);
  });

  it('has a token that does not open the form: the unsubscribe header cannot answer for the client', async () => {
    expect((await send('GET', `/f/${optOutToken}`)).statusCode).toBe(404);
    expect((await post(`/f/${optOutToken}`, COMPLETE)).statusCode).toBe(404);
    expect(store.sessions.get('s-1')!.answeredAt).toBeUndefined();
  });

  it('answers 404 for an unknown token and opts nobody out', async () => {
    const response = await send('POST', `/u/${'C'.repeat(43)}`, { body: 'List-Unsubscribe=One-Click', contentType: FORM });
    expect(response.statusCode).toBe(404);
    expect(store.clients.size).toBe(0);
  });
});

describe('posts from another site', () => {
  const crossSite = (path: string, body: string, fetchSite = 'cross-site') => send('POST', path, { body, contentType: FORM, headers: { 'sec-fetch-site': fetchSite } });

  it.each(['cross-site', 'same-site', 'Cross-Site'])('refuses an answer posted from another site (%s) with a readable 403 page, and stores nothing', async (fetchSite) => {
    const response = await crossSite(`/f/${token}`, COMPLETE, fetchSite);

    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain(`<h1>${PAGE_TEXT.en.otherSite.title}</h1>`);
    expect(store.sessions.get('s-1')!.answeredAt).toBeUndefined();
    expect(store.writes).toBe(0);
    expect(publisher.published).toEqual([]);
  });

  it('refuses an opt-out posted from another site, and opts nobody out', async () => {
    const response = await crossSite(`/u/${optOutToken}`, 'List-Unsubscribe=One-Click');

    expect(response.statusCode).toBe(403);
    expect(store.clients.size).toBe(0);
    expect(publisher.published).toEqual([]);
  });

  it('refuses an acknowledgement posted from another site', async () => {
    const response = await crossSite(`/a/${'A'.repeat(43)}`, '');
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain(`<h1>${PAGE_TEXT.en.otherSite.title}</h1>`);
  });

  it.each([['same-origin'], ['none']])('accepts a post the browser says is %s', async (fetchSite) => {
    expect((await crossSite(`/f/${token}`, COMPLETE, fetchSite)).statusCode).toBe(303);
  });

  it('accepts an RFC 8058 one-click post from a mail provider, which sends no Sec-Fetch-Site', async () => {
    const response = await send('POST', `/u/${optOutToken}`, { body: 'List-Unsubscribe=One-Click', contentType: FORM });
    expect(response.statusCode).toBe(200);
    expect(store.clients.get('c-1')?.optedOutAt).toBe(NOW.toISOString());
  });

  it('still shows pages opened from another site: a GET changes nothing', async () => {
    expect((await send('GET', `/f/${token}`, { headers: { 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
  });
});

describe('other paths', () => {
  it('answers 404 with a page for anything else', async () => {
    for (const path of ['/', '/f', `/f/${token}/other`, `/x/${token}`]) {
      const response = await send('GET', path);
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain('<h1>');
    }
  });

  it('serves every page under a custom domain’s base path, which HTTP API keeps in the path', async () => {
    expect((await send('GET', `/feedback/f/${token}`)).statusCode).toBe(200);
    const posted = await post(`/feedback/f/${token}`, COMPLETE);
    expect(posted.statusCode).toBe(303);
    expect(new URL(posted.headers['location']!, `https://practice.example/feedback/f/${token}`).pathname).toBe(`/feedback/f/${token}/thanks`);
    expect((await send('GET', `/feedback/f/${token}/thanks`)).statusCode).toBe(200);
    expect((await send('GET', `/feedback/u/${optOutToken}`)).statusCode).toBe(200);
  });

  it('answers the browser’s icon request with an empty, cacheable response', async () => {
    const response = await send('GET', '/favicon.ico');
    expect(response.statusCode).toBe(204);
  });
});
