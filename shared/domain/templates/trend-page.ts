/**
 * A client's trend page (GET /t/{token}): the therapist's chart-ready record of the client's last
 * 26 sessions — totals and items, the usual range each was judged against, alerts with when they
 * were acknowledged, the "talk" tick and the client's comments — readable on a phone and printed
 * on one A4 or Letter page. Therapist-facing, so in English like the alert; every date in the
 * reader's zone (local-time.ts). Every value from people or other systems is escaped (`html`), and
 * loses bidi controls where it could reorder a sentence.
 *
 * No script, no external request: one inline stylesheet allowed by its hash (TREND_CSS_HASH: the
 * page's own CSP), and the chart as inline SVG with the same numbers in the table for screen
 * readers (the SVG is an image with a title and a description saying so).
 */
import { createHash } from 'node:crypto';
import { leadingAlertKind, type AlertKind } from '../../events/contracts.ts';
import type { RecipientRole } from '../alert-recipients.ts';
import { html, stripBidiControls, type SafeHtml } from '../html.ts';
import { formatDate, formatDateTime, type Reader } from '../local-time.ts';
import { KIND_WORDS } from './kind-words.ts';
import { pageFrame } from './page-frame.ts';

/** One session of the page, newest first as the page lists them. */
export interface TrendRow {
  sessionId: string;
  endedAt: string;
  kind: 'answered' | 'expired';
  total?: number | undefined;
  max?: number | undefined;
  /** Raw answers by item id. */
  items?: Record<string, number> | undefined;
  band?: { low: number; high: number } | undefined;
  state?: string | undefined;
  alerts: AlertKind[];
  /** When the responsible clinician was emailed each kind. */
  alertsSent: Partial<Record<AlertKind, string>>;
  /** When a kind was routed to the therapist's weekly digest instead of an email (unrepairedEmailsTherapist off); absent on rows from before it was recorded. */
  alertsInDigest?: Partial<Record<AlertKind, string>> | undefined;
  acknowledged: Partial<Record<AlertKind, string>>;
  talk: boolean;
  comment?: string | undefined;
}

export interface TrendPageInput {
  practiceName: string;
  clientId: string;
  /** Only where the practice allows it (trendShowsFirstName). */
  firstName?: string | undefined;
  /** The reader's zone: every date is shown in it. */
  timeZone: string;
  /** Whose link opened the page (unset: the therapist's own): "your digest" is only the therapist's. */
  readerRole?: RecipientRole | undefined;
  /** The instrument's items as columns (its short labels), in order. */
  itemColumns: { id: string; label: string }[];
  /** The items' scale, for the note under the table. */
  itemRange: { min: number; max: number };
  /** Newest first. */
  rows: TrendRow[];
  /** When the link stops opening the page. */
  linkExpiresAt: string;
  /** When the page was rendered (its "as of"). */
  now: Date;
}

