/**
 * The alert-link item: the acknowledge link of one alert email, keyed by the SHA-256 of its token.
 * Written once SES accepted the alert, so it is also the alert's "sent" mark. Attributes: sessionId,
 * clientId, therapistId, kind, sentAt, acknowledgedAt once the therapist confirms, and announcedAt
 * once AlertAcknowledged is out (the acknowledgement's outbox: acknowledged without it is a publish
 * still owed).
 */
import type { AlertLink } from '../../use-cases/ports.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest, UpdateRequest } from './item.ts';

export const ALERT_LINK_ITEM = { kind: 'alert-link', type: 'AlertLink', partitionKeyPrefix: 'TOKEN#', sortKey: 'ALERT' } as const satisfies ItemKindKeys;

export function key(ackTokenHash: string): ItemKey {
  return { pk: `${ALERT_LINK_ITEM.partitionKeyPrefix}${ackTokenHash}`, sk: ALERT_LINK_ITEM.sortKey };
}

export function put(ackTokenHash: string, link: AlertLink): PutRequest {
  const { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt } = link;
  return {
    Item: { ...key(ackTokenHash), type: ALERT_LINK_ITEM.type, sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export function get(ackTokenHash: string): GetRequest {
  return { Key: key(ackTokenHash) };
}

/** Whether the link exists: the alert's proof that an earlier attempt's email went out. */
export function getExistence(ackTokenHash: string): GetRequest {
  return { Key: key(ackTokenHash), ProjectionExpression: 'pk' };
}

/**
 * Records the first acknowledgement: if_not_exists keeps the first time, so a second click (or a
 * scanner replaying the POST) changes nothing. ALL_OLD answers with the link as it was.
 */
export function acknowledge(ackTokenHash: string, now: Date): UpdateRequest {
  return {
    Key: key(ackTokenHash),
    UpdateExpression: 'SET acknowledgedAt = if_not_exists(acknowledgedAt, :now)',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':now': now.toISOString() },
    ReturnValues: 'ALL_OLD',
  };
}

/**
 * Records that AlertAcknowledged went out, after the publish: if_not_exists keeps the first time, and
 * only an acknowledged link can be marked (an erased one is not recreated as a stub).
 */
export function markAnnounced(ackTokenHash: string, now: Date): UpdateRequest {
  return {
    Key: key(ackTokenHash),
    UpdateExpression: 'SET announcedAt = if_not_exists(announcedAt, :now)',
    ConditionExpression: 'attribute_exists(acknowledgedAt)',
    ExpressionAttributeValues: { ':now': now.toISOString() },
  };
}

export function fromItem(found: Record<string, unknown>): AlertLink {
  const { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt, announcedAt } = found as unknown as AlertLink;
  return { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt, ...(announcedAt ? { announcedAt } : {}) };
}

export function isAlertLink(found: Record<string, unknown> | undefined): found is Record<string, unknown> {
  return found?.['type'] === ALERT_LINK_ITEM.type;
}
