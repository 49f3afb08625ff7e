/**
 * Use cases for what happens after a request was sent: schedule the reminder and the expiry, cancel
 * both once the client answers, send the one reminder, announce an unanswered request's expiry, and
 * announce again an answer whose own announcement was lost.
 */
import {
  FeedbackExpired,
  FeedbackExpiryTimeReached,
  FeedbackReminderTimeReached,
  FeedbackSubmitted,
  type FeedbackRequestedDetail,
  type EventContract,
  type Locale,
} from '../events/contracts.ts';
import { sendClientEmail } from './client-email.ts';
import type { Clock, EventPublisher, FollowUpScheduler, FollowUpStore, FormTokenRecord, Mailer, OptOutLinkStore, RequestedSession, TokenFactory } from './ports.ts';
import type * as z from 'zod/mini';

/** The names of one request's reminder and expiry schedules, from its (length-limited) schedule key. */
export function followUpScheduleNames(scheduleKey: string): { reminder: string; expiry: string } {
  return { reminder: `reminder-${scheduleKey}`, expiry: `expiry-${scheduleKey}` };
}

const MINUTE_MS = 60_000;

/**
 * When a follow-up that arrived before its due time fires again: the due time rounded up to a whole
 * minute. EventBridge Scheduler invokes with 60-second precision (a schedule for 1:00 fires between
 * 1:00:00 and 1:00:59), so only a minute boundary at or after the due time cannot fire early again.
 */
export function rearmTime(dueAt: Date): Date {
  return new Date(Math.ceil(dueAt.getTime() / MINUTE_MS) * MINUTE_MS);
}

/**
 * The name of the schedule that re-arms a follow-up for `at`: never the first schedule's name (it
 * may still exist, deleted only after completion) and the same for every early arrival aimed at the
 * same time, so a burst of early events makes one schedule, not one each. At most 64 characters:
 * `expiry-` or `reminder-`, the 40-character key, `-r` and the minute in base 36 (6 characters until
 * the year 5000).
 */
export function rearmScheduleName(firstName: string, at: Date): string {
  return `${firstName}-r${Math.floor(at.getTime() / MINUTE_MS).toString(36)}`;
}

export interface FollowUpDeps {
  store: FollowUpStore;
  scheduler: FollowUpScheduler;
  mailer: Mailer;
  publisher: EventPublisher;
  clock: Clock;
  tokens: TokenFactory;
  /** Where the reminder's own opt-out link is kept (client-email.ts). */
  optOutLinks: OptOutLinkStore;
  reminderHours: number;
  practiceName: string;
  /** The practice's IANA time zone: the client reads the link's end in it. */
  practiceTimeZone: string;
  formBaseUrl: string;
  /** The instrument the reminder's link uses. */
  instrumentId: string;
  /** The (length-limited) key a session's schedule names are made of (followUpScheduleNames). */
  scheduleKey: (sessionId: string) => string;
}

const HOUR_MS = 3_600_000;

/** Schedules the reminder (only if it falls before the expiry) and the expiry of one request. */
export async function scheduleFollowUps(detail: FeedbackRequestedDetail, deps: Pick<FollowUpDeps, 'scheduler' | 'reminderHours'>, scheduleKey: string): Promise<void> {
  const names = followUpScheduleNames(scheduleKey);
  const remindAt = new Date(new Date(detail.requestedAt).getTime() + deps.reminderHours * HOUR_MS);
  const expiresAt = new Date(detail.expiresAt);
  if (remindAt < expiresAt) {
    await deps.scheduler.scheduleOnce({ name: names.reminder, at: remindAt, contract: FeedbackReminderTimeReached, detail: { sessionId: detail.sessionId } });
  }
  await deps.scheduler.scheduleOnce({ name: names.expiry, at: expiresAt, contract: FeedbackExpiryTimeReached, detail: { sessionId: detail.sessionId } });
}

