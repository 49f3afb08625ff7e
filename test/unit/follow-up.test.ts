import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { atExpression } from '../../shared/adapters/eventbridge-scheduler.ts';
import {
  cancelFollowUps,
  expireRequest,
  followUpScheduleNames,
  rearmScheduleName,
  rearmTime,
  scheduleFollowUps,
  sendReminder,
  type FollowUpDeps,
} from '../../shared/use-cases/follow-up.ts';
import type { FollowUpStore, FormTokenRecord, OneTimeSchedule, RequestedSession } from '../../shared/use-cases/ports.ts';
import { FakeMailer, FakePublisher, sequentialTokens, FakeOptOutLinkStore } from '../support/fakes.ts';

const HOUR = 3_600_000;
const REQUESTED_AT = new Date('2026-11-25T21:00:00Z');
const EXPIRES_AT = new Date(REQUESTED_AT.getTime() + 72 * HOUR);
const ENDED_AT = '2026-11-25T20:00:00.000Z';

/** Keeps schedules by name like EventBridge Scheduler: a second create is a no-op, deleting a missing one succeeds. */
class FakeScheduler {
  schedules = new Map<string, OneTimeSchedule>();
  deleteCalls: string[] = [];
  failDeletes = 0;
  async scheduleOnce(schedule: OneTimeSchedule) {
    if (!this.schedules.has(schedule.name)) this.schedules.set(schedule.name, schedule);
  }
  async deleteSchedule(name: string) {
    this.deleteCalls.push(name);
    if (this.failDeletes > 0) {
      this.failDeletes -= 1;
      throw new Error('Scheduler throttled');
    }
    this.schedules.delete(name);
  }
}

class FakeFollowUpStore implements FollowUpStore {
  sessions = new Map<string, RequestedSession>();
  tokens: FormTokenRecord[] = [];
  unreachable = new Set<string>();
  evaluated = new Set<string>();
  async hasEvaluation(id: string) {
    return this.evaluated.has(id);
  }
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
  let scheduler: FakeScheduler;
  let deps: FollowUpDeps;

  beforeEach(() => {
    store = new FakeFollowUpStore();
    store.sessions.set('s-1', {
      sessionId: 's-1',
      clientId: 'c-1',
      therapistId: 't-1',
      status: 'requested',
      client: { email: 'ana@example.com', firstName: 'Ana', locale: 'en' },
      endedAt: ENDED_AT,
      requestedAt: REQUESTED_AT.toISOString(),
      expiresAt: EXPIRES_AT.toISOString(),
    });
    mailer = new FakeMailer();
    publisher = new FakePublisher();
    clock = new ManualClock(REQUESTED_AT);
    scheduler = new FakeScheduler();
    deps = {
      store,
      scheduler,
      mailer,
      publisher,
      clock,
      tokens: sequentialTokens(),
      optOutLinks: new FakeOptOutLinkStore(),
      reminderHours: 48,
      practiceName: 'Riverside Practice',
      practiceTimeZone: 'UTC',
      formBaseUrl: 'https://forms.example',
      instrumentId: 'alliance-check-v1',
      scheduleKey: (sessionId) => `key-${sessionId}`,
    };
  });

  /** The client answers s-1; `evaluated`: the evaluation ran, as it does once FeedbackSubmitted is out. */
  function answer(evaluated: boolean) {
    const session = store.sessions.get('s-1')!;
    session.answeredAt = REQUESTED_AT.toISOString();
    session.answer = { instrumentId: 'alliance-check-v1', items: { bond: 4, goals: 3 }, talk: true, comment: 'private words' };
    if (evaluated) store.evaluated.add('s-1');
  }

