/**
 * The alert-link item: the acknowledge link of one alert email, keyed by the SHA-256 of its token.
 * Written once SES accepted the alert, so it is also the alert's "sent" mark. Attributes: sessionId,
 * clientId, therapistId (the client's therapist), kind, sentAt, sessionEndedAt (where the session's
 * history row is), timeZone (the zone the recipient reads
 * dates in, for the acknowledge page), recipientRole (only on a supervisor's or covering
 * clinician's copy), acknowledgedAt once the therapist confirms, announcedAt once
 * AlertAcknowledged is out (the acknowledgement's outbox: acknowledged without it is a publish still
 * owed), announcingUntil while one request holds the claim to publish it, and ttl under a retention
 * period (RETENTION_SETTINGS, counted from sentAt). The link acknowledges only for
 * acknowledgeLinkDays after sentAt (use-cases/acknowledge-link.ts); the record stays until its ttl.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AlertLink } from '../../use-cases/ports.ts';
import { retentionTtl, type RetentionDays } from '../table.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest, UpdateRequest } from './item.ts';

export const ALERT_LINK_ITEM = { kind: 'alert-link', type: 'AlertLink', partitionKeyPrefix: 'TOKEN#', sortKey: 'ALERT' } as const satisfies ItemKindKeys;

export function key(ackTokenHash: string): ItemKey {
  return { pk: `${ALERT_LINK_ITEM.partitionKeyPrefix}${ackTokenHash}`, sk: ALERT_LINK_ITEM.sortKey };
}

export function put(ackTokenHash: string, link: AlertLink, retentionDays: RetentionDays = 'keep'): PutRequest {
  const { sessionId, clientId, therapistId, kind, sentAt, sessionEndedAt, timeZone, acknowledgedAt, recipientRole } = link;
  return {
    Item: {
      ...key(ackTokenHash),
      type: ALERT_LINK_ITEM.type,
      sessionId,
      clientId,
      therapistId,
      kind,
      sentAt,
      ...(sessionEndedAt === undefined ? {} : { sessionEndedAt }),
      ...(timeZone === undefined ? {} : { timeZone }),
      acknowledgedAt,
      ...(recipientRole === undefined || recipientRole === 'therapist' ? {} : { recipientRole }),
      ...retentionTtl(sentAt, retentionDays),
    },
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
 * How long one request holds the right to announce an acknowledgement: longer than a PutEvents with
 * the SDK's retries takes. A request whose publish fails gives it back at once; one that died
 * without doing so blocks the next click for at most this long.
 */
export const ANNOUNCE_LEASE_SECONDS = 30;

function announceLeaseEnd(now: Date): string {
  return new Date(now.getTime() + ANNOUNCE_LEASE_SECONDS * 1000).toISOString();
}

/**
 * Records the first acknowledgement (if_not_exists keeps the first time) and, in the same write,
 * claims its announcement: only while it is not announced and nobody else holds the claim, so
 * several clicks at once publish AlertAcknowledged once. A refused write changes nothing (the link
 * was acknowledged already, and is announced or being announced); ALL_OLD answers with the link as
 * it was either way, and no item at all means there is no such link.
 */
export function acknowledge(ackTokenHash: string, now: Date): UpdateRequest {
  return {
    Key: key(ackTokenHash),
    UpdateExpression: 'SET acknowledgedAt = if_not_exists(acknowledgedAt, :now), announcingUntil = :until',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(announcedAt) AND (attribute_not_exists(announcingUntil) OR announcingUntil < :now)',
    ExpressionAttributeValues: { ':now': now.toISOString(), ':until': announceLeaseEnd(now) },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** Records that AlertAcknowledged went out (after the publish), ending the claim; keeps the first time. */
export function markAnnounced(ackTokenHash: string, now: Date): UpdateRequest {
  return {
    Key: key(ackTokenHash),
    UpdateExpression: 'SET announcedAt = if_not_exists(announcedAt, :now) REMOVE announcingUntil',
    // Only an acknowledged link: an erased one is not recreated as a stub.
    ConditionExpression: 'attribute_exists(acknowledgedAt)',
    ExpressionAttributeValues: { ':now': now.toISOString() },
  };
}

/** Gives the claim `acknowledge(…, now)` took back after a failed publish, so the next click announces at once; only that claim. */
export function releaseAnnouncement(ackTokenHash: string, now: Date): UpdateRequest {
  return {
    Key: key(ackTokenHash),
    UpdateExpression: 'REMOVE announcingUntil',
    ConditionExpression: 'announcingUntil = :until',
    ExpressionAttributeValues: { ':until': announceLeaseEnd(now) },
  };
}

export function fromItem(found: Record<string, unknown>): AlertLink {
  const { sessionId, clientId, therapistId, kind, sentAt, sessionEndedAt, timeZone, acknowledgedAt, announcedAt, recipientRole } = found as unknown as AlertLink;
  return {
    sessionId,
    clientId,
    therapistId,
    kind,
    sentAt,
    ...(sessionEndedAt ? { sessionEndedAt } : {}),
    ...(timeZone ? { timeZone } : {}),
    acknowledgedAt,
    ...(announcedAt ? { announcedAt } : {}),
    ...(recipientRole === 'supervisor' || recipientRole === 'covering' ? { recipientRole } : {}),
  };
}

/** The link as a refused write's ALL_OLD returns it (wire format: every attribute read here is a string). */
export function fromWireItem(wireItem: Record<string, AttributeValue>): AlertLink {
  return fromItem(Object.fromEntries(Object.entries(wireItem).flatMap(([name, value]) => (value.S === undefined ? [] : [[name, value.S]]))));
}

export function isAlertLink(found: Record<string, unknown> | undefined): found is Record<string, unknown> {
  return found?.['type'] === ALERT_LINK_ITEM.type;
}
