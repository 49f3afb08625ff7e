import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { SessionCompletedDetailSchema, type SessionCompletedDetail } from '../../shared/events/contracts.ts';
import { requestFeedback, type RequestFeedbackDeps } from '../../shared/use-cases/request-feedback.ts';
import { FakeMailer, FakePublisher, FakeSessionStore, plainAddressHasher, sequentialTokens, FakeOptOutLinkStore } from '../support/fakes.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-25T21:00:00Z');

function session(overrides: Partial<Record<string, unknown>> = {}): SessionCompletedDetail {
  return SessionCompletedDetailSchema.parse({
    sessionId: 's-2026-11-25-0042',
    clientId: 'c-1042',
    therapistId: 't-7',
    endedAt: '2026-11-25T15:50:00-05:00',
    client: { email: 'ana@example.com', firstName: 'Ana', locale: 'es' },
    therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
    ...overrides,
  });
}

describe('requestFeedback', () => {
  let store: FakeSessionStore;
  let mailer: FakeMailer;
  let publisher: FakePublisher;
  let clock: ManualClock;
  let deps: RequestFeedbackDeps;

  beforeEach(() => {
    store = new FakeSessionStore();
    mailer = new FakeMailer();
    publisher = new FakePublisher();
    clock = new ManualClock(NOW);
    deps = {
      store,
      addresses: plainAddressHasher,
      mailer,
      publisher,
      clock,
      tokens: sequentialTokens(),
      optOutLinks: new FakeOptOutLinkStore(),
      policy: { throttleHours: 12, tokenExpiryHours: 72, maxSessionAgeHours: 168, maxSessionLeadMinutes: 60 },
      practiceName: 'Riverside Counselling',
      practiceTimeZone: 'UTC',
      formBaseUrl: 'https://forms.practice.example',
      instrumentId: 'alliance-check-v1',
      claimLeaseSeconds: 60,
    };
  });

  it('emails the client one link to the form, in their language, with a one-click opt-out', async () => {
    // Act
    const outcome = await requestFeedback(session(), deps);

    // Assess
    expect(outcome).toEqual({ outcome: 'requested', expiresAt: '2026-11-28T21:00:00.000Z' });
    expect(mailer.sent).toHaveLength(1);
    const email = mailer.sent[0]!;
    expect(email.to).toBe('ana@example.com');
    expect(email.subject).toBe('Una pregunta rápida de Riverside Counselling');
    expect(email.text).toContain('Hola, Ana:');
    expect(email.text).toContain('https://forms.practice.example/f/token-1');
    expect(email.html).toContain('href="https://forms.practice.example/f/token-1"');
    // The opt-out link has a token of its own (the next one made), never the form's.
    expect(email.html).toContain('https://forms.practice.example/u/token-2');
    expect(email.html).not.toContain('/u/token-1');
    expect(email.headers).toEqual({
      'List-Unsubscribe': '<https://forms.practice.example/u/token-2>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });

  it('stores only the hash of the token, with an expiry counted from sending', async () => {
    await requestFeedback(session(), deps);

    expect([...store.tokens.keys()]).toEqual(['hash-of-token-1']);
    expect(store.tokens.get('hash-of-token-1')).toMatchObject({ sessionId: 's-2026-11-25-0042', expiresAt: '2026-11-28T21:00:00.000Z', instrumentId: 'alliance-check-v1' });
    expect(JSON.stringify([...store.tokens.values()])).not.toContain('"token-1"');
    expect(store.sessions.get('s-2026-11-25-0042')).toMatchObject({ status: 'requested', tokenHash: 'hash-of-token-1', requestedAt: NOW.toISOString() });
  });

  it('puts on the token everything the web pages need, the session end included, so they need not read the session', async () => {
    await requestFeedback(session(), deps);

    expect(store.tokens.get('hash-of-token-1')).toEqual({
      tokenHash: 'hash-of-token-1',
      sessionId: 's-2026-11-25-0042',
      clientId: 'c-1042',
      therapistId: 't-7',
      locale: 'es',
      expiresAt: '2026-11-28T21:00:00.000Z',
      instrumentId: 'alliance-check-v1',
      sessionEndedAt: '2026-11-25T20:50:00.000Z',
    });
  });

  it('writes the token only after SES accepted the email', async () => {
    const tokensWhenSending: number[] = [];
    const send = mailer.send.bind(mailer);
    mailer.send = async (email) => {
      tokensWhenSending.push(store.tokens.size);
      await send(email);
    };

    await requestFeedback(session(), deps);

    expect(tokensWhenSending).toEqual([0]);
    expect(store.tokens.size).toBe(1);
  });

  it('publishes FeedbackRequested without any email address', async () => {
    await requestFeedback(session(), deps);

    expect(publisher.published).toEqual([
      {
        detailType: 'FeedbackRequested',
        detail: {
          sessionId: 's-2026-11-25-0042',
          clientId: 'c-1042',
          therapistId: 't-7',
          requestedAt: NOW.toISOString(),
          expiresAt: '2026-11-28T21:00:00.000Z',
        },
      },
    ]);
    expect(JSON.stringify(publisher.published)).not.toContain('@');
  });

  it('sends one email when the same session arrives three times', async () => {
    const outcomes = [await requestFeedback(session(), deps), await requestFeedback(session(), deps), await requestFeedback(session(), deps)];

    expect(outcomes.map((o) => o.outcome)).toEqual(['requested', 'duplicate', 'duplicate']);
    expect(mailer.sent).toHaveLength(1);
  });

  it('sends one email when the same session arrives three times concurrently', async () => {
    await Promise.all([requestFeedback(session(), deps), requestFeedback(session(), deps), requestFeedback(session(), deps)]);

    expect(mailer.sent).toHaveLength(1);
  });

  it('does not ask again about a session that ended less than 12 hours after the last one asked about', async () => {
    await requestFeedback(session({ sessionId: 's-1', endedAt: '2026-11-25T09:00:00Z' }), deps);

    const second = await requestFeedback(session({ sessionId: 's-2', endedAt: '2026-11-25T20:59:00Z' }), deps);

    expect(second).toEqual({ outcome: 'skipped', reason: 'throttled' });
    expect(mailer.sent).toHaveLength(1);
    expect(store.sessions.get('s-2')).toMatchObject({ status: 'skipped', skipReason: 'throttled' });
  });

  it('judges the throttle by when sessions ended, not by when the events arrived', async () => {
    await requestFeedback(session({ sessionId: 's-1', endedAt: '2026-11-24T08:00:00Z' }), deps);

    // Arrives a minute later but ended 12 h after the first: a different day's session.
    clock.advance(60_000);
    const second = await requestFeedback(session({ sessionId: 's-2', endedAt: '2026-11-24T20:00:00Z' }), deps);

    expect(second.outcome).toBe('requested');
    expect(mailer.sent).toHaveLength(2);
  });

  it('throttles a late-arriving earlier session too', async () => {
    await requestFeedback(session({ sessionId: 's-2', endedAt: '2026-11-25T18:00:00Z' }), deps);

    const earlier = await requestFeedback(session({ sessionId: 's-1', endedAt: '2026-11-25T10:00:00Z' }), deps);

    expect(earlier).toEqual({ outcome: 'skipped', reason: 'throttled' });
  });

  it('uses the configured throttle window', async () => {
    deps.policy = { ...deps.policy, throttleHours: 2 };
    await requestFeedback(session({ sessionId: 's-1', endedAt: '2026-11-25T09:00:00Z' }), deps);

    const second = await requestFeedback(session({ sessionId: 's-2', endedAt: '2026-11-25T11:30:00Z' }), deps);

    expect(second.outcome).toBe('requested');
  });

  it('sends nothing to a client who opted out, and records why', async () => {
    store.clients.set('c-1042', { optedOutAt: '2026-11-01T00:00:00Z' });

    const outcome = await requestFeedback(session(), deps);

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'opted-out' });
    expect(mailer.sent).toHaveLength(0);
    expect(store.sessions.get('s-2026-11-25-0042')).toMatchObject({ status: 'skipped', skipReason: 'opted-out' });
  });

  it('sends nothing to an erased client and stores nothing about the session', async () => {
    store.clients.set('c-1042', { erasedAt: '2026-11-20T00:00:00Z' });

    const outcome = await requestFeedback(session(), deps);

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'erased' });
    expect(mailer.sent).toHaveLength(0);
    expect(publisher.published).toHaveLength(0);
    expect(store.sessions.size).toBe(0);
  });

  it('stores nothing about a stale session of an erased client either', async () => {
    store.clients.set('c-1042', { erasedAt: '2026-11-20T00:00:00Z' });

    const outcome = await requestFeedback(session({ endedAt: new Date(NOW.getTime() - 200 * HOUR).toISOString() }), deps);

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'erased' });
    expect(store.sessions.size).toBe(0);
  });

  it('sends nothing to an address on the do-not-contact list, whatever the client id, and records why', async () => {
    store.doNotContact.add('hash(ana@example.com)');

    const outcome = await requestFeedback(session({ clientId: 'c-2001', client: { email: 'Ana@Example.com', locale: 'es' } }), deps);

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'do-not-contact' });
    expect(mailer.sent).toHaveLength(0);
    expect(store.sessions.get('s-2026-11-25-0042')).toMatchObject({ status: 'skipped', skipReason: 'do-not-contact' });
  });

  it('stores nothing about an erased client whose address is also on the do-not-contact list', async () => {
    store.clients.set('c-1042', { erasedAt: '2026-11-20T00:00:00Z' });
    store.doNotContact.add('hash(ana@example.com)');

    const outcome = await requestFeedback(session(), deps);

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'erased' });
    expect(store.sessions.size).toBe(0);
  });

  it('leaves the request slot free after a do-not-contact skip', async () => {
    store.doNotContact.add('hash(ana@example.com)');

    await requestFeedback(session(), deps);

    expect(store.clients.get('c-1042')?.lastRequestSessionId).toBeUndefined();
  });

  it('asks the do-not-contact list about an address new to the client, not about one it was already sent to', async () => {
    const asked: string[] = [];
    const isDoNotContact = store.isDoNotContact.bind(store);
    store.isDoNotContact = async (addressHash) => {
      asked.push(addressHash);
      return isDoNotContact(addressHash);
    };

    await requestFeedback(session(), deps);
    await requestFeedback(session({ sessionId: 's-2', endedAt: new Date(NOW.getTime() - HOUR + 13 * HOUR).toISOString() }), { ...deps, clock: new ManualClock(new Date(NOW.getTime() + 13 * HOUR)) });
    store.doNotContact.add('hash(moved@example.com)');
    const moved = await requestFeedback(
      session({ sessionId: 's-3', endedAt: new Date(NOW.getTime() - HOUR + 26 * HOUR).toISOString(), client: { email: 'moved@example.com', locale: 'es' } }),
      { ...deps, clock: new ManualClock(new Date(NOW.getTime() + 26 * HOUR)) },
    );

    expect(asked).toEqual(['hash(ana@example.com)', 'hash(moved@example.com)']);
    expect(moved).toEqual({ outcome: 'skipped', reason: 'do-not-contact' });
  });

  it('skips a session that ended more than 7 days ago as stale', async () => {
    const outcome = await requestFeedback(session({ endedAt: new Date(NOW.getTime() - 168 * HOUR - 60_000).toISOString() }), deps);

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'stale' });
    expect(mailer.sent).toHaveLength(0);
    expect(store.sessions.get('s-2026-11-25-0042')).toMatchObject({ status: 'skipped', skipReason: 'stale' });
  });

  it('asks about a session that ended just under 7 days ago', async () => {
    const outcome = await requestFeedback(session({ endedAt: new Date(NOW.getTime() - 168 * HOUR + 60_000).toISOString() }), deps);

    expect(outcome.outcome).toBe('requested');
  });

  it('skips a session that ends more than an hour in the future', async () => {
    const outcome = await requestFeedback(session({ endedAt: new Date(NOW.getTime() + 61 * 60_000).toISOString() }), deps);

    expect(outcome).toEqual({ outcome: 'skipped', reason: 'stale' });
  });

  it('counts the link expiry from sending, not from the session end', async () => {
    const outcome = await requestFeedback(session({ endedAt: new Date(NOW.getTime() - 100 * HOUR).toISOString() }), deps);

    expect(outcome).toEqual({ outcome: 'requested', expiresAt: new Date(NOW.getTime() + 72 * HOUR).toISOString() });
  });

  it('gives the claim back when SES refuses, so the retry sends the one email', async () => {
    mailer.failNext = 1;

    await expect(requestFeedback(session(), deps)).rejects.toThrow('Maximum sending rate exceeded.');
    expect(store.sessions.has('s-2026-11-25-0042')).toBe(false);

    const retry = await requestFeedback(session(), deps);
    expect(retry.outcome).toBe('requested');
    expect(mailer.sent).toHaveLength(1);
  });

  it('lets a retry through the throttle for its own session', async () => {
    mailer.failNext = 1;
    await expect(requestFeedback(session(), deps)).rejects.toThrow();

    const retry = await requestFeedback(session(), deps);

    expect(retry.outcome).toBe('requested');
  });

  it('keeps the claim when recording fails after the email went out, so a quick retry sends no second email', async () => {
    store.saveSentFormToken = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    await expect(requestFeedback(session(), deps)).rejects.toThrow('ProvisionedThroughputExceededException');
    const retry = await requestFeedback(session(), deps);

    expect(retry).toEqual({ outcome: 'duplicate', status: 'claimed' });
    expect(mailer.sent).toHaveLength(1);
    expect(publisher.published).toHaveLength(0);
  });

  it('sends a second email once the lease has run out when the token write after SES was lost (the documented window), and both links work', async () => {
    store.saveSentFormToken = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    await expect(requestFeedback(session(), deps)).rejects.toThrow('ProvisionedThroughputExceededException');
    store.saveSentFormToken = FakeSessionStore.prototype.saveSentFormToken;
    clock.advance(61_000);

    const retry = await requestFeedback(session(), deps);

    expect(retry.outcome).toBe('requested');
    expect(mailer.sent).toHaveLength(2);
    // Each attempt made a form token and its email's opt-out token: token-1 and -2, then -3 and -4.
    expect([...store.tokens.keys()].sort()).toEqual(['hash-of-token-1', 'hash-of-token-3']);
    expect(store.tokens.get('hash-of-token-1')).toMatchObject({ sessionId: 's-2026-11-25-0042', expiresAt: '2026-11-28T21:00:00.000Z' });
    expect(store.sessions.get('s-2026-11-25-0042')).toMatchObject({ status: 'requested', tokenHash: 'hash-of-token-3' });
    expect(publisher.published).toHaveLength(1);
  });

  it('sends the email when an attempt died after claiming and before sending, once its lease has run out', async () => {
    // The claim of an attempt that crashed before SES (no token item, so no email went out).
    await store.claimSession(
      { ...session(), endedAt: '2026-11-25T20:50:00.000Z' },
      { tokenHash: 'hash-of-a-dead-attempt', requestedAt: NOW.toISOString(), expiresAt: '2026-11-28T21:00:00.000Z' },
      NOW,
      60,
    );

    const early = await requestFeedback(session(), deps);
    clock.advance(61_000);
    const late = await requestFeedback(session(), deps);

    expect(early).toEqual({ outcome: 'duplicate', status: 'claimed' });
    expect(late.outcome).toBe('requested');
    expect(mailer.sent).toHaveLength(1);
  });

  it('never sends again for a session whose email went out, however late the duplicate arrives', async () => {
    await requestFeedback(session(), deps);
    clock.advance(24 * HOUR);

    const late = await requestFeedback(session(), deps);

    expect(late).toEqual({ outcome: 'duplicate', status: 'requested' });
    expect(mailer.sent).toHaveLength(1);
  });

  it('records a throttled session as skipped over its own claim, with no link planned', async () => {
    await requestFeedback(session({ sessionId: 's-1', endedAt: '2026-11-25T09:00:00Z' }), deps);

    await requestFeedback(session({ sessionId: 's-2', endedAt: '2026-11-25T20:59:00Z' }), deps);

    expect(store.sessions.get('s-2')).toEqual(expect.objectContaining({ status: 'skipped', skipReason: 'throttled' }));
    expect(store.sessions.get('s-2')).not.toHaveProperty('tokenHash');
    expect(store.tokens.size).toBe(1);
  });

  it('announces FeedbackRequested again when a requested session arrives again, so a publish that failed after the mark is not lost', async () => {
    publisher.publish = async () => {
      throw new Error('PublishError: FeedbackRequested was not accepted: InternalFailure');
    };
    await expect(requestFeedback(session(), deps)).rejects.toThrow('InternalFailure');
    publisher.publish = FakePublisher.prototype.publish;

    const retry = await requestFeedback(session(), deps);

    expect(retry).toEqual({ outcome: 'duplicate', status: 'requested' });
    expect(mailer.sent).toHaveLength(1);
    expect(publisher.published).toEqual([
      {
        detailType: 'FeedbackRequested',
        detail: { sessionId: 's-2026-11-25-0042', clientId: 'c-1042', therapistId: 't-7', requestedAt: NOW.toISOString(), expiresAt: '2026-11-28T21:00:00.000Z' },
      },
    ]);
  });

  it('greets without a name when the EHR sends none', async () => {
    await requestFeedback(session({ client: { email: 'ana@example.com' } }), deps);

    expect(mailer.sent[0]!.text.startsWith('Hello,\n')).toBe(true);
    expect(mailer.sent[0]!.subject).toBe('A quick question from Riverside Counselling');
  });
});
