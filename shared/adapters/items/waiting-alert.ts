/**
 * The waiting-alert item: an alert the evaluation raised for a therapist the directory does not
 * know (./therapist.ts), kept in the therapist's partition until they are registered; then the
 * alert function sends it to the registered address and deletes this item. Attributes: clientId
 * (so the client's export and erase find it), sessionId, kind, therapistId, waitingSince, and ttl
 * under a retention period (counted from when the alert began to wait).
 *
 * It holds ids only: the alert itself is rendered from the stored session and evaluation when it
 * is sent, as every alert is.
 */
import type { AlertKind } from '../../events/contracts.ts';
import { retentionTtl, type RetentionDays } from '../table.ts';
import type { WaitingAlert } from '../../use-cases/ports.ts';
import type { DeleteRequest, ItemKey, ItemKindKeys, PutRequest, QueryRequest } from './item.ts';

export const WAITING_ALERT_ITEM = { kind: 'waiting-alert', type: 'WaitingAlert', partitionKeyPrefix: 'THERAPIST#', sortKey: 'WAITING#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

export function key(therapistId: string, sessionId: string, kind: AlertKind): ItemKey {
  return { pk: `${WAITING_ALERT_ITEM.partitionKeyPrefix}${therapistId}`, sk: `${WAITING_ALERT_ITEM.sortKey}${sessionId}#${kind}` };
}

/** Keeps the first wait: a redelivered alert event changes nothing. */
export function put(alert: WaitingAlert, retentionDays: RetentionDays = 'keep'): PutRequest {
  return {
    Item: { ...key(alert.therapistId, alert.sessionId, alert.kind), type: WAITING_ALERT_ITEM.type, ...alert, ...retentionTtl(alert.waitingSince, retentionDays) },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/** Every alert waiting for this therapist (consistent: a release must not miss one written a moment ago). */
export function queryFor(therapistId: string): QueryRequest {
  return {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :waiting)',
    ExpressionAttributeValues: { ':pk': `${WAITING_ALERT_ITEM.partitionKeyPrefix}${therapistId}`, ':waiting': WAITING_ALERT_ITEM.sortKey },
    ConsistentRead: true,
  };
}

export function fromItem(item: Record<string, unknown>): WaitingAlert {
  return {
    therapistId: String(item['therapistId']),
    clientId: String(item['clientId']),
    sessionId: String(item['sessionId']),
    kind: item['kind'] as AlertKind,
    waitingSince: String(item['waitingSince']),
  };
}

export function remove(therapistId: string, sessionId: string, kind: AlertKind): DeleteRequest {
  return { Key: key(therapistId, sessionId, kind) };
}
