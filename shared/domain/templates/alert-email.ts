/**
 * The therapist's alert email. Written to be understood in ten seconds between sessions: what
 * fired, how unusual it is for this client, one thing to try. It carries the client's id (and
 * first name only when the practice enables it), never their email address, and escapes every
 * value it renders.
 */
import { html, SafeHtml, stripBidiControls } from '../html.ts';
import type { AlertKind } from '../../events/contracts.ts';
import { emailFrame } from './email-frame.ts';
import type { RenderedEmail } from './feedback-request-email.ts';

/** One answered session on the trend chart, on the instrument's raw total scale. */
export interface AlertTrendPoint {
  endedAt: string;
  total: number;
  /** True for the session this alert is about. */
  current: boolean;
}

export interface AlertEmailInput {
  kind: AlertKind;
  /** Other rules that fired on the same session. */
  alsoFired?: readonly AlertKind[] | undefined;
  practiceName: string;
  clientId: string;
  /** Only when the practice allows first names in alerts. */
  clientFirstName?: string | undefined;
  sessionId: string;
  sessionEndedAt: string;
  /** The detector's plain-language reason, with numbers. */
  reason: string;
  /** The session's total on the raw scale and the client's usual range, when a baseline exists. */
  total?: { value: number; max: number; usualMean?: number | undefined; usualSpread?: number | undefined } | undefined;
  items: { label: string; value: number; max: number; usualMean?: number | undefined }[];
  mostMoved?: string | undefined;
  trend: AlertTrendPoint[];
  /** Baseline band on the raw total scale (usual mean ± spread). */
  band?: { low: number; high: number } | undefined;
  /** The client's own words, only when the practice allows comments in alerts. */
  comment?: string | undefined;
  clientAskedToTalk: boolean;
  acknowledgeUrl: string;
  /** Whom this copy is for: a supervisor's or covering clinician's copy says so in one line at the top. */
  role?: 'therapist' | 'supervisor' | 'covering' | undefined;
}

/** How another rule that fired on the same session is named under the headline. */
const ALSO_FIRED: Record<AlertKind, string> = {
  rupture: 'a drop well below the usual level',
  'sustained-decline': 'a decline over several sessions',
  'item-drop': 'a sharp drop in one part of the alliance',
  'low-rating': 'a low rating',
  'client-asked': 'the client asked to talk',
  unrepaired: 'an earlier drop not come back',
  'going-quiet': 'unanswered requests',
};

const HEADLINES: Record<AlertKind, string> = {
  rupture: 'The alliance dropped well below this client’s usual level',
  'sustained-decline': 'The alliance has been slipping for several sessions',
  'item-drop': 'One part of the alliance dropped sharply',
  'low-rating': 'This client rated the session low',
  'client-asked': 'Your client would like to talk about how therapy is going',
  unrepaired: 'The earlier drop has not come back',
  'going-quiet': 'This client has not answered the last feedback requests',
};

/** Short repair prompts, in the product's own words, drawn from the rupture-repair literature. */
export const REPAIR_PROMPTS = [
  'Name it gently: say you noticed the last check-in looked different, and invite them to tell you more about how the session felt.',
  'Listen and validate before explaining; if something you did played a part, acknowledge it plainly.',
  'Revisit goals and methods together: give the reason behind what you are doing, or adjust it with them.',
] as const;

const GOING_QUIET_PROMPTS = [
  'Ask in session whether the check-in still works for them; answering is always optional.',
  'Silence can mean busy, or it can mean something did not sit right: a light, open question covers both.',
] as const;

/** Built on first use and kept: building a formatter costs 0.15–0.5 ms, and a chart dates up to 12 rows. */
let shortDate: Intl.DateTimeFormat | undefined;

