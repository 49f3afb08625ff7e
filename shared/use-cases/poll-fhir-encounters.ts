/**
 * One poll of the practice's FHIR R4 server: every Encounter with status `finished` last updated
 * since the source's last successful poll (and that ended within the request window) becomes a
 * SessionCompleted — once. Encounter → Patient (email, first name, language) → the roster when the
 * Patient has no email → the therapist directory (the Practitioner's id must be registered) →
 * completeSession, the one way every inbound path completes an event (shared/domain/fhir/encounter.ts
 * says how each element maps).
 *
 * The state per source is its cursor and the sessions announced within the request window (the
 * calendar poller's shape): a window polled again, or overlapping the last one, announces nothing
 * twice. When the FHIR server is unavailable (429 or 5xx after the adapter's retries, or not
 * reachable) or refuses us, or the bus does, the cursor stays where it was and what was announced
 * is kept, so the next poll covers the window and sends nothing twice. Reports name encounters by
 * session id only: no Patient id, no name, no address, no URL.
 */
import { encounterFacts, patientDetails, type EncounterProblem } from '../domain/fhir/encounter.ts';
import { announcedSessions, announceSession, withinWindow, type AnnouncingPollDeps, type AnnouncingPollResult } from './announced-sessions.ts';
import type { SkippedAppointment } from './complete-session.ts';
import type { FeedState, FhirServer } from './ports.ts';

/** Why a finished encounter did not become a session: its own gaps, no email anywhere, or completeSession's reason. */
export type SkippedEncounter = Exclude<EncounterProblem, 'not-finished' | 'not-an-encounter'> | 'patient-not-found' | 'no-email' | SkippedAppointment;

/** Why a poll did not complete; the cursor stays where it was. */
export type FhirPollFailure = 'fhir-unavailable' | 'fhir-refused' | 'publish-failed' | 'concurrent-poll';

/**
 * What one poll did. Its `window` is the `_lastUpdated` window searched (from exclusive, to
 * inclusive); `skipped` lists finished encounters by session id.
 */
export interface FhirPollResult extends AnnouncingPollResult<SkippedEncounter, FhirPollFailure> {
  sourceId: string;
  /** Finished encounters that ended before the request window (updated later, e.g. for billing): never sessions. */
  tooOld: number;
  /** Search results that were not finished encounters (a server that ignores `status`). */
  ignored: number;
}

export interface PollFhirEncountersDeps extends AnnouncingPollDeps {
  /** The FHIR source's id: its state item's key (one source per stack today: `default`). */
  sourceId: string;
  fhir: FhirServer;
  /** Seconds the window reaches back before the last poll's end, for the server's clock and late commits (default 120). */
  overlapSeconds?: number;
}

export async function pollFhirEncounters(deps: PollFhirEncountersDeps): Promise<FhirPollResult> {
  const now = deps.clock.now();
  const staleLimit = now.getTime() - deps.maxSessionAgeHours * 3600 * 1000;
  const previous = await deps.state.get(deps.sourceId);
  const overlap = (deps.overlapSeconds ?? 120) * 1000;
  const from = new Date(Math.max(staleLimit, previous === undefined ? staleLimit : Date.parse(previous.lastPollAt) - overlap));
  const result: FhirPollResult = {
    sourceId: deps.sourceId,
    status: 'polled',
    window: { from: from.toISOString(), to: now.toISOString() },
    announced: [],
    skipped: {},
    alreadyAnnounced: 0,
    tooOld: 0,
    ignored: 0,
  };
  const announced = announcedSessions(previous);
  const context: EncounterContext = { deps, now, staleLimit, announced, result, patients: new Map() };

  let failure: FhirPollFailure | undefined;
  try {
    pages: for await (const page of deps.fhir.finishedEncounters(result.window)) {
      for (const raw of page) {
        if ((await announceEncounter(raw, context)) === 'publish-failed') {
          failure = 'publish-failed';
          break pages;
        }
      }
    }
  } catch (error) {
    failure = failureOf(error);
  }

  const cursor = failure === undefined ? now.toISOString() : (previous?.lastPollAt ?? from.toISOString());
  let saved = await deps.state.save(deps.sourceId, { lastPollAt: cursor, announced: withinWindow(announced, staleLimit), ...notificationsOf(previous) }, previous?.lastPollAt);
  if (!saved) {
    // A notification (or another poll) saved meanwhile: merge what it recorded with what this poll
    // announced, once, keeping the later cursor (each covered the window up to its own end).
    const current = await deps.state.get(deps.sourceId);
    for (const entry of current?.announced ?? []) if (!announced.has(entry.sessionId)) announced.set(entry.sessionId, entry.endedAt);
    const later = current !== undefined && current.lastPollAt > cursor ? current.lastPollAt : cursor;
    saved = await deps.state.save(deps.sourceId, { lastPollAt: later, announced: withinWindow(announced, staleLimit), ...notificationsOf(current) }, current?.lastPollAt);
  }
  if (failure !== undefined) return { ...result, status: 'failed', failure };
  // Still another save in between: what this one announced stands (the request function keys on the session id).
  if (!saved) return { ...result, status: 'failed', failure: 'concurrent-poll' };
  return result;
}

