/**
 * The rupture detector (ALLIANCE-SCIENCE.md, "Detection rule"): a pure step function from a
 * client's state and one session to the next state and an explained evaluation. No I/O, no clock:
 * the session's end time comes in with the session.
 *
 * What "flagged" means — which sessions are kept out of future baselines:
 * - a session that raised a score alert (rupture, sustained decline, item drop, low rating);
 * - a session inside an open repair window that did not come back (`continuing`, `unrepaired`).
 * Not flagged, so they enter the baseline: `normal`, `watch` (the reference vectors need watch
 * sessions in the rolling baseline: with them out, the 4th vector's s6 would be a rupture), a low
 * session waiting for confirmation (confirmK: taking it out once confirmed measured no better) and
 * `repaired` sessions, and a session whose only alert is `client-asked` (the tick box says nothing
 * about the score, and a client who ticks it often must still get a baseline).
 */
import type { AlertKind } from '../../events/contracts.ts';
import type { Instrument } from '../instruments.ts';
import { itemPomp } from '../instruments.ts';
import { describeEvaluation, describeExpired } from './reason.ts';
import { pompToTotal } from './scale.ts';
import { alertThreshold, checkDetectorSettings, type DetectorSettings } from './settings.ts';
import {
  TREND_LENGTH,
  type ClientState,
  type EvaluationState,
  type PendingDip,
  type RepairWindow,
  type ScoreAlertKind,
  type WatchRun,
} from './state.ts';

/** One answered feedback form. */
export interface AnsweredSession {
  sessionId: string;
  /** ISO-8601 end of the session; only stored for the trend chart. */
  endedAt: string;
  /** Raw answers keyed by item id, each within the instrument's range. */
  answers: Readonly<Record<string, number>>;
  /** The client ticked "I'd like to talk about how therapy is going". */
  talk?: boolean;
}

/** A feedback request that expired unanswered. */
export interface ExpiredSession {
  sessionId: string;
  endedAt: string;
}

export interface RuptureAlert {
  kind: 'rupture';
  p: number;
  m: number;
  s: number;
  sEff: number;
  n: number;
  k: number;
  z: number;
  /**
   * Present on an early alert (fewer than minBaseline answered sessions): m and sEff are then the
   * expected total and its spread, from the client's first n sessions pulled toward the practice
   * prior (priorMean), not a baseline of their own.
   */
  early?: { priorMean: number };
  /**
   * Present when the rupture came inside an open alert episode (deepenGap): the total fell past
   * the rupture line of the pre-alert baseline (m, sEff, k) and deepenGap SDs below the total at
   * the alert that opened the episode (alertP). m, sEff, n and k are then that pre-alert
   * reference's, and s is its floored SD too (the raw SD is not kept in the repair window).
   */
  deepened?: { alertSessionId: string; alertP: number; sessionsSince: number };
  /**
   * Present when the rupture confirms a low session before it (confirmK, confirmEarlyK): the
   * previous answered session was firstZ SDs below the baseline (firstP its total) but short of
   * the line k, and this one is still z SDs below THE SAME baseline (m, sEff, n, k are that
   * frozen baseline's; with `early` too, the early expectation's).
   */
  confirmed?: { firstP: number; firstZ: number };
}

/** Reported against the baseline frozen at the first watch session. */
export interface SustainedDeclineAlert {
  kind: 'sustained-decline';
  watches: number;
  p: number;
  m: number;
  sEff: number;
  n: number;
  z: number;
  /** With declineRule `cusum`: the summed shortfall in SDs, beyond the slack, that reached the limit. */
  sum?: number;
}

export interface ItemDrop {
  itemId: string;
  /** The item's POMP value now and its baseline mean (after reverse keying: lower is worse). */
  value: number;
  baselineMean: number;
  /** baselineMean − value, in POMP. */
  drop: number;
  /** The item's sample SD over the baseline (POMP). */
  baselineSd: number;
}

export interface ItemDropAlert {
  kind: 'item-drop';
  items: ItemDrop[];
}

export interface LowRatingAlert {
  kind: 'low-rating';
  p: number;
  /** The low-rating line (POMP). */
  threshold: number;
  /** The instrument's own cutoff on the raw total, when it defines one. */
  cutoff: { rawTotal: number; totalBelow: number; below: boolean } | null;
}