export const TREND_CSS = [
  '*{box-sizing:border-box}',
  'body{margin:0;background:#f4f4f2;color:#1f2328;font:1rem/1.45 system-ui,sans-serif;-webkit-text-size-adjust:100%}',
  'main{max-width:60rem;margin:0 auto;padding:1rem .75rem 2rem;background:#fff}',
  'h1{font-size:1.375rem;line-height:1.25;margin:0 0 .25rem}',
  'h2{font-size:1.0625rem;margin:1.25rem 0 .5rem}',
  'p{margin:0 0 .75rem}',
  '.from,.meta,.note{color:#414a52}',
  '.from{font-weight:600;margin:0 0 .25rem}',
  '.meta,.note{font-size:.875rem}',
  '.summary{margin:0 0 .75rem;padding:0;list-style:none}',
  '.summary li{margin:0 0 .25rem}',
  'figure{margin:0 0 .5rem}',
  'svg{display:block;width:100%;height:auto;max-height:16rem}',
  '.band{fill:#dcebe5}',
  '.grid{stroke:#c9cdd1;stroke-width:1}',
  '.line{fill:none;stroke:#1d5c4d;stroke-width:2}',
  '.dot{fill:#1d5c4d}',
  '.hit{fill:#a4231b}',
  '.miss{fill:#fff;stroke:#5b636b;stroke-width:1.5}',
  '.axis{fill:#414a52;font-size:14px}',
  '.key{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0 0 .5rem;padding:0;list-style:none;font-size:.875rem;color:#414a52}',
  '.key span{display:inline-block;width:.75rem;height:.75rem;margin-right:.375rem;vertical-align:-.0625rem;border-radius:50%}',
  '.key .k-band{background:#dcebe5;border-radius:0}',
  '.key .k-dot{background:#1d5c4d}',
  '.key .k-hit{background:#a4231b}',
  '.key .k-miss{border:1.5px solid #5b636b}',
  '.scroll{overflow-x:auto;margin:0 0 .5rem}',
  '.scroll:focus-visible{outline:3px solid #1d5c4d;outline-offset:2px}',
  'table{border-collapse:collapse;font-size:.875rem;min-width:100%}',
  'caption{text-align:left;font-weight:600;padding:0 0 .25rem}',
  'th,td{padding:.3rem .45rem;border-bottom:1px solid #dcdfe2;text-align:right;vertical-align:top;white-space:nowrap}',
  'th:first-child,td:first-child,.alerts{text-align:left}',
  'thead th{border-bottom:2px solid #5b636b}',
  '.alerts{white-space:normal;min-width:11rem}',
  '.low{color:#a4231b;font-weight:700}',
  '.words{margin:0;padding:0;list-style:none}',
  '.words li{margin:0 0 .75rem;padding:0 0 .75rem;border-bottom:1px solid #dcdfe2}',
  '.words .when{font-weight:600;margin:0}',
  '.words q{quotes:none}',
  '.comment{margin:.25rem 0 0;white-space:pre-line;overflow-wrap:anywhere}',
  // One page: small type, the chart shorter, comments in two columns and at most three lines each.
  '@page{margin:10mm}',
  '@media print{body{background:#fff;font-size:8pt;line-height:1.2}main{max-width:none;padding:0}h1{font-size:11.5pt}h2{font-size:9pt;margin:.25rem 0 .1rem}p,.summary li{margin:0 0 .1rem}.summary{margin:0 0 .15rem}.meta,.note,.key{font-size:7pt}.key{margin:0}svg{max-height:30mm}table{font-size:7.5pt}th,td{padding:.03rem .25rem}.scroll{overflow:visible;margin:0}.words{columns:2;column-gap:6mm;font-size:7pt}.words li{break-inside:avoid;margin:0 0 .1rem;padding:0 0 .1rem}.comment{margin:0;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:3;overflow:hidden;white-space:normal}.screen{display:none}}',
  '@media (forced-colors:active){.band{fill:Canvas;stroke:CanvasText;stroke-dasharray:2 2}.line{stroke:CanvasText}.dot,.hit{fill:CanvasText}}',
].join('');

/** The CSP source that allows exactly the trend page's stylesheet. */
export const TREND_CSS_HASH = `'sha256-${createHash('sha256').update(TREND_CSS, 'utf8').digest('base64')}'`;

/** The therapist reads in English (like the alert), in their zone. */
const LOCALE = 'en-US';

const STATE_WORDS: Record<string, string> = {
  'insufficient-baseline': 'no usual range yet',
  normal: 'within usual',
  watch: 'watch',
  alert: 'alert',
  continuing: 'still low',
  repaired: 'back to usual',
  unrepaired: 'not repaired',
};

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function band(row: TrendRow): string {
  return row.band ? `${Math.round(row.band.low)}–${Math.round(row.band.high)}` : '—';
}

function isBelow(row: TrendRow): boolean {
  return row.total !== undefined && row.band !== undefined && row.total < row.band.low;
}

/**
 * The alerts of one session with what became of them, in words, from the row's marks only:
 * acknowledged; emailed and not acknowledged; shown in the therapist's weekly digest instead of an
 * email (the unrepaired escalation by default, alert-recipients.ts); named in the email of the
 * session's leading kind (one email per session, evaluate-feedback.ts `announce`). Without a mark
 * the alert was not emailed yet: it is queued or being retried, waits for its therapist's
 * registration, or failed (the dead-letter queue); also shown for the rare email whose mark failed
 * after sending (send-alert.ts does not retry it).
 */
function alertWords(row: TrendRow, reader: Reader, readerRole: RecipientRole): SafeHtml {
  if (row.alerts.length === 0) return html`${row.kind === 'answered' && row.state ? (STATE_WORDS[row.state] ?? row.state) : ''}`;
  const leading = leadingAlertKind(row.alerts);
  return html`${row.alerts.map(
    (kind, index) => html`${index > 0 ? html`<br>` : ''}<strong>${KIND_WORDS[kind]}</strong> · ${alertStatus(row, kind, leading, reader, readerRole)}`,
  )}`;
}

function alertStatus(row: TrendRow, kind: AlertKind, leading: AlertKind | undefined, reader: Reader, readerRole: RecipientRole): string {
  const acknowledged = row.acknowledged[kind];
  if (acknowledged) return `acknowledged ${formatDateTime(acknowledged, reader)}`;
  if (row.alertsSent[kind] !== undefined) return 'not acknowledged';
  if (row.alertsInDigest?.[kind] !== undefined) {
    return readerRole === 'therapist' ? 'in your weekly digest, not emailed' : 'in the therapist’s weekly digest, not emailed to them';
  }
  if (leading !== undefined && kind !== leading) return `with the ${KIND_WORDS[leading]} alert`;
  return 'not emailed yet';
}

