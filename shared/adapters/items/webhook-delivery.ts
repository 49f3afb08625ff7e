/**
 * The webhook-delivery item: one per signed webhook the hooks function acted on, keyed by the
 * sender's `webhook-id` (Standard Webhooks: the same id on every retry of one message). Its
 * conditional put is what makes a replayed or retried delivery change nothing. Not a client item:
 * it holds the session id it announced and when, no clientId and nothing personal, and expires on
 * its own (export and erase never need it). Attributes: sessionId, receivedAt, ttl.
 */
import { toTtl, TTL_ATTRIBUTE } from '../table.ts';
import type { DeleteRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const WEBHOOK_DELIVERY_ITEM = { kind: 'webhook-delivery', type: 'WebhookDelivery', partitionKeyPrefix: 'WEBHOOK#', sortKey: 'DELIVERY' } as const satisfies ItemKindKeys;

/**
 * How long a delivery id is remembered. Senders retry one message with the same id for about a
 * day (Svix's schedule ends after ~28 h), each retry freshly timestamped, so the ±5-minute window
 * alone does not stop a retry from being acted on twice; three days covers the schedule with room
 * (TTL deletes up to ~48 h late, which only keeps the id longer).
 */
export const WEBHOOK_DELIVERY_DAYS = 3;

export function key(webhookId: string): ItemKey {
  return { pk: `${WEBHOOK_DELIVERY_ITEM.partitionKeyPrefix}${webhookId}`, sk: WEBHOOK_DELIVERY_ITEM.sortKey };
}

/** Fails its condition when the id was recorded before: the caller answers "already received". */
export function put(delivery: { webhookId: string; sessionId: string; receivedAt: Date }): PutRequest {
  const retainUntil = new Date(delivery.receivedAt.getTime() + WEBHOOK_DELIVERY_DAYS * 86_400_000);
  return {
    Item: { ...key(delivery.webhookId), type: WEBHOOK_DELIVERY_ITEM.type, sessionId: delivery.sessionId, receivedAt: delivery.receivedAt.toISOString(), [TTL_ATTRIBUTE]: toTtl(retainUntil) },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export function remove(webhookId: string): DeleteRequest {
  return { Key: key(webhookId) };
}
