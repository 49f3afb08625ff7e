/**
 * One poll of the practice's calendar feeds: every instance that ended since the feed's last
 * successful poll (and not before the request window's stale limit), is in the feed now and is not
 * cancelled, becomes a SessionCompleted — once. Completion is inferred from the end time alone: an
 * instance that vanished from the feed or was cancelled before it ended is simply not there (or
 * cancelled) when the poll after its end reads the feed, so it never becomes a session.
 *
 * Per feed, the state is its cursor and the ids announced within the request window: a poll never
 * announces an instance twice even when its end moves, and a failed publish is retried by the next
 * poll without repeating what went out. A feed that cannot be read keeps its cursor (the next poll
 * covers the gap); its report names the feed by id, never by URL.
 */
import { calendarSessionId } from '../domain/calendar/session-id.ts';
import { CalendarFormatError, expandFeed } from '../domain/calendar/expand.ts';
import { referenceFinder } from '../domain/calendar/client-reference.ts';
import { referenceRuleOf, type CalendarFeed } from '../domain/calendar/feed-list.ts';
import { announcedSessions, announceSession, withinWindow, type AnnouncingPollDeps, type AnnouncingPollResult } from './announced-sessions.ts';
import type { SkippedAppointment } from './complete-session.ts';
import type { FeedSources, FeedState } from './ports.ts';

/** Why an ended instance did not become a session: no client reference, or completeSession's reason. */
export type SkippedInstance = 'no-client-reference' | SkippedAppointment;

/** Why a feed's poll did not complete; its cursor stays where it was. */
export type FeedFailure = 'unreadable' | 'not-icalendar' | 'publish-failed' | 'concurrent-poll';

/**
 * What one feed's poll did (session ids are hashes; never a URL, a title or a client's details).
 * Its `window` is of end times; `skipped` and `alreadyAnnounced` count ended instances (already
 * announced: their end moved, or that poll failed after publishing).
 */
export interface FeedPollResult extends AnnouncingPollResult<SkippedInstance, FeedFailure> {
  feedId: string;
  /** Ended instances that were cancelled. */
  cancelled: number;
  /** All-day events in the window (never sessions). */
  allDayEvents: number;
}

export interface PollReport {
  polledAt: string;
  feeds: FeedPollResult[];
}

export interface PollCalendarFeedsDeps extends AnnouncingPollDeps {
  sources: FeedSources;
}

/** Polls every configured feed, one after another (a practice has a handful). */
export async function pollCalendarFeeds(deps: PollCalendarFeedsDeps): Promise<PollReport> {
  const now = deps.clock.now();
  const feeds = await deps.sources.list();
  const results: FeedPollResult[] = [];
  for (const feed of feeds) results.push(await pollFeed(feed, now, deps));
  return { polledAt: now.toISOString(), feeds: results };
}

async function pollFeed(feed: CalendarFeed, now: Date, deps: PollCalendarFeedsDeps): Promise<FeedPollResult> {
  const staleLimit = new Date(now.getTime() - deps.maxSessionAgeHours * 3600 * 1000);
  const previous = await deps.state.get(feed.id);
  const from = previous !== undefined && Date.parse(previous.lastPollAt) > staleLimit.getTime() ? new Date(previous.lastPollAt) : staleLimit;
  const result: FeedPollResult = {
    feedId: feed.id,
    status: 'polled',
    window: { from: from.toISOString(), to: now.toISOString() },
    announced: [],
    skipped: {},
    cancelled: 0,
    alreadyAnnounced: 0,
    allDayEvents: 0,
  };
  const failed = (failure: FeedFailure): FeedPollResult => ({ ...result, status: 'failed', failure });

  let text: string;
  try {
    text = await deps.sources.read(feed);
  } catch {
    // The adapter's error may carry the URL: only the fact is reported.
    return failed('unreadable');
  }
  let expanded;
  try {
    expanded = await expandFeed(text, { from, to: now });
  } catch (error) {
    if (error instanceof CalendarFormatError) return failed('not-icalendar');
    throw error;
  }
  result.allDayEvents = expanded.allDayEvents;

  const announced = announcedSessions(previous);
  const findReference = referenceFinder(referenceRuleOf(feed));
  const skip = (reason: SkippedInstance, sessionId: string) => (result.skipped[reason] ??= []).push(sessionId);
  let publishFailed = false;
  for (const instance of expanded.instances) {
    const sessionId = calendarSessionId(feed.id, instance.uid, instance.recurrenceInstant);
    if (instance.cancelled) {
      result.cancelled += 1;
      continue;
    }
    if (announced.has(sessionId)) {
      result.alreadyAnnounced += 1;
      continue;
    }
    const clientId = findReference(instance);
    if (clientId === undefined) {
      skip('no-client-reference', sessionId);
      continue;
    }
    const announcement = await announceSession({ sessionId, clientId, therapistId: feed.therapistId, endedAt: instance.end }, deps, { announced, result });
    if (announcement.outcome === 'skipped') skip(announcement.reason, sessionId);
    if (announcement.outcome === 'publish-failed') {
      // The bus is unreachable: keep what went out, leave the cursor, let the next poll finish.
      publishFailed = true;
      break;
    }
  }

  const state: FeedState = {
    lastPollAt: publishFailed ? (previous?.lastPollAt ?? from.toISOString()) : now.toISOString(),
    announced: withinWindow(announced, staleLimit.getTime()),
  };
  const saved = await deps.state.save(feed.id, state, previous?.lastPollAt);
  if (publishFailed) return failed('publish-failed');
  // Another poll of this feed saved meanwhile: what this one announced stands (the request function
  // keys on the session id), its cursor is the other poll's.
  if (!saved) return failed('concurrent-poll');
  return result;
}
