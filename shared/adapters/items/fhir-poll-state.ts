/**
 * The FHIR poller's state of one FHIR source (shared/use-cases/poll-fhir-encounters.ts): the end of
 * its last successful poll's window (`lastPollAt`, the `_lastUpdated` cursor) and the encounters it
 * announced that ended within the request window (`announced`: { sessionId, endedAt }), so a
 * window polled again announces nothing twice; with subscriptions, the last
 * `events-since-subscription-start` seen per Subscription (`notifications`), to find missed ones.
 * Practice data, not a client's: session ids (`fhir.<Encounter.id>`), times, counts and Subscription
 * references, no Patient id, no name. Attributes: sourceId, lastPollAt, announced, notifications.
 */
import type { FeedState } from '../../use-cases/ports.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const FHIR_POLL_STATE_ITEM = { kind: 'fhir-state', type: 'FhirPollState', partitionKeyPrefix: 'FHIR#', sortKey: 'STATE' } as const satisfies ItemKindKeys;

export function key(sourceId: string): ItemKey {
  return { pk: `${FHIR_POLL_STATE_ITEM.partitionKeyPrefix}${sourceId}`, sk: FHIR_POLL_STATE_ITEM.sortKey };
}

/** Strongly consistent: the poll right after another must see its cursor. */
export function get(sourceId: string): GetRequest {
  return { Key: key(sourceId), ConsistentRead: true };
}

/** The stored state, or undefined before the source's first poll. */
export function fromItem(item: Record<string, unknown> | undefined): FeedState | undefined {
  if (item === undefined || typeof item['lastPollAt'] !== 'string') return undefined;
  const announced = Array.isArray(item['announced']) ? (item['announced'] as { sessionId?: unknown; endedAt?: unknown }[]) : [];
  const notifications = typeof item['notifications'] === 'object' && item['notifications'] !== null ? (item['notifications'] as Record<string, unknown>) : undefined;
  return {
    lastPollAt: item['lastPollAt'],
    announced: announced.flatMap((entry) => (typeof entry.sessionId === 'string' && typeof entry.endedAt === 'string' ? [{ sessionId: entry.sessionId, endedAt: entry.endedAt }] : [])),
    ...(notifications === undefined ? {} : { notifications: Object.fromEntries(Object.entries(notifications).filter(([, count]) => typeof count === 'number')) as Record<string, number> }),
  };
}

/**
 * Replaces the state only if it is still the one this poll read (`readLastPollAt`; none on a first
 * poll): the schedule, `alliance fhir poll` and a notification's gap poll cannot move the cursor
 * past what another has not announced.
 */
export function put(sourceId: string, state: FeedState, readLastPollAt: string | undefined): PutRequest {
  return {
    Item: { ...key(sourceId), type: FHIR_POLL_STATE_ITEM.type, sourceId, lastPollAt: state.lastPollAt, announced: state.announced, ...(state.notifications === undefined ? {} : { notifications: state.notifications }) },
    ...(readLastPollAt === undefined
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : { ConditionExpression: 'lastPollAt = :read', ExpressionAttributeValues: { ':read': readLastPollAt } }),
  };
}
