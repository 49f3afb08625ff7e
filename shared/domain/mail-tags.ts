/**
 * Tags the product puts on every email it sends through SES, so that a bounce or complaint (which
 * SES reports with the message's tags) can be traced to the client without storing an index of
 * email addresses. SES tag values allow only letters, digits, `_` and `-`: ids are base64url-encoded.
 */

/** The tag SES adds to every event it publishes: the configuration set the email was sent with. */
export const SES_CONFIGURATION_SET_TAG = 'ses:configuration-set';

/** What an email was for. */
export type MailPurpose = 'feedback-request' | 'reminder' | 'alert' | 'notice' | 'digest';

export const MAIL_TAG_NAMES = { client: 'client', purpose: 'purpose' } as const;

/** The tags of one email. */
export function mailTags(purpose: MailPurpose, clientId?: string): Record<string, string> {
  return {
    [MAIL_TAG_NAMES.purpose]: purpose,
    ...(clientId === undefined ? {} : { [MAIL_TAG_NAMES.client]: Buffer.from(clientId, 'utf8').toString('base64url') }),
  };
}

/** Reads the client id and purpose back from the tags SES reports (each tag a list of values). */
export function readMailTags(tags: Readonly<Record<string, readonly string[] | undefined>> | undefined): { purpose?: MailPurpose; clientId?: string } {
  const purpose = tags?.[MAIL_TAG_NAMES.purpose]?.[0];
  const client = tags?.[MAIL_TAG_NAMES.client]?.[0];
  return {
    ...(purpose === 'feedback-request' || purpose === 'reminder' || purpose === 'alert' || purpose === 'notice' || purpose === 'digest' ? { purpose } : {}),
    ...(client && /^[A-Za-z0-9_-]+$/.test(client) ? { clientId: Buffer.from(client, 'base64url').toString('utf8') } : {}),
  };
}