export interface ClientAskedAlert {
  kind: 'client-asked';
}

export interface UnrepairedAlert {
  kind: 'unrepaired';
  openedBy: ScoreAlertKind[];
  alertSessionId: string;
  sessionsSince: number;
  p: number;
  /** The score the client needed to reach to count as repaired. */
  threshold: number;
}

export interface GoingQuietAlert {
  kind: 'going-quiet';
  expiredInARow: number;
}

export type Alert =
  | RuptureAlert
  | SustainedDeclineAlert
  | ItemDropAlert
  | LowRatingAlert
  | ClientAskedAlert
  | UnrepairedAlert
  | GoingQuietAlert;

export type { AlertKind };

// Fails to compile when the detector's alerts and the event contract's kinds drift apart.
const _kindsMatch: [Alert['kind'], AlertKind] extends [AlertKind, Alert['kind']] ? true : never = true;
void _kindsMatch;

/** The item that fell furthest below its own baseline mean. */
export interface MovedComponent extends ItemDrop {
  component: Instrument['items'][number]['component'];
}

/** What the detector made of one answered session, with every number it used. */
export interface Evaluation {
  sessionId: string;
  endedAt: string;
  /** Total in POMP (0–100), and each item's POMP value after reverse keying. */
  p: number;
  items: Record<string, number>;
  /** Baseline size, mean, sample SD, floored SD, threshold and z; null below minBaseline. */
  n: number;
  m: number | null;
  s: number | null;
  sEff: number | null;
  k: number | null;
  z: number | null;
  state: EvaluationState;
  /** Length of the current watch run including this session (0 when none). */
  watches: number;
  /** With declineRule `cusum`: the summed shortfall (SDs beyond the slack) so far; absent otherwise. */
  declineSum?: number;
  /** Kept out of future baselines (see the module comment). */
  flagged: boolean;
  /** At most one alert per kind. */
  alerts: Alert[];
  /** Plain-language English, with the numbers. */
  reason: string;
  mostMovedComponent: MovedComponent | null;
}

export interface EvaluateOptions {
  /** False skips the plain-language reason (left empty): a backtest never reads it. */
  explain?: boolean;
}

/** What happened when a request expired: at most one going-quiet notice. */
export interface ExpiredOutcome {
  sessionId: string;
  endedAt: string;
  expiredInARow: number;
  alerts: GoingQuietAlert[];
  reason: string;
}

/** The answers do not fit the instrument. */
export class InvalidAnswersError extends RangeError {
  override name = 'InvalidAnswersError';
}

/** The state was built for another instrument (its stored item values would be misread). */
export class InstrumentMismatchError extends Error {
  override name = 'InstrumentMismatchError';
}

// Comparisons allow for floating-point noise, so a z of exactly −3 (the 7th reference vector) is −3.
const EPSILON = 1e-9;

/**
 * The smallest spread (POMP) a baseline is divided by, whatever the settings: with sdFloor 0 and no
 * SD prior, a client whose baseline totals never moved has an SD of 0, and z would be NaN (no
 * change) or infinite, which no evaluation can store. A thousandth of a POMP point keeps z finite
 * (0 for no change, a huge number for any drop) and survives the rounding to 4 decimals.
 */
const MIN_SPREAD = 0.001;

// Stored and reported numbers are rounded so the JSON stays short; decisions use full precision.
function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

