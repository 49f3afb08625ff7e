/**
 * The therapist's alert email. Written to be triaged from the inbox and understood in ten seconds
 * between sessions: the subject says what kind of alert it is in plain words and names the client
 * by the label the practice chose (a pseudonym by default, so no EHR id shows on lock screens);
 * the first sentence says what happened in a clinician's words; the prompts fit the kind; the
 * statistics come last, in a small "How this was judged" line. The body names the client by the
 * same label (and first name only when the practice enables it): never their EHR id (unless the
 * practice chose it as the label) nor their email address; the trend page behind the "Open …’s
 * trend" link shows the id. When the client left a comment or ticked "talk", the email says so and
 * that it is read on the trend page; the text itself only when the practice allows comments in
 * email. Every value it renders is escaped.
 */
import { html, SafeHtml, stripBidiControls } from '../html.ts';
import type { AlertKind } from '../../events/contracts.ts';
import { formatDate } from '../local-time.ts';
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
  /** The EHR's id: not rendered (the trend page shows it); kept for whoever builds the input. */
  clientId: string;
  /** How the subject names the client (alertClientLabel): "Client K7Q-3PF", "client c-1042" or a first name. */
  clientLabel: string;
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
  /** Whether the client left a comment (told even when its text stays out of email). */
  hasComment?: boolean | undefined;
  /** The client's trend page for this recipient (`…/t/{token}`), where their words are read. */
  trendUrl?: string | undefined;
  clientAskedToTalk: boolean;
  acknowledgeUrl: string;
  /** The IANA zone the therapist reads dates in: theirs from the directory, else the practice's. */
  timeZone: string;
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

// The kind in plain words: its own small module, so the trend page (web function) needs no email template.
export { KIND_WORDS } from './kind-words.ts';
import { KIND_WORDS } from './kind-words.ts';

const HEADLINES: Record<AlertKind, string> = {
  rupture: 'The alliance dropped well below this client’s usual level',
  'sustained-decline': 'The alliance has been slipping for several sessions',
  'item-drop': 'One part of the alliance dropped sharply',
  'low-rating': 'This client rated the session low',
  'client-asked': 'Your client would like to talk about how therapy is going',
  unrepaired: 'The earlier drop has not come back',
  'going-quiet': 'This client has not answered the last feedback requests',
};

/**
 * Repair prompts per kind, in the product's own words, from the repair guidance in the product's
 * alliance notes (name it gently and invite more; listen and validate before explaining, own your
 * part; explore first, change later; re-check goals and methods together; clients under-report, so
 * ask directly). Each kind gets the prompts that fit what happened.
 */
const PROMPTS: Record<AlertKind, (input: AlertEmailInput) => readonly string[]> = {
  rupture: () => [
    'Early in the next session, mention that their check-in came out lower than usual and ask, with curiosity, what the session was like for them.',
    'Hear it out before explaining anything; if something you did played a part, say so plainly.',
    'Stay with understanding what happened in this session first; changes to the plan can come later.',
  ],
  'sustained-decline': () => [
    'Look back together: ask how the last few sessions have felt compared with earlier ones.',
    'Check that you still agree on what you are working toward and how; give the reason behind your approach, or adjust it with them.',
    'Ask directly about small things that have not sat right: clients often mention them only when asked.',
  ],
  'item-drop': (input) => [
    `Ask about ${input.mostMoved ? `“${input.mostMoved}”` : 'that one part'} specifically, rather than about the session in general: what felt different this time?`,
    'If it is the goals or the way you work, revisit them together: explain the reason behind what you are doing, or change it with them.',
    'If it is the relationship, listen and validate before anything else, and acknowledge your own part plainly.',
  ],
  'low-rating': () => [
    'Ask openly what did not work about this session and what would make the next one more useful.',
    'Listen without defending, and thank them for saying it: honest low ratings are what make the check-in worth having.',
    'Re-check goals and approach together: give the reason for what you are doing, or adjust it with them.',
  ],
  'client-asked': () => [
    'Make room for it early in the next session: say you saw their request and ask what they would like to talk about.',
    'Follow their lead and listen before responding; good scores do not mean nothing is on their mind.',
    'Agree together on anything you change, and check at the end of the session how the conversation felt.',
  ],
  unrepaired: () => [
    'The earlier drop has not come back on its own: raise it directly and ask whether anything from that time is still with them.',
    'Revisit goals and the way you work together; adjusting them with the client is part of the repair.',
    'Consider talking it through in supervision or consultation.',
  ],
  'going-quiet': () => [
    'Ask in session whether the check-in still works for them; answering is always optional.',
    'Silence can mean busy, or it can mean something did not sit right: a light, open question covers both.',
  ],
};

