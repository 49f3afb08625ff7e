/**
 * The sessions a poller announced within the request window (its poll state's `announced`), shared
 * by the calendar feeds, the FHIR poll and FHIR notifications: read into a map a poll checks and
 * adds to, and written back without what can no longer be announced; and how one finished
 * appointment is announced and recorded there.
 */
import { SessionCompleted } from '../events/contracts.ts';
import { completeSession, type FinishedAppointment, type SkippedAppointment } from './complete-session.ts';
import type { ClientRoster, EventPublisher, FeedState, TherapistDirectory } from './ports.ts';

/** The announced sessions of a poll state (none without one), session id → end (ISO). */
export function announcedSessions(state: Pick<FeedState, 'announced'> | undefined): Map<string, string> {
  return new Map((state?.announced ?? []).map((entry) => [entry.sessionId, entry.endedAt]));
}

/** O(window): what ended before the stale limit (ms) can never be announced again, so it is not kept. */
export function withinWindow(announced: ReadonlyMap<string, string>, staleLimit: number): FeedState['announced'] {
  return [...announced].filter(([, endedAt]) => Date.parse(endedAt) >= staleLimit).map(([sessionId, endedAt]) => ({ sessionId, endedAt }));
}

/** What announcing one finished appointment did: announced, skipped with completeSession's reason, or refused by the bus. */
export type Announcement = { outcome: 'announced' } | { outcome: 'skipped'; reason: SkippedAppointment } | { outcome: 'publish-failed' };

/**
 * Completes a finished appointment (completeSession) and publishes it as SessionCompleted. Only a
 * published session is recorded, in the announced map (with its end) and the poll's list, so one
 * the bus refused is announced by the next poll and none is announced twice. A refused publish is
 * returned, not thrown: the caller stops there and keeps its cursor.
 */
export async function announceSession(
  appointment: FinishedAppointment,
  deps: { roster: ClientRoster; therapists: TherapistDirectory; publisher: EventPublisher<'integrator'> },
  record: { announced: Map<string, string>; result: { announced: string[] } },
): Promise<Announcement> {
  const completed = await completeSession(appointment, { roster: deps.roster, therapists: deps.therapists });
  if (!completed.completed) return { outcome: 'skipped', reason: completed.reason };
  try {
    await deps.publisher.publish(SessionCompleted, completed.detail);
  } catch {
    return { outcome: 'publish-failed' };
  }
  record.announced.set(appointment.sessionId, appointment.endedAt);
  record.result.announced.push(appointment.sessionId);
  return { outcome: 'announced' };
}