function sampleSd(values: readonly number[], m: number): number {
  if (values.length < 2) return 0;
  let squares = 0;
  for (const value of values) squares += (value - m) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

interface BaselineStats {
  n: number;
  m: number;
  s: number;
  sEff: number;
  k: number;
  itemMeans: number[];
  /** Each item's sample SD over the baseline. */
  itemSds: number[];
}

function baselineStats(entries: readonly number[][], itemCount: number, settings: DetectorSettings): BaselineStats | null {
  const n = entries.length;
  if (n < settings.minBaseline) return null;
  // Plain loops: the backtest runs this for every session of every client.
  const totals = new Array<number>(n);
  const itemMeans = new Array<number>(itemCount).fill(0);
  for (let row = 0; row < n; row++) {
    const items = entries[row]!;
    for (let index = 0; index < itemCount; index++) itemMeans[index]! += items[index] ?? 0;
    totals[row] = mean(items);
  }
  for (let index = 0; index < itemCount; index++) itemMeans[index]! /= n;
  const itemSds = new Array<number>(itemCount).fill(0);
  if (n > 1) {
    for (let row = 0; row < n; row++) {
      const items = entries[row]!;
      for (let index = 0; index < itemCount; index++) itemSds[index]! += ((items[index] ?? 0) - itemMeans[index]!) ** 2;
    }
    for (let index = 0; index < itemCount; index++) itemSds[index] = Math.sqrt(itemSds[index]! / (n - 1));
  }
  const m = mean(totals);
  const s = sampleSd(totals, m);
  return { n, m, s, sEff: Math.max(shrunkSd(s, n, settings), settings.sdFloor, MIN_SPREAD), k: alertThreshold(n, settings), itemMeans, itemSds };
}

/**
 * The client's SD pulled toward the practice's typical session-to-session SD (a scaled
 * inverse-chi-square prior worth sdPriorWeight sessions): a client with 3 sessions is judged
 * mostly on the practice's spread, one with 10 mostly on their own.
 */
function shrunkSd(s: number, n: number, settings: DetectorSettings): number {
  const weight = settings.sdPriorWeight;
  if (weight <= 0) return s;
  return Math.sqrt((weight * settings.priorWithinSdPomp ** 2 + (n - 1) * s * s) / (weight + n - 1));
}

/**
 * What a client's first n (< minBaseline) sessions predict for the next one, pulled toward the
 * practice prior (empirical-Bayes shrinkage of a normal mean): the expected total and the spread
 * of one new session around it. Null when early alerts are off or there is no session yet.
 */
function earlyExpectation(entries: readonly number[][], settings: DetectorSettings): { n: number; m: number; sd: number } | null {
  const n = entries.length;
  if (settings.earlyK <= 0 || n === 0 || n >= settings.minBaseline) return null;
  const within = Math.max(settings.priorWithinSdPomp, 1e-6) ** 2;
  const between = Math.max(settings.priorSdPomp, 1e-6) ** 2;
  let sum = 0;
  for (const items of entries) sum += mean(items);
  const precision = n / within + 1 / between;
  const m = (sum / within + settings.priorMeanPomp / between) / precision;
  return { n, m, sd: Math.sqrt(within + 1 / precision) };
}

function scoreAnswers(instrument: Instrument, answers: Readonly<Record<string, number>>): number[] {
  const problems: string[] = [];
  const items = instrument.items.map((item) => {
    const value = answers[item.id];
    if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`${item.id} is missing`);
    else if (value < instrument.min || value > instrument.max) problems.push(`${item.id} = ${value} is outside ${instrument.min}–${instrument.max}`);
    else return round4(itemPomp(instrument, item, value));
    return 0;
  });
  if (problems.length > 0) throw new InvalidAnswersError(`invalid answers: ${problems.join('; ')}`);
  return items;
}

function checkInstrument(state: ClientState, instrument: Instrument): void {
  if (state.instrument.id !== instrument.id || state.instrument.version !== instrument.version) {
    throw new InstrumentMismatchError(
      `state was built for instrument ${state.instrument.id} v${state.instrument.version}, not ${instrument.id} v${instrument.version}`,
    );
  }
}

function lowRating(instrument: Instrument, p: number, settings: DetectorSettings): LowRatingAlert | null {
  const byLine = p <= settings.lowRatingPomp + EPSILON;
  let cutoff: LowRatingAlert['cutoff'] = null;
  if (instrument.cutoff) {
    const total = pompToTotal(instrument, p);
    cutoff = { rawTotal: round4(total), totalBelow: instrument.cutoff.totalBelow, below: total < instrument.cutoff.totalBelow - EPSILON };
  }
  if (!byLine && !cutoff?.below) return null;
  return { kind: 'low-rating', p, threshold: settings.lowRatingPomp, cutoff };
}