/** The repair prompts the alert of this kind offers. */
export function repairPrompts(input: AlertEmailInput): readonly string[] {
  return PROMPTS[input.kind](input);
}

/** The therapist reads the alert in English, in their own zone (local-time.ts keeps the formatters). */
const ALERT_DATE_LOCALE = 'en-US';

/**
 * A short date in the therapist's zone (a US evening session is dated that day, not the next),
 * whose parts never wrap apart (no-break spaces: `white-space` is unsupported in Outlook).
 */
function dateOnly(iso: string, timeZone: string): string {
  return formatDate(iso, { timeZone, locale: ALERT_DATE_LOCALE }).replace(/ /g, '\u00A0');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * The subject: the kind in plain words and the practice's chosen client label (a pseudonym by
 * default): subjects show on lock screens and in shared inboxes, so they carry no EHR id unless
 * the practice chose that.
 */
export function alertSubject(kind: AlertKind, clientLabel: string): string {
  const label = stripBidiControls(clientLabel).replace(/[\r\n\u0000\u2028\u2029]+/g, ' ');
  return kind === 'going-quiet' ? `Feedback check-in: ${KIND_WORDS[kind]} — ${label}` : `Alliance alert: ${KIND_WORDS[kind]} — ${label}`;
}

/** The body names the client by the subject's label (first name beside it only when allowed); never by the EHR id unless that is the label. */
function clientReference(input: AlertEmailInput): string {
  const label = stripBidiControls(input.clientLabel);
  const firstName = input.clientFirstName ? stripBidiControls(input.clientFirstName) : undefined;
  return firstName !== undefined && firstName !== label ? `${label} (${firstName})` : label;
}

/** "Open Client K7Q-3PF’s trend": the link to the page with the id, every session and the client's words. */
function trendLinkText(input: AlertEmailInput): string {
  return `Open ${stripBidiControls(input.clientLabel)}’s trend`;
}

/**
 * What the client said besides the numbers, told without the words themselves: a ticked "talk"
 * (unless that is the alert) and a comment, each to be read on the trend page.
 */
function wordsNotice(input: AlertEmailInput): string | undefined {
  const where = input.trendUrl ? 'on the trend page' : 'in the practice’s records';
  const talk = input.clientAskedToTalk && input.kind !== 'client-asked';
  if (input.hasComment && input.comment === undefined) {
    return talk
      ? `The client also ticked “I’d like to talk about how therapy is going” and left a comment: read it ${where} (comments stay out of email).`
      : `The client left a comment: read it ${where} (comments stay out of email).`;
  }
  if (talk) return `The client also ticked “I’d like to talk about how therapy is going”${input.hasComment ? `; their comment is below and ${where}` : ''}.`;
  if (input.hasComment) return `The client left a comment (below, and ${where}).`;
  return undefined;
}

/** A band bound as the clinician reads it: whole points, unless rounding would put the score inside the band. */
function bound(value: number, score: number, side: 'low' | 'high'): string {
  const rounded = Math.round(value);
  const misleading = side === 'low' ? score < value && rounded <= score : score > value && rounded >= score;
  return formatNumber(misleading ? Math.round(value * 10) / 10 : rounded);
}

function usualBand(score: number, band: { low: number; high: number }): string {
  return `${bound(band.low, score, 'low')}–${bound(band.high, score, 'high')}`;
}

