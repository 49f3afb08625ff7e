/**
 * The opt-out-link item: one per client email (the request's, the reminder's), keyed by the SHA-256
 * of the opt-out link's own token (the token itself is never stored). Purpose-bound: it opts its
 * client out and does nothing else, and the form token — which answers the form — never opts out,
 * so the `List-Unsubscribe` header, which mail providers read and may log, carries no key to the
 * form. Written before the email is sent, so the link works the moment the email arrives (an email
 * that then fails leaves a link nobody has). Attributes: clientId, locale, issuedAt, ttl.
 */
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, type Locale } from '../../events/contracts.ts';
import type { OptOutLink, OptOutLinkRecord } from '../../use-cases/ports.ts';
import { toTtl, TTL_ATTRIBUTE } from '../table.ts';
import type { GetRequest, ItemKey, ItemKindKeys, PutRequest } from './item.ts';

export const OPT_OUT_LINK_ITEM = { kind: 'opt-out-link', type: 'OptOutLink', partitionKeyPrefix: 'TOKEN#', sortKey: 'OPTOUT' } as const satisfies ItemKindKeys;

/**
 * How long an opt-out link keeps working after its email was sent: people unsubscribe from old
 * emails (RFC 8058 and CAN-SPAM ask for at least 30 days), and the item holds only the client's id
 * and language.
 */
export const OPT_OUT_LINK_DAYS = 365;

export function key(tokenHash: string): ItemKey {
  return { pk: `${OPT_OUT_LINK_ITEM.partitionKeyPrefix}${tokenHash}`, sk: OPT_OUT_LINK_ITEM.sortKey };
}

/** 256 random bits never collide; the condition makes sure nothing written is ever overwritten. */
export function put(link: OptOutLinkRecord): PutRequest {
  const retainUntil = new Date(new Date(link.issuedAt).getTime() + OPT_OUT_LINK_DAYS * 86_400_000);
  const { tokenHash, clientId, locale, issuedAt } = link;
  return {
    Item: { ...key(tokenHash), type: OPT_OUT_LINK_ITEM.type, clientId, locale, issuedAt, [TTL_ATTRIBUTE]: toTtl(retainUntil) },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

/** Eventually consistent: written before its email was sent, so long before anyone can follow the link. */
export function get(tokenHash: string): GetRequest {
  return { Key: key(tokenHash), ProjectionExpression: '#type, clientId, locale', ExpressionAttributeNames: { '#type': 'type' } };
}

/**
 * The link, unless the item is not an opt-out link. Its life is not checked in code as a form
 * link's is: TTL deletes it up to ~48 h late, and honouring an opt-out that late does no harm.
 */
export function fromItem(found: Record<string, unknown> | undefined): OptOutLink | undefined {
  if (found?.['type'] !== OPT_OUT_LINK_ITEM.type || typeof found['clientId'] !== 'string') return undefined;
  const locale = found['locale'];
  return {
    clientId: found['clientId'],
    locale: (SUPPORTED_LOCALES as readonly unknown[]).includes(locale) ? (locale as Locale) : DEFAULT_LOCALE,
  };
}
