/**
 * Properties that must hold for every client, whatever their answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_SETTINGS, SPEC_DETECTOR_SETTINGS, evaluate, initialClientState, type Evaluation } from '../../../shared/domain/detector/index.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import { run, STATISTICAL_KINDS, type SessionInput, type Step } from './support.ts';

const item = fc.integer({ min: 0, max: 10 });
const answered = fc.record({ items: fc.array(item, { minLength: 4, maxLength: 4 }), talk: fc.boolean() });
const session: fc.Arbitrary<SessionInput> = fc.oneof({ weight: 9, arbitrary: answered }, { weight: 1, arbitrary: fc.constant(null) });
const settings = fc.record({
  sensitivity: fc.constantFrom('default' as const, 'sensitive' as const),
  sdFloor: fc.constantFrom(0, 5, 10),
});

function evaluations(steps: readonly Step[]): Evaluation[] {
  return steps.flatMap((step) => (step.kind === 'answered' ? [step.evaluation] : []));
}

function statisticalKinds(evaluation: Evaluation): string[] {
  return evaluation.alerts.map((alert) => alert.kind).filter((kind) => STATISTICAL_KINDS.has(kind));
}

describe('detector properties', () => {
  it('never raises a statistical alert for a client with fewer than 3 answers', () => {
    fc.assert(
      fc.property(fc.array(answered, { maxLength: 2 }), fc.array(fc.constant(null), { maxLength: 3 }), settings, (answers, gaps, overrides) => {
        const { steps } = run([...gaps, ...answers], { ...SPEC_DETECTOR_SETTINGS, ...overrides });

        for (const evaluation of evaluations(steps)) expect(statisticalKinds(evaluation)).toEqual([]);
      }),
    );
  });

  it('raises a statistical alert only against a baseline of at least minBaseline sessions', () => {
    fc.assert(
      fc.property(fc.array(session, { maxLength: 30 }), settings, (sessions, overrides) => {
        const { steps } = run(sessions, { ...SPEC_DETECTOR_SETTINGS, ...overrides });

        for (const evaluation of evaluations(steps)) {
          if (statisticalKinds(evaluation).some((kind) => kind !== 'unrepaired')) expect(evaluation.n).toBeGreaterThanOrEqual(3);
        }
      }),
    );
  });

  it('changes no statistical flag when every score of a client is shifted by a constant inside the range', () => {
    // The low-rating line is absolute by design, so it is switched off here: a shift may cross it.
    const noLowRating = { ...SPEC_DETECTOR_SETTINGS, lowRatingPomp: 0 };
    const base = fc.record({ items: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }), talk: fc.boolean() });
    const sessionsArb = fc.array(fc.oneof({ weight: 9, arbitrary: base }, { weight: 1, arbitrary: fc.constant(null) }), { maxLength: 25 });
    fc.assert(
      fc.property(sessionsArb, fc.integer({ min: 1, max: 4 }), settings, (sessions, shift, overrides) => {
        const shifted = sessions.map((entry) => entry && { ...entry, items: entry.items.map((value) => value + shift) });
        const options = { ...noLowRating, ...overrides };
        const before = evaluations(run(sessions, options).steps);
        const after = evaluations(run(shifted, options).steps);

        expect(after.map((e) => [e.state, statisticalKinds(e), e.watches, e.flagged])).toEqual(before.map((e) => [e.state, statisticalKinds(e), e.watches, e.flagged]));
        after.forEach((evaluation, index) => {
          const original = before[index]!;
          if (original.z === null) expect(evaluation.z).toBeNull();
          else expect(evaluation.z).toBeCloseTo(original.z, 3);
        });
      }),
    );
  });

  it.each([
    ['the spec', SPEC_DETECTOR_SETTINGS],
    ['the default (early alerts, cusum, item spread)', DEFAULT_DETECTOR_SETTINGS],
  ])('keeps the state bounded however long the history, on %s', (_, detectorSettings) => {
    fc.assert(
      fc.property(fc.array(session, { minLength: 50, maxLength: 400 }), (sessions) => {
        const { state } = run(sessions, detectorSettings);

        expect(state.baseline.length).toBeLessThanOrEqual(SPEC_DETECTOR_SETTINGS.baselineMax);
        expect(state.trend.length).toBeLessThanOrEqual(12);
        expect(JSON.stringify(state).length).toBeLessThan(2_000);
      }),
      { numRuns: 50 },
    );
  });

  it('is deterministic: the same state and session give the same result', () => {
    fc.assert(
      fc.property(fc.array(session, { maxLength: 20 }), answered, (history, next) => {
        const { state } = run(history);
        const input = {
          sessionId: 'next',
          endedAt: '2026-12-01T10:00:00Z',
          answers: Object.fromEntries(DEFAULT_INSTRUMENT.items.map((entry, index) => [entry.id, next.items[index]!])),
          talk: next.talk,
        };

        expect(evaluate(state, input, SPEC_DETECTOR_SETTINGS, DEFAULT_INSTRUMENT)).toEqual(
          evaluate(structuredClone(state), input, SPEC_DETECTOR_SETTINGS, DEFAULT_INSTRUMENT),
        );
      }),
    );
  });

  it.each([
    ['the spec', SPEC_DETECTOR_SETTINGS],
    ['the default (early alerts, cusum, item spread)', DEFAULT_DETECTOR_SETTINGS],
  ])('gives every evaluation a reason and at most one alert of each kind, on %s', (_, detectorSettings) => {
    fc.assert(
      fc.property(fc.array(session, { maxLength: 30 }), settings, (sessions, overrides) => {
        for (const evaluation of evaluations(run(sessions, { ...detectorSettings, ...overrides }).steps)) {
          const alertKinds = evaluation.alerts.map((alert) => alert.kind);
          expect(new Set(alertKinds).size).toBe(alertKinds.length);
          expect(evaluation.reason.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('starts every client from the same empty state', () => {
    expect(initialClientState(DEFAULT_INSTRUMENT)).toEqual({
      format: 1,
      version: 0,
      instrument: { id: 'alliance-check-v1', version: 1 },
      baseline: [],
      watch: null,
      repair: null,
      expiredInARow: 0,
      trend: [],
    });
  });
});
