/**
 * Notices to the practice's administrator about email deliverability. They name clients by id
 * only: the administrator looks the person up in the EHR, where the address is corrected.
 */
import { html, stripBidiControls } from '../html.ts';
import type { RenderedEmail } from './feedback-request-email.ts';

export interface DeliveryNoticeInput {
  practiceName: string;
  reason: 'bounce' | 'complaint';
  /** Whose email it was: the client's own feedback email, or a therapist's alert about the client. */
  recipient: 'client' | 'therapist';
  clientId: string;
}

/** Renders the notice for one bounced or complained-about email. */
export function renderDeliveryNotice(input: DeliveryNoticeInput): RenderedEmail {
  const clientId = stripBidiControls(input.clientId);
  const practice = stripBidiControls(input.practiceName);
  const what = input.reason === 'bounce' ? 'bounced (the address does not accept mail)' : 'was reported as spam by its recipient';
  const paragraphs =
    input.recipient === 'client'
      ? [
          `A feedback email to client ${clientId} ${what}.`,
          input.reason === 'bounce'
            ? 'Alliance Feedback will send this client no more emails. Check their address in your EHR; the next session sent with a corrected address is not resumed automatically — clear the block as described in docs/deploy.md ("Deliverability").'
            : 'Alliance Feedback will send this client no more emails: they did not want them. Nothing else is needed.',
        ]
      : [
          `An alert email about client ${clientId} to the client's therapist ${what}.`,
          'Check the therapist’s address in your EHR: their alerts cannot reach them until it is corrected.',
        ];
  const subject = input.recipient === 'client' ? `Feedback emails stopped for client ${clientId}` : `An alert email did not reach a therapist (client ${clientId})`;
  return renderNotice(practice, subject, paragraphs);
}

export interface UnregisteredTherapistNoticeInput {
  practiceName: string;
  /** The therapist's id as the EHR sent it: the only thing the notice names (no client, no address). */
  therapistId: string;
}

/**
 * Renders the one notice that an alert waits for a therapist the directory does not know. It names
 * the therapist's id and what to run; never the client, the alert or the address the event gave.
 */
export function renderUnregisteredTherapistNotice(input: UnregisteredTherapistNoticeInput): RenderedEmail {
  const therapistId = stripBidiControls(input.therapistId);
  const practice = stripBidiControls(input.practiceName);
  const paragraphs = [
    `An alert for therapist ${therapistId} is waiting: this therapist is not in your practice’s therapist directory, so Alliance Feedback does not email the address your EHR sent for them.`,
    `Register the therapist with their address at your practice: npx alliance therapists add ${therapistId} <their email> (or add them to your therapists.csv and run npx alliance therapists import therapists.csv). Every alert waiting for them is then sent to that address.`,
    'You get this notice once per therapist, however many alerts wait. If the id is not one of your therapists, nothing is sent and nothing else is needed.',
  ];
  const subject = `Alerts are waiting for therapist ${therapistId} (not registered)`;
  return renderNotice(practice, subject, paragraphs);
}

/** Every administrator notice: plain paragraphs, the same in text and in escaped HTML, signed by the product for the practice. */
function renderNotice(practice: string, subject: string, paragraphs: readonly string[]): RenderedEmail {
  const text = [...paragraphs, '', `— Alliance Feedback for ${practice}`].join('\n\n');
  const body = html`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${subject}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;">
${paragraphs.map((paragraph) => html`<p style="margin:0 0 12px 0;">${paragraph}</p>`)}
<p style="margin:16px 0 0 0;color:#414a52;">Alliance Feedback for ${practice}</p>
</body>
</html>`;
  return { subject, text, html: body.value };
}
