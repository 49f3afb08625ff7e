/**
 * Use case: score an answer (or an expiry) against the client's own baseline, keep the evaluation
 * with the session, and announce every alert it raises. Reads and writes one small per-client
 * record, whatever the length of the client's history. The event only says where to look: what is
 * scored is the answer stored with the session, and an event that does not match it changes nothing.
 */
import { evaluate, recordExpired, type Alert, type Evaluation } from '../domain/detector/evaluate.ts';
import type { AlertKind } from '../events/contracts.ts';
import { emailsTherapist } from '../domain/alert-recipients.ts';
import type { DetectorSettings } from '../domain/detector/settings.ts';
import { pompToTotal } from '../domain/detector/scale.ts';
import { initialClientState, type ClientState } from '../domain/detector/state.ts';
import type { Instrument } from '../domain/instruments.ts';
import {
  AllianceRuptureDetected,
  leadingAlertKind,
  type AllianceRuptureDetectedDetail,
  type FeedbackExpiredDetail,
  type FeedbackSubmittedDetail,
} from '../events/contracts.ts';
import { UnprocessableEventError } from '../events/dispatch.ts';
import { baselineBand, summaryFromState } from '../domain/caseload.ts';
import type { CaseloadStore, ChartSnapshot, ClientHistoryStore, Clock, DetectorRecord, DetectorStore, EvaluationSession, EventPublisher, HistoryEntry } from './ports.ts';

/** How many evaluated session ids a client record remembers to recognise a redelivered event. */
export const REMEMBERED_SESSIONS = 24;

/**
 * Why an event changed nothing: it does not match the stored session. Forged, about an erased
 * session, or from another deployment; the event is a notification, the session the record.
 */
export type IgnoredBecause =
  /** No such session is stored (erased, never requested, or another deployment's). */
  | 'session-not-stored'
  /** The session belongs to another client than the event names. */
  | 'other-client'
  /** FeedbackSubmitted for a session with no stored answer. */
  | 'not-answered'
  /** FeedbackSubmitted whose answer (its time or instrument) is not the stored one. */
  | 'other-answer'
  /** FeedbackExpired for a session that was answered. */
  | 'answered'
  /** FeedbackExpired for a session whose expiry was not recorded. */
  | 'not-expired';

export interface EvaluateDeps {
  store: DetectorStore;
  publisher: EventPublisher;
  settings: DetectorSettings;
  /** Resolves an instrument id to its definition; undefined for an unknown id. */
  instrument: (instrumentId: string) => Instrument | undefined;
  /**
   * The therapists' caseload summaries the weekly digest reads: one write per evaluated session
   * (none without it, e.g. the backtest's evaluations).
   */
  caseload?: CaseloadStore | undefined;
  clock?: Clock | undefined;
  /** The client's history the trend page reads (one row per evaluated session); none: not kept. */
  history?: ClientHistoryStore | undefined;
}

export type EvaluateOutcome =
  | { outcome: 'evaluated' | 'duplicate' | 'client-erased'; alerts: string[] }
  | { outcome: 'ignored'; because: IgnoredBecause; alerts: string[] };

/** A late or redelivered event of an erased client: nothing is read further, written or announced. */
const CLIENT_ERASED: EvaluateOutcome = { outcome: 'client-erased', alerts: [] };

/**
 * Evaluates the stored answer the event announces (never the event's own items); a redelivered
 * event re-announces its alerts (consumers dedupe) and changes nothing else; an event that does not
 * match the stored answer changes nothing. An unknown instrument can never be scored: the event is
 * refused once (UnprocessableEventError), not retried.
 */
