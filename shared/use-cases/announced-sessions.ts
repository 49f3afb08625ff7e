/**
 * The sessions a poller announced within the request window (its poll state's `announced`), shared
 * by the calendar feeds, the FHIR poll and FHIR notifications: read into a map a poll checks and
 * adds to, and written back without what can no longer be announced; and how one finished
 * appointment is announced and recorded there.
 */
import { SessionCompleted } from '../events/contracts.ts';
import { completeSession, type FinishedAppointment, type SkippedAppointment } from './complete-session.ts';
import type { ClientRoster, Clock, EventPublisher, FeedState, FeedStateStore, TherapistDirectory } from './ports.ts';

/** What a poll that announces sessions needs besides its source: its state, completeSession's lookups, the bus, the clock, the request window. */
export interface AnnouncingPollDeps {
  state: FeedStateStore;
  roster: ClientRoster;
  therapists: TherapistDirectory;
  publisher: EventPublisher<'integrator'>;
  clock: Clock;
  /** The request window's stale limit (maxSessionAgeHours): older sessions are not asked about, so not announced. */
  maxSessionAgeHours: number;
}

/** What every such poll reports: ids and counts only (session ids, never a client's details or a URL). */
export interface AnnouncingPollResult<Skipped extends string, Failure extends string> {
  /** `failed`: see `failure`; the cursor stays where it was and the next poll covers this window again. */
  status: 'polled' | 'failed';
  failure?: Failure | undefined;
  /** The window looked at (UTC ISO); each poller's result says of what. */
  window: { from: string; to: string };
  /** Session ids announced as SessionCompleted. */
  announced: string[];
  /** Session ids of what did not become a session, by reason. */
  skipped: Partial<Record<Skipped, string[]>>;
  /** Sessions an earlier poll (or notification) announced already. */
  alreadyAnnounced: number;
}

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
  deps: Pick<AnnouncingPollDeps, 'roster' | 'therapists' | 'publisher'>,
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