function itemDrops(instrument: Instrument, items: readonly number[], stats: BaselineStats): ItemDrop[] {
  const drops = new Array<ItemDrop>(items.length);
  for (let index = 0; index < items.length; index++) {
    const value = items[index]!;
    const baselineMean = stats.itemMeans[index]!;
    drops[index] = { itemId: instrument.items[index]!.id, value, baselineMean: round4(baselineMean), drop: round4(baselineMean - value), baselineSd: round4(stats.itemSds[index]!) };
  }
  return drops;
}

/**
 * The item that fell furthest below its baseline mean; null when none fell, or when several fell
 * equally far (naming one of them would mislead).
 */
function mostMoved(instrument: Instrument, drops: readonly ItemDrop[]): MovedComponent | null {
  let best: ItemDrop | undefined;
  let runnerUp = Number.NEGATIVE_INFINITY;
  for (const drop of drops) {
    if (best === undefined || drop.drop > best.drop) {
      if (best !== undefined) runnerUp = best.drop;
      best = drop;
    } else if (drop.drop > runnerUp) runnerUp = drop.drop;
  }
  if (best === undefined || best.drop <= EPSILON || best.drop - runnerUp < 1e-6) return null;
  const index = drops.indexOf(best);
  return { ...best, component: instrument.items[index]!.component };
}

function itemRecord(instrument: Instrument, items: readonly number[]): Record<string, number> {
  const record: Record<string, number> = {};
  for (let index = 0; index < items.length; index++) record[instrument.items[index]!.id] = items[index]!;
  return record;
}

function pushTrend(state: ClientState, endedAt: string, p: number): ClientState['trend'] {
  return [...state.trend, { endedAt, p }].slice(-TREND_LENGTH);
}

/** How a session was judged by the score rules: its state, alerts and what the state carries on. */
interface Judgement {
  state: EvaluationState;
  alerts: Alert[];
  flagged: boolean;
  watch: WatchRun | null;
  repair: RepairWindow | null;
  restartBaseline: boolean;
  /** A low session waiting for the next answered one (confirmK, confirmEarlyK). */
  pending?: PendingDip | null;
}

/** Inside an open alert episode: the session either comes back, continues, or escalates once. */
function judgeInEpisode(open: RepairWindow, sessionId: string, p: number, settings: DetectorSettings): Judgement {
  const back = open.basis === 'baseline' ? p >= open.threshold - EPSILON : p > open.threshold + EPSILON;
  const seen = open.seen + 1;
  if (back) return { state: 'repaired', alerts: [], flagged: false, watch: null, repair: null, restartBaseline: false };
  // A fall that deepened since the alert — a slide caught early keeps sliding, a second dip comes
  // before the first came back — alerts once more, and the episode starts again from it.
  const ref = open.reference;
  if (settings.deepenGap > 0 && ref) {
    const z = (p - ref.m) / ref.sEff;
    if (z <= -ref.k + EPSILON && p <= ref.p - settings.deepenGap * ref.sEff + EPSILON) {
      return {
        state: 'alert',
        alerts: [
          {
            kind: 'rupture',
            p,
            m: ref.m,
            s: ref.sEff,
            sEff: ref.sEff,
            n: ref.n,
            k: ref.k,
            z: round4(z),
            deepened: { alertSessionId: open.sessionId, alertP: ref.p, sessionsSince: seen },
          },
        ],
        flagged: true,
        watch: null,
        repair: { ...open, openedBy: ['rupture'], sessionId, seen: 0, reference: { ...ref, p } },
        restartBaseline: false,
      };
    }
  }
  if (seen < settings.repairWindow) {
    return { state: 'continuing', alerts: [], flagged: true, watch: null, repair: { ...open, seen }, restartBaseline: false };
  }
  return {
    state: 'unrepaired',
    alerts: [{ kind: 'unrepaired', openedBy: open.openedBy, alertSessionId: open.sessionId, sessionsSince: seen, p, threshold: open.threshold }],
    flagged: true,
    watch: null,
    repair: null,
    // The alliance has settled at a new level and the therapist has been told twice: comparing
    // further sessions with the pre-alert level would re-alert every few sessions, so the
    // client's baseline starts again from the next answered session (ALLIANCE-SCIENCE.md leaves
    // this open; the low-rating rule still covers a level that is low in absolute terms).
    restartBaseline: true,
  };
}