/**
 * Deletes an answered request's reminder and expiry schedules, so neither fires and reads the
 * session only to find it answered. Reads and writes nothing in the table: the names follow from
 * the session id. Safe to repeat (a missing schedule counts as deleted), and only an optimisation:
 * a schedule that survives (a failed delete, an answer handled before the schedules were made, or a
 * re-armed schedule, whose name depends on its time) still fires, and sendReminder and
 * expireRequest then see `answeredAt` and do nothing.
 */
export async function cancelFollowUps(scheduleKey: string, deps: Pick<FollowUpDeps, 'scheduler'>): Promise<void> {
  const names = followUpScheduleNames(scheduleKey);
  await Promise.all([deps.scheduler.deleteSchedule(names.reminder), deps.scheduler.deleteSchedule(names.expiry)]);
}

/**
 * What an answered session's schedule finds when it fires: normally nothing to do ('answered').
 * Answering deletes both schedules through FeedbackSubmitted, so one that still fires most likely
 * means that announcement was lost: the web function stores the answer, then publishes, and a
 * failed publish cannot fail the client's page (the answer is in and cannot be posted again).
 * Without the announcement the answer is never evaluated and a rupture it shows never alerts, so
 * the schedule announces it again from the stored answer when no evaluation exists. Evaluation and
 * alerts are idempotent per session, so an announcement that was only slow costs nothing but an
 * extra event.
 */
export type AnsweredOutcome = 'answered' | 'answer-reannounced' | 'answer-unannounceable';

async function announceUnevaluatedAnswer(session: RequestedSession, deps: Pick<FollowUpDeps, 'store' | 'publisher'>): Promise<AnsweredOutcome> {
  if (await deps.store.hasEvaluation(session.sessionId)) return 'answered';
  const detail = {
    sessionId: session.sessionId,
    clientId: session.clientId,
    therapistId: session.therapistId,
    instrumentId: session.answer?.instrumentId,
    items: session.answer?.items,
    talk: session.answer?.talk,
    hasComment: session.answer?.comment !== undefined,
    submittedAt: session.answeredAt,
    ...(session.endedAt ? { sessionEndedAt: session.endedAt } : {}),
  };
  // A stored answer the contract cannot carry (written by hand, or by a version before it) is left
  // alone: retrying could not make it valid, and the session stays answered either way.
  const checked = FeedbackSubmitted.schema.safeParse(detail);
  if (!checked.success) return 'answer-unannounceable';
  await deps.publisher.publish(FeedbackSubmitted, checked.data);
  return 'answer-reannounced';
}

/**
 * A follow-up event that arrived before the due time the session stores: a schedule that fired a
 * little early (EventBridge Scheduler's precision is a minute), or an event nobody scheduled. The
 * event is only a notification: nothing is sent or announced, and a schedule is made for the stored
 * due time, so an early fire is not lost and a forged one changes nothing but the hour of a check.
 */
async function rearm(
  followUp: 'reminder' | 'expiry',
  sessionId: string,
  dueAt: Date,
  deps: Pick<FollowUpDeps, 'scheduler' | 'scheduleKey'>,
): Promise<'not-due'> {
  const at = rearmTime(dueAt);
  const name = rearmScheduleName(followUpScheduleNames(deps.scheduleKey(sessionId))[followUp], at);
  const contract = followUp === 'reminder' ? FeedbackReminderTimeReached : FeedbackExpiryTimeReached;
  await deps.scheduler.scheduleOnce({ name, at, contract, detail: { sessionId } });
  return 'not-due';
}

/** When the stored request's reminder is due (undefined for a session stored without its request time). */
export function reminderDueAt(session: Pick<RequestedSession, 'requestedAt'>, reminderHours: number): Date | undefined {
  if (!session.requestedAt) return undefined;
  const requestedAt = new Date(session.requestedAt).getTime();
  return Number.isNaN(requestedAt) ? undefined : new Date(requestedAt + reminderHours * HOUR_MS);
}

