/**
 * The therapist's weekly digest: every active client in one glance, most urgent first. Built like
 * the alert (nested presentation tables, inline styles: what Gmail, Outlook and Apple Mail render
 * alike), with an email-safe sparkline per client — Unicode block characters, no SVG and no images,
 * red below the client's usual range — and the same numbers in words for screen readers and the
 * text part. It names clients by the practice's label (a pseudonym by default, never the EHR id
 * unless the practice chose it), says THAT a client left a comment or asked to talk, never what,
 * and escapes every value it renders. Dates are the therapist's (their zone, else the practice's).
 */
import { CASELOAD_STATUSES, STATUS_WORDS, type CaseloadStatus } from '../caseload.ts';
import { html, type SafeHtml, stripBidiControls } from '../html.ts';
import { formatDate } from '../local-time.ts';
import { emailFrame } from './email-frame.ts';
import type { RenderedEmail } from './feedback-request-email.ts';

/** One active client's line in the digest. */
export interface DigestClient {
  /** How the digest names the client (the alert's label: "Client K7Q-3PF" by default). */
  label: string;
  status: CaseloadStatus;
  lastScore?: { total: number; endedAt: string } | undefined;
  max: number;
  /** Recent answered totals, oldest first. */
  totals: readonly number[];
  band?: { low: number; high: number } | undefined;
  /** Answers with a comment or a talk tick since the therapist last opened the trend page. */
  commentsWaiting: number;
  /** Alerts about this client not yet acknowledged. */
  openAlerts: number;
  /** When the last request went unanswered in a row (expiries since the last answer). */
  expiredInARow: number;
  /** The client's trend page, when the practice has one (the digest leaves the link out otherwise). */
  trendUrl?: string | undefined;
}

export interface DigestEmailInput {
  practiceName: string;
  therapistName?: string | undefined;
  /** When the digest is sent: its date heads it. */
  sentAt: Date;
  timeZone: string;
  clients: readonly DigestClient[];
  /** Acknowledged / sent to the therapist over the period; undefined when none was sent. */
  responseRate?: { sent: number; acknowledged: number } | undefined;
  responseRateWeeks: number;
  activeWeeks: number;
}

const DATE_LOCALE = 'en-US';
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

const STATUS_COLORS: Record<CaseloadStatus, string> = {
  'alert-open': '#b3261e',
  'gone-quiet': '#8a4b08',
  'not-repaired': '#8a4b08',
  'not-answering': '#414a52',
  watch: '#7a5b00',
  steady: '#1d5c4d',
};

