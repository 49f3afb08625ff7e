/**
 * The email that asks a client for feedback: subject, plain text and HTML in the client's language.
 * The subject says nothing about health or therapy: it may be read over a shoulder or on a
 * lock screen.
 */
import type { Locale } from '../../events/contracts.ts';
import { html, stripBidiControls } from '../html.ts';
import { formatLongDateTime } from '../local-time.ts';
import { emailFrame } from './email-frame.ts';

export interface FeedbackRequestEmailInput {
  locale: Locale;
  firstName: string | undefined;
  practiceName: string;
  formUrl: string;
  optOutUrl: string;
  expiresAt: Date;
  /** The practice's IANA time zone: clients read the link's end in it. */
  timeZone: string;
  /** True for the one reminder sent while the link is still open. */
  reminder?: boolean;
  /** Hours after the request the reminder is sent (reminderHours): its wording says how long ago the request was. */
  reminderAfterHours?: number | undefined;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface Wording {
  subject: (practice: string) => string;
  reminderSubject: (practice: string) => string;
  greeting: (name: string | undefined) => string;
  ask: (practice: string) => string;
  reminderAsk: (practice: string, hours: number | undefined) => string;
  button: string;
  expires: (date: string) => string;
  privacy: string;
  optOut: string;
  optOutLink: string;
  dateLocale: string;
}

/** How long ago the request was, from the reminder's configured delay ("Yesterday", "3 days ago", "6 hours ago"). */
function sinceEn(hours: number | undefined): string {
  if (hours === undefined) return 'Recently';
  if (hours < 1.5) return 'An hour ago';
  if (hours < 20) return `${Math.round(hours)} hours ago`;
  if (hours < 36) return 'Yesterday';
  return `${Math.round(hours / 24)} days ago`;
}

function sinceEs(hours: number | undefined): string {
  if (hours === undefined) return 'Hace poco';
  if (hours < 1.5) return 'Hace una hora';
  if (hours < 20) return `Hace ${Math.round(hours)} horas`;
  if (hours < 36) return 'Ayer';
  return `Hace ${Math.round(hours / 24)} días`;
}

const WORDING: Record<Locale, Wording> = {
  en: {
    subject: (practice) => `A quick question from ${practice}`,
    reminderSubject: (practice) => `Reminder: a quick question from ${practice}`,
    greeting: (name) => (name ? `Hi ${name},` : 'Hello,'),
    ask: (practice) =>
      `${practice} would like to know how your last session went for you. There are four short questions; it takes about a minute, and your answers help your therapist make the sessions work better for you.`,
    reminderAsk: (practice, hours) =>
      `${sinceEn(hours)} ${practice} asked how your last session went for you. If you have a minute, your answers still help; if not, no need to do anything.`,
    button: 'Answer the questions',
    expires: (date) => `This link is personal to you and works until ${date}.`,
    privacy: 'Your answers are kept securely by the practice. Your therapist is told when they suggest something is not working for you, so you can talk about it.',
    optOut: 'Prefer not to get these emails?',
    optOutLink: 'Stop feedback emails',
    dateLocale: 'en-US',
  },
  es: {
    subject: (practice) => `Una pregunta rápida de ${practice}`,
    reminderSubject: (practice) => `Recordatorio: una pregunta rápida de ${practice}`,
    greeting: (name) => (name ? `Hola, ${name}:` : 'Hola:'),
    ask: (practice) =>
      `En ${practice} nos gustaría saber cómo le fue en su última sesión. Son cuatro preguntas breves; le llevará un minuto, y sus respuestas ayudan a su terapeuta a adaptar las sesiones a usted.`,
    reminderAsk: (practice, hours) =>
      `${sinceEs(hours)}, ${practice} le preguntó cómo le fue en su última sesión. Si tiene un minuto, sus respuestas siguen siendo útiles; si no, no necesita hacer nada.`,
    button: 'Responder a las preguntas',
    expires: (date) => `Este enlace es personal y funciona hasta el ${date}.`,
    privacy: 'El centro guarda sus respuestas de forma segura. Si indican que algo no le está funcionando, se avisa a su terapeuta para que puedan hablarlo.',
    optOut: '¿Prefiere no recibir estos correos?',
    optOutLink: 'Dejar de recibir correos de opinión',
    dateLocale: 'es-ES',
  },
};

/** Renders the feedback request (or its reminder) in the client's language. */
export function renderFeedbackRequestEmail(input: FeedbackRequestEmailInput): RenderedEmail {
  const wording = WORDING[input.locale];
  const practice = stripBidiControls(input.practiceName);
  const firstName = input.firstName ? stripBidiControls(input.firstName) : undefined;
  const subject = (input.reminder ? wording.reminderSubject : wording.subject)(practice);
  const ask = input.reminder ? wording.reminderAsk(practice, input.reminderAfterHours) : wording.ask(practice);
  const expires = wording.expires(formatLongDateTime(input.expiresAt, { timeZone: input.timeZone, locale: wording.dateLocale }));

  const text = [
    wording.greeting(firstName),
    '',
    ask,
    '',
    `${wording.button}: ${input.formUrl}`,
    '',
    expires,
    wording.privacy,
    '',
    `${wording.optOut} ${wording.optOutLink}: ${input.optOutUrl}`,
    '',
    `— ${practice}`,
  ].join('\n');

  const body = emailFrame(
    { lang: input.locale, title: subject, maxWidth: 560, padding: '28px 24px', fontSize: 17, cornerRadius: 8 },
    html`<p style="margin:0 0 16px 0;">${wording.greeting(firstName)}</p>
<p style="margin:0 0 24px 0;">${ask}</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>
<td style="border-radius:6px;background-color:#1d5c4d;">
<a href="${input.formUrl}" style="display:inline-block;padding:14px 24px;font-family:Arial,Helvetica,sans-serif;font-size:17px;color:#ffffff;text-decoration:none;font-weight:bold;">${wording.button}</a>
</td></tr></table>
<p style="margin:24px 0 8px 0;font-size:15px;color:#414a52;">${expires}</p>
<p style="margin:0 0 24px 0;font-size:15px;color:#414a52;">${wording.privacy}</p>
<p style="margin:0;font-size:14px;color:#414a52;">${wording.optOut} <a href="${input.optOutUrl}" style="color:#1d5c4d;">${wording.optOutLink}</a></p>
<p style="margin:24px 0 0 0;font-size:15px;color:#414a52;">— ${practice}</p>`,
  );

  return { subject, text, html: body.value };
}
