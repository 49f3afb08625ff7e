/**
 * The sessions a poller announced within the request window (its poll state's `announced`), shared
 * by the calendar feeds, the FHIR poll and FHIR notifications: read into a map a poll checks and
 * adds to, and written back without what can no longer be announced.
 */
import type { FeedState } from './ports.ts';

/** The announced sessions of a poll state (none without one), session id → end (ISO). */
export function announcedSessions(state: Pick<FeedState, 'announced'> | undefined): Map<string, string> {
  return new Map((state?.announced ?? []).map((entry) => [entry.sessionId, entry.endedAt]));
}

/** O(window): what ended before the stale limit (ms) can never be announced again, so it is not kept. */
export function withinWindow(announced: ReadonlyMap<string, string>, staleLimit: number): FeedState['announced'] {
  return [...announced].filter(([, endedAt]) => Date.parse(endedAt) >= staleLimit).map(([sessionId, endedAt]) => ({ sessionId, endedAt }));
}