export async function evaluateAnswer(detail: FeedbackSubmittedDetail, deps: EvaluateDeps): Promise<EvaluateOutcome> {
  const instrument = deps.instrument(detail.instrumentId);
  if (!instrument) throw new UnprocessableEventError(`unknown instrument ${detail.instrumentId}: the instrument catalogue does not define it`);
  const found = await readMatching(detail.sessionId, deps.store, (session) => matchAnswer(session, detail));
  if ('because' in found) return { outcome: 'ignored', because: found.because, alerts: [] };
  const { session, answer } = found;

  const stored = await deps.store.getRecord(session.clientId, instrument.id);
  if (stored === 'client-erased') return CLIENT_ERASED;
  const record = stored ?? { state: initialClientState(instrument), applied: [] };
  if (record.applied.includes(session.sessionId)) {
    const stored = await deps.store.getEvaluation(session.sessionId);
    const alerts = stored?.kind === 'answered' ? stored.evaluation.alerts : [];
    // A write that failed after the record's (the event is retried): written now, unless it was.
    await summarise(deps, session, instrument, record, { alerts, commented: answer.commented === true || answer.talk }, false);
    await announce(alerts, session, stored?.kind === 'answered' ? stored.evaluation : undefined, instrument, deps.publisher);
    return { outcome: 'duplicate', alerts: alerts.map((a) => a.kind) };
  }

  const { state, evaluation } = evaluate(
    record.state,
    { sessionId: session.sessionId, endedAt: session.endedAt, answers: answer.items, talk: answer.talk },
    deps.settings,
    instrument,
  );
  // Evaluation first, record second: if the record write loses a race, the retry recomputes and
  // overwrites the evaluation; the reverse order could leave an applied session with none stored.
  // Only an alert email draws the chart: an evaluation without an alert keeps none (half the item).
  const chart = evaluation.alerts.length > 0 ? { chart: chartSnapshot(state, instrument) } : {};
  await deps.store.saveEvaluation(session.sessionId, session.clientId, { kind: 'answered', evaluation, instrumentId: instrument.id, ...chart });
  await deps.history?.recordSession(answeredRow(session, answer, evaluation, instrument));
  const written: DetectorRecord = { state, applied: remember(record.applied, session.sessionId), therapistId: session.therapistId };
  await deps.store.putRecord(session.clientId, instrument.id, written, record.state.version);
  await moveCaseload(deps, record, session);
  await summarise(deps, session, instrument, written, { alerts: evaluation.alerts, commented: answer.commented === true || answer.talk }, true);
  await announce(evaluation.alerts, session, evaluation, instrument, deps.publisher);
  return { outcome: 'evaluated', alerts: evaluation.alerts.map((a) => a.kind) };
}

/** Counts an unanswered request towards going quiet, if the stored session says it expired unanswered. */
export async function evaluateExpiry(detail: FeedbackExpiredDetail, deps: EvaluateDeps, instrumentId: string): Promise<EvaluateOutcome> {
  const instrument = deps.instrument(instrumentId);
  if (!instrument) throw new RangeError(`unknown instrument ${instrumentId}`);
  const found = await readMatching(detail.sessionId, deps.store, (session) => matchExpiry(session, detail));
  if ('because' in found) return { outcome: 'ignored', because: found.because, alerts: [] };
  const { session } = found;

  const stored = await deps.store.getRecord(session.clientId, instrument.id);
  if (stored === 'client-erased') return CLIENT_ERASED;
  const record = stored ?? { state: initialClientState(instrument), applied: [] };
  if (record.applied.includes(session.sessionId)) {
    const stored = await deps.store.getEvaluation(session.sessionId);
    const alerts = stored?.kind === 'expired' ? stored.outcome.alerts : [];
    await summarise(deps, session, instrument, record, { alerts, commented: false }, false);
    await announce(alerts, session, undefined, instrument, deps.publisher, stored?.kind === 'expired' ? stored.outcome.reason : undefined);
    return { outcome: 'duplicate', alerts: alerts.map((a) => a.kind) };
  }

  const { state, outcome } = recordExpired(record.state, { sessionId: session.sessionId, endedAt: session.endedAt }, deps.settings);
  await deps.store.saveEvaluation(session.sessionId, session.clientId, { kind: 'expired', outcome, instrumentId: instrument.id });
  await deps.history?.recordSession({ ...rowRef(session), instrumentId: instrument.id, kind: 'expired', alerts: outcome.alerts.map((alert) => alert.kind) });
  const written: DetectorRecord = { state, applied: remember(record.applied, session.sessionId), therapistId: session.therapistId };
  await deps.store.putRecord(session.clientId, instrument.id, written, record.state.version);
  await moveCaseload(deps, record, session);
  await summarise(deps, session, instrument, written, { alerts: outcome.alerts, commented: false }, true);
  await announce(outcome.alerts, session, undefined, instrument, deps.publisher, outcome.reason);
  return { outcome: 'evaluated', alerts: outcome.alerts.map((a) => a.kind) };
}

