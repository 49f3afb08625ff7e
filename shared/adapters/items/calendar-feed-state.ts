/**
 * The calendar feed poller's state of one feed (shared/use-cases/poll-calendar-feeds.ts): the end of
 * its last successful poll's window (`lastPollAt`) and the instances it announced that ended within
 * the request window (`announced`: a list of { sessionId, endedAt }), so its size follows the
 * window, not the feed's history. Practice data, not a client's: it holds session ids (hashes) and
 * times, no clientId, no title, never the feed's URL. Attributes: feedId, lastPollAt, announced.
 */
import type { FeedState } from '../../use-cases/ports.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const CALENDAR_FEED_STATE_ITEM = { kind: 'feed-state', type: 'CalendarFeedState', partitionKeyPrefix: 'FEED#', sortKey: 'STATE' } as const satisfies ItemKindKeys;

export function key(feedId: string): ItemKey {
  return { pk: `${CALENDAR_FEED_STATE_ITEM.partitionKeyPrefix}${feedId}`, sk: CALENDAR_FEED_STATE_ITEM.sortKey };
}

/** Strongly consistent: the poll right after another must see its cursor. */
export function get(feedId: string): GetRequest {
  return { Key: key(feedId), ConsistentRead: true };
}

/** The stored state, or undefined before the feed's first poll. */
export function fromItem(item: Record<string, unknown> | undefined): FeedState | undefined {
  if (item === undefined || typeof item['lastPollAt'] !== 'string') return undefined;
  const announced = Array.isArray(item['announced']) ? (item['announced'] as { sessionId?: unknown; endedAt?: unknown }[]) : [];
  return {
    lastPollAt: item['lastPollAt'],
    announced: announced.flatMap((entry) => (typeof entry.sessionId === 'string' && typeof entry.endedAt === 'string' ? [{ sessionId: entry.sessionId, endedAt: entry.endedAt }] : [])),
  };
}

/**
 * Replaces the state only if it is still the one this poll read (`readLastPollAt`; none on a first
 * poll): two polls of one feed at once (the schedule and `alliance feeds poll`) cannot move the
 * cursor past what the other has not announced.
 */
export function put(feedId: string, state: FeedState, readLastPollAt: string | undefined): PutRequest {
  return {
    Item: { ...key(feedId), type: CALENDAR_FEED_STATE_ITEM.type, feedId, lastPollAt: state.lastPollAt, announced: state.announced },
    ...(readLastPollAt === undefined
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : { ConditionExpression: 'lastPollAt = :read', ExpressionAttributeValues: { ':read': readLastPollAt } }),
  };
}
