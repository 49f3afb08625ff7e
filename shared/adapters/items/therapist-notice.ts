/**
 * The therapist-notice item: the mark that the practice's administrator was told an unregistered
 * therapist has alerts waiting (one notice per therapist, however many alerts wait). Deleted when
 * the waiting alerts are released, so a therapist removed and later missing again is noticed again.
 * Attributes: therapistId, noticeSentAt. No client data.
 */
import type { DeleteRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const THERAPIST_NOTICE_ITEM = { kind: 'therapist-notice', type: 'UnregisteredTherapistNotice', partitionKeyPrefix: 'THERAPIST#', sortKey: 'NOTICE' } as const satisfies ItemKindKeys;

export function key(therapistId: string): ItemKey {
  return { pk: `${THERAPIST_NOTICE_ITEM.partitionKeyPrefix}${therapistId}`, sk: THERAPIST_NOTICE_ITEM.sortKey };
}

/** Takes the mark unless it exists: whoever writes it sends the one notice. */
export function claim(therapistId: string, now: string): PutRequest {
  return {
    Item: { ...key(therapistId), type: THERAPIST_NOTICE_ITEM.type, therapistId, noticeSentAt: now },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export function remove(therapistId: string): DeleteRequest {
  return { Key: key(therapistId) };
}
