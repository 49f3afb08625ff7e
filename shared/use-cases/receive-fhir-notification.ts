/**
 * Subscription mode: a topic-based subscription notification from the practice's FHIR server
 * (R5 Backport IG, `rest-hook`, `id-only` or `full-resource`) → each finished Encounter it names
 * becomes SessionCompleted at once, through the same processing as a poll (announceEncounter) and
 * the same state, so a later poll, a repeated notification or the schedule announce nothing twice.
 *
 * - `handshake`: nothing to do (the endpoint answers 200, which is what the server checks).
 * - `heartbeat`: nothing to do, unless its `events-since-subscription-start` says events were
 *   generated that never arrived: then a poll runs (from the last successful poll's cursor).
 * - `event-notification`: the focus Encounters (from the bundle with full-resource, else read by
 *   id); a gap in `events-since-subscription-start` since the last notification seen also runs a
 *   poll, which covers the missed events.
 *
 * A FHIR server or bus failure returns `failed`: the endpoint answers 503 and the server retries
 * the notification; what went out is kept, so the retry sends nothing twice.
 */
import { parseNotification, type NotificationType } from '../domain/fhir/notification.ts';
import { referencedId } from '../domain/fhir/encounter.ts';
import { announcedSessions, withinWindow } from './announced-sessions.ts';
import { announceEncounter, failureOf, pollFhirEncounters, type EncounterContext, type FhirPollFailure, type FhirPollResult, type PollFhirEncountersDeps } from './poll-fhir-encounters.ts';
import type { FeedState } from './ports.ts';

export interface NotificationResult {
  type: NotificationType;
  status: 'handled' | 'failed';
  failure?: FhirPollFailure | undefined;
  /** Session ids announced from the notification's own events. */
  announced: string[];
  skipped: FhirPollResult['skipped'];
  alreadyAnnounced: number;
  tooOld: number;
  /** Events whose focus is not an Encounter this path reads, or not finished. */
  ignored: number;
  /** Missed events were detected: a poll ran (its report), or failed. */
  gapPoll?: FhirPollResult | undefined;
}

export type ReceivedNotification = { ok: false; reason: string } | { ok: true; result: NotificationResult };

export async function receiveFhirNotification(body: unknown, deps: PollFhirEncountersDeps): Promise<ReceivedNotification> {
  const parsed = parseNotification(body);
  if (!parsed.ok) return parsed;
  const notification = parsed.notification;
  const now = deps.clock.now();
  const staleLimit = now.getTime() - deps.maxSessionAgeHours * 3600 * 1000;
  const result: NotificationResult = { type: notification.type, status: 'handled', announced: [], skipped: {}, alreadyAnnounced: 0, tooOld: 0, ignored: 0 };

  const before = await deps.state.get(deps.sourceId);
  const lastSeen = before?.notifications?.[notification.subscription];
  const total = notification.eventsSinceSubscriptionStart;
  const gap = total !== undefined && missedEvents(notification.type, total, lastSeen, notification.events.length);

  const context: EncounterContext = {
    deps,
    now,
    staleLimit,
    announced: announcedSessions(before),
    result,
    patients: new Map(),
    included: notification.resources,
  };
  if (notification.type === 'event-notification') {
    try {
      for (const event of notification.events) {
        const encounterId = referencedId(event.focus, 'Encounter');
        if (encounterId === undefined) {
          result.ignored += 1;
          continue;
        }
        const raw = notification.resources.get(`Encounter/${encounterId}`) ?? (await deps.fhir.read('Encounter', encounterId));
        if ((await announceEncounter(raw, context)) === 'publish-failed') {
          result.status = 'failed';
          result.failure = 'publish-failed';
          break;
        }
      }
    } catch (error) {
      result.status = 'failed';
      result.failure = failureOf(error);
    }
  }
  const fresh = result.announced.map((sessionId) => [sessionId, context.announced.get(sessionId)!] as const);

  // Nothing to record (a first handshake, a heartbeat with a count already seen): the state is left
  // alone, so a poll running meanwhile is not made to retry its save. A handshake of a Subscription
  // seen before starts its count again (the server made it anew).
  const handshake = notification.type === 'handshake';
  const countChanged = total !== undefined && result.status === 'handled' && (handshake ? lastSeen !== undefined && total !== lastSeen : total !== lastSeen);
  // Two tries: a poll saving its state meanwhile makes the first save fail; the state is read again and this notification's part merged in.
  for (let attempt = 0; attempt < 2 && (fresh.length > 0 || countChanged); attempt += 1) {
    const previous = attempt === 0 ? before : await deps.state.get(deps.sourceId);
    const announced = announcedSessions(previous);
    for (const [sessionId, endedAt] of fresh) announced.set(sessionId, endedAt);
    const seen = previous?.notifications?.[notification.subscription];
    const state: FeedState = {
      // The cursor is the polls' own: a notification never moves it (a first one starts it at the stale limit).
      lastPollAt: previous?.lastPollAt ?? new Date(staleLimit).toISOString(),
      announced: withinWindow(announced, staleLimit),
      // A failed notification is retried by the server: its count is not taken as seen.
      notifications: { ...previous?.notifications, ...(total === undefined || result.status === 'failed' ? {} : { [notification.subscription]: handshake ? total : Math.max(total, seen ?? 0) }) },
    };
    if (await deps.state.save(deps.sourceId, state, previous?.lastPollAt)) break;
  }

  if (gap && result.status === 'handled') {
    try {
      result.gapPoll = await pollFhirEncounters(deps);
    } catch (error) {
      result.gapPoll = undefined;
      result.status = 'failed';
      result.failure = failureOf(error);
    }
    if (result.gapPoll?.status === 'failed' && result.gapPoll.failure !== 'concurrent-poll') {
      result.status = 'failed';
      result.failure = result.gapPoll.failure;
    }
  }
  return { ok: true, result };
}

/**
 * Whether events were generated that this endpoint never received: the server's running count
 * moved further than the events in hand. Without an earlier count (the first notification seen),
 * any event before this notification's own counts as missed; a poll of what is already announced
 * sends nothing.
 */
export function missedEvents(type: NotificationType, total: number, lastSeen: number | undefined, eventsInNotification: number): boolean {
  if (type === 'handshake') return false;
  const inHand = type === 'event-notification' ? eventsInNotification : 0;
  return total - (lastSeen ?? 0) > inHand;
}
