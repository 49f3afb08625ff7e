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
