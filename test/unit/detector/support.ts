/**
 * Helpers for detector tests: run a client's sessions through the detector in order.
 */
import {
  SPEC_DETECTOR_SETTINGS,
  evaluate,
  initialClientState,
  recordExpired,
  type ClientState,
  type DetectorSettings,
  type Evaluation,
  type ExpiredOutcome,
} from '../../../shared/domain/detector/index.ts';
import { DEFAULT_INSTRUMENT, type Instrument } from '../../../shared/domain/instruments.ts';

/** One session: item answers in instrument order, or null when the request expired unanswered. */
export type SessionInput = { items: number[]; talk?: boolean } | null;

export type Step = { kind: 'answered'; evaluation: Evaluation } | { kind: 'expired'; outcome: ExpiredOutcome };

/** Answers of an SRS-like total 0–40 spread equally over the four default items. */
export function total(value: number): SessionInput {
  return { items: [value / 4, value / 4, value / 4, value / 4] };
}

/** Parses a reference vector such as "37 38 — 37 38 31 36" ("—" is an unanswered session). */
export function vector(text: string): SessionInput[] {
  return text.split(/\s+/).map((token) => (token === '—' ? null : total(Number(token))));
}

export function endedAt(index: number): string {
  return new Date(Date.UTC(2026, 0, 5 + 7 * index, 15)).toISOString();
}

/**
 * Runs sessions through the detector, returning every step and the final state. The settings
 * default to the spec's (ALLIANCE-SCIENCE.md): the rule tests pin the spec's mechanics, which
 * every setting can still select; tests of the product's default pass DEFAULT_DETECTOR_SETTINGS.
 */
export function run(
  sessions: readonly SessionInput[],
  settings: DetectorSettings = SPEC_DETECTOR_SETTINGS,
  instrument: Instrument = DEFAULT_INSTRUMENT,
  start: ClientState = initialClientState(instrument),
): { steps: Step[]; state: ClientState } {
  let state = start;
  const steps: Step[] = [];
  sessions.forEach((session, index) => {
    const sessionId = `s${index + 1}`;
    if (session === null) {
      const result = recordExpired(state, { sessionId, endedAt: endedAt(index) }, settings);
      state = result.state;
      steps.push({ kind: 'expired', outcome: result.outcome });
      return;
    }
    const answers = Object.fromEntries(instrument.items.map((item, i) => [item.id, session.items[i] ?? Number.NaN]));
    const result = evaluate(state, { sessionId, endedAt: endedAt(index), answers, talk: session.talk ?? false }, settings, instrument);
    state = result.state;
    steps.push({ kind: 'answered', evaluation: result.evaluation });
  });
  return { steps, state };
}

/** The evaluation of answered session `number` (1-based, counting every session). */
export function at(steps: readonly Step[], number: number): Evaluation {
  const step = steps[number - 1];
  if (step?.kind !== 'answered') throw new Error(`session ${number} was not answered`);
  return step.evaluation;
}

export function kinds(evaluation: Evaluation): string[] {
  return evaluation.alerts.map((alert) => alert.kind);
}

/** The rules that compare a client with their own baseline. */
export const STATISTICAL_KINDS = new Set(['rupture', 'sustained-decline', 'item-drop', 'unrepaired']);
