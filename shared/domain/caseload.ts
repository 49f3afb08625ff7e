/**
 * A therapist's caseload as the weekly digest reads it: one small summary per (therapist, client),
 * kept up to date by the evaluation (one write per answer or expiry), so the digest reads the whole
 * caseload in one query and never the clients' histories.
 *
 * What a summary says is derived here, from the facts it stores: the status a therapist reads
 * ("steady", "watch", "alert open", "not repaired", "gone quiet", "not answering"), whether the
 * client is still active, and the response rate from the per-week alert counters.
 */
import type { ClientState, EvaluationState } from './detector/state.ts';

/** The statuses of the digest, most urgent first (the digest lists clients in this order). */
export const CASELOAD_STATUSES = ['alert-open', 'gone-quiet', 'not-repaired', 'not-answering', 'watch', 'steady'] as const;
export type CaseloadStatus = (typeof CASELOAD_STATUSES)[number];

/** How the digest names each status. */
export const STATUS_WORDS: Record<CaseloadStatus, string> = {
  'alert-open': 'alert open',
  'gone-quiet': 'gone quiet',
  'not-repaired': 'not repaired',
  'not-answering': 'not answering',
  watch: 'watch',
  steady: 'steady',
};

/** The summary of one client in one therapist's caseload, as stored (items/caseload.ts). */
export interface CaseloadEntry {
  therapistId: string;
  clientId: string;
  instrumentId: string;
  /** The detector record's version this summary was written from: later versions overwrite, earlier ones do not. */
  detectorVersion: number;
  /** The latest evaluated session (answered or expired): what "active" counts from. */
  lastSessionAt: string;
  /** The latest answered session: its total on the instrument's raw scale, and when it ended. */
  lastScore?: { total: number; endedAt: string } | undefined;
  /** The instrument's highest total (40 for four 0–10 items). */
  max: number;
  /** The last answered totals (≤ TREND_LENGTH, oldest first), for the sparkline. */
  totals: number[];
  /** The client's usual range on the raw total scale (baseline mean ± spread); absent without a baseline. */
  band?: { low: number; high: number } | undefined;
  /** Where the latest answered session stood for the detector. */
  lastState?: EvaluationState | undefined;
  /** An alert's repair window is open (the score has not come back to the usual range yet). */
  repairOpen: boolean;
  /** Requests in a row that expired unanswered, and how many make a client gone quiet. */
  expiredInARow: number;
  quietAfterExpired: number;
  /** Sessions whose alert is not acknowledged yet (the therapist's or covering clinician's copy). */
  openAlerts: string[];
  /** Sessions whose answer had a comment or a talk tick since the therapist last opened the trend page. */
  commentSessions: string[];
  /**
   * Sessions that raised an unrepaired escalation the therapist was not emailed
   * (DETECTOR_SETTINGS.unrepairedEmailsTherapist off) and has not seen on the trend page since.
   */
  unrepairedSessions: string[];
}

/** The one status the digest shows for a client: the most urgent that holds. */
export function caseloadStatus(
  entry: Pick<CaseloadEntry, 'openAlerts' | 'expiredInARow' | 'quietAfterExpired' | 'repairOpen' | 'lastState' | 'unrepairedSessions'>,
): CaseloadStatus {
  if (entry.openAlerts.length > 0) return 'alert-open';
  if (entry.expiredInARow >= entry.quietAfterExpired) return 'gone-quiet';
  if (entry.repairOpen || entry.lastState === 'unrepaired' || entry.lastState === 'continuing' || entry.unrepairedSessions.length > 0) return 'not-repaired';
  if (entry.expiredInARow > 0) return 'not-answering';
  if (entry.lastState === 'watch') return 'watch';
  return 'steady';
}

/**
 * A client is active in a caseload while their last session (answered or expired) is at most
 * `activeWeeks` old. A client who moved to another therapist leaves the old caseload at their next
 * evaluated session (the evaluation deletes the old summary); one who stopped coming drops out
 * of the digest after `activeWeeks`, and their summary expires with the retention period.
 */
export function isActive(entry: Pick<CaseloadEntry, 'lastSessionAt'>, now: Date, activeWeeks: number): boolean {
  return Date.parse(entry.lastSessionAt) >= now.getTime() - activeWeeks * 7 * 86_400_000;
}

/** The summary facts the evaluation writes, from the detector state it just stored. */
export function summaryFromState(
  state: ClientState,
  scale: { max: number; toTotal: (p: number) => number },
  baseline: { m: number | null; sEff: number | null } | undefined,
): Pick<CaseloadEntry, 'totals' | 'lastScore' | 'lastState' | 'repairOpen' | 'expiredInARow' | 'band' | 'max'> {
  const last = state.trend.at(-1);
  const band =
    baseline && baseline.m !== null && baseline.sEff !== null
      ? { low: round1(scale.toTotal(Math.max(0, baseline.m - baseline.sEff))), high: round1(scale.toTotal(Math.min(100, baseline.m + baseline.sEff))) }
      : undefined;
  return {
    max: scale.max,
    totals: state.trend.map((point) => round1(scale.toTotal(point.p))),
    ...(last ? { lastScore: { total: round1(scale.toTotal(last.p)), endedAt: last.endedAt } } : {}),
    ...(state.lastState ? { lastState: state.lastState } : {}),
    repairOpen: state.repair !== null,
    expiredInARow: state.expiredInARow,
    ...(band ? { band } : {}),
  };
}

/** Mean and spread of a baseline of per-item POMP rows (as the detector computes them), or nulls below `minBaseline`. */
export function baselineBand(baseline: readonly (readonly number[])[], minBaseline: number, sdFloor: number): { m: number | null; sEff: number | null } {
  if (baseline.length < minBaseline || baseline.length === 0) return { m: null, sEff: null };
  const totals = baseline.map((row) => row.reduce((sum, value) => sum + value, 0) / row.length);
  const m = totals.reduce((sum, value) => sum + value, 0) / totals.length;
  const s = totals.length < 2 ? 0 : Math.sqrt(totals.reduce((sum, value) => sum + (value - m) ** 2, 0) / (totals.length - 1));
  return { m, sEff: Math.max(s, sdFloor) };
}

/** One week's alert counters of a therapist: alerts sent to them, and how many of those they acknowledged. */
export interface ResponseWeek {
  /** ISO week of the alerts' sending, `2026-W49`. */
  week: string;
  sent: number;
  acknowledged: number;
}

/** Acknowledged / sent over the weeks that are within the period; undefined when no alert was sent. */
export function responseRate(weeks: readonly ResponseWeek[], now: Date, periodWeeks: number): { sent: number; acknowledged: number; rate: number } | undefined {
  const inPeriod = new Set(Array.from({ length: periodWeeks }, (_unused, index) => isoWeek(new Date(now.getTime() - index * 7 * 86_400_000))));
  let sent = 0;
  let acknowledged = 0;
  for (const week of weeks) {
    if (!inPeriod.has(week.week)) continue;
    sent += week.sent;
    acknowledged += week.acknowledged;
  }
  if (sent === 0) return undefined;
  return { sent, acknowledged: Math.min(acknowledged, sent), rate: Math.min(acknowledged, sent) / sent };
}

/** The ISO-8601 week (UTC) of an instant: `2026-W49`. */
export function isoWeek(at: Date): string {
  const day = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
