/**
 * The alert-link item: the acknowledge link of one alert email, keyed by the SHA-256 of its token.
 * Written once SES accepted the alert, so it is also the alert's "sent" mark. Attributes: sessionId,
 * clientId, therapistId, kind, sentAt, acknowledgedAt once the therapist confirms, and ttl under a
 * retention period (RETENTION_SETTINGS, counted from sentAt). The link acknowledges only for
 * acknowledgeLinkDays after sentAt (use-cases/acknowledge-link.ts); the record stays until its ttl.
 */
import type { AlertLink } from '../../use-cases/ports.ts';
import { retentionTtl, type RetentionDays } from '../table.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest, UpdateRequest } from './item.ts';

export const ALERT_LINK_ITEM = { kind: 'alert-link', type: 'AlertLink', partitionKeyPrefix: 'TOKEN#', sortKey: 'ALERT' } as const satisfies ItemKindKeys;

export function key(ackTokenHash: string): ItemKey {
  return { pk: `${ALERT_LINK_ITEM.partitionKeyPrefix}${ackTokenHash}`, sk: ALERT_LINK_ITEM.sortKey };
}

export function put(ackTokenHash: string, link: AlertLink, retentionDays: RetentionDays = 'keep'): PutRequest {
  const { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt } = link;
  return {
    Item: { ...key(ackTokenHash), type: ALERT_LINK_ITEM.type, sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt, ...retentionTtl(sentAt, retentionDays) },
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

export function fromItem(found: Record<string, unknown>): AlertLink {
  const { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt } = found as unknown as AlertLink;
  return { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt };
}

export function isAlertLink(found: Record<string, unknown> | undefined): found is Record<string, unknown> {
  return found?.['type'] === ALERT_LINK_ITEM.type;
}
