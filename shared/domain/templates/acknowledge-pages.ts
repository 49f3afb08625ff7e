/**
 * The words of the therapist's acknowledge pages (opened from an alert email). Therapist-facing,
 * so English like the alert email; they name the client by id only.
 */
import type { MessageText } from '../form/i18n.ts';
import type { AlertKind } from '../../events/contracts.ts';
import { formatDateTime } from '../local-time.ts';

const WHAT_FIRED: Record<AlertKind, string> = {
  rupture: 'the alliance dropped well below this client’s usual level',
  'sustained-decline': 'the alliance has been slipping for several sessions',
  'item-drop': 'one part of the alliance dropped sharply',
  'low-rating': 'the client rated the session low',
  'client-asked': 'the client asked to talk about how therapy is going',
  unrepaired: 'an earlier drop has not come back',
  'going-quiet': 'the client has not answered the last feedback requests',
};

/** When, in the therapist's zone and words: day and time with the zone's short name ("Jun 3, 2026, 8:30 PM PDT"). */
function when(iso: string, timeZone: string): string {
  return formatDateTime(iso, { timeZone, locale: 'en-US' });
}

/** The GET page: what the alert was about and the button that acknowledges it. */
export function acknowledgePrompt(alert: { clientId: string; kind: AlertKind; sentAt: string }, timeZone: string): MessageText {
  return {
    title: 'Acknowledge this alert',
    paragraphs: [
      `Alert of ${when(alert.sentAt, timeZone)} about client ${alert.clientId}: ${WHAT_FIRED[alert.kind]}.`,
      'Acknowledging records that you have seen this alert, and when, and tells the practice’s systems (an AlertAcknowledged event). It does not contact the client, does not silence later alerts about this client, and does not change how the next check-ins are judged.',
      'Opening this page recorded nothing: only the button does.',
    ],
  };
}

/** After the POST, or on opening a link already used. */
export function acknowledged(alert: { clientId: string }, acknowledgedAt: string, first: boolean, timeZone: string): MessageText {
  return {
    title: first ? 'Alert acknowledged' : 'Already acknowledged',
    paragraphs: [`The alert about client ${alert.clientId} was acknowledged on ${when(acknowledgedAt, timeZone)}.`, 'Nothing was sent to the client, and later alerts about this client still come as usual. You can close this page.'],
  };
}

export const ACKNOWLEDGE_BUTTON = 'Acknowledge';

export const ALERT_NOT_FOUND: MessageText = {
  title: 'Alert not found',
  paragraphs: ['This acknowledge link is not valid, or the client’s data was erased. Check that the whole link was opened.'],
};

/** An acknowledge link past acknowledgeLinkDays: it names no client (an old email may be in anyone's hands). */
export function acknowledgeLinkExpiredText(linkDays: number): MessageText {
  return {
    title: 'This acknowledge link has expired',
    paragraphs: [
      `Acknowledge links work for ${linkDays} days after their alert was sent. Nothing was recorded.`,
      'The alert itself is still in your email. If it still needs a response, talk to your practice.',
    ],
  };
}
