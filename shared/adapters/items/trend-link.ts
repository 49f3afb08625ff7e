/**
 * The trend-link item: a link to one client's trend page for one therapist, keyed by the SHA-256
 * of its token (the token itself is only in the URL: a leaked table backup opens no page).
 * Attributes: therapistId, clientId, recipientRole (whose copy it was issued for), issuedAt,
 * expiresAt (trendLinkDays after issuedAt), revokedAt once `alliance links revoke` revoked it, and
 * ttl a day after expiresAt (DynamoDB TTL may run ~48 h late: the page checks expiresAt itself).
 */
import type { TrendLink } from '../../use-cases/ports.ts';
import { toTtl } from '../table.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest, UpdateRequest } from './item.ts';

export const TREND_LINK_ITEM = { kind: 'trend-link', type: 'TrendLink', partitionKeyPrefix: 'TOKEN#', sortKey: 'TREND' } as const satisfies ItemKindKeys;

const DAY_MS = 86_400_000;

export function key(tokenHash: string): ItemKey {
  return { pk: `${TREND_LINK_ITEM.partitionKeyPrefix}${tokenHash}`, sk: TREND_LINK_ITEM.sortKey };
}

export function put(tokenHash: string, link: TrendLink): PutRequest {
  const { therapistId, clientId, recipientRole, issuedAt, expiresAt } = link;
  return {
    Item: { ...key(tokenHash), type: TREND_LINK_ITEM.type, therapistId, clientId, recipientRole, issuedAt, expiresAt, ttl: toTtl(new Date(Date.parse(expiresAt) + DAY_MS)) },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export function get(tokenHash: string): GetRequest {
  return { Key: key(tokenHash) };
}

/** Revokes one link (the first revocation's time kept); only an existing trend link. */
export function revoke(tokenHash: string, now: Date): UpdateRequest {
  return {
    Key: key(tokenHash),
    UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
    ConditionExpression: 'attribute_exists(pk) AND #type = :type',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':now': now.toISOString(), ':type': TREND_LINK_ITEM.type },
    ReturnValues: 'ALL_NEW',
  };
}

export function isTrendLink(found: Record<string, unknown> | undefined): found is Record<string, unknown> {
  return found?.['type'] === TREND_LINK_ITEM.type;
}

export function fromItem(found: Record<string, unknown>): TrendLink {
  const { therapistId, clientId, recipientRole, issuedAt, expiresAt, revokedAt } = found as unknown as TrendLink;
  return { therapistId, clientId, recipientRole: recipientRole ?? 'therapist', issuedAt, expiresAt, ...(typeof revokedAt === 'string' ? { revokedAt } : {}) };
}
