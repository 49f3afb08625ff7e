/**
 * The therapist's acknowledgement of an alert: recorded once, announced (AlertAcknowledged) until
 * one announcement got out. The alert-link item is the outbox: `acknowledgedAt` is written first,
 * `announcedAt` only after a successful publish, so a publish that failed is owed, and the next
 * click or retried POST on the same link publishes it again instead of answering "already
 * acknowledged" and losing it.
 */
import { AlertAcknowledged } from '../events/contracts.ts';
import type { AlertLink, AlertStore, Clock, EventPublisher } from './ports.ts';

export interface AcknowledgeDeps {
  store: AlertStore;
  publisher: EventPublisher;
  clock: Clock;
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
 * Records the therapist's acknowledgement once and announces it until it is announced. Every
 * announcement carries the first acknowledgement's time, so one repeated (a publish that succeeded
 * but whose mark failed, two clicks at once) is the same event to a consumer keyed on
 * (sessionId, kind).
 */
export async function acknowledgeAlert(ackToken: string, deps: AcknowledgeDeps): Promise<AcknowledgeOutcome> {
  const now = deps.clock.now();
  const result = await deps.store.acknowledge(ackToken, now);
  if (!result) return { outcome: 'not-found' };
  const { link, acknowledgedAt } = result;
  const outcome = result.first ? 'acknowledged' : 'already-acknowledged';
  if (link.announcedAt) return { outcome, link, acknowledgedAt, announced: false };
  // A failure here throws: the page says "try again", and the retry finds the link still unannounced.
  await deps.publisher.publish(AlertAcknowledged, {
    sessionId: link.sessionId,
    clientId: link.clientId,
    therapistId: link.therapistId,
    kind: link.kind,
    acknowledgedAt,
  });
  await deps.store.markAcknowledgementAnnounced(ackToken, now);
  return { outcome, link, acknowledgedAt, announced: true };
}
