import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { atExpression } from '../../shared/adapters/eventbridge-scheduler.ts';
import {
  expireRequest,
  scheduleFollowUps,
  sendReminder,
  type FollowUpDeps,
  type FollowUpStore,
  type OneTimeSchedule,
  type RequestedSession,
} from '../../shared/use-cases/follow-up.ts';
import type { FormTokenRecord } from '../../shared/use-cases/ports.ts';
import { FakeMailer, FakePublisher, sequentialTokens } from '../support/fakes.ts';

const HOUR = 3_600_000;
const REQUESTED_AT = new Date('2026-11-25T21:00:00Z');
const EXPIRES_AT = new Date(REQUESTED_AT.getTime() + 72 * HOUR);

class FakeFollowUpStore implements FollowUpStore {
  sessions = new Map<string, RequestedSession>();
  tokens: FormTokenRecord[] = [];
  unreachable = new Set<string>();
  async canEmailClient(clientId: string) {
    return !this.unreachable.has(clientId);
  }
  async getSession(id: string) {
    const session = this.sessions.get(id);
    return session && { ...session };
  }
  async claimReminder(id: string, now: Date) {
    const s = this.sessions.get(id);
    if (!s || s.remindedAt || s.answeredAt) return false;
    s.remindedAt = now.toISOString();
    return true;
  }
  async releaseReminder(id: string) {
    delete this.sessions.get(id)!.remindedAt;
  }
  async saveFormToken(token: FormTokenRecord) {
    this.tokens.push(token);
  }
  async markExpired(id: string, now: Date) {
    const s = this.sessions.get(id)!;
    if (s.answeredAt) return 'answered' as const;
    if (s.expiryPublishedAt) return 'already-published' as const;
    s.expiredAt ??= now.toISOString();
    return 'marked' as const;
  }
  async markExpiryPublished(id: string, now: Date) {
    this.sessions.get(id)!.expiryPublishedAt = now.toISOString();
  }
}

describe('follow-ups', () => {
  let store: FakeFollowUpStore;
  let mailer: FakeMailer;
  let publisher: FakePublisher;
  let clock: ManualClock;
  let schedules: OneTimeSchedule[];
  let deps: FollowUpDeps;

  beforeEach(() => {
    store = new FakeFollowUpStore();
    store.sessions.set('s-1', {
      sessionId: 's-1',
      clientId: 'c-1',
      therapistId: 't-1',
      status: 'requested',
      client: { email: 'ana@example.com', firstName: 'Ana', locale: 'en' },
      expiresAt: EXPIRES_AT.toISOString(),
    });
    mailer = new FakeMailer();
    publisher = new FakePublisher();
    clock = new ManualClock(REQUESTED_AT);
    schedules = [];
    deps = {
      store,
      scheduler: { scheduleOnce: async (s) => void schedules.push(s) },
      mailer,
      publisher,
      clock,
      tokens: sequentialTokens(),
      reminderHours: 48,
      practiceName: 'Riverside Practice',
      formBaseUrl: 'https://forms.example',
      instrumentId: 'alliance-check-v1',
    };
  });

  const requested = { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', requestedAt: REQUESTED_AT.toISOString(), expiresAt: EXPIRES_AT.toISOString() };

  it('schedules a reminder 48 h after the request and the expiry at the link’s end', async () => {
    await scheduleFollowUps(requested, deps, 'abc');

    expect(schedules.map((s) => [s.name, s.at.toISOString(), s.contract.detailType, s.detail])).toEqual([
      ['reminder-abc', '2026-11-27T21:00:00.000Z', 'FeedbackReminderTimeReached', { sessionId: 's-1' }],
      ['expiry-abc', '2026-11-28T21:00:00.000Z', 'FeedbackExpiryTimeReached', { sessionId: 's-1' }],
    ]);
  });

  it('schedules no reminder when the link expires before it would go out', async () => {
    await scheduleFollowUps({ ...requested, expiresAt: new Date(REQUESTED_AT.getTime() + 24 * HOUR).toISOString() }, deps, 'abc');

    expect(schedules.map((s) => s.name)).toEqual(['expiry-abc']);
  });

  it('writes UTC at() expressions without milliseconds', () => {
    expect(atExpression(new Date('2026-11-27T21:00:00.123Z'))).toBe('at(2026-11-27T21:00:00)');
  });

  it('reminds an unanswered client once, with a new link to the same session', async () => {
    clock.advance(48 * HOUR);

    expect(await sendReminder('s-1', deps)).toBe('sent');
    expect(await sendReminder('s-1', deps)).toBe('already-reminded');

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toBe('Reminder: a quick question from Riverside Practice');
    expect(mailer.sent[0]!.text).toContain('https://forms.example/f/token-1');
    expect(store.tokens).toEqual([
      { tokenHash: 'hash-of-token-1', sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', locale: 'en', expiresAt: EXPIRES_AT.toISOString(), instrumentId: 'alliance-check-v1' },
    ]);
  });

  it('never reminds a client who answered', async () => {
    store.sessions.get('s-1')!.answeredAt = REQUESTED_AT.toISOString();

    expect(await sendReminder('s-1', deps)).toBe('answered');
    expect(mailer.sent).toHaveLength(0);
  });

  it('never reminds a client who opted out after the first email', async () => {
    clock.advance(48 * HOUR);
    store.unreachable.add('c-1');

    expect(await sendReminder('s-1', deps)).toBe('opted-out');
    expect(mailer.sent).toHaveLength(0);
  });

  it('never reminds after the link expired', async () => {
    clock.set(EXPIRES_AT);

    expect(await sendReminder('s-1', deps)).toBe('expired');
    expect(mailer.sent).toHaveLength(0);
  });

  it('gives the reminder back when SES refuses, so the retry sends it', async () => {
    mailer.failNext = 1;

    await expect(sendReminder('s-1', deps)).rejects.toThrow();
    expect(await sendReminder('s-1', deps)).toBe('sent');
    expect(mailer.sent).toHaveLength(1);
  });

  it('announces an unanswered request’s expiry once', async () => {
    clock.set(EXPIRES_AT);

    expect(await expireRequest('s-1', deps)).toBe('expired');
    expect(await expireRequest('s-1', deps)).toBe('already-expired');

    expect(publisher.published).toEqual([{ detailType: 'FeedbackExpired', detail: { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1' } }]);
  });

  it('announces nothing for an answered request', async () => {
    clock.set(EXPIRES_AT);
    store.sessions.get('s-1')!.answeredAt = REQUESTED_AT.toISOString();

    expect(await expireRequest('s-1', deps)).toBe('answered');
    expect(publisher.published).toHaveLength(0);
  });

  it('does not expire a request before its time', async () => {
    expect(await expireRequest('s-1', deps)).toBe('not-due');
    expect(publisher.published).toHaveLength(0);
  });

  it('announces again on retry when publishing failed after marking', async () => {
    clock.set(EXPIRES_AT);
    const failing = { ...deps, publisher: { publish: async () => Promise.reject(new Error('EventBridge down')) } };

    await expect(expireRequest('s-1', failing)).rejects.toThrow('EventBridge down');
    expect(await expireRequest('s-1', deps)).toBe('expired');
    expect(publisher.published).toHaveLength(1);
  });
});
