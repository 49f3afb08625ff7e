/**
 * The do-not-contact item: an address that must never be emailed again, kept after its client was
 * erased, as a keyed hash only (HMAC-SHA256 of the normalised address, shared/adapters/address-hash.ts).
 * Written by erase for a client who had opted out or whose address bounced or complained; read by
 * the request function before it emails a client; deleted only by `alliance clients allow <email>`.
 *
 * It carries no clientId on purpose: it is not the erased client's data (export and erase, which
 * find a client's items by clientId, never see it), and nothing links it back to them. Attributes:
 * reason (`opted-out` | `bounce` | `complaint`) and recordedAt (when erase wrote it).
 */
import type { DoNotContactEntry } from '../../use-cases/ports.ts';
import type { DeleteRequest, GetRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const DO_NOT_CONTACT_ITEM = { kind: 'do-not-contact', type: 'DoNotContact', partitionKeyPrefix: 'CONTACT#', sortKey: 'DO-NOT-CONTACT' } as const satisfies ItemKindKeys;

export function key(addressHash: string): ItemKey {
  return { pk: `${DO_NOT_CONTACT_ITEM.partitionKeyPrefix}${addressHash}`, sk: DO_NOT_CONTACT_ITEM.sortKey };
}

/** Keeps the first entry: a repeated erase (or a second client with the same address) changes nothing. */
export function put(addressHash: string, entry: DoNotContactEntry): PutRequest {
  return {
    Item: { ...key(addressHash), type: DO_NOT_CONTACT_ITEM.type, reason: entry.reason, recordedAt: entry.recordedAt },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/** Eventually consistent: entries are written at erase time, long before the next session of that address. */
export function getExistence(addressHash: string): GetRequest {
  return { Key: key(addressHash), ProjectionExpression: 'pk' };
}

/** ALL_OLD tells whether there was an entry to lift. */
export function remove(addressHash: string): DeleteRequest {
  return { Key: key(addressHash), ReturnValues: 'ALL_OLD' };
}
