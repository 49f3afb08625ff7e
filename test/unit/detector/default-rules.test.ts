/**
 * What issue 15 added to the product's default beyond the spec (docs/detector.md): early alerts
 * for clients with 1–2 answered sessions, the cusum rule for slow slides, item drops judged
 * against the item's own spread, the client's SD pulled toward the practice's, a re-alert when a
 * fall deepens inside an episode, the escalation at the 4th session, confirmed dips (round 4); and
 * stored records from before them still read.
 */
import { describe, expect, it } from 'vitest';
import {
  ClientStateSchema,
  DEFAULT_DETECTOR_SETTINGS,
  SPEC_DETECTOR_SETTINGS,
  type ClientState,
  type RuptureAlert,
  type SustainedDeclineAlert,
} from '../../../shared/domain/detector/index.ts';
import { at, kinds, run, vector, type SessionInput } from './support.ts';

const DEFAULT = DEFAULT_DETECTOR_SETTINGS;

function items(...values: number[]): SessionInput {
  return { items: values };
}

describe('early alerts (fewer than minBaseline answered sessions)', () => {
  it('alerts a client whose 2nd session falls far below their 1st, where the spec cannot yet', () => {
    const sessions = vector('39 26');

    expect(kinds(at(run(sessions, SPEC_DETECTOR_SETTINGS).steps, 2))).toEqual([]);
    const evaluation = at(run(sessions, DEFAULT).steps, 2);
    expect(kinds(evaluation)).toEqual(['rupture']);
    const alert = evaluation.alerts[0] as RuptureAlert;
    expect(alert).toMatchObject({ n: 1, k: 2.2, early: { priorMean: 80 } });
    expect(alert.z).toBeLessThanOrEqual(-2.2);
  });

  it('pulls the expectation toward the practice prior: the same drop from the top is judged against less than the top', () => {
    const alert = at(run(vector('40 26'), DEFAULT).steps, 2).alerts[0] as RuptureAlert;

    // One 40 (100 POMP) and the prior (80 ± 12, sessions ± 7): the expectation is 94.9, not 100.
    expect(alert.m).toBeCloseTo(94.92, 1);
    expect(alert.sEff).toBeCloseTo(9.25, 1);
  });

  it('explains an early alert in one sentence with the expectation, the prior and the line', () => {
    const { reason } = at(run(vector('39 38 24'), DEFAULT).steps, 3);

    expect(reason).toMatch(/^Total 24 of 40 against an expected [\d.]+ ± [\d.]+ from this client's first 2 sessions, pulled toward the practice's typical 32: z = −[\d.]+, at or past the early alert line of −2\.20\.$/);
  });

  it('stays quiet on an ordinary dip, and is off with earlyK 0', () => {
    expect(kinds(at(run(vector('38 33'), DEFAULT).steps, 2))).toEqual([]);
    expect(kinds(at(run(vector('39 26'), { ...DEFAULT, earlyK: 0 }).steps, 2))).toEqual([]);
  });

  it('opens a repair window judged against the expectation, like any rupture', () => {
    const { steps } = run(vector('39 26 37'), DEFAULT);

    expect(at(steps, 3).state).toBe('repaired');
  });
});

describe('cusum decline', () => {
  it('alerts a slow slide whose sessions are each too shallow for a rupture, once the shortfalls add up', () => {
    const { steps } = run(vector('38 38 38 38 36 35 34 34 33 33'), DEFAULT);
    const alerted = steps.findIndex((step) => step.kind === 'answered' && step.evaluation.alerts.length > 0) + 1;
    const alert = at(steps, alerted).alerts[0] as SustainedDeclineAlert;

    expect(alert.kind).toBe('sustained-decline');
    expect(alert.sum).toBeGreaterThanOrEqual(DEFAULT.cusumLimit);
    expect(alert.m).toBe(95);
  });

  it('pays the sum back down when a session comes back above usual', () => {
    const { steps } = run(vector('38 38 38 38 36 36 40 40 36 36'), DEFAULT);

    expect(steps.every((step) => step.kind === 'expired' || step.evaluation.alerts.length === 0)).toBe(true);
    expect(at(steps, 7).declineSum).toBe(0);
  });

  it('reports the running sum while it watches', () => {
    // Four 38s (95 POMP, SD 0) pulled toward the practice's 7 POMP with weight 8: √(8 · 49 / 11) = 5.97.
    const evaluation = at(run(vector('38 38 38 38 35'), DEFAULT).steps, 5);

    expect(evaluation.state).toBe('watch');
    expect(evaluation.sEff).toBeCloseTo(5.9696, 3);
    expect(evaluation.declineSum).toBeCloseTo(7.5 / 5.9696 - 0.75, 3);
    expect(evaluation.reason).toContain('the shortfalls since the decline began add up to 0.51 of the 4.00 SDs that alert');
  });
});

