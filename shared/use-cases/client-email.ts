/**
 * The email the product sends a client — the feedback request and its one reminder — built in this
 * one place: the personal link to the form, the opt-out link, the RFC 8058 one-click unsubscribe
 * headers and the SES tags that lead a bounce or complaint back to the client. Two copies of this
 * would drift (a reminder without the one-click header still reaches a client who asked for none).
 *
 * The opt-out link has a token of its own, made here for each email: the `List-Unsubscribe` header
 * is read (and may be logged or followed) by mail providers and gateways, so it must not carry the
 * form's token, which would let them answer the client's form.
 */
import { mailTags, type MailPurpose } from '../domain/mail-tags.ts';
import { renderFeedbackRequestEmail } from '../domain/templates/feedback-request-email.ts';
import type { Locale } from '../events/contracts.ts';
import type { Clock, Mailer, OptOutLinkStore, OutgoingEmail, TokenFactory } from './ports.ts';

/** One feedback email to one client. */
export interface ClientFeedbackEmail {
  /** The first request, or the reminder while the link is still open. */
  purpose: Extract<MailPurpose, 'feedback-request' | 'reminder'>;
  clientId: string;
  client: { email: string; firstName?: string | undefined; locale: Locale };
  /** The form link's secret: it goes into the form link and nowhere else (only its hash is stored). */
  token: string;
  /** When the link stops working (ISO-8601). */
  expiresAt: string;
  /** For the reminder: hours after the request it is sent (reminderHours), which its wording names. */
  reminderAfterHours?: number | undefined;
}

/** What every client email shares: who it comes from, and where the web function serves the pages. */
export interface ClientEmailSettings {
  practiceName: string;
  /** The practice's IANA time zone: clients read dates in it. */
  practiceTimeZone: string;
  formBaseUrl: string;
}

export interface ClientEmailDeps extends ClientEmailSettings {
  mailer: Mailer;
  /** Makes each email's opt-out token. */
  tokens: TokenFactory;
  /** Keeps the opt-out token's hash, before the email goes out. */
  optOutLinks: OptOutLinkStore;
  clock: Clock;
}

/** The form link of one form token and the opt-out link of one opt-out token (the web function's `/f/{token}` and `/u/{token}`). */
export function clientLinks(formBaseUrl: string, tokens: { form: string; optOut: string }): { formUrl: string; optOutUrl: string } {
  return { formUrl: `${formBaseUrl}/f/${tokens.form}`, optOutUrl: `${formBaseUrl}/u/${tokens.optOut}` };
}

/** Builds the feedback request or reminder: rendered in the client's language, with its headers and tags. */
export function buildClientEmail(email: ClientFeedbackEmail & { optOutToken: string }, settings: ClientEmailSettings): OutgoingEmail {
  const { formUrl, optOutUrl } = clientLinks(settings.formBaseUrl, { form: email.token, optOut: email.optOutToken });
  const rendered = renderFeedbackRequestEmail({
    locale: email.client.locale,
    firstName: email.client.firstName,
    practiceName: settings.practiceName,
    formUrl,
    optOutUrl,
    expiresAt: new Date(email.expiresAt),
    timeZone: settings.practiceTimeZone,
    reminder: email.purpose === 'reminder',
    reminderAfterHours: email.reminderAfterHours,
  });
  return {
    to: email.client.email,
    ...rendered,
    // RFC 8058 one-click unsubscribe: mail clients show an "unsubscribe" button that POSTs here.
    headers: { 'List-Unsubscribe': `<${optOutUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    tags: mailTags(email.purpose, email.clientId),
  };
}

/**
 * Makes the email's opt-out link (stored first, so it works the moment the email arrives), then
 * builds and sends the email; a failure throws, so the caller can give its claim back.
 */
export async function sendClientEmail(email: ClientFeedbackEmail, deps: ClientEmailDeps): Promise<void> {
  const optOut = deps.tokens.create();
  await deps.optOutLinks.saveOptOutLink({ tokenHash: optOut.hash, clientId: email.clientId, locale: email.client.locale, issuedAt: deps.clock.now().toISOString() });
  await deps.mailer.send(buildClientEmail({ ...email, optOutToken: optOut.token }, deps));
}