function dateOnly(at: Date | string, timeZone: string): string {
  return formatDate(at, { timeZone, locale: DATE_LOCALE }).replace(/ /g, '\u00A0');
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** The sparkline's characters, one per total on the instrument's range, each flagged below the usual range or not. */
export function sparkline(totals: readonly number[], max: number, band: { low: number } | undefined): { block: string; below: boolean }[] {
  return totals.map((total) => {
    const level = max > 0 ? Math.min(BLOCKS.length - 1, Math.max(0, Math.round((total / max) * (BLOCKS.length - 1)))) : 0;
    return { block: BLOCKS[level]!, below: band !== undefined && total < band.low };
  });
}

function sparklineHtml(client: DigestClient): SafeHtml {
  if (client.totals.length === 0) return html`<span style="color:#414a52;">no answers yet</span>`;
  const points = sparkline(client.totals, client.max, client.band);
  // Runs of one colour share a span: 30 clients stay far below Gmail's 102 KB clipping.
  const runs: { below: boolean; text: string }[] = [];
  for (const point of points) {
    const last = runs.at(-1);
    if (last && last.below === point.below) last.text += point.block;
    else runs.push({ below: point.below, text: point.block });
  }
  const spoken = `Last ${client.totals.length} totals: ${client.totals.map(formatNumber).join(', ')} of ${client.max}${client.band ? `; usual ${formatNumber(client.band.low)}–${formatNumber(client.band.high)}` : ''}`;
  return html`<span role="img" aria-label="${spoken}" style="font-family:Arial,Helvetica,sans-serif;font-size:16px;letter-spacing:1px;">${runs.map((run) => html`<span style="color:${run.below ? '#b3261e' : '#5b7f73'};">${run.text}</span>`)}</span>`;
}

function lastScoreText(client: DigestClient, timeZone: string): string {
  if (!client.lastScore) return 'no answer yet';
  return `${formatNumber(client.lastScore.total)} of ${client.max}, ${dateOnly(client.lastScore.endedAt, timeZone)}`;
}

function usualText(client: DigestClient): string | undefined {
  return client.band ? `usual ${formatNumber(client.band.low)}–${formatNumber(client.band.high)}` : undefined;
}

function notes(client: DigestClient): string[] {
  return [
    ...(client.openAlerts > 0 ? [`${client.openAlerts} alert${client.openAlerts === 1 ? '' : 's'} not acknowledged`] : []),
    ...(client.commentsWaiting > 0 ? [`comment or request to talk waiting (${client.commentsWaiting})`] : []),
    ...(client.expiredInARow > 0 ? [`${client.expiredInARow} request${client.expiredInARow === 1 ? '' : 's'} unanswered in a row`] : []),
  ];
}

/** Clients most urgent first, then by label. */
export function orderClients(clients: readonly DigestClient[]): DigestClient[] {
  return [...clients].sort((a, b) => CASELOAD_STATUSES.indexOf(a.status) - CASELOAD_STATUSES.indexOf(b.status) || a.label.localeCompare(b.label));
}

export function digestSubject(input: Pick<DigestEmailInput, 'clients'>): string {
  const open = input.clients.reduce((sum, client) => sum + client.openAlerts, 0);
  const comments = input.clients.filter((client) => client.commentsWaiting > 0).length;
  const parts = [`${input.clients.length} active client${input.clients.length === 1 ? '' : 's'}`];
  if (open > 0) parts.push(`${open} alert${open === 1 ? '' : 's'} open`);
  if (comments > 0) parts.push(`${comments} with comments waiting`);
  return `Your weekly digest — ${parts.join(', ')}`;
}

function responseText(input: DigestEmailInput): string {
  const period = `the last ${input.responseRateWeeks} week${input.responseRateWeeks === 1 ? '' : 's'}`;
  if (!input.responseRate) return `No alerts were sent to you in ${period}.`;
  const { sent, acknowledged } = input.responseRate;
  return `You acknowledged ${acknowledged} of ${sent} alert${sent === 1 ? '' : 's'} sent to you in ${period} (${Math.round((100 * acknowledged) / sent)}%).`;
}

export function renderDigestEmail(input: DigestEmailInput): RenderedEmail {
  const clients = orderClients(input.clients).map((client) => ({ ...client, label: stripBidiControls(client.label) }));
  const subject = digestSubject(input);
  const practice = stripBidiControls(input.practiceName);
  const greeting = input.therapistName ? `Hello ${stripBidiControls(input.therapistName)},` : 'Hello,';
  const openAlerts = clients.filter((client) => client.openAlerts > 0);
  const withComments = clients.filter((client) => client.commentsWaiting > 0);
  const heading = `Week of ${dateOnly(input.sentAt, input.timeZone)} · ${clients.length} active client${clients.length === 1 ? '' : 's'}`;
  const scope = `Active: a session in the last ${input.activeWeeks} weeks. Scores are totals of ${clients[0]?.max ?? 40}.`;
  const legend = `${scope} ▁ to █ are the recent totals, red below the client’s usual range.`;
  const alertsLine =
    openAlerts.length === 0 ? 'No alerts are waiting for your acknowledgement.' : `Alerts not yet acknowledged: ${openAlerts.map((client) => `${client.label} (${client.openAlerts})`).join(', ')}.`;
  const commentsLine =
    withComments.length === 0
      ? undefined
      : `${withComments.length} client${withComments.length === 1 ? '' : 's'} left a comment or asked to talk since you last opened their trend page: ${withComments.map((client) => client.label).join(', ')}. Their words are on the trend page, not in this email.`;

  const text = [
    greeting,
    '',
    heading,
    '',
    alertsLine,
    ...(commentsLine ? [commentsLine] : []),
    responseText(input),
    '',
    ...clients.flatMap((client) => [
      `${client.label} — ${STATUS_WORDS[client.status]}`,
      `  Last: ${lastScoreText(client, input.timeZone)}${usualText(client) ? ` (${usualText(client)})` : ''}`,
      ...(client.totals.length > 0 ? [`  Recent totals: ${client.totals.map(formatNumber).join(', ')}`] : []),
      ...notes(client).map((note) => `  ${note}`),
      ...(client.trendUrl ? [`  Trend: ${client.trendUrl}`] : []),
      '',
    ]),
    scope,
    '',
    `— Alliance Feedback for ${practice}`,
  ].join('\n');

  const rows = clients.map(
    (client) => html`<tr>
<td style="padding:10px 8px 10px 0;border-top:1px solid #e3e5e6;vertical-align:top;">${client.trendUrl ? html`<a href="${client.trendUrl}" style="color:#1d5c4d;font-weight:bold;">${client.label}</a>` : html`<strong>${client.label}</strong>`}<br><span style="font-size:13px;color:${STATUS_COLORS[client.status]};font-weight:bold;">${STATUS_WORDS[client.status]}</span>${notes(client).map((note) => html`<br><span style="font-size:13px;color:#414a52;">${note}</span>`)}</td>
<td style="padding:10px 0;border-top:1px solid #e3e5e6;vertical-align:top;text-align:right;">${sparklineHtml(client)}<br><span style="font-size:13px;color:#1f2328;">${lastScoreText(client, input.timeZone)}</span>${usualText(client) ? html`<br><span style="font-size:12px;color:#414a52;">${usualText(client)}</span>` : ''}</td>
</tr>`,
  );
  const body = emailFrame(
    { lang: 'en', title: 'Your weekly digest', maxWidth: 640, padding: '24px', fontSize: 15 },
    html`<h1 style="margin:0 0 4px 0;font-size:20px;line-height:1.3;color:#1f2328;">Your weekly digest</h1>
<p style="margin:0 0 16px 0;color:#414a52;">${heading}</p>
<p style="margin:0 0 8px 0;">${greeting}</p>
<p style="margin:0 0 8px 0;">${alertsLine}</p>
${commentsLine ? html`<p style="margin:0 0 8px 0;">${commentsLine}</p>` : ''}
<p style="margin:0 0 16px 0;">${responseText(input)}</p>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 16px 0;">
${rows}
</table>
<p style="margin:0 0 0 0;font-size:12px;color:#414a52;">${legend}</p>
<p style="margin:20px 0 0 0;font-size:13px;color:#414a52;">Alliance Feedback for ${practice}</p>`,
  );
  return { subject, text, html: body.value };
}