export type ReminderOutcome = 'sent' | AnsweredOutcome | 'expired' | 'already-reminded' | 'not-requested' | 'opted-out' | 'not-due';

/**
 * Sends the one reminder if the client has neither answered nor run out of time, and only once the
 * reminder time the stored request implies has come: the event that asks is a notification, the
 * session item decides (an early one is re-armed for that time, see rearm).
 */
export async function sendReminder(sessionId: string, deps: FollowUpDeps): Promise<ReminderOutcome> {
  const now = deps.clock.now();
  const session = await deps.store.getSession(sessionId);
  if (!session || session.status !== 'requested' || !session.expiresAt) return 'not-requested';
  if (session.answeredAt) return announceUnevaluatedAnswer(session, deps);
  if (session.remindedAt) return 'already-reminded';
  if (new Date(session.expiresAt) <= now) return 'expired';
  const dueAt = reminderDueAt(session, deps.reminderHours);
  // Every request stores its time with its claim; a session without one was not requested by us.
  if (!dueAt) return 'not-requested';
  if (dueAt > now) return rearm('reminder', sessionId, dueAt, deps);
  if (!(await deps.store.canEmailClient(session.clientId))) return 'opted-out';
  if (!(await deps.store.claimReminder(sessionId, now))) return 'already-reminded';

  try {
    // Only the hash of the first link was kept, so the reminder carries a new link to the same
    // session; whichever link is used first records the one answer.
    const { token, hash } = deps.tokens.create();
    await deps.store.saveFormToken({
      tokenHash: hash,
      sessionId,
      clientId: session.clientId,
      therapistId: session.therapistId,
      locale: session.client.locale,
      expiresAt: session.expiresAt,
      instrumentId: deps.instrumentId,
      // Passed on in FeedbackSubmitted when this link is used, like the first link's.
      ...(session.endedAt ? { sessionEndedAt: session.endedAt } : {}),
    });
    await sendClientEmail({ purpose: 'reminder', clientId: session.clientId, client: session.client, token, expiresAt: session.expiresAt, reminderAfterHours: deps.reminderHours }, deps);
    return 'sent';
  } catch (error) {
    await deps.store.releaseReminder(sessionId).catch(() => undefined);
    throw error;
  }
}

export type ExpiryOutcome = 'expired' | AnsweredOutcome | 'already-expired' | 'not-requested' | 'not-due';

/**
 * Announces that a request ran out unanswered: FeedbackExpired, exactly once in effect, and only
 * once the stored expiry time has come (an early event is re-armed for it, see rearm).
 */
export async function expireRequest(sessionId: string, deps: Pick<FollowUpDeps, 'store' | 'publisher' | 'clock' | 'scheduler' | 'scheduleKey'>): Promise<ExpiryOutcome> {
  const now = deps.clock.now();
  const session = await deps.store.getSession(sessionId);
  if (!session || session.status !== 'requested' || !session.expiresAt) return 'not-requested';
  if (session.answeredAt) return announceUnevaluatedAnswer(session, deps);
  if (session.expiryPublishedAt) return 'already-expired';
  const dueAt = new Date(session.expiresAt);
  if (Number.isNaN(dueAt.getTime())) return 'not-requested';
  if (dueAt > now) return rearm('expiry', sessionId, dueAt, deps);
  const marked = await deps.store.markExpired(sessionId, now);
  if (marked === 'answered') return 'answered';
  if (marked === 'already-published') return 'already-expired';
  // Marked first, announced second, recorded third: a failure in between re-announces on retry
  // (consumers are idempotent per session) rather than never announcing.
  await deps.publisher.publish(FeedbackExpired, {
    sessionId,
    clientId: session.clientId,
    therapistId: session.therapistId,
    // From the session read above: the evaluation then need not read it again.
    ...(session.endedAt ? { sessionEndedAt: session.endedAt } : {}),
  });
  await deps.store.markExpiryPublished(sessionId, now);
  return 'expired';
}
