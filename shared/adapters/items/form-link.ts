/**
 * The form-link item: one per link emailed to a client (the request's, the reminder's), keyed by
 * the SHA-256 of the link's token (the token itself is never stored). Written once SES accepted the
 * email, so its existence is the record that the email went out. Attributes: tokenHash, sessionId,
 * clientId, therapistId, locale, expiresAt, instrumentId, sessionEndedAt, ttl.
 */
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, type Locale } from '../../events/contracts.ts';
import type { FormTokenRecord } from '../../use-cases/ports.ts';
import { toTtl, TTL_ATTRIBUTE } from '../table.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const FORM_LINK_ITEM = { kind: 'form-link', type: 'FormToken', partitionKeyPrefix: 'TOKEN#', sortKey: 'TOKEN' } as const satisfies ItemKindKeys;

/** A link's record outlives the form, so a late click is told the questions are closed rather than "not found". */
const RETENTION_AFTER_EXPIRY_DAYS = 90;

export function key(tokenHash: string): ItemKey {
  return { pk: `${FORM_LINK_ITEM.partitionKeyPrefix}${tokenHash}`, sk: FORM_LINK_ITEM.sortKey };
}

/** 256 random bits never collide; the condition makes sure nothing written is ever overwritten. */
export function put(link: FormTokenRecord): PutRequest {
  const retainUntil = new Date(new Date(link.expiresAt).getTime() + RETENTION_AFTER_EXPIRY_DAYS * 86_400_000);
  const { tokenHash, sessionId, clientId, therapistId, locale, expiresAt, instrumentId, sessionEndedAt } = link;
  return {
    Item: { ...key(tokenHash), type: FORM_LINK_ITEM.type, tokenHash, sessionId, clientId, therapistId, locale, expiresAt, instrumentId, sessionEndedAt, [TTL_ATTRIBUTE]: toTtl(retainUntil) },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/**
 * Eventually consistent (half a read unit on every page): the item is written once, right after SES
 * accepted its email, and never changed; by the time anyone follows the link every copy has it.
 */
export function get(tokenHash: string): GetRequest {
  return {
    Key: key(tokenHash),
    ProjectionExpression: '#type, sessionId, clientId, therapistId, locale, expiresAt, instrumentId, sessionEndedAt',
    ExpressionAttributeNames: { '#type': 'type' },
  };
}

/** Whether the link exists, strongly consistent: the request's proof that an earlier attempt's email went out. */
export function getExistence(tokenHash: string): GetRequest {
  return { Key: key(tokenHash), ProjectionExpression: 'pk', ConsistentRead: true };
}

export type StoredFormLink = Omit<FormTokenRecord, 'tokenHash' | 'locale'> & { locale: Locale };

export function fromItem(found: Record<string, unknown> | undefined): StoredFormLink | undefined {
  if (found?.['type'] !== FORM_LINK_ITEM.type) return undefined;
  const text = (name: string) => found[name] as string | undefined;
  const locale = text('locale');
  return {
    sessionId: text('sessionId')!,
    clientId: text('clientId')!,
    therapistId: text('therapistId')!,
    locale: (SUPPORTED_LOCALES as readonly string[]).includes(locale ?? '') ? (locale as Locale) : DEFAULT_LOCALE,
    expiresAt: text('expiresAt')!,
    instrumentId: text('instrumentId'),
    sessionEndedAt: text('sessionEndedAt'),
  };
}
