/**
 * Links to a client's trend page: issued for one therapist and one client (the alert's recipient,
 * the weekly digest's therapist), opaque (256 random bits; only the SHA-256 is stored), alive for
 * `linkDays` from issue, and revocable one by one or per therapist [and client] (`alliance links
 * revoke`). The page itself is trend-page.ts; this module issues links and says whether one opens.
 *
 * The digest helper calls `issueTrendLink` once per client row and puts `${webBaseUrl}${trendLinkPath(token)}`
 * in its email.
 */
import type { RecipientRole } from '../domain/alert-recipients.ts';
import type { TokenFactory, TrendLink, TrendLinkStore } from './ports.ts';

export interface TrendLinkDeps {
  links: Pick<TrendLinkStore, 'saveTrendLink'>;
  /** Random tokens and their hashes (shared/adapters/form-tokens.ts randomTokens). */
  tokens: TokenFactory;
  /** Days a link opens the page (ALERT_SETTINGS.trendLinkDays, default 7). */
  linkDays: number;
}

const DAY_MS = 86_400_000;

/** The URL path of a trend page, under the web base URL: `/t/{token}`. */
export function trendLinkPath(token: string): string {
  return `/t/${token}`;
}

/**
 * Issues a link to the client's trend page for the therapist (or whoever reads on their behalf:
 * `recipientRole`); returns the token for the URL (trendLinkPath). Only its hash is stored.
 */
export async function issueTrendLink(
  input: { therapistId: string; clientId: string; now: Date; recipientRole?: RecipientRole | undefined },
  deps: TrendLinkDeps,
): Promise<string> {
  const { token, hash } = deps.tokens.create();
  await deps.links.saveTrendLink(hash, {
    therapistId: input.therapistId,
    clientId: input.clientId,
    recipientRole: input.recipientRole ?? 'therapist',
    issuedAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + deps.linkDays * DAY_MS).toISOString(),
  });
  return token;
}

export type TrendLinkState = 'open' | 'expired' | 'revoked';

/**
 * Whether a stored link still opens the page: not revoked (itself, or by a therapist-wide or
 * client-wide mark made at or after it was issued), and not expired. Checked in code from the
 * stored times (TTL deletes up to ~48 h late).
 */
export function trendLinkState(link: TrendLink, revokedBefore: string | undefined, now: Date): TrendLinkState {
  if (link.revokedAt !== undefined) return 'revoked';
  if (revokedBefore !== undefined && Date.parse(link.issuedAt) <= Date.parse(revokedBefore)) return 'revoked';
  if (!(Date.parse(link.expiresAt) > now.getTime())) return 'expired';
  return 'open';
}

/** The token of a trend link given as a URL (`https://…/t/{token}`, with any base path) or as the bare token. */
export function trendTokenOf(linkOrToken: string): string {
  const trimmed = linkOrToken.trim();
  if (!URL.canParse(trimmed)) return trimmed;
  const segments = new URL(trimmed).pathname.split('/').filter((segment) => segment.length > 0);
  return segments.at(-2) === 't' ? (segments.at(-1) ?? '') : '';
}