/** The item that fell furthest below its own usual value (as a share of its scale). */
function droppedItem(input: AlertEmailInput): AlertEmailInput['items'][number] | undefined {
  const named = input.items.find((item) => item.label === input.mostMoved && item.usualMean !== undefined);
  if (named) return named;
  let worst: AlertEmailInput['items'][number] | undefined;
  for (const item of input.items) {
    if (item.usualMean === undefined) continue;
    if (!worst || (item.usualMean - item.value) / item.max > (worst.usualMean! - worst.value) / worst.max) worst = item;
  }
  return worst;
}

/**
 * The first sentence: what happened, in a clinician's words ("27 of 40 — far below this client's
 * usual 36–40"). The statistics behind it are in the "How this was judged" line.
 */
export function alertSummary(input: AlertEmailInput): string {
  const total = input.total;
  if (input.kind === 'going-quiet' || !total) {
    if (input.kind === 'client-asked') return 'Your client ticked “I’d like to talk about how therapy is going”.';
    return input.reason;
  }
  const score = `${formatNumber(total.value)} of ${total.max}`;
  const band = input.band;
  // The band is named only where it says something true: "below" only for a score below it.
  const usual = band && total.value < band.low ? usualBand(total.value, band) : undefined;
  switch (input.kind) {
    case 'rupture':
      return usual ? `${score} — far below this client’s usual ${usual}.` : `${score} — a sharp drop from this client’s usual level.`;
    case 'sustained-decline':
      return usual ? `${score} — lower than this client’s usual ${usual}, several sessions in a row.` : `${score} — lower than this client’s earlier level, several sessions in a row.`;
    case 'item-drop': {
      const item = droppedItem(input);
      if (!item) return `${score} — one part of the alliance dropped sharply.`;
      return `“${item.label}” ${formatNumber(item.value)} of ${item.max} — far below this client’s usual ${formatNumber(item.usualMean!)}; the total was ${score}.`;
    }
    case 'low-rating':
      return usual ? `${score} — a very low rating; this client usually gives ${usual}.` : `${score} — a very low rating for this session.`;
    case 'client-asked': {
      const range = band ? usualBand(total.value, band) : '';
      const where = band ? (total.value < band.low ? `, below their usual ${range}` : total.value > band.high ? `, above their usual ${range}` : `, within their usual ${range}`) : '';
      return `Your client ticked “I’d like to talk about how therapy is going”; this session’s total was ${score}${where}.`;
    }
    case 'unrepaired':
      return usual ? `${score} — still below this client’s usual ${usual} since the earlier alert.` : `${score} — still not back to this client’s usual level since the earlier alert.`;
  }
}

