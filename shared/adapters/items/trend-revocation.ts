/**
 * The trend-revocation item: "every trend link of this therapist (for this client, or for all
 * their clients) issued before `revokedBefore` is refused" (`alliance links revoke --therapist ID
 * [--client ID]`). One mark instead of a scan for the links: the page reads both marks of its
 * link's therapist with the link's other reads, in one BatchGetItem, and compares issuedAt.
 *
 * Key: pk `THERAPIST#<therapistId>`, sk `TREND-REVOKED#*` (all their clients) or
 * `TREND-REVOKED#<clientId>`. Attributes: therapistId, clientId (the per-client mark only, so
 * export and erase find it), revokedBefore. No ttl: a mark must outlive every link it revokes;
 * one is at most a few hundred bytes per therapist and client.
 */
import type { GetRequest, ItemKey, ItemKindKeys, UpdateRequest } from './item.ts';

export const TREND_REVOCATION_ITEM = { kind: 'trend-revocation', type: 'TrendRevocation', partitionKeyPrefix: 'THERAPIST#', sortKey: 'TREND-REVOKED#', sortKeyPrefix: true } as const satisfies ItemKindKeys;

/** The sort key's tail of the mark that covers every client of the therapist (ids never contain `*`). */
const ALL_CLIENTS = '*';

export function key(therapistId: string, clientId: string | undefined): ItemKey {
  return { pk: `${TREND_REVOCATION_ITEM.partitionKeyPrefix}${therapistId}`, sk: `${TREND_REVOCATION_ITEM.sortKey}${clientId ?? ALL_CLIENTS}` };
}

/** Moves the mark to `now` (a later revocation covers everything an earlier one did). */
export function revokeBefore(therapistId: string, clientId: string | undefined, now: Date): UpdateRequest {
  return {
    Key: key(therapistId, clientId),
    UpdateExpression: `SET #type = :type, therapistId = :therapist, revokedBefore = :now${clientId === undefined ? '' : ', clientId = :client'}`,
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':type': TREND_REVOCATION_ITEM.type, ':therapist': therapistId, ':now': now.toISOString(), ...(clientId === undefined ? {} : { ':client': clientId }) },
  };
}

export function get(therapistId: string, clientId: string | undefined): GetRequest {
  return { Key: key(therapistId, clientId), ProjectionExpression: 'pk, sk, revokedBefore' };
}

export function revokedBefore(found: Record<string, unknown> | undefined): string | undefined {
  const value = found?.['revokedBefore'];
  return typeof value === 'string' ? value : undefined;
}