/** Outside an episode: the rupture, watch and sustained-decline, item-drop and low-rating rules. */
function judgeScore(
  state: ClientState,
  sessionId: string,
  p: number,
  stats: BaselineStats | null,
  early: { n: number; m: number; sd: number } | null,
  drops: readonly ItemDrop[],
  settings: DetectorSettings,
  instrument: Instrument,
): Judgement {
  const alerts: (RuptureAlert | SustainedDeclineAlert | ItemDropAlert | LowRatingAlert)[] = [];
  let watch: WatchRun | null = null;
  let watchState = false;
  // A low session before this one, waiting for confirmation: this one confirms it when it is
  // still confirmZ SDs below the same (frozen) baseline.
  const waiting = state.pending;
  const confirmed = waiting ? confirmation(waiting, p, settings) : null;
  let candidate: PendingDip | null = null;
  // One session far enough down alerts on its own; failing that, a waiting dip this one confirms.
  const single = stats ? baselineRupture(p, stats) : early ? earlyRupture(p, early, settings) : null;
  if (single) alerts.push(single);
  else if (confirmed) alerts.push(confirmed);
  else if (stats) {
    const z = (p - stats.m) / stats.sEff;
    // Short of the rupture line but confirmK SDs down: wait one answered session (not flagged,
    // so it stays in the baseline unless confirmed, like a watch).
    if (settings.confirmK > 0 && z <= -settings.confirmK + EPSILON) {
      candidate = { p, z: round4(z), m: round4(stats.m), sEff: round4(stats.sEff), n: stats.n, k: round4(stats.k) };
    }
    ({ watch, watchState } = judgeDecline(state.watch, p, z, stats, settings));
    if (watch && declineAlerts(watch, settings)) {
      const f = watch.frozen;
      alerts.push({
        kind: 'sustained-decline',
        watches: watch.count,
        p,
        m: f.m,
        sEff: f.sEff,
        n: f.n,
        z: round4((p - f.m) / f.sEff),
        ...(settings.declineRule === 'cusum' ? { sum: watch.sum ?? 0 } : {}),
      });
    }
  } else if (early) {
    const z = (p - early.m) / early.sd;
    if (settings.confirmEarlyK > 0 && z <= -settings.confirmEarlyK + EPSILON) {
      candidate = { p, z: round4(z), m: round4(early.m), sEff: round4(early.sd), n: early.n, k: settings.earlyK, early: true };
    }
  }
  if (stats) {
    // An item alerts when it fell itemDropPomp below its usual value and, with itemDropK, also
    // that many of its own SDs: a 4-point dip says less on an item that often moves by 2.
    const dropped = drops.filter(
      (drop) => drop.drop >= settings.itemDropPomp - EPSILON && drop.drop >= settings.itemDropK * Math.max(drop.baselineSd, 2 * settings.sdFloor) - EPSILON,
    );
    if (dropped.length > 0) alerts.push({ kind: 'item-drop', items: dropped });
  }
  const low = lowRating(instrument, p, settings);
  if (low) alerts.push(low);

  if (alerts.length === 0) {
    const quiet: EvaluationState = watchState ? 'watch' : stats ? 'normal' : 'insufficient-baseline';
    return { state: quiet, alerts: [], flagged: false, watch, repair: null, restartBaseline: false, pending: candidate };
  }
  const sustained = alerts.find((alert) => alert.kind === 'sustained-decline');
  // The pre-alert baseline: for a sustained decline, the one from before the decline began; for an
  // early rupture, the expected level.
  const rupture = alerts.find((alert) => alert.kind === 'rupture');
  const reference = sustained
    ? { m: sustained.m, sEff: sustained.sEff, n: sustained.n, k: stats!.k }
    : rupture?.confirmed
      ? { m: rupture.m, sEff: rupture.sEff, n: rupture.n, k: rupture.k }
      : stats
      ? { m: round4(stats.m), sEff: round4(stats.sEff), n: stats.n, k: round4(stats.k) }
      : rupture
        ? { m: rupture.m, sEff: rupture.sEff, n: rupture.n, k: rupture.k }
        : null;
  const repair: RepairWindow = {
    openedBy: alerts.map((alert) => alert.kind),
    sessionId,
    ...(reference
      ? { basis: 'baseline' as const, threshold: round4(reference.m - reference.sEff) }
      : { basis: 'low-rating' as const, threshold: settings.lowRatingPomp }),
    seen: 0,
    ...(reference && settings.deepenGap > 0 ? { reference: { ...reference, k: round4(reference.k), p } } : {}),
  };
  return { state: 'alert', alerts, flagged: true, watch: null, repair, restartBaseline: false };
}

