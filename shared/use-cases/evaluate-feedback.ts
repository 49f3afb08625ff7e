/**
 * Use case: score an answer (or an expiry) against the client's own baseline, keep the evaluation
 * with the session, and announce every alert it raises. Reads and writes one small per-client
 * record, whatever the length of the client's history.
 */
import { createHash } from 'node:crypto';
import { evaluate, recordExpired, type Alert, type Evaluation, type ExpiredOutcome } from '../domain/detector/evaluate.ts';
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
import type { EventPublisher } from './ports.ts';

/** How many evaluated session ids a client record remembers to recognise a redelivered event. */
export const REMEMBERED_SESSIONS = 24;

/** The detector's stored record for one client and instrument. */
export interface DetectorRecord {
  state: ClientState;
  /**
   * Keys (appliedKey) of the sessions already applied to `state`, newest last: a redelivered event
   * must not count twice. Digests, not ids, so the record stays small whatever the ids' length.
   */
  applied: string[];
}

/**
 * The short key a session is remembered by in `DetectorRecord.applied`: 48 bits of its id's SHA-256
 * (8 base64url characters). Ids are up to 128 characters; 24 of them would not fit a 1 KB item.
 * A collision among a client's last 24 sessions (about 1 in 10¹³) would skip one evaluation.
 */
export function appliedKey(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 8);
}

/**
 * What the alert email's chart needs, frozen when the session was evaluated: the client's trend
 * including this session, and the per-item means of the baseline (POMP, instrument item order;
 * null without a baseline). Kept with the evaluation so the alert never reads the detector record.
 */
export interface ChartSnapshot {
  trend: { endedAt: string; p: number }[];
  itemMeans: number[] | null;
}

/** What is kept with the session: the evaluation, or the expiry outcome. */
export type StoredEvaluation =
  | { kind: 'answered'; evaluation: Evaluation; instrumentId: string; chart?: ChartSnapshot | undefined }
  | { kind: 'expired'; outcome: ExpiredOutcome; instrumentId: string };

export interface DetectorStore {
  /** The client's record for this instrument, or undefined for a client not evaluated yet. */
  getRecord(clientId: string, instrumentId: string): Promise<DetectorRecord | undefined>;
  /**
   * Writes the record only if nobody else wrote it since `expectedVersion` was read (optimistic
   * concurrency); throws ConcurrentUpdateError otherwise, and the queue retries.
   */
  putRecord(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number): Promise<void>;
  /**
   * When the session ended (answers can arrive in any order; the trend is by session). Only read
   * for events from before contracts v1.1, which do not carry `sessionEndedAt`.
   */
  getSessionEndedAt(sessionId: string): Promise<string | undefined>;
  saveEvaluation(sessionId: string, evaluation: StoredEvaluation): Promise<void>;
  getEvaluation(sessionId: string): Promise<StoredEvaluation | undefined>;
}

/** Another evaluation of the same client won the race; retrying reads its result. */
export class ConcurrentUpdateError extends Error {
  override name = 'ConcurrentUpdateError';
}

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

export type EvaluateOutcome = { outcome: 'evaluated' | 'duplicate'; alerts: string[] };

/** Evaluates one answer; a redelivered event re-announces its alerts (consumers dedupe) and changes nothing else. */
export async function evaluateAnswer(detail: FeedbackSubmittedDetail, deps: EvaluateDeps): Promise<EvaluateOutcome> {
  const instrument = deps.instrument(detail.instrumentId);
  if (!instrument) throw new RangeError(`unknown instrument ${detail.instrumentId}`);
  const record = (await deps.store.getRecord(detail.clientId, instrument.id)) ?? { state: initialClientState(instrument), applied: [] };
  const key = appliedKey(detail.sessionId);

  if (record.applied.includes(key)) {
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
  await deps.store.saveEvaluation(detail.sessionId, { kind: 'answered', evaluation, instrumentId: instrument.id, chart: chartSnapshot(state, instrument) });
  await deps.store.putRecord(detail.clientId, instrument.id, { state, applied: remember(record.applied, key) }, record.state.version);
  await announce(evaluation.alerts, detail, evaluation, instrument, deps.publisher);
  return { outcome: 'evaluated', alerts: evaluation.alerts.map((a) => a.kind) };
}

/** Counts an unanswered request towards going quiet. */
export async function evaluateExpiry(detail: FeedbackExpiredDetail, deps: EvaluateDeps, instrumentId: string): Promise<EvaluateOutcome> {
  const instrument = deps.instrument(instrumentId);
  if (!instrument) throw new RangeError(`unknown instrument ${instrumentId}`);
  const record = (await deps.store.getRecord(detail.clientId, instrument.id)) ?? { state: initialClientState(instrument), applied: [] };
  const key = appliedKey(detail.sessionId);

  if (record.applied.includes(key)) {
    const stored = await deps.store.getEvaluation(detail.sessionId);
    const alerts = stored?.kind === 'expired' ? stored.outcome.alerts : [];
    await announce(alerts, detail, undefined, instrument, deps.publisher, stored?.kind === 'expired' ? stored.outcome.reason : undefined);
    return { outcome: 'duplicate', alerts: alerts.map((a) => a.kind) };
  }

  const endedAt = (await sessionEndedAt(detail, deps.store)) ?? new Date(0).toISOString();
  const { state, outcome } = recordExpired(record.state, { sessionId: detail.sessionId, endedAt }, deps.settings);
  await deps.store.saveEvaluation(detail.sessionId, { kind: 'expired', outcome, instrumentId: instrument.id });
  await deps.store.putRecord(detail.clientId, instrument.id, { state, applied: remember(record.applied, key) }, record.state.version);
  await announce(outcome.alerts, detail, undefined, instrument, deps.publisher, outcome.reason);
  return { outcome: 'evaluated', alerts: outcome.alerts.map((a) => a.kind) };
}

function remember(applied: readonly string[], key: string): string[] {
  return [...applied, key].slice(-REMEMBERED_SESSIONS);
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
