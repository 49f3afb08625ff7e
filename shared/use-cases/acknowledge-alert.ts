/**
 * The therapist's acknowledgement of an alert: recorded once, announced (AlertAcknowledged) until
 * one announcement got out. The alert-link item is the outbox: `acknowledgedAt` is written first,
 * `announcedAt` only after a successful publish, so a publish that failed is owed, and the next
 * click or retried POST on the same link publishes it instead of answering "already acknowledged"
 * and losing it. (Links acknowledged before `announcedAt` existed count as owed: a later click
 * announces them once more, which consumers keyed on (sessionId, kind) ignore.)
 * A supervisor's copy is recorded as acknowledged but never announced: AlertAcknowledged says the
 * clinician responsible for the client saw the alert (the therapist, or whoever covers for them).
 */
import { AlertAcknowledged } from '../events/contracts.ts';
import type { AlertLink, AlertStore, CaseloadStore, ClientHistoryStore, Clock, EventPublisher, ResponseCounter } from './ports.ts';

export interface AcknowledgeDeps {
  store: AlertStore;
  publisher: EventPublisher;
  clock: Clock;
  /** The therapist's caseload (the weekly digest's): the acknowledged alert is no longer open. */
  caseload?: CaseloadStore | undefined;
  /** The therapist's alert counters: an acknowledgement of an alert sent to the therapist themselves. */
  responses?: ResponseCounter | undefined;
  /** The client's history: the acknowledgement shows on the trend page; none: not marked. */
  history?: ClientHistoryStore | undefined;
}

export type AcknowledgeOutcome =
  | {
      outcome: 'acknowledged' | 'already-acknowledged';
      link: AlertLink;
      acknowledgedAt: string;
      /** Whether this request published AlertAcknowledged (the first, or one owed by a failed publish). */
      announced: boolean;
    }
  | { outcome: 'not-found' };

/**
 * Records the therapist's acknowledgement once and announces it until it is announced. The write
 * that records it also claims the announcement, so clicks at once publish once; a failed publish
 * gives the claim back and throws (the page says "try again"), and the retry finds it owed. Every
 * announcement carries the first acknowledgement's time, so a repeat (the publish succeeded but its
 * mark failed) is the same event to a consumer keyed on (sessionId, kind).
 */
export async function acknowledgeAlert(ackToken: string, deps: AcknowledgeDeps): Promise<AcknowledgeOutcome> {
  const now = deps.clock.now();
  const result = await deps.store.acknowledge(ackToken, now);
  if (!result) return { outcome: 'not-found' };
  const { link, acknowledgedAt } = result;
  await markAcknowledgedInHistory(link, acknowledgedAt, deps.history);
  const outcome = result.first ? 'acknowledged' : 'already-acknowledged';
  if (result.announcement !== 'claimed') return { outcome, link, acknowledgedAt, announced: false };
  if (link.recipientRole === 'supervisor') {
    // Nothing to announce, so nothing is owed: the outbox mark closes it.
    await deps.store.markAcknowledgementAnnounced(ackToken, now);
    return { outcome, link, acknowledgedAt, announced: false };
  }
  try {
    // With the announcement (the outbox's claim), so a failure here is made up by the next click; both idempotent.
    await deps.caseload?.closeAlert(link.therapistId, link.clientId, link.sessionId);
    if (link.recipientRole === undefined || link.recipientRole === 'therapist') {
      await deps.responses?.alertAcknowledged(link.therapistId, { sessionId: link.sessionId, kind: link.kind, sentAt: link.sentAt });
    }
    await deps.publisher.publish(AlertAcknowledged, {
      sessionId: link.sessionId,
      clientId: link.clientId,
      therapistId: link.therapistId,
      kind: link.kind,
      acknowledgedAt,
    });
  } catch (error) {
    await deps.store.releaseAcknowledgementAnnouncement(ackToken, now).catch(() => undefined);
    throw error;
  }
  await deps.store.markAcknowledgementAnnounced(ackToken, now);
  return { outcome, link, acknowledgedAt, announced: true };
}

/**
 * Marks the acknowledgement on the session's history row (the trend page shows it): on every
 * acknowledge of the therapist's or covering clinician's copy, keeping the first time, so a mark
 * that failed once is made by the next click. A supervisor's copy is not the therapist's answer.
 * A failed mark never fails the acknowledgement (the page would say "try again" for what is
 * recorded); links from before the trend page do not say where the row is, and mark nothing.
 */
async function markAcknowledgedInHistory(link: AlertLink, acknowledgedAt: string, history: ClientHistoryStore | undefined): Promise<void> {
  if (!history || link.recipientRole === 'supervisor' || link.sessionEndedAt === undefined) return;
  await history.markAcknowledged({ clientId: link.clientId, sessionId: link.sessionId, endedAt: link.sessionEndedAt }, link.kind, acknowledgedAt).catch(() => undefined);
}