/** A client now seen with another therapist leaves the previous therapist's caseload. */
async function moveCaseload(deps: EvaluateDeps, previous: DetectorRecord, session: EvaluationSession): Promise<void> {
  if (!deps.caseload || previous.therapistId === undefined || previous.therapistId === session.therapistId) return;
  await deps.caseload.remove(previous.therapistId, session.clientId);
}

/**
 * The therapist's caseload summary of this client, from the record just written: one write, which
 * a newer record's summary wins. `fresh`: this session was applied just now, so its alert and
 * comment marks are added even when a newer summary got there first (a redelivery adds nothing
 * more: an acknowledged alert must not open again).
 */
async function summarise(
  deps: EvaluateDeps,
  session: EvaluationSession,
  instrument: Instrument,
  record: DetectorRecord,
  marks: { alerts: readonly { kind: AlertKind }[]; commented: boolean },
  fresh: boolean,
): Promise<void> {
  if (!deps.caseload) return;
  const { state } = record;
  const summary = summaryFromState(
    state,
    { max: instrument.items.length * instrument.max, toTotal: (p) => pompToTotal(instrument, p) },
    baselineBand(state.baseline, deps.settings.minBaseline, deps.settings.sdFloor),
  );
  const last = state.trend.at(-1)?.endedAt;
  await deps.caseload.record(
    {
      therapistId: session.therapistId,
      clientId: session.clientId,
      instrumentId: instrument.id,
      detectorVersion: state.version,
      // The latest session the summary knows of, answered or expired: what "active" counts from.
      lastSessionAt: last !== undefined && last > session.endedAt ? last : session.endedAt,
      ...summary,
      quietAfterExpired: deps.settings.quietAfterExpired,
      // An alert is open until the therapist acknowledges it from its email; an unrepaired
      // escalation they are not emailed shows instead until they open the trend page.
      ...(marks.alerts.some((alert) => emailsTherapist(alert.kind, deps.settings.unrepairedEmailsTherapist)) ? { openAlert: session.sessionId } : {}),
      ...(marks.alerts.some((alert) => !emailsTherapist(alert.kind, deps.settings.unrepairedEmailsTherapist)) ? { unrepaired: session.sessionId } : {}),
      ...(marks.commented ? { comment: session.sessionId } : {}),
    },
    deps.clock?.now() ?? new Date(),
    { addMarksIfStale: fresh },
  );
}

function rowRef(session: EvaluationSession): Pick<HistoryEntry, 'clientId' | 'sessionId' | 'endedAt' | 'therapistId'> {
  return { clientId: session.clientId, sessionId: session.sessionId, endedAt: session.endedAt, therapistId: session.therapistId };
}

/**
 * The session's history row: the raw answers and total, and the usual range it was judged against
 * (mean ± floored SD, on the raw scale, like the alert's band). Written after the evaluation and
 * before the record: a retry after a lost race rewrites both, and the alert marks stay.
 */
function answeredRow(session: EvaluationSession, answer: ScoredAnswer, evaluation: Evaluation, instrument: Instrument): HistoryEntry {
  const { m, sEff } = evaluation;
  return {
    ...rowRef(session),
    instrumentId: instrument.id,
    kind: 'answered',
    total: round1(pompToTotal(instrument, evaluation.p)),
    max: instrument.items.length * instrument.max,
    items: { ...answer.items },
    ...(m !== null && sEff !== null
      ? { band: { low: round1(pompToTotal(instrument, Math.max(0, m - sEff))), high: round1(pompToTotal(instrument, Math.min(100, m + sEff))) } }
      : {}),
    state: evaluation.state,
    talk: answer.talk,
    alerts: evaluation.alerts.map((alert) => alert.kind),
  };
}

function remember(applied: readonly string[], sessionId: string): string[] {
  return [...applied, sessionId].slice(-REMEMBERED_SESSIONS);
}