function notificationsOf(state: FeedState | undefined): Pick<FeedState, 'notifications'> {
  return state?.notifications === undefined ? {} : { notifications: state.notifications };
}

/** What one encounter's processing shares with the others of a poll or a notification. */
export interface EncounterContext {
  deps: Pick<PollFhirEncountersDeps, 'fhir' | 'roster' | 'therapists' | 'publisher'>;
  now: Date;
  staleLimit: number;
  /** Session ids announced within the request window, with their end; the processing adds to it. */
  announced: Map<string, string>;
  /** Where the outcome is counted. */
  result: Pick<FhirPollResult, 'announced' | 'skipped' | 'alreadyAnnounced' | 'tooOld' | 'ignored'>;
  /** Patients read so far (by id), so a poll reads each once. */
  patients: Map<string, unknown>;
  /** Resources the caller already has (a full-resource notification's), by `Type/id`: not read again. */
  included?: ReadonlyMap<string, unknown>;
}

/**
 * One finished encounter (raw JSON) → skipped, already announced, too old, or SessionCompleted.
 * Throws what the FHIR server's adapter throws (the caller keeps its cursor); `publish-failed`
 * when the bus refused (nothing counted as announced).
 */
export async function announceEncounter(raw: unknown, context: EncounterContext): Promise<'announced' | 'not-announced' | 'publish-failed'> {
  const { deps, result } = context;
  const skip = (reason: SkippedEncounter, sessionId: string) => (result.skipped[reason] ??= []).push(sessionId);
  const read = encounterFacts(raw);
  if (!read.ok) {
    if (read.problem === 'not-finished' || read.problem === 'not-an-encounter' || read.encounterId === undefined) result.ignored += 1;
    else skip(read.problem, `fhir.${read.encounterId}`);
    return 'not-announced';
  }
  const { facts } = read;
  if (context.announced.has(facts.sessionId)) {
    result.alreadyAnnounced += 1;
    return 'not-announced';
  }
  if (Date.parse(facts.endedAt) < context.staleLimit) {
    result.tooOld += 1;
    return 'not-announced';
  }
  const patientKey = `Patient/${facts.patientId}`;
  if (!context.patients.has(facts.patientId)) {
    context.patients.set(facts.patientId, context.included?.get(patientKey) ?? (await deps.fhir.read('Patient', facts.patientId)));
  }
  const details = patientDetails(context.patients.get(facts.patientId), context.now);
  if (details === undefined) {
    skip('patient-not-found', facts.sessionId);
    return 'not-announced';
  }
  const announcement = await announceSession(
    { sessionId: facts.sessionId, clientId: facts.patientId, therapistId: facts.practitionerId, endedAt: facts.endedAt, client: details },
    deps,
    { announced: context.announced, result },
  );
  if (announcement.outcome === 'skipped') {
    skip(announcement.reason === 'client-not-on-roster' && details.email === undefined ? 'no-email' : announcement.reason, facts.sessionId);
    return 'not-announced';
  }
  return announcement.outcome;
}

/** The adapter's errors name a status and a resource type, never an id; only the kind is reported. */
export function failureOf(error: unknown): 'fhir-unavailable' | 'fhir-refused' {
  return (error as Error).name === 'FhirUnavailableError' ? 'fhir-unavailable' : 'fhir-refused';
}