/** A short date whose parts never wrap apart (no-break spaces: `white-space` is unsupported in Outlook). */
function dateOnly(iso: string): string {
  shortDate ??= new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
  return shortDate.format(new Date(iso)).replace(/ /g, '\u00A0');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** The subject names the client only by id: subjects show on lock screens and in shared inboxes. */
export function alertSubject(kind: AlertKind, clientId: string): string {
  return kind === 'going-quiet' ? `Feedback check-in — client ${clientId}` : `Alliance alert — client ${clientId}`;
}

function clientReference(input: AlertEmailInput): string {
  const id = stripBidiControls(input.clientId);
  return input.clientFirstName ? `${stripBidiControls(input.clientFirstName)} (client ${id})` : `client ${id}`;
}

function trendText(input: AlertEmailInput): string[] {
  if (input.trend.length === 0 || !input.total) return [];
  const max = input.total.max;
  const band = input.band;
  return input.trend.map((point) => {
    const where = band ? (point.total < band.low ? ' — below usual range' : '') : '';
    return `  ${dateOnly(point.endedAt)}: ${formatNumber(point.total)} of ${max}${where}${point.current ? '  ← this session' : ''}`;
  });
}

function trendChart(input: AlertEmailInput): SafeHtml {
  if (input.trend.length === 0 || !input.total) return html``;
  const max = input.total.max;
  const band = input.band;
  const rows = input.trend.map((point) => {
    const width = Math.max(1, Math.round((100 * point.total) / max));
    const below = band !== undefined && point.total < band.low;
    const color = below ? '#b3261e' : '#5b7f73';
    return html`<tr>
<td style="padding:3px 8px 3px 0;font-size:13px;color:#414a52;">${dateOnly(point.endedAt)}${point.current ? html` <strong>(this)</strong>` : ''}</td>
<td width="100%" style="padding:3px 0;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>
<td width="${width}%" height="14" bgcolor="${color}" style="background-color:${color};font-size:1px;line-height:14px;">&nbsp;</td>
${width < 100 ? html`<td width="${100 - width}%" height="14" bgcolor="#eceeef" style="background-color:#eceeef;font-size:1px;line-height:14px;">&nbsp;</td>` : ''}
</tr></table></td>
<td style="padding:3px 0 3px 8px;font-size:13px;color:#1f2328;text-align:right;">${formatNumber(point.total)}${below ? ' ▼' : ''}</td>
</tr>`;
  });
  return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 4px 0;">
${rows}
</table>
<p style="margin:0 0 16px 0;font-size:13px;color:#414a52;">Last ${input.trend.length} answered sessions, total of ${max}.${band ? ` Usual range ${formatNumber(band.low)}–${formatNumber(band.high)}; red bars marked ▼ fall below it.` : ''}</p>`;
}

function alsoFired(input: AlertEmailInput): string | undefined {
  // "The client asked to talk" already has its own line below.
  const others = (input.alsoFired ?? []).filter((kind) => kind !== input.kind && kind !== 'client-asked');
  return others.length > 0 ? others.map((kind) => ALSO_FIRED[kind]).join('; ') : undefined;
}

/** Renders the alert (or, for going-quiet, the lower-key notice). */
export function renderAlertEmail(input: AlertEmailInput): RenderedEmail {
  const subject = alertSubject(input.kind, stripBidiControls(input.clientId));
  const client = clientReference(input);
  const headline = HEADLINES[input.kind];
  const prompts = input.kind === 'going-quiet' ? GOING_QUIET_PROMPTS : REPAIR_PROMPTS;
  const practice = stripBidiControls(input.practiceName);
  const comment = input.comment ? stripBidiControls(input.comment) : undefined;
  const when = input.kind === 'going-quiet' ? `Latest request: session of ${dateOnly(input.sessionEndedAt)}` : `Session of ${dateOnly(input.sessionEndedAt)}`;

  const itemLines = input.items.map(
    (item) => `${item.label}: ${formatNumber(item.value)} of ${item.max}${item.usualMean !== undefined ? ` (usually ${formatNumber(item.usualMean)})` : ''}`,
  );
  const roleLine = input.role === 'supervisor' ? 'A copy for supervision: this alert went to the client’s therapist.' : input.role === 'covering' ? 'You are covering: this alert is for a client of a colleague who is away.' : undefined;
  const text = [
    ...(roleLine ? [roleLine, ''] : []),
    `${headline} — ${client}`,
    when,
    '',
    `Why this alert: ${input.reason}`,
    ...(alsoFired(input) ? [`Also flagged: ${alsoFired(input)}`] : []),
    ...(input.mostMoved ? [`Moved most: ${input.mostMoved}`] : []),
    ...(itemLines.length > 0 ? ['', ...itemLines] : []),
    ...(input.clientAskedToTalk && input.kind !== 'client-asked' ? ['', 'The client also ticked “I’d like to talk about how therapy is going”.'] : []),
    ...(comment ? ['', 'Client’s comment:', comment] : []),
    ...(trendText(input).length > 0 ? ['', 'Trend:', ...trendText(input)] : []),
    '',
    input.kind === 'going-quiet' ? 'Ideas:' : 'One thing to try next session:',
    ...prompts.map((prompt) => `- ${prompt}`),
    '',
    'This is a prompt for a conversation, not a judgement of the therapy.',
    '',
    `Acknowledge this alert: ${input.acknowledgeUrl}`,
    '',
    `— Alliance Feedback for ${practice}`,
  ].join('\n');

  const body = emailFrame(
    { lang: 'en', title: subject, maxWidth: 600, padding: '24px', fontSize: 15 },
    html`${roleLine ? html`<p style="margin:0 0 12px 0;color:#414a52;">${roleLine}</p>` : ''}<h1 style="margin:0 0 4px 0;font-size:20px;line-height:1.3;color:#1f2328;">${headline}</h1>
<p style="margin:0 0 16px 0;color:#414a52;">${client} · ${when}</p>
<p style="margin:0 0 8px 0;"><strong>Why this alert:</strong> ${input.reason}</p>
${alsoFired(input) ? html`<p style="margin:0 0 8px 0;"><strong>Also flagged:</strong> ${alsoFired(input)}</p>` : ''}
${input.mostMoved ? html`<p style="margin:0 0 8px 0;"><strong>Moved most:</strong> ${input.mostMoved}</p>` : ''}
${
  input.items.length > 0
    ? html`<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 16px 0;">
${input.items.map(
  (item) => html`<tr><td style="padding:2px 16px 2px 0;">${item.label}</td><td style="padding:2px 16px 2px 0;"><strong>${formatNumber(item.value)}</strong> of ${item.max}</td><td style="padding:2px 0;color:#414a52;">${item.usualMean !== undefined ? `usually ${formatNumber(item.usualMean)}` : ''}</td></tr>`,
)}
</table>`
    : ''
}
${input.clientAskedToTalk && input.kind !== 'client-asked' ? html`<p style="margin:0 0 16px 0;">The client also ticked <em>“I’d like to talk about how therapy is going”</em>.</p>` : ''}
${comment ? html`<p style="margin:0 0 4px 0;"><strong>Client’s comment:</strong></p><p style="margin:0 0 16px 0;padding:8px 12px;background-color:#f4f4f2;">${comment.split('\n').map((line, index) => html`${index > 0 ? html`<br>` : ''}${line}`)}</p>` : ''}
${trendChart(input)}
<h2 style="margin:16px 0 8px 0;font-size:16px;color:#1f2328;">${input.kind === 'going-quiet' ? 'Ideas' : 'One thing to try next session'}</h2>
<ul style="margin:0 0 16px 0;padding:0 0 0 20px;">
${prompts.map((prompt) => html`<li style="margin:0 0 6px 0;">${prompt}</li>`)}
</ul>
<p style="margin:0 0 20px 0;color:#414a52;">This is a prompt for a conversation, not a judgement of the therapy.</p>
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>
<td style="background-color:#1d5c4d;"><a href="${input.acknowledgeUrl}" style="display:inline-block;padding:12px 20px;font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#ffffff;text-decoration:none;font-weight:bold;">Acknowledge this alert</a></td>
</tr></table>
<p style="margin:20px 0 0 0;font-size:13px;color:#414a52;">Alliance Feedback for ${practice}</p>`,
  );

  return { subject, text, html: body.value };
}
