/**
 * The HTTP edge of the web function: read an API Gateway HTTP API (payload 2.0) request defensively,
 * and answer with a page carrying the security headers every page needs.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PAGE_CSS_HASH } from '../../shared/domain/form/styles.ts';
import type { Locale } from '../../shared/events/contracts.ts';

/** Largest body read: a 2,000-character comment percent-encoded is at most ~18 KB, plus the ratings. */
export const MAX_BODY_BYTES = 32 * 1024;

export interface WebRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  acceptLanguage: string | undefined;
  /** The browser's `Sec-Fetch-Site` (`same-origin`, `same-site`, `cross-site`, `none`); absent from servers and old browsers. */
  fetchSite: string | undefined;
  /** The body as UTF-8, or `too-large`; undefined when there is none. */
  body: string | 'too-large' | undefined;
}

/** Reads the parts of the event the routes use; base64 bodies are decoded, oversized ones not kept. */
export function readRequest(event: APIGatewayProxyEventV2): WebRequest {
  const headers = event.headers ?? {};
  const raw = event.body;
  let body: WebRequest['body'];
  if (raw !== undefined && raw !== null) {
    const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    body = bytes.byteLength > MAX_BODY_BYTES ? 'too-large' : bytes.toString('utf8');
  }
  return {
    method: (event.requestContext?.http?.method ?? 'GET').toUpperCase(),
    path: event.rawPath ?? '/',
    contentType: header(headers, 'content-type'),
    acceptLanguage: header(headers, 'accept-language'),
    fetchSite: header(headers, 'sec-fetch-site')?.trim().toLowerCase(),
    body,
  };
}

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  // HTTP APIs lower-case header names; a local server or a test might not.
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** True when the content type is `application/x-www-form-urlencoded` (any parameters, any case). */
export function isFormEncoded(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/**
 * Whether a state-changing POST may come from where the browser says it comes from. A page of
 * another site (even a sibling subdomain: `same-site`) could otherwise make a client's or a
 * therapist's browser post to a link it learnt. Our own pages post `same-origin`; `none` is the
 * person's own doing (a bookmark); no header at all is a mail provider's RFC 8058 one-click POST (a
 * server, not a browser) or a browser too old to send it, which the token alone must then protect.
 * (No `Origin` check: with `Referrer-Policy: no-referrer` browsers send `Origin: null` even for our own form.)
 */
export function acceptsPostFrom(fetchSite: string | undefined): boolean {
  return fetchSite === undefined || fetchSite === 'same-origin' || fetchSite === 'none';
}

/** Every page's security headers; the optional front (infra/constructs/front.ts) adds the same to every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  // No script at all; the one stylesheet by hash; forms post only here; never framed.
  'content-security-policy': `default-src 'none'; style-src ${PAGE_CSS_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  // The token is in the URL: no page may hand it to another site, a cache or a shared history.
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
  'strict-transport-security': 'max-age=31536000',
  'x-robots-tag': 'noindex, nofollow',
};

/** A page response with every security header. */
export function pageResponse(statusCode: number, locale: Locale, body: string, extra: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...SECURITY_HEADERS, 'content-language': locale, ...extra }, body };
}

/** A `303 See Other` after a post, to a location relative to the current URL. */
export function seeOther(location: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 303, headers: { ...SECURITY_HEADERS, location }, body: '' };
}