function trendText(input: AlertEmailInput): string[] {
  if (input.trend.length === 0 || !input.total) return [];
  const max = input.total.max;
  const band = input.band;
  return input.trend.map((point) => {
    const where = band ? (point.total < band.low ? ' — below usual range' : '') : '';
    return `  ${dateOnly(point.endedAt, input.timeZone)}: ${formatNumber(point.total)} of ${max}${where}${point.current ? '  ← this session' : ''}`;
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
<td style="padding:3px 8px 3px 0;font-size:13px;color:#414a52;">${dateOnly(point.endedAt, input.timeZone)}${point.current ? html` <strong>(this)</strong>` : ''}</td>
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
  const subject = alertSubject(input.kind, input.clientLabel);
  const client = clientReference(input);
  const headline = HEADLINES[input.kind];
  const summary = alertSummary(input);
  // Going quiet's reason is already its summary; every other kind's numbers are told last.
  const judged = input.kind === 'going-quiet' || summary === input.reason ? undefined : input.reason;
  const prompts = repairPrompts(input);
  const practice = stripBidiControls(input.practiceName);
  const comment = input.comment ? stripBidiControls(input.comment) : undefined;
  const when = input.kind === 'going-quiet' ? `Latest request: session of ${dateOnly(input.sessionEndedAt, input.timeZone)}` : `Session of ${dateOnly(input.sessionEndedAt, input.timeZone)}`;

  const itemLines = input.items.map(
    (item) => `${item.label}: ${formatNumber(item.value)} of ${item.max}${item.usualMean !== undefined ? ` (usually ${formatNumber(item.usualMean)})` : ''}`,
  );
  const roleLine = input.role === 'supervisor' ? 'A copy for supervision: this alert went to the client’s therapist.' : input.role === 'covering' ? 'You are covering: this alert is for a client of a colleague who is away.' : undefined;
  const text = [
    ...(roleLine ? [roleLine, ''] : []),
    `${headline} — ${client}`,
    when,
    '',
    summary,
    ...(alsoFired(input) ? [`Also flagged: ${alsoFired(input)}`] : []),
    ...(input.mostMoved ? [`Moved most: ${input.mostMoved}`] : []),
    ...(itemLines.length > 0 ? ['', ...itemLines] : []),
    ...(wordsNotice(input) ? ['', wordsNotice(input)!] : []),
    ...(comment ? ['', 'Client’s comment:', comment] : []),
    ...(trendText(input).length > 0 ? ['', 'Trend:', ...trendText(input)] : []),
    '',
    input.kind === 'going-quiet' ? 'Ideas:' : 'Ideas for the next session (one is enough):',
    ...prompts.map((prompt) => `- ${prompt}`),
    '',
    'This is a prompt for a conversation, not a judgement of the therapy.',
    '',
    ...(input.trendUrl ? [`${trendLinkText(input)} (every session, the usual range, comments): ${input.trendUrl}`, ''] : []),
    `Acknowledge this alert: ${input.acknowledgeUrl}`,
    '',
    ...(judged ? [`How this was judged: ${judged}`, ''] : []),
    `— Alliance Feedback for ${practice}`,
  ].join('\n');

  const body = emailFrame(
    { lang: 'en', title: subject, maxWidth: 600, padding: '24px', fontSize: 15 },
    html`${roleLine ? html`<p style="margin:0 0 12px 0;color:#414a52;">${roleLine}</p>` : ''}<h1 style="margin:0 0 4px 0;font-size:20px;line-height:1.3;color:#1f2328;">${headline}</h1>
<p style="margin:0 0 16px 0;color:#414a52;">${client} · ${when}</p>
<p style="margin:0 0 8px 0;font-size:16px;">${summary}</p>
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
${wordsNotice(input) ? html`<p style="margin:0 0 16px 0;">${wordsNotice(input)}</p>` : ''}
${comment ? html`<p style="margin:0 0 4px 0;"><strong>Client’s comment:</strong></p><p style="margin:0 0 16px 0;padding:8px 12px;background-color:#f4f4f2;">${comment.split('\n').map((line, index) => html`${index > 0 ? html`<br>` : ''}${line}`)}</p>` : ''}
${trendChart(input)}
<h2 style="margin:16px 0 8px 0;font-size:16px;color:#1f2328;">${input.kind === 'going-quiet' ? 'Ideas' : 'Ideas for the next session (one is enough)'}</h2>
<ul style="margin:0 0 16px 0;padding:0 0 0 20px;">
${prompts.map((prompt) => html`<li style="margin:0 0 6px 0;">${prompt}</li>`)}
</ul>
<p style="margin:0 0 20px 0;color:#414a52;">This is a prompt for a conversation, not a judgement of the therapy.</p>
${input.trendUrl ? html`<p style="margin:0 0 16px 0;"><a href="${input.trendUrl}" style="color:#1d5c4d;font-weight:bold;">${trendLinkText(input)}</a> — every session, the usual range and the client’s comments.</p>` : ''}
<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr>
<td style="background-color:#1d5c4d;"><a href="${input.acknowledgeUrl}" style="display:inline-block;padding:12px 20px;font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#ffffff;text-decoration:none;font-weight:bold;">Acknowledge this alert</a></td>
</tr></table>
${judged ? html`<p style="margin:20px 0 0 0;font-size:12px;color:#414a52;"><strong>How this was judged:</strong> ${judged}</p>` : ''}
<p style="margin:20px 0 0 0;font-size:13px;color:#414a52;">Alliance Feedback for ${practice}</p>`,
  );

  return { subject, text, html: body.value };
}