describe('item drops against the item’s own spread', () => {
  it('does not alert a 4-point dip of an item that often moves by 2 or more', () => {
    const history = [items(9, 10, 9, 9), items(9, 5, 9, 9), items(9, 10, 9, 9), items(9, 5, 9, 9), items(9, 10, 9, 9)];
    const dip = items(9, 3.5, 9, 9);

    expect(kinds(at(run([...history, dip], SPEC_DETECTOR_SETTINGS).steps, 6))).toContain('item-drop');
    expect(kinds(at(run([...history, dip], DEFAULT).steps, 6))).not.toContain('item-drop');
  });

  it('still alerts the same dip of a steady item', () => {
    const history = [items(9, 9, 9, 9), items(9, 9, 9, 9), items(9, 8, 9, 9), items(9, 9, 9, 9), items(9, 9, 9, 9)];

    expect(kinds(at(run([...history, items(9, 4, 9, 9)], DEFAULT).steps, 6))).toContain('item-drop');
  });
});

describe('the client’s SD pulled toward the practice’s (sdPriorWeight)', () => {
  it('gives a steady client a wider line than the floor while their baseline is short', () => {
    // 38 37 38 37 (95, 92.5, 95, 92.5 POMP: SD 1.44) pulled toward 7 with weight 8: √((8·49 + 3·2.08)/11) = 6.02.
    const evaluation = at(run(vector('38 37 38 37 33'), DEFAULT).steps, 5);

    expect(evaluation.s).toBeCloseTo(1.4434, 3);
    expect(evaluation.sEff).toBeCloseTo(Math.sqrt((8 * 49 + 3 * 1.4434 ** 2) / 11), 3);
    expect(at(run(vector('38 37 38 37 33'), SPEC_DETECTOR_SETTINGS).steps, 5).sEff).toBe(5);
  });

  it('judges a noisy client on less than their own large SD, and says so in the reason', () => {
    const evaluation = at(run(vector('30 36 28 35 31 34 27'), DEFAULT).steps, 7);

    expect(evaluation.s!).toBeGreaterThan(evaluation.sEff!);
    expect(evaluation.reason).toMatch(/\(spread counted as [\d.]+, pulled toward the practice's 2\.8\)/);
  });

  it('is off with sdPriorWeight 0: the client’s own SD, floored', () => {
    const evaluation = at(run(vector('38 37 38 37 33'), { ...DEFAULT, sdPriorWeight: 0 }).steps, 5);

    expect(evaluation.sEff).toBe(5);
  });
});

describe('a fall that deepens inside an alert episode (deepenGap)', () => {
  // s6 (31) is past the alert line (z −2.96 against −2.39).
  const deepening = vector('38 38 38 37 38 31 26 30');

  it('alerts once more when the total falls past the rupture line and a further SD below the alert’s total', () => {
    const { steps } = run(deepening, DEFAULT);

    expect(steps.map((step) => (step.kind === 'answered' ? step.evaluation.state : 'skipped')).slice(5)).toEqual(['alert', 'alert', 'continuing']);
    const alert = at(steps, 7).alerts[0] as RuptureAlert;
    expect(alert).toMatchObject({ kind: 'rupture', deepened: { alertSessionId: 's6', alertP: 77.5, sessionsSince: 1 } });
    expect(alert.z).toBeLessThanOrEqual(-alert.k);
    expect(at(steps, 7).reason).toMatch(
      /^Total 26 of 40, 1 session after the alert at 31 of 40 and lower still: against the 37\.8 ± [\d.]+ expected before that alert, z = −[\d.]+, at or past the alert line of −[\d.]+, and 5 points below the total at the alert\.$/,
    );
  });

  it('judges a fall after an early rupture against the expectation that early alert used', () => {
    const { steps } = run(vector('39 26 18'), DEFAULT);
    const first = at(steps, 2).alerts[0] as RuptureAlert;
    const deeper = at(steps, 3).alerts[0] as RuptureAlert;

    expect(first.early).toBeDefined();
    expect(deeper).toMatchObject({ kind: 'rupture', m: first.m, sEff: first.sEff, k: DEFAULT.earlyK, deepened: { alertSessionId: 's2', sessionsSince: 1 } });
    expect(at(steps, 3).reason).toContain('Total 18 of 40, 1 session after the alert at 26 of 40 and lower still: against the 37.2 ± 3.7 expected before that alert');
  });

  it('stays quiet inside the episode when the fall does not deepen by deepenGap SDs, and is off with deepenGap 0', () => {
    expect(kinds(at(run(vector('38 38 38 37 38 31 30 30'), DEFAULT).steps, 7))).toEqual([]);
    expect(kinds(at(run(deepening, { ...DEFAULT, deepenGap: 0 }).steps, 7))).toEqual([]);
  });
});

describe('confirmed dips (confirmK, confirmZ, confirmEarlyK, confirmLift)', () => {
  // 33 after a steady 38 38 38 37 38 is 2.09 SDs down: past confirmK (2) but short of the line
  // (2.39), so it waits; 34 next is still 1.65 SDs below the same baseline (and short of its own line).
  const confirmedDip = vector('38 38 38 37 38 33 34 34');

  it('alerts at the next answered session when it is still confirmZ SDs below the baseline frozen at the first, in one sentence', () => {
    const { steps } = run(confirmedDip, DEFAULT);
    const first = at(steps, 6);

    expect(first.alerts).toEqual([]);
    expect(first.flagged).toBe(false);
    const evaluation = at(steps, 7);
    expect(kinds(evaluation)).toEqual(['rupture']);
    expect(evaluation.alerts[0]).toMatchObject({ kind: 'rupture', m: first.m, sEff: first.sEff, n: 5, k: first.k, confirmed: { firstP: 82.5, firstZ: first.z } });
    expect(evaluation.reason).toBe('Total 33 of 40 at the last answered session and 34 of 40 today, 2.1 and 1.7 SDs below the usual 37.8: two sessions in a row this far down.');
    expect(at(steps, 8).state).toBe('continuing');
  });

  it('waits over an unanswered session for the next answered one', () => {
    const { steps } = run(vector('38 38 38 37 38 33 — 34'), DEFAULT);

    expect(kinds(at(steps, 8))).toEqual(['rupture']);
    expect((at(steps, 8).alerts[0] as RuptureAlert).confirmed).toEqual({ firstP: 82.5, firstZ: at(steps, 6).z });
  });

  it('sends nothing when the next session comes back, and the wait ends there', () => {
    const { steps, state } = run(vector('38 38 38 37 38 33 37 38'), DEFAULT);

    expect(steps.every((step) => step.kind === 'expired' || step.evaluation.alerts.length === 0)).toBe(true);
    expect(run(vector('38 38 38 37 38 33'), DEFAULT).state.pending).toMatchObject({ p: 82.5, m: at(steps, 6).m });
    expect(state.pending).toBeUndefined();
  });

  it('confirms an early dip against the expectation of the client’s first session (confirmEarlyK)', () => {
    const { steps } = run(vector('39 30 33'), DEFAULT);

    expect(kinds(at(steps, 2))).toEqual([]);
    const alert = at(steps, 3).alerts[0] as RuptureAlert;
    expect(alert).toMatchObject({ kind: 'rupture', n: 1, k: DEFAULT.earlyK, early: { priorMean: 80 }, confirmed: { firstP: 75 } });
    expect(at(steps, 3).reason).toBe("Total 30 of 40 at the last answered session and 33 of 40 today, 2 and 1.1 SDs below the 37.2 expected from this client's first session: two sessions in a row this far down.");
    expect(kinds(at(run(vector('39 30 37'), DEFAULT).steps, 3))).toEqual([]);
    expect(kinds(at(run(vector('39 30 33'), { ...DEFAULT, confirmEarlyK: 0 }).steps, 3))).toEqual([]);
  });

  it('is off with confirmK 0: no wait, each session is judged on its own and neither alerts', () => {
    const { steps, state } = run(confirmedDip, { ...DEFAULT, confirmK: 0 });

    expect(kinds(at(steps, 6))).toEqual([]);
    expect(kinds(at(steps, 7))).toEqual([]);
    expect(run(vector('38 38 38 37 38 33'), { ...DEFAULT, confirmK: 0 }).state.pending).toBeUndefined();
    expect(state.pending).toBeUndefined();
  });

  it('with confirmLift, a dip past the default line but short of the lifted one waits too', () => {
    const lifted = { ...DEFAULT, confirmLift: 0.3 };
    // 32 is 2.52 SDs down: an alert at once on the default (line 2.39), a wait with the line at 2.69.
    expect(kinds(at(run(vector('38 38 38 37 38 32'), DEFAULT).steps, 6))).toEqual(['rupture']);
    expect(kinds(at(run(vector('38 38 38 37 38 32'), lifted).steps, 6))).toEqual([]);
    expect((at(run(vector('38 38 38 37 38 32 31'), lifted).steps, 7).alerts[0] as RuptureAlert).confirmed).toMatchObject({ firstP: 80 });
  });

  it('is off in the spec’s settings', () => {
    expect(SPEC_DETECTOR_SETTINGS).toMatchObject({ confirmK: 0, confirmEarlyK: 0 });
    const { steps } = run(confirmedDip, SPEC_DETECTOR_SETTINGS);

    expect(steps.some((step) => step.kind === 'answered' && step.evaluation.alerts.some((alert) => alert.kind === 'rupture' && alert.confirmed))).toBe(false);
    expect(run(vector('38 38 38 37 38 33'), SPEC_DETECTOR_SETTINGS).state.pending).toBeUndefined();
  });
});

describe('the unrepaired escalation (repairWindow 4)', () => {
  it('comes at the 4th answered session after the alert on the default, the 3rd on the spec', () => {
    const sessions = vector('38 38 38 38 30 35 35 35 35');

    expect(kinds(at(run(sessions, SPEC_DETECTOR_SETTINGS).steps, 8))).toEqual(['unrepaired']);
    const { steps } = run(sessions, DEFAULT);
    expect(kinds(at(steps, 8))).toEqual([]);
    expect(kinds(at(steps, 9))).toEqual(['unrepaired']);
  });
});

describe('stored detector records', () => {
  it('reads a record whose repair window has no reference (written before deepenGap) and never re-alerts inside it', () => {
    const { state } = run(vector('38 38 38 37 38 30'), SPEC_DETECTOR_SETTINGS);
    const old = JSON.parse(JSON.stringify(state)) as ClientState;
    expect(old.repair).not.toBeNull();
    expect('reference' in old.repair!).toBe(false);

    const { steps } = run(vector('27 31'), DEFAULT, undefined, ClientStateSchema.parse(old));

    expect(steps.map((step) => (step.kind === 'answered' ? step.evaluation.state : 'skipped'))).toEqual(['continuing', 'continuing']);
    // The same fall on a record written today deepens.
    const fresh = run(vector('38 38 38 37 38 30 27 31'), DEFAULT).steps;
    expect(kinds(at(fresh, 7))).toEqual(['rupture']);
  });

  it('reads a record written before confirmed dips (no pending field), and keeps a waiting dip across a store round trip', () => {
    const { state } = run(vector('38 38 38 37 38'), SPEC_DETECTOR_SETTINGS);
    const old = JSON.parse(JSON.stringify(state)) as ClientState;
    expect('pending' in old).toBe(false);

    const { steps } = run(vector('33 34'), DEFAULT, undefined, ClientStateSchema.parse(old));
    expect(kinds(at(steps, 1))).toEqual([]);
    expect(kinds(at(steps, 2))).toEqual(['rupture']);

    // A record stored between the two sessions keeps the waiting dip.
    const waiting = run(vector('38 38 38 37 38 33'), DEFAULT).state;
    const stored = ClientStateSchema.parse(JSON.parse(JSON.stringify(waiting)));
    expect(stored.pending).toEqual(waiting.pending);
    expect((at(run(vector('34'), DEFAULT, undefined, stored).steps, 1).alerts[0] as RuptureAlert).confirmed).toBeDefined();
  });

  it('reads a record written before the cusum rule (no sum in its watch run) and carries its run on', () => {
    const { state } = run(vector('38 38 38 38 36'), SPEC_DETECTOR_SETTINGS);
    const old = JSON.parse(JSON.stringify(state)) as ClientState;
    expect(old.watch).not.toBeNull();
    expect('sum' in old.watch!).toBe(false);

    const parsed = ClientStateSchema.parse(old);
    const { steps } = run(vector('35 34 33 33'), DEFAULT, undefined, parsed);

    expect(steps.some((step) => step.kind === 'answered' && step.evaluation.alerts.some((alert) => alert.kind === 'sustained-decline'))).toBe(true);
  });
});
