/**
 * Use case: score an answer (or an expiry) against the client's own baseline, keep the evaluation
 * with the session, and announce every alert it raises. Reads and writes one small per-client
 * record, whatever the length of the client's history.
 */
import { evaluate, recordExpired, type Alert, type Evaluation } from '../domain/detector/evaluate.ts';
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
import type { ChartSnapshot, DetectorStore, EventPublisher } from './ports.ts';

/** How many evaluated session ids a client record remembers to recognise a redelivered event. */
export const REMEMBERED_SESSIONS = 24;

/** The session the event names is not in the table (deleted, or from another deployment). */
export class UnknownSessionError extends Error {
  override name = 'UnknownSessionError';
}

export interface EvaluateDeps {
  store: DetectorStore;
  publisher: EventPublisher;
  settings: DetectorSettings;
  /** Resolves an instrument id to its definition; undefined for an unknown id. */
  instrument: (instrumentId: string) => Instrument | undefined;
}

export type EvaluateOutcome = { outcome: 'evaluated' | 'duplicate' | 'client-erased'; alerts: string[] };

/** A late or redelivered event of an erased client: nothing is read further, written or announced. */
const CLIENT_ERASED: EvaluateOutcome = { outcome: 'client-erased', alerts: [] };

/** Evaluates one answer; a redelivered event re-announces its alerts (consumers dedupe) and changes nothing else. */
export async function evaluateAnswer(detail: FeedbackSubmittedDetail, deps: EvaluateDeps): Promise<EvaluateOutcome> {
  const instrument = deps.instrument(detail.instrumentId);
  if (!instrument) throw new RangeError(`unknown instrument ${detail.instrumentId}`);
  const found = await deps.store.getRecord(detail.clientId, instrument.id);
  if (found === 'client-erased') return CLIENT_ERASED;
  const record = found ?? { state: initialClientState(instrument), applied: [] };
  if (record.applied.includes(detail.sessionId)) {
    const stored = await deps.store.getEvaluation(detail.sessionId);
    const alerts = stored?.kind === 'answered' ? stored.evaluation.alerts : [];
    await announce(alerts, detail, stored?.kind === 'answered' ? stored.evaluation : undefined, instrument, deps.publisher);
    return { outcome: 'duplicate', alerts: alerts.map((a) => a.kind) };
  }

  const endedAt = await sessionEndedAt(detail, deps.store);
  if (!endedAt) throw new UnknownSessionError(`session ${detail.sessionId} is not stored`);
  const { state, evaluation } = evaluate(
    record.state,
    { sessionId: detail.sessionId, endedAt, answers: detail.items, talk: detail.talk },
    deps.settings,
    instrument,
  );
  // Evaluation first, record second: if the record write loses a race, the retry recomputes and
  // overwrites the evaluation; the reverse order could leave an applied session with none stored.
  await deps.store.saveEvaluation(detail.sessionId, detail.clientId, { kind: 'answered', evaluation, instrumentId: instrument.id, chart: chartSnapshot(state, instrument) });
  await deps.store.putRecord(detail.clientId, instrument.id, { state, applied: remember(record.applied, detail.sessionId) }, record.state.version);
  await announce(evaluation.alerts, detail, evaluation, instrument, deps.publisher);
  return { outcome: 'evaluated', alerts: evaluation.alerts.map((a) => a.kind) };
}

/** Counts an unanswered request towards going quiet. */
export async function evaluateExpiry(detail: FeedbackExpiredDetail, deps: EvaluateDeps, instrumentId: string): Promise<EvaluateOutcome> {
  const instrument = deps.instrument(instrumentId);
  if (!instrument) throw new RangeError(`unknown instrument ${instrumentId}`);
  const found = await deps.store.getRecord(detail.clientId, instrument.id);
  if (found === 'client-erased') return CLIENT_ERASED;
  const record = found ?? { state: initialClientState(instrument), applied: [] };
  if (record.applied.includes(detail.sessionId)) {
    const stored = await deps.store.getEvaluation(detail.sessionId);
    const alerts = stored?.kind === 'expired' ? stored.outcome.alerts : [];
    await announce(alerts, detail, undefined, instrument, deps.publisher, stored?.kind === 'expired' ? stored.outcome.reason : undefined);
    return { outcome: 'duplicate', alerts: alerts.map((a) => a.kind) };
  }

  const endedAt = (await sessionEndedAt(detail, deps.store)) ?? new Date(0).toISOString();
  const { state, outcome } = recordExpired(record.state, { sessionId: detail.sessionId, endedAt }, deps.settings);
  await deps.store.saveEvaluation(detail.sessionId, detail.clientId, { kind: 'expired', outcome, instrumentId: instrument.id });
  await deps.store.putRecord(detail.clientId, instrument.id, { state, applied: remember(record.applied, detail.sessionId) }, record.state.version);
  await announce(outcome.alerts, detail, undefined, instrument, deps.publisher, outcome.reason);
  return { outcome: 'evaluated', alerts: outcome.alerts.map((a) => a.kind) };
}

function remember(applied: readonly string[], sessionId: string): string[] {
  return [...applied, sessionId].slice(-REMEMBERED_SESSIONS);
}

/** The session's end from the event (v1.1), normalised to UTC ISO as the session store keeps it; else read back. */
async function sessionEndedAt(detail: { sessionId: string; sessionEndedAt?: string | undefined }, store: DetectorStore): Promise<string | undefined> {
  if (detail.sessionEndedAt !== undefined) return new Date(detail.sessionEndedAt).toISOString();
  return store.getSessionEndedAt(detail.sessionId);
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
