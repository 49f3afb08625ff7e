/**
 * The digest-claim item: the once-only guard of one digest (a therapist's week, or one `alliance
 * digest send`), in the therapist's caseload partition (CASELOAD#<therapistId>, sort key DIGEST#<digestId>). Taken before the email
 * is sent (with a lease, so a crashed attempt's claim is taken over), marked `sentAt` once SES
 * accepted it, deleted after a failure before sending: a redelivered message finds it sent and
 * sends nothing. Attributes: therapistId, digestId, leaseUntil, sentAt, ttl (CLAIM_DAYS). No client data.
 */
import { toTtl, TTL_ATTRIBUTE } from '../table.ts';
import type { DeleteRequest, ItemKey, ItemKindKeys, UpdateRequest } from './item.ts';

export const DIGEST_CLAIM_ITEM = { kind: 'digest-claim', type: 'DigestClaim', partitionKeyPrefix: 'CASELOAD#', sortKey: 'DIGEST#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

/** Days a claim is kept: longer than any redelivery (the queue keeps a message 4 days). */
export const CLAIM_DAYS = 14;

export function key(therapistId: string, digestId: string): ItemKey {
  return { pk: `${DIGEST_CLAIM_ITEM.partitionKeyPrefix}${therapistId}`, sk: `${DIGEST_CLAIM_ITEM.sortKey}${digestId}` };
}

/** Takes the claim unless the digest was sent or another attempt holds a live lease. */
export function claim(therapistId: string, digestId: string, now: Date, leaseSeconds: number): UpdateRequest {
  return {
    Key: key(therapistId, digestId),
    UpdateExpression: 'SET #type = :type, therapistId = :therapistId, digestId = :digestId, leaseUntil = :leaseUntil, #ttl = :ttl',
    ConditionExpression: 'attribute_not_exists(pk) OR (attribute_not_exists(sentAt) AND leaseUntil < :now)',
    ExpressionAttributeNames: { '#type': 'type', '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':type': DIGEST_CLAIM_ITEM.type,
      ':therapistId': therapistId,
      ':digestId': digestId,
      ':leaseUntil': new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
      ':now': now.toISOString(),
      ':ttl': toTtl(new Date(now.getTime() + CLAIM_DAYS * 86_400_000)),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

export function markSent(therapistId: string, digestId: string, now: Date): UpdateRequest {
  return { Key: key(therapistId, digestId), UpdateExpression: 'SET sentAt = :now', ExpressionAttributeValues: { ':now': now.toISOString() } };
}

export function release(therapistId: string, digestId: string): DeleteRequest {
  return { Key: key(therapistId, digestId), ConditionExpression: 'attribute_not_exists(sentAt)' };
}