/** The rupture one session raises against the client's own baseline (past the line k(n)), or null. */
function baselineRupture(p: number, stats: BaselineStats): RuptureAlert | null {
  const z = (p - stats.m) / stats.sEff;
  if (z > -stats.k + EPSILON) return null;
  return { kind: 'rupture', p, m: round4(stats.m), s: round4(stats.s), sEff: round4(stats.sEff), n: stats.n, k: round4(stats.k), z: round4(z) };
}

/** The rupture one session raises before minBaseline answers, against the early expectation (earlyK), or null. */
function earlyRupture(p: number, early: { n: number; m: number; sd: number }, settings: DetectorSettings): RuptureAlert | null {
  const z = (p - early.m) / early.sd;
  if (z > -settings.earlyK + EPSILON) return null;
  return {
    kind: 'rupture',
    p,
    m: round4(early.m),
    s: round4(early.sd),
    sEff: round4(early.sd),
    n: early.n,
    k: settings.earlyK,
    z: round4(z),
    early: { priorMean: settings.priorMeanPomp },
  };
}

/** The rupture a session raises by confirming the low one before it, or null. */
function confirmation(waiting: PendingDip, p: number, settings: DetectorSettings): RuptureAlert | null {
  if (settings.confirmK <= 0 && settings.confirmEarlyK <= 0) return null;
  const z = (p - waiting.m) / waiting.sEff;
  if (z > -settings.confirmZ + EPSILON) return null;
  return {
    kind: 'rupture',
    p,
    m: waiting.m,
    s: waiting.sEff,
    sEff: waiting.sEff,
    n: waiting.n,
    k: waiting.k,
    z: round4(z),
    ...(waiting.early ? { early: { priorMean: settings.priorMeanPomp } } : {}),
    confirmed: { firstP: waiting.p, firstZ: waiting.z },
  };
}

/**
 * Carries the decline run on by one session (no rupture today): returns the run, or null, and
 * whether this session is a watch (at least watchZ SDs below usual).
 */
function judgeDecline(run: WatchRun | null, p: number, z: number, stats: BaselineStats, settings: DetectorSettings): { watch: WatchRun | null; watchState: boolean } {
  const today = { m: round4(stats.m), sEff: round4(stats.sEff), n: stats.n };
  const belowToday = z <= -settings.watchZ + EPSILON;
  if (settings.declineRule === 'cusum') {
    // Shortfalls below the baseline frozen when the sum last left 0 add up, less a slack per
    // session for noise; a session above usual pays the sum back down.
    const frozen = run?.frozen ?? today;
    const zFrozen = (p - frozen.m) / frozen.sEff;
    const sum = Math.max(0, (run?.sum ?? 0) - zFrozen - settings.cusumSlack);
    const watch = sum > EPSILON ? { count: (run?.count ?? 0) + 1, frozen, sum: round4(sum) } : null;
    return { watch, watchState: belowToday || zFrozen <= -settings.watchZ + EPSILON };
  }
  // `frozen`: a run goes on while each session stays a watch against the baseline frozen at its
  // start, so a slow slide cannot hide by dragging the rolling baseline down with it. `rolling`:
  // while each is a watch against its own day's baseline. Either way a session that does not
  // continue a run but is below today's baseline starts a new one, frozen at today's baseline.
  const frozen = run?.frozen;
  const continues =
    frozen !== undefined && (settings.declineRule === 'rolling' ? belowToday : (p - frozen.m) / frozen.sEff <= -settings.watchZ + EPSILON);
  if (continues) return { watch: { count: run!.count + 1, frozen }, watchState: true };
  if (belowToday) return { watch: { count: 1, frozen: today }, watchState: true };
  return { watch: null, watchState: false };
}