/**
 * The chart: totals oldest to newest, the usual range as a band, alert sessions in red,
 * unanswered requests as hollow marks on the axis. An image to assistive technology, whose
 * description points to the table with the same numbers.
 */
function chart(rows: readonly TrendRow[], reader: Reader): SafeHtml {
  const points = [...rows].reverse();
  const max = rows.find((row) => row.max !== undefined)?.max ?? 40;
  const [width, height, left, right, top, bottom] = [400, 220, 30, 8, 10, 26];
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const x = (index: number) => left + (points.length === 1 ? plotWidth / 2 : (index * plotWidth) / (points.length - 1));
  const y = (value: number) => top + plotHeight - (Math.max(0, Math.min(max, value)) / max) * plotHeight;
  const fixed = (value: number) => value.toFixed(1);

  const banded = points.map((row, index) => ({ row, index })).filter(({ row }) => row.band !== undefined);
  const bandPath =
    banded.length > 0
      ? `M${banded.map(({ row, index }) => `${fixed(x(index))},${fixed(y(row.band!.high))}`).join('L')}L${[...banded]
          .reverse()
          .map(({ row, index }) => `${fixed(x(index))},${fixed(y(row.band!.low))}`)
          .join('L')}Z`
      : '';
  // The line breaks at an unanswered request.
  const segments: string[] = [];
  let current: string[] = [];
  points.forEach((row, index) => {
    if (row.total === undefined) {
      if (current.length > 0) segments.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${fixed(x(index))},${fixed(y(row.total))}`);
  });
  if (current.length > 0) segments.push(current.join(' '));

  const answered = points.filter((row) => row.total !== undefined);
  const first = points[0];
  const last = points.at(-1);
  const description = `${answered.length} answered sessions and ${points.length - answered.length} unanswered requests${
    first && last ? ` from ${formatDate(first.endedAt, reader)} to ${formatDate(last.endedAt, reader)}` : ''
  }; totals of ${max}. The table below lists the same numbers.`;
  return html`<svg viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title chart-desc" focusable="false">
<title id="chart-title">Total score per session, with the usual range</title>
<desc id="chart-desc">${description}</desc>
${[0, max / 2, max].map((tick) => html`<line class="grid" x1="${left}" x2="${width - right}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}"/><text class="axis" x="${left - 6}" y="${fixed(y(tick) + 4)}" text-anchor="end">${number(tick)}</text>`)}
${bandPath ? html`<path class="band" d="${bandPath}"/>` : ''}
${segments.map((segment) => (segment.includes(' ') ? html`<polyline class="line" points="${segment}"/>` : ''))}
${points.map((row, index) =>
  row.total === undefined
    ? html`<circle class="miss" cx="${fixed(x(index))}" cy="${fixed(y(0))}" r="4"/>`
    : html`<circle class="${row.alerts.length > 0 ? 'hit' : 'dot'}" cx="${fixed(x(index))}" cy="${fixed(y(row.total))}" r="${row.alerts.length > 0 ? 6 : 4}"/>`,
)}
${first ? html`<text class="axis" x="${left}" y="${height - 6}">${formatDate(first.endedAt, reader)}</text>` : ''}
${last && points.length > 1 ? html`<text class="axis" x="${width - right}" y="${height - 6}" text-anchor="end">${formatDate(last.endedAt, reader)}</text>` : ''}
</svg>`;
}

function table(input: TrendPageInput, reader: Reader): SafeHtml {
  const columns = input.itemColumns;
  const role = input.readerRole ?? 'therapist';
  return html`<div class="scroll" tabindex="0" role="region" aria-labelledby="sessions-caption">
<table>
<caption id="sessions-caption">Sessions, newest first</caption>
<thead><tr><th scope="col">Session</th><th scope="col">Total</th>${columns.map((column) => html`<th scope="col">${column.label}</th>`)}<th scope="col">Usual</th><th scope="col" class="alerts">Judged · alerts</th></tr></thead>
<tbody>
${input.rows.map((row) =>
  row.kind === 'expired'
    ? html`<tr><th scope="row">${formatDate(row.endedAt, reader)}</th><td colspan="${columns.length + 2}">not answered</td><td class="alerts">${alertWords(row, reader, role)}</td></tr>\n`
    : html`<tr><th scope="row">${formatDate(row.endedAt, reader)}</th><td${isBelow(row) ? html` class="low"` : ''}>${row.total !== undefined ? `${number(row.total)}${isBelow(row) ? ' ▼' : ''}` : '—'}</td>${columns.map((column) => {
        const value = row.items?.[column.id];
        return html`<td>${value === undefined ? '—' : number(value)}</td>`;
      })}<td>${band(row)}</td><td class="alerts">${alertWords(row, reader, role)}</td></tr>\n`,
)}</tbody>
</table>
</div>`;
}

function words(input: TrendPageInput, reader: Reader): SafeHtml {
  const said = input.rows.filter((row) => row.talk || row.comment !== undefined);
  if (said.length === 0) return html`<p>No comments and no requests to talk in these sessions.</p>`;
  return html`<ul class="words">
${said.map(
  (row) => html`<li><p class="when">${formatDate(row.endedAt, reader)}${row.talk ? html` · <strong>asked to talk about how therapy is going</strong>` : ''}</p>${
    row.comment !== undefined ? html`<p class="comment"><q>${stripBidiControls(row.comment)}</q></p>` : ''
  }</li>\n`,
)}</ul>`;
}

function summary(input: TrendPageInput, reader: Reader): SafeHtml {
  const latest = input.rows.find((row) => row.total !== undefined);
  const open = input.rows.flatMap((row) => row.alerts.filter((kind) => row.alertsSent[kind] !== undefined && row.acknowledged[kind] === undefined).map((kind) => ({ kind, row })));
  const commented = input.rows.filter((row) => row.comment !== undefined).length;
  const talk = input.rows.filter((row) => row.talk).length;
  return html`<ul class="summary">
${latest ? html`<li>Latest answer: <strong>${number(latest.total!)} of ${latest.max ?? ''}</strong> on ${formatDate(latest.endedAt, reader)}${latest.band ? `; usual range then ${band(latest)}` : ''}.</li>` : html`<li>No answers yet.</li>`}
<li>${open.length === 0 ? 'No alert waiting for acknowledgement.' : `${open.length} alert${open.length === 1 ? '' : 's'} not acknowledged: ${open.map(({ kind, row }) => `${KIND_WORDS[kind]} (${formatDate(row.endedAt, reader)})`).join(', ')}.`}</li>
<li>${commented} comment${commented === 1 ? '' : 's'} and ${talk} request${talk === 1 ? '' : 's'} to talk in these sessions.</li>
</ul>`;
}

/** Renders the page. */
export function renderTrendPage(input: TrendPageInput): string {
  const reader: Reader = { timeZone: input.timeZone, locale: LOCALE };
  const clientId = stripBidiControls(input.clientId);
  const firstName = input.firstName ? stripBidiControls(input.firstName).trim() : '';
  const who = firstName ? `${firstName} (client ${clientId})` : `Client ${clientId}`;
  const answered = input.rows.filter((row) => row.kind === 'answered').length;
  const items = input.itemColumns.map((column) => column.label).join(', ');
  const title = `Alliance trend — ${who}`;
  const content = html`<h1>${title}</h1>
<p class="meta">Last ${input.rows.length} session${input.rows.length === 1 ? '' : 's'} (${answered} answered) as of ${formatDateTime(input.now, reader)}. Dates in ${input.timeZone}.</p>
${input.rows.length === 0 ? html`<p>No answered or expired feedback requests for this client yet.</p>` : html`${summary(input, reader)}
<h2>Total per session</h2>
<figure>
${chart(input.rows, reader)}
</figure>
<ul class="key" aria-hidden="true"><li><span class="k-band"></span>usual range</li><li><span class="k-dot"></span>total</li><li><span class="k-hit"></span>alert raised</li><li><span class="k-miss"></span>not answered</li></ul>
<h2>Sessions</h2>
${table(input, reader)}
<p class="note">Items ${items}: each ${input.itemRange.min}–${input.itemRange.max} as the client answered. “Usual” is the range this client’s answers were judged against at the time; ▼ marks a total below it.</p>
<h2>In the client’s words</h2>
${words(input, reader)}`}
<p class="note">A prompt for conversation, not a judgement of the therapy. Printed, comments longer than three lines are shortened: the page shows them in full. <span class="screen">This link works until ${formatDateTime(input.linkExpiresAt, reader)}.</span></p>`;
  return pageFrame({ lang: 'en', title, stylesheet: TREND_CSS, byline: `${input.practiceName} · Alliance Feedback`, content });
}

/** The short pages of a trend link that opens nothing: they name no client (a link may be in anyone's hands). */
export const TREND_NOT_FOUND = {
  title: 'Trend page not found',
  paragraphs: ['This trend link is not valid, or the client’s data was erased. Check that the whole link was opened.'],
} as const;

export const TREND_EXPIRED = {
  title: 'This trend link has expired',
  paragraphs: ['Trend links work for a few days only, so an old email cannot open a client’s record. The next alert or weekly summary brings a new link.'],
} as const;

export const TREND_REVOKED = {
  title: 'This trend link was revoked',
  paragraphs: ['The practice revoked this link. The next alert or weekly summary brings a new one; ask your practice administrator if you need the page sooner.'],
} as const;
