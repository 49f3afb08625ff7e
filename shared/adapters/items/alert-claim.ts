/**
 * The alert-claim item: the once-only guard of one alert kind for one session, in the session's
 * partition. Attributes: clientId, kind, ackTokenHash (the acknowledge link of the attempt holding
 * the claim), leaseUntil, and ttl under a retention period (RETENTION_SETTINGS: counted from the
 * claim, which is the alert's attempt).
 */
import type { RecipientSlot } from '../../domain/alert-recipients.ts';
import type { AlertKind } from '../../events/contracts.ts';
import { retentionTtl, TTL_ATTRIBUTE, type RetentionDays } from '../table.ts';
import type { DeleteRequest, ItemKey, ItemKindKeys, UpdateRequest } from './item.ts';

/**
 * Sort keys ALERT#<kind> (the primary recipient: the therapist or their covering clinician, one
 * alert whoever it went to) and ALERT#<kind>#supervisor (the supervisor's copy): outside the
 * alert's query of EVALUATION..SESSION. One claim per recipient slot, so each gets the alert once.
 */
export const ALERT_CLAIM_ITEM = { kind: 'alert-claim', type: 'AlertClaim', partitionKeyPrefix: 'SESSION#', sortKey: 'ALERT#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

export function key(sessionId: string, kind: AlertKind, slot: RecipientSlot = 'primary'): ItemKey {
  return { pk: `${ALERT_CLAIM_ITEM.partitionKeyPrefix}${sessionId}`, sk: `${ALERT_CLAIM_ITEM.sortKey}${kind}${slot === 'primary' ? '' : `#${slot}`}` };
}

/** Takes the claim unless another attempt holds a live lease; UPDATED_OLD names the earlier attempt's link. */
export function claim(
  input: { sessionId: string; clientId: string; kind: AlertKind; slot?: RecipientSlot | undefined; ackTokenHash: string; now: Date; leaseSeconds: number },
  retentionDays: RetentionDays = 'keep',
): UpdateRequest {
  const ttl = retentionTtl(input.now.toISOString(), retentionDays)[TTL_ATTRIBUTE];
  return {
    Key: key(input.sessionId, input.kind, input.slot),
    UpdateExpression: `SET #type = :type, clientId = :clientId, kind = :kind, ackTokenHash = :hash, leaseUntil = :leaseUntil${ttl === undefined ? '' : ', #ttl = :ttl'}`,
    ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
    ExpressionAttributeNames: { '#type': 'type', ...(ttl === undefined ? {} : { '#ttl': TTL_ATTRIBUTE }) },
    ExpressionAttributeValues: {
      ':type': ALERT_CLAIM_ITEM.type,
      ':clientId': input.clientId,
      ':kind': input.kind,
      ':hash': input.ackTokenHash,
      ':leaseUntil': new Date(input.now.getTime() + input.leaseSeconds * 1000).toISOString(),
      ':now': input.now.toISOString(),
      ...(ttl === undefined ? {} : { ':ttl': ttl }),
    },
    ReturnValues: 'UPDATED_OLD',
  };
}

/** The acknowledge link's hash of the attempt whose claim was just taken over. */
export function earlierAckTokenHash(updatedOld: Record<string, unknown> | undefined): string | undefined {
  return updatedOld?.['ackTokenHash'] as string | undefined;
}

/** Puts the earlier attempt's link back on the claim (its email went out), so the record stays true. */
export function restore(sessionId: string, kind: AlertKind, ackTokenHash: string, slot: RecipientSlot = 'primary'): UpdateRequest {
  return { Key: key(sessionId, kind, slot), UpdateExpression: 'SET ackTokenHash = :hash', ExpressionAttributeValues: { ':hash': ackTokenHash } };
}

export function release(sessionId: string, kind: AlertKind, slot: RecipientSlot = 'primary'): DeleteRequest {
  return { Key: key(sessionId, kind, slot) };
}