/** Whether a decline run has gone on long enough (or, with cusum, summed high enough) to alert. */
function declineAlerts(watch: WatchRun, settings: DetectorSettings): boolean {
  if (settings.declineRule === 'cusum') return (watch.sum ?? 0) >= settings.cusumLimit - EPSILON;
  return watch.count >= settings.sustainedWatches;
}

/**
 * Evaluates one answered session against the client's own baseline and returns the next state
 * with an explained evaluation; the input state is never modified.
 */
export function evaluate(
  state: ClientState,
  session: AnsweredSession,
  settings: DetectorSettings,
  instrument: Instrument,
  options: EvaluateOptions = {},
): { state: ClientState; evaluation: Evaluation } {
  checkDetectorSettings(settings);
  checkInstrument(state, instrument);
  const items = scoreAnswers(instrument, session.answers);
  const p = round4(mean(items));
  // A larger stored baseline (baselineMax lowered since) is read from its most recent end.
  const recent = state.baseline.length > settings.baselineMax ? state.baseline.slice(-settings.baselineMax) : state.baseline;
  const stats = baselineStats(recent, items.length, settings);
  const early = stats ? null : earlyExpectation(recent, settings);
  const z = stats ? (p - stats.m) / stats.sEff : null;
  const drops = stats ? itemDrops(instrument, items, stats) : [];

  // An open alert episode: the sessions after it are never re-alerted by the score rules.
  const judgement = state.repair
    ? judgeInEpisode(state.repair, session.sessionId, p, settings)
    : judgeScore(state, session.sessionId, p, stats, early, drops, settings, instrument);
  const { flagged, watch, repair, restartBaseline, pending } = judgement;
  const evaluationState = judgement.state;
  const alerts: Alert[] = [...judgement.alerts];

  // The client's explicit request is never muted, not even inside an alert episode.
  if (session.talk) alerts.push({ kind: 'client-asked' });

  let baseline = state.baseline;
  if (restartBaseline) baseline = [];
  else if (!flagged) baseline = [...state.baseline, items].slice(-settings.baselineMax);

  // A waiting low session waits for one answered session only.
  const { pending: _waited, ...rest } = state;
  void _waited;
  const next: ClientState = {
    ...rest,
    version: state.version + 1,
    baseline,
    watch,
    repair,
    ...(pending ? { pending } : {}),
    expiredInARow: 0,
    trend: pushTrend(state, session.endedAt, p),
    lastState: evaluationState,
  };
  const evaluation: Evaluation = {
    sessionId: session.sessionId,
    endedAt: session.endedAt,
    p,
    items: itemRecord(instrument, items),
    n: recent.length,
    m: stats ? round4(stats.m) : null,
    s: stats ? round4(stats.s) : null,
    sEff: stats ? round4(stats.sEff) : null,
    k: stats ? round4(stats.k) : null,
    z: z === null ? null : round4(z),
    state: evaluationState,
    watches: watch?.count ?? 0,
    ...(settings.declineRule === 'cusum' ? { declineSum: watch?.sum ?? 0 } : {}),
    flagged,
    alerts,
    reason: '',
    mostMovedComponent: mostMoved(instrument, drops),
  };
  if (options.explain !== false) evaluation.reason = describeEvaluation(evaluation, instrument, settings, state.repair);
  return { state: next, evaluation };
}

/**
 * Records a feedback request that expired unanswered: the session is skipped, not imputed, and
 * a going-quiet notice is raised once when the run of expired requests reaches quietAfterExpired.
 */
export function recordExpired(
  state: ClientState,
  session: ExpiredSession,
  settings: DetectorSettings,
): { state: ClientState; outcome: ExpiredOutcome } {
  const expiredInARow = state.expiredInARow + 1;
  const alerts: GoingQuietAlert[] = expiredInARow === settings.quietAfterExpired ? [{ kind: 'going-quiet', expiredInARow }] : [];
  const outcome: ExpiredOutcome = { sessionId: session.sessionId, endedAt: session.endedAt, expiredInARow, alerts, reason: '' };
  outcome.reason = describeExpired(outcome);
  return { state: { ...state, version: state.version + 1, expiredInARow }, outcome };
}