type ScoredAnswer = NonNullable<EvaluationSession['answer']>;

/** The stored answer when it is the one the event announces; why not, otherwise. */
function matchAnswer(session: EvaluationSession | undefined, detail: FeedbackSubmittedDetail): { answer: ScoredAnswer } | { because: IgnoredBecause } {
  if (!session) return { because: 'session-not-stored' };
  if (session.clientId !== detail.clientId) return { because: 'other-client' };
  const { answer } = session;
  if (!answer) return { because: 'not-answered' };
  // The web function announces the time it stored (answeredAt); compared as instants, not strings.
  if (Date.parse(answer.submittedAt) !== Date.parse(detail.submittedAt) || answer.instrumentId !== detail.instrumentId) return { because: 'other-answer' };
  return { answer };
}

/** A match (nothing more to take) when the stored session says its request expired unanswered; why not, otherwise. */
function matchExpiry(session: EvaluationSession | undefined, detail: FeedbackExpiredDetail): { expiredAt: string } | { because: IgnoredBecause } {
  if (!session) return { because: 'session-not-stored' };
  if (session.clientId !== detail.clientId) return { because: 'other-client' };
  if (session.answer) return { because: 'answered' };
  if (!session.expiredAt) return { because: 'not-expired' };
  return { expiredAt: session.expiredAt };
}

/**
 * Reads the stored session and checks the event against it: eventually consistent first (half the
 * read units), and once more with a consistent read before giving up on a mismatch, since the
 * answer (or the expiry) may have been written a moment before its event arrived.
 */
async function readMatching<Match extends object>(
  sessionId: string,
  store: DetectorStore,
  check: (session: EvaluationSession | undefined) => Match | { because: IgnoredBecause },
): Promise<(Match & { session: EvaluationSession }) | { because: IgnoredBecause }> {
  let session = await store.getSession(sessionId, { consistent: false });
  let result = check(session);
  if ('because' in result) {
    session = await store.getSession(sessionId, { consistent: true });
    result = check(session);
  }
  // A match implies a stored session (every check refuses a missing one first).
  return 'because' in result || !session ? (result as { because: IgnoredBecause }) : { ...result, session };
}

/** The chart the alert email draws, from the state just written (the trend ends with this session). */
function chartSnapshot(state: ClientState, instrument: Instrument): ChartSnapshot {
  const { baseline } = state;
  return {
    trend: state.trend.map((point) => ({ endedAt: point.endedAt, p: point.p })),
    itemMeans:
      baseline.length > 0
        ? instrument.items.map((_item, index) => baseline.reduce((sum, values) => sum + (values[index] ?? 0), 0) / baseline.length)
        : null,
  };
}

/**
 * Announces a session's alerts as one event: the leading kind, with the others named in
 * `alsoFired`, so the therapist reads one email per session rather than one per rule.
 */
async function announce(
  alerts: readonly Alert[],
  ids: { sessionId: string; clientId: string; therapistId: string },
  evaluation: Evaluation | undefined,
  instrument: Instrument,
  publisher: EventPublisher,
  reason: string | undefined = evaluation?.reason,
): Promise<void> {
  const kinds = alerts.map((alert) => alert.kind);
  const kind = leadingAlertKind(kinds);
  if (kind === undefined) return;
  const detail: AllianceRuptureDetectedDetail = {
    sessionId: ids.sessionId,
    clientId: ids.clientId,
    therapistId: ids.therapistId,
    kind,
    ...(kinds.length > 1 ? { alsoFired: kinds.filter((other) => other !== kind) } : {}),
    reason: (reason ?? '').slice(0, 1000),
    score: evaluation ? { p: evaluation.p, total: round1(pompToTotal(instrument, evaluation.p)), max: instrument.items.length * instrument.max } : null,
    baseline:
      evaluation && evaluation.m !== null && evaluation.sEff !== null && evaluation.k !== null
        ? { m: evaluation.m, sEff: evaluation.sEff, n: evaluation.n, k: evaluation.k, z: evaluation.z }
        : null,
  };
  await publisher.publish(AllianceRuptureDetected, detail);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
