/**
 * Everything the detector remembers about one client, in one small serialisable record: evaluating
 * a new answer reads and writes only this, never the client's history, so its cost and size stay
 * the same after 10 sessions or 1,000. Stores keep it in one item and update it with optimistic
 * concurrency on `version`.
 */
import * as z from 'zod/mini';
import type { Instrument } from '../instruments.ts';

/** Format of the stored record; bump it (and migrate) when its shape changes. */
export const CLIENT_STATE_FORMAT = 1;

/** Answered sessions kept for the alert's trend chart. */
export const TREND_LENGTH = 12;

/** Where a session's score stands, as the therapist would read it. */
export type EvaluationState =
  | 'insufficient-baseline'
  | 'normal'
  | 'watch'
  | 'alert'
  | 'continuing'
  | 'repaired'
  | 'unrepaired';

/** The alert kinds raised by the score itself; they open a repair window and flag the session. */
export type ScoreAlertKind = 'rupture' | 'sustained-decline' | 'item-drop' | 'low-rating';

/** A baseline summary kept unchanged while a watch run lasts. */
export interface FrozenBaseline {
  m: number;
  sEff: number;
  n: number;
}

/**
 * Consecutive watch sessions, judged against the baseline frozen at the first of them (or, with
 * declineRule `cusum`, the sessions since the summed shortfall last was 0, and that sum in SDs).
 * `sum` is absent on records written before the cusum rule existed: they read as a sum of 0.
 */
export interface WatchRun {
  count: number;
  frozen: FrozenBaseline;
  sum?: number;
}

/** An open alert episode: the answered sessions after it either come back or escalate once. */
export interface RepairWindow {
  openedBy: ScoreAlertKind[];
  /** Session that raised the alert. */
  sessionId: string;
  /**
   * `baseline`: repaired when p ≥ threshold = m − s_eff of the pre-alert baseline.
   * `low-rating`: the alert came before any baseline existed; repaired when p > threshold = the
   * low-rating line, i.e. when the rating is no longer low.
   */
  basis: 'baseline' | 'low-rating';
  threshold: number;
  /** Answered sessions evaluated since the alert. */
  seen: number;
  /**
   * The pre-alert reference a deeper fall inside the episode is judged against (deepenGap): its
   * mean, floored SD, size, alert line k (for an early rupture: the expectation, its spread and
   * earlyK), and the total at the alert. Absent on records written before it existed, with
   * deepenGap 0, and on episodes a low rating opened before any baseline: those never re-alert.
   */
  reference?: { m: number; sEff: number; n: number; k: number; p: number };
}

/**
 * A low session waiting one answered session for confirmation (confirmK, confirmEarlyK): its total
 * and z, and the baseline it was judged against, frozen (mean, floored SD, size, rupture line k;
 * for an early one the expectation, its spread, the number of sessions behind it and earlyK).
 * Absent when none waits, and on records written before it existed.
 */
export interface PendingDip {
  p: number;
  z: number;
  m: number;
  sEff: number;
  n: number;
  k: number;
  /** The frozen baseline is an early expectation (fewer than minBaseline answers behind it). */
  early?: boolean;
}

/**
 * One answered session in the trend chart: when it ended and its total. Its state is not repeated
 * here: the client's history rows keep every session's, the record only the last one's (lastState).
 */
export interface TrendPoint {
  endedAt: string;
  p: number;
}

/** The detector's memory of one client. */
export interface ClientState {
  format: typeof CLIENT_STATE_FORMAT;
  /** Incremented on every update, for optimistic concurrency. */
  version: number;
  /** Item POMP values are stored by position, so the instrument must not change under them. */
  instrument: { id: string; version: number };
  /** Per-item POMP values of the most recent unflagged answered sessions, oldest first. */
  baseline: number[][];
  watch: WatchRun | null;
  repair: RepairWindow | null;
  /** A low session waiting for the next answered one to confirm it (absent when none). */
  pending?: PendingDip;
  /** Feedback requests in a row that expired unanswered. */
  expiredInARow: number;
  /** The last ≤ TREND_LENGTH answered sessions, oldest first. */
  trend: TrendPoint[];
  /** Where the last answered session stood (the caseload summary shows it); absent before the first. */
  lastState?: EvaluationState;
}

/** Returns the state of a client nobody has evaluated yet. */
export function initialClientState(instrument: Instrument): ClientState {
  return {
    format: CLIENT_STATE_FORMAT,
    version: 0,
    instrument: { id: instrument.id, version: instrument.version },
    baseline: [],
    watch: null,
    repair: null,
    expiredInARow: 0,
    trend: [],
  };
}

/** Schema of a stored ClientState, for parsing what a store returns. */
export const ClientStateSchema = (() => {
  const pomp = z.number().check(z.gte(0), z.lte(100));
  const count = z.int().check(z.gte(0));
  const scoreAlertKind = z.enum(['rupture', 'sustained-decline', 'item-drop', 'low-rating']);
  const evaluationState = z.enum(['insufficient-baseline', 'normal', 'watch', 'alert', 'continuing', 'repaired', 'unrepaired']);
  return z.object({
    format: z.literal(CLIENT_STATE_FORMAT),
    version: count,
    instrument: z.object({ id: z.string(), version: z.number() }),
    baseline: z.array(z.array(pomp)),
    watch: z.nullable(z.object({ count, frozen: z.object({ m: pomp, sEff: z.number(), n: count }), sum: z.optional(z.number().check(z.gte(0))) })),
    repair: z.nullable(
      z.object({
        openedBy: z.array(scoreAlertKind),
        sessionId: z.string(),
        basis: z.enum(['baseline', 'low-rating']),
        threshold: z.number(),
        seen: count,
        reference: z.optional(z.object({ m: z.number(), sEff: z.number(), n: count, k: z.number(), p: pomp })),
      }),
    ),
    pending: z.optional(z.object({ p: pomp, z: z.number(), m: z.number(), sEff: z.number(), n: count, k: z.number(), early: z.optional(z.boolean()) })),
    expiredInARow: count,
    trend: z.array(z.object({ endedAt: z.string(), p: pomp })),
    lastState: z.optional(evaluationState),
  });
})();

// Fails to compile when the schema and the interface drift apart.
const _schemaMatches: z.infer<typeof ClientStateSchema> extends ClientState ? (ClientState extends z.infer<typeof ClientStateSchema> ? true : never) : never = true;
void _schemaMatches;