  const requested = { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', requestedAt: REQUESTED_AT.toISOString(), expiresAt: EXPIRES_AT.toISOString() };

  it('schedules a reminder 48 h after the request and the expiry at the link’s end', async () => {
    await scheduleFollowUps(requested, deps, 'abc');

    expect([...scheduler.schedules.values()].map((s) => [s.name, s.at.toISOString(), s.contract.detailType, s.detail])).toEqual([
      ['reminder-abc', '2026-11-27T21:00:00.000Z', 'FeedbackReminderTimeReached', { sessionId: 's-1' }],
      ['expiry-abc', '2026-11-28T21:00:00.000Z', 'FeedbackExpiryTimeReached', { sessionId: 's-1' }],
    ]);
  });

  it('schedules no reminder when the link expires before it would go out', async () => {
    await scheduleFollowUps({ ...requested, expiresAt: new Date(REQUESTED_AT.getTime() + 24 * HOUR).toISOString() }, deps, 'abc');

    expect([...scheduler.schedules.keys()]).toEqual(['expiry-abc']);
  });

  it('deletes both schedules when the client answers, so neither fires to read the session', async () => {
    await scheduleFollowUps(requested, deps, 'abc');

    await cancelFollowUps('abc', deps);

    expect(scheduler.schedules.size).toBe(0);
    expect(scheduler.deleteCalls.sort()).toEqual(['expiry-abc', 'reminder-abc']);
  });

  it('succeeds when the same answer arrives three times (missing schedules count as deleted)', async () => {
    await scheduleFollowUps(requested, deps, 'abc');

    for (let delivery = 0; delivery < 3; delivery += 1) await cancelFollowUps('abc', deps);

    expect(scheduler.schedules.size).toBe(0);
    expect(scheduler.deleteCalls).toHaveLength(6);
  });

  it('lets a failed deletion throw, so the queue retries it', async () => {
    await scheduleFollowUps(requested, deps, 'abc');
    scheduler.failDeletes = 1;

    await expect(cancelFollowUps('abc', deps)).rejects.toThrow('Scheduler throttled');
    await cancelFollowUps('abc', deps);

    expect(scheduler.schedules.size).toBe(0);
  });

  it('keeps a schedule that survived the cancel harmless: it finds the session answered', async () => {
    await scheduleFollowUps(requested, deps, 'abc');
    scheduler.failDeletes = 2;
    await expect(cancelFollowUps('abc', deps)).rejects.toThrow();
    answer(true);
    clock.set(EXPIRES_AT);

    expect(await sendReminder('s-1', deps)).toBe('answered');
    expect(await expireRequest('s-1', deps)).toBe('answered');
    expect(mailer.sent).toHaveLength(0);
    expect(publisher.published).toHaveLength(0);
  });

  it('writes UTC at() expressions rounded up to the next whole second, never before the due instant', () => {
    expect(atExpression(new Date('2026-11-27T21:00:00.123Z'))).toBe('at(2026-11-27T21:00:01)');
    expect(atExpression(new Date('2026-11-27T21:00:59.001Z'))).toBe('at(2026-11-27T21:01:00)');
    expect(atExpression(new Date('2026-11-27T21:00:00.000Z'))).toBe('at(2026-11-27T21:00:00)');
  });

  describe('an event that comes before the stored due time', () => {
    it('sends no reminder for a FeedbackReminderTimeReached 1 hour after the request, and re-arms it for the stored time', async () => {
      clock.advance(1 * HOUR);

      expect(await sendReminder('s-1', deps)).toBe('not-due');

      expect(mailer.sent).toHaveLength(0);
      expect(store.tokens).toHaveLength(0);
      expect(store.sessions.get('s-1')!.remindedAt).toBeUndefined();
      const rearmed = [...scheduler.schedules.values()];
      expect(rearmed).toHaveLength(1);
      expect(rearmed[0]).toMatchObject({ at: new Date(REQUESTED_AT.getTime() + 48 * HOUR), contract: { detailType: 'FeedbackReminderTimeReached' }, detail: { sessionId: 's-1' } });
      expect(rearmed[0]!.name).toMatch(/^reminder-key-s-1-r[0-9a-z]+$/);
    });

    it('reminds once the re-armed time comes', async () => {
      clock.advance(1 * HOUR);
      await sendReminder('s-1', deps);
      clock.set(scheduler.schedules.values().next().value!.at);

      expect(await sendReminder('s-1', deps)).toBe('sent');
      expect(mailer.sent).toHaveLength(1);
    });

    it('re-arms an expiry that fired a few milliseconds early instead of dropping it', async () => {
      const due = new Date(EXPIRES_AT.getTime() + 250);
      store.sessions.get('s-1')!.expiresAt = due.toISOString();
      // What a schedule written without the milliseconds did: fire at the whole second before the due instant.
      clock.set(EXPIRES_AT);

      expect(await expireRequest('s-1', deps)).toBe('not-due');
      expect(publisher.published).toHaveLength(0);
      const [rearmed] = [...scheduler.schedules.values()];
      expect(rearmed).toMatchObject({ contract: { detailType: 'FeedbackExpiryTimeReached' }, detail: { sessionId: 's-1' } });
      expect(rearmed!.at.getTime()).toBeGreaterThanOrEqual(due.getTime());
      expect(rearmed!.name).toMatch(/^expiry-key-s-1-r[0-9a-z]+$/);

      clock.set(rearmed!.at);
      expect(await expireRequest('s-1', deps)).toBe('expired');
      expect(publisher.published.map((event) => event.detailType)).toEqual(['FeedbackExpired']);
    });

    it('re-arms at a whole minute, which EventBridge Scheduler’s 60-second precision cannot fire before', () => {
      expect(rearmTime(new Date('2026-11-27T21:00:00.250Z'))).toEqual(new Date('2026-11-27T21:01:00.000Z'));
      expect(rearmTime(new Date('2026-11-27T21:00:00.000Z'))).toEqual(new Date('2026-11-27T21:00:00.000Z'));
    });

    it('names the re-armed schedule apart from the first one, the same for every early event aimed at one time, within 64 characters', () => {
      const first = followUpScheduleNames('a'.repeat(40)).reminder;
      const at = new Date('2026-11-27T21:01:00Z');

      expect(rearmScheduleName(first, at)).not.toBe(first);
      expect(rearmScheduleName(first, at)).toBe(rearmScheduleName(first, new Date(at)));
      expect(rearmScheduleName(first, new Date(at.getTime() + 60_000))).not.toBe(rearmScheduleName(first, at));
      expect(rearmScheduleName(first, new Date('4999-12-31T23:59:00Z')).length).toBeLessThanOrEqual(64);
    });

    it('makes one re-armed schedule for many early events', async () => {
      clock.advance(1 * HOUR);
      await sendReminder('s-1', deps);
      clock.advance(1 * HOUR);
      await sendReminder('s-1', deps);

      expect(scheduler.schedules.size).toBe(1);
    });
  });

  it('reminds an unanswered client once, with a new link to the same session', async () => {
    clock.advance(48 * HOUR);

    expect(await sendReminder('s-1', deps)).toBe('sent');
    expect(await sendReminder('s-1', deps)).toBe('already-reminded');

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toBe('Reminder: a quick question from Riverside Practice');
    expect(mailer.sent[0]!.text).toContain('2 days ago Riverside Practice asked how your last session went');
    expect(mailer.sent[0]!.text).toContain('https://forms.example/f/token-1');
    expect(store.tokens).toEqual([
      {
        tokenHash: 'hash-of-token-1',
        sessionId: 's-1',
        clientId: 'c-1',
        therapistId: 't-1',
        locale: 'en',
        expiresAt: EXPIRES_AT.toISOString(),
        instrumentId: 'alliance-check-v1',
        sessionEndedAt: ENDED_AT,
      },
    ]);
  });

  it('writes no sessionEndedAt into the reminder’s link when the session has none stored', async () => {
    delete store.sessions.get('s-1')!.endedAt;
    clock.advance(48 * HOUR);

    expect(await sendReminder('s-1', deps)).toBe('sent');
    expect(store.tokens[0]).not.toHaveProperty('sessionEndedAt');
  });

  it('never reminds a client who answered', async () => {
    answer(true);

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
    clock.advance(48 * HOUR);
    mailer.failNext = 1;

    await expect(sendReminder('s-1', deps)).rejects.toThrow();
    expect(await sendReminder('s-1', deps)).toBe('sent');
    expect(mailer.sent).toHaveLength(1);
  });

  it('announces an unanswered request’s expiry once', async () => {
    clock.set(EXPIRES_AT);

    expect(await expireRequest('s-1', deps)).toBe('expired');
    expect(await expireRequest('s-1', deps)).toBe('already-expired');

    expect(publisher.published).toEqual([{ detailType: 'FeedbackExpired', detail: { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', sessionEndedAt: ENDED_AT } }]);
  });

  it('announces nothing for an answered request', async () => {
    clock.set(EXPIRES_AT);
    answer(true);

    expect(await expireRequest('s-1', deps)).toBe('answered');
    expect(publisher.published).toHaveLength(0);
  });

  describe('an answer whose FeedbackSubmitted was lost (the schedules were never cancelled)', () => {
    const announced = {
      detailType: 'FeedbackSubmitted',
      detail: {
        sessionId: 's-1',
        clientId: 'c-1',
        therapistId: 't-1',
        instrumentId: 'alliance-check-v1',
        items: { bond: 4, goals: 3 },
        talk: true,
        hasComment: true,
        submittedAt: REQUESTED_AT.toISOString(),
        sessionEndedAt: ENDED_AT,
      },
    };

    it('is announced again by the reminder schedule, with no reminder email and never the comment text', async () => {
      answer(false);
      clock.advance(48 * HOUR);

      expect(await sendReminder('s-1', deps)).toBe('answer-reannounced');
      expect(publisher.published).toEqual([announced]);
      expect(JSON.stringify(publisher.published)).not.toContain('private words');
      expect(mailer.sent).toHaveLength(0);
    });

    it('is announced again by the expiry schedule, and no FeedbackExpired goes out', async () => {
      answer(false);
      clock.set(EXPIRES_AT);

      expect(await expireRequest('s-1', deps)).toBe('answer-reannounced');
      expect(publisher.published).toEqual([announced]);
    });

    it('is left alone when its stored form does not fit the contract (retrying could not fix it)', async () => {
      answer(false);
      store.sessions.get('s-1')!.answer = { instrumentId: 'alliance-check-v1', items: { bond: 4.5 }, talk: false };
      clock.set(EXPIRES_AT);

      expect(await expireRequest('s-1', deps)).toBe('answer-unannounceable');
      expect(publisher.published).toHaveLength(0);
    });
  });

  it('does not expire a request before its time', async () => {
    expect(await expireRequest('s-1', deps)).toBe('not-due');
    expect(publisher.published).toHaveLength(0);
    expect(store.sessions.get('s-1')!.expiredAt).toBeUndefined();
  });

  it('announces again on retry when publishing failed after marking', async () => {
    clock.set(EXPIRES_AT);
    const failing = { ...deps, publisher: { publish: async () => Promise.reject(new Error('EventBridge down')) } };

    await expect(expireRequest('s-1', failing)).rejects.toThrow('EventBridge down');
    expect(await expireRequest('s-1', deps)).toBe('expired');
    expect(publisher.published).toHaveLength(1);
  });
});
