/**
 * The detector's rules one by one, and its edge cases: ceiling clients, reverse-keyed items,
 * unanswered sessions, the sensitive setting, the repair window and what is kept out of baselines.
 */
import { describe, expect, it } from 'vitest';
import {
  ClientStateSchema,
  SPEC_DETECTOR_SETTINGS,
  evaluate,
  initialClientState,
  InstrumentMismatchError,
  InvalidAnswersError,
  recordExpired,
  TREND_LENGTH,
  type ClientState,
  type ItemDropAlert,
  type LowRatingAlert,
  type UnrepairedAlert,
} from '../../../shared/domain/detector/index.ts';
import { DEFAULT_INSTRUMENT, type Instrument } from '../../../shared/domain/instruments.ts';
import { at, kinds, run, total, vector, type SessionInput } from './support.ts';

const SENSITIVE = { ...SPEC_DETECTOR_SETTINGS, sensitivity: 'sensitive' as const };

/** The default items, with the approach item replaced by a reverse-keyed "felt judged" item. */
const REVERSED: Instrument = {
  ...DEFAULT_INSTRUMENT,
  id: 'test-reversed',
  items: DEFAULT_INSTRUMENT.items.map((item) =>
    item.id === 'approach'
      ? { ...item, id: 'judged', shortLabel: { en: 'Judged', es: 'Juzgado/a' }, reverseKeyed: true }
      : item,
  ),
};

/** A licensed 4 × 0–10 instrument with its own concern level on the raw total (like the SRS). */
const WITH_CUTOFF: Instrument = { ...DEFAULT_INSTRUMENT, id: 'test-licensed', cutoff: { totalBelow: 36 } };

const items = (...values: number[]): SessionInput => ({ items: values });

describe('ceiling clients', () => {
  it('does not alert a client who always answers 10/10 on a one-point dip', () => {
    const { steps } = run(vector('40 40 40 40 40 39'));

    expect(at(steps, 6)).toMatchObject({ state: 'normal', s: 0, sEff: 5, z: -0.5, alerts: [] });
  });

  it('alerts a ceiling client on a six-point dip', () => {
    const { steps } = run(vector('40 40 40 40 40 34'));

    expect(at(steps, 6)).toMatchObject({ state: 'alert', z: -3 });
    expect(kinds(at(steps, 6))).toEqual(['rupture']);
  });

  it('keeps z finite with no spread floor when the baseline never moved: 0 for the same total, a rupture for a lower one', () => {
    const noFloor = { ...SPEC_DETECTOR_SETTINGS, sdFloor: 0 };
    const same = at(run(vector('36 36 36 36'), noFloor).steps, 4);
    const lower = at(run(vector('36 36 36 35'), noFloor).steps, 4);

    expect(same).toMatchObject({ s: 0, z: 0, state: 'normal', alerts: [] });
    expect(Number.isFinite(lower.z)).toBe(true);
    expect(kinds(lower)).toEqual(['rupture']);
    // What the evaluation stores survives JSON (a NaN or an infinite z would not).
    expect(JSON.parse(JSON.stringify(lower)).z).toBe(lower.z);
  });
});

describe('reverse-keyed items', () => {
  it('counts a high answer on a reverse-keyed item as a lower alliance', () => {
    const { steps } = run([items(9, 9, 1, 9), items(9, 9, 9, 9)], SPEC_DETECTOR_SETTINGS, REVERSED);

    expect(at(steps, 1).p).toBe(90);
    expect(at(steps, 2).p).toBe(70);
    expect(at(steps, 2).items).toEqual({ relationship: 90, goals: 90, judged: 10, overall: 90 });
  });

  it('raises an item drop when a reverse-keyed item rises, and says so in the client’s own answers', () => {
    const { steps } = run([...Array(4).fill(items(9, 9, 1, 9)), items(9, 9, 6, 9)], SPEC_DETECTOR_SETTINGS, REVERSED);
    const evaluation = at(steps, 5);

    expect(kinds(evaluation)).toEqual(['item-drop']);
    expect((evaluation.alerts[0] as ItemDropAlert).items).toEqual([{ itemId: 'judged', value: 40, baselineMean: 90, drop: 50, baselineSd: 0 }]);
    expect(evaluation.mostMovedComponent).toMatchObject({ itemId: 'judged', component: 'tasks' });
    expect(evaluation.reason).toContain("'Judged' 6 of 10 (higher is worse on this item) against a usual 1");
  });
});

describe('unanswered sessions', () => {
  it('skips an expired request inside a watch run instead of breaking it', () => {
    const { steps } = run(vector('39 38 37 36 — 35 34'));

    expect([at(steps, 4).state, at(steps, 6).state, at(steps, 7).state]).toEqual(['watch', 'watch', 'alert']);
    expect(kinds(at(steps, 7))).toEqual(['sustained-decline']);
  });

  it('counts only answered sessions in the repair window', () => {
    const { steps } = run(vector('36 37 37 38 38 30 — — 30 30 30'));

    expect([at(steps, 9).state, at(steps, 10).state, at(steps, 11).state]).toEqual(['continuing', 'continuing', 'unrepaired']);
  });

  it('sends one going-quiet notice when two requests in a row expire, not another at the third', () => {
    const { steps } = run(vector('38 — — —'));
    const notices = steps.map((step) => (step.kind === 'expired' ? step.outcome.alerts.map((alert) => alert.kind) : []));

    expect(notices).toEqual([[], [], ['going-quiet'], []]);
  });

  it('starts counting expired requests again after an answer', () => {
    const { steps, state } = run(vector('38 — 38 — —'));

    expect(steps[3]?.kind === 'expired' && steps[3].outcome.alerts).toEqual([]);
    expect(steps[4]?.kind === 'expired' && steps[4].outcome.alerts).toEqual([{ kind: 'going-quiet', expiredInARow: 2 }]);
    expect(state.expiredInARow).toBe(2);
  });

  it('explains expired requests', () => {
    const { steps } = run(vector('38 — —'));

    expect(steps.slice(1).map((step) => step.kind === 'expired' && step.outcome.reason)).toEqual([
      'The feedback request expired unanswered; the session is skipped, not counted.',
      'The last 2 requests in a row expired unanswered: the client may be going quiet.',
    ]);
  });

  it('does not impute anything for an expired request', () => {
    const { state } = run(vector('38 — 38'));

    expect(state.baseline).toHaveLength(2);
    expect(state.trend).toHaveLength(2);
  });
});

describe('sensitive setting', () => {
  it('alerts at 2 SD where the default only watches', () => {
    const sessions = vector('38 38 39 38 33');

    expect(at(run(sessions).steps, 5).state).toBe('watch');
    expect(at(run(sessions, SENSITIVE).steps, 5)).toMatchObject({ state: 'alert', k: 2 });
    expect(kinds(at(run(sessions, SENSITIVE).steps, 5))).toEqual(['rupture']);
  });

  it('still needs three baseline sessions', () => {
    const { steps } = run(vector('40 40 30'), SENSITIVE);

    expect(steps.map((step) => (step.kind === 'answered' ? step.evaluation.alerts : null))).toEqual([[], [], []]);
  });
});

describe('watch runs and sustained decline', () => {
  it('reports a sustained decline with the numbers of the baseline frozen at the first watch', () => {
    const evaluation = at(run(vector('38 38 39 38 33 32 31 30')).steps, 7);

    expect(evaluation.alerts).toEqual([{ kind: 'sustained-decline', watches: 3, p: 77.5, m: 95.625, sEff: 5, n: 4, z: -3.625 }]);
    expect(evaluation.reason).toContain('the 3rd session in a row below the usual 38.3 from before the decline began (z = −3.63)');
  });

  it('starts counting again after a session back in the usual range', () => {
    const { steps } = run(vector('39 38 37 36 35 38 35 34'));

    expect(steps.slice(3).map((step) => (step.kind === 'answered' ? [step.evaluation.state, step.evaluation.watches] : null))).toEqual([
      ['watch', 1], ['watch', 2], ['normal', 0], ['watch', 1], ['watch', 2],
    ]);
  });

  it('needs sustainedWatches watches in a row, as configured', () => {
    const { steps } = run(vector('39 38 37 36 35'), { ...SPEC_DETECTOR_SETTINGS, sustainedWatches: 2 });

    expect(kinds(at(steps, 5))).toEqual(['sustained-decline']);
  });
});

describe('item drop', () => {
  it('alerts when one item falls 40 POMP below its baseline mean while the total stays steady', () => {
    const { steps } = run([...Array(4).fill(items(9, 9, 9, 9)), items(10, 5, 10, 10)]);
    const evaluation = at(steps, 5);

    expect(evaluation.z).toBe(-0.5);
    expect(kinds(evaluation)).toEqual(['item-drop']);
    expect(evaluation.state).toBe('alert');
    expect(evaluation.reason).toContain("'Goals' 5 of 10 against a usual 9");
  });

  it('alerts at exactly 10 → 6 on a 0–10 item', () => {
    const { steps } = run([...Array(4).fill(items(10, 10, 10, 10)), items(10, 6, 10, 10)]);

    expect(kinds(at(steps, 5))).toEqual(['item-drop']);
  });

  it('does not alert on a 3-point item dip', () => {
    const { steps } = run([...Array(4).fill(items(9, 9, 9, 9)), items(10, 6, 10, 10)]);

    expect(at(steps, 5).alerts).toEqual([]);
  });
});

describe('low rating', () => {
  it('alerts on a total of half the maximum even at the first session', () => {
    const { steps, state } = run([total(20)]);

    expect(at(steps, 1)).toMatchObject({ state: 'alert', n: 0, z: null, flagged: true });
    expect(at(steps, 1).alerts).toEqual([{ kind: 'low-rating', p: 50, threshold: 50, cutoff: null }]);
    expect(state.baseline).toEqual([]);
  });

  it('does not alert just above the line', () => {
    expect(at(run([total(21)]).steps, 1).alerts).toEqual([]);
  });

  it('counts a low rating before any baseline as repaired once the rating is no longer low', () => {
    const { steps } = run([total(20), total(30)]);

    expect(at(steps, 2).state).toBe('repaired');
  });

  it("adds the instrument's own cutoff when it defines one", () => {
    const { steps } = run([total(35), total(36)], SPEC_DETECTOR_SETTINGS, WITH_CUTOFF);

    expect((at(steps, 1).alerts[0] as LowRatingAlert).cutoff).toEqual({ rawTotal: 35, totalBelow: 36, below: true });
    expect(at(steps, 1).reason).toContain("below the instrument's concern level of 36");
    expect(at(steps, 2).alerts).toEqual([]);
  });
});

describe('client asked to talk', () => {
  it('alerts without flagging the session when the scores are in line', () => {
    const { steps, state } = run([...vector('38 38 38'), { ...total(38)!, talk: true }]);

    expect(at(steps, 4)).toMatchObject({ state: 'normal', flagged: false });
    expect(kinds(at(steps, 4))).toEqual(['client-asked']);
    expect(state.baseline).toHaveLength(4);
  });

  it('alerts even before a baseline exists', () => {
    expect(kinds(at(run([{ ...total(39)!, talk: true }]).steps, 1))).toEqual(['client-asked']);
  });

  it('is never muted inside an alert episode', () => {
    const { steps } = run([...vector('36 37 37 38 38 30'), { ...total(30)!, talk: true }]);

    expect(at(steps, 7).state).toBe('continuing');
    expect(kinds(at(steps, 7))).toEqual(['client-asked']);
  });
});

describe('after an alert', () => {
  it('keeps continuing sessions out of the baseline and never re-alerts them', () => {
    const { steps } = run(vector('36 37 37 38 38 30 20 30'));

    expect([at(steps, 7).state, at(steps, 8).state]).toEqual(['continuing', 'continuing']);
    expect([at(steps, 7).alerts, at(steps, 8).alerts]).toEqual([[], []]);
    expect([at(steps, 7).m, at(steps, 8).m]).toEqual([at(steps, 6).m, at(steps, 6).m]);
  });

  it('escalates once as unrepaired at the third answered session, then rebuilds the baseline', () => {
    const { steps } = run(vector('36 37 37 38 38 30 30 30 30 38 38 38 30'));

    expect(steps.map((step) => (step.kind === 'answered' ? step.evaluation.state : '')).slice(5)).toEqual([
      'alert', 'continuing', 'continuing', 'unrepaired', 'insufficient-baseline', 'insufficient-baseline', 'insufficient-baseline', 'alert',
    ]);
    expect(at(steps, 9).alerts).toEqual([
      { kind: 'unrepaired', openedBy: ['rupture'], alertSessionId: 's6', sessionsSince: 3, p: 75, threshold: 88 } satisfies UnrepairedAlert,
    ]);
  });

  it('lets the repaired session into the baseline', () => {
    const { steps } = run(vector('36 37 37 38 38 30 37 38'));

    expect(at(steps, 8).n).toBe(6);
  });

  it('judges repair after a sustained decline against the baseline from before the decline', () => {
    const { steps } = run(vector('39 38 37 36 35 34 35 36'));

    // Frozen at s4: m = 95, s_eff = 5, so repaired at 90 POMP = 36 of 40.
    expect([at(steps, 7).state, at(steps, 8).state]).toEqual(['continuing', 'repaired']);
  });
});

describe('explanations', () => {
  it('gives the total and the dropped item on the instrument’s scale', () => {
    const baseline = [items(9, 10, 10, 9), items(10, 10, 10, 9), items(9, 10, 9, 10), items(10, 9, 10, 10), items(9, 10, 10, 9)];
    const evaluation = at(run([...baseline, items(8, 3, 8, 8)]).steps, 6);

    expect(kinds(evaluation)).toEqual(['rupture', 'item-drop']);
    expect(evaluation.reason).toMatch(/^Total 27 of 40 against a usual 38\.4 ± 0\.5 over the last 5 sessions: z = −5\.70/);
    expect(evaluation.reason).toContain("'Goals' 3 of 10 against a usual 9.8.");
    expect(evaluation.mostMovedComponent).toMatchObject({ itemId: 'goals', component: 'goals' });
  });

  it('names no single component when every item fell alike', () => {
    expect(at(run(vector('36 37 37 38 38 30')).steps, 6).mostMovedComponent).toBeNull();
  });

  it('explains a session before the baseline exists', () => {
    expect(at(run(vector('38 37')).steps, 2).reason).toBe(
      "Total 37 of 40; 1 session in this client's baseline so far, 3 needed before comparing with their own usual score.",
    );
  });
});

describe('state', () => {
  it('keeps the last 12 answered sessions for the trend chart, oldest first', () => {
    const { state } = run(Array.from({ length: 20 }, (_, index) => total(30 + (index % 10))));

    expect(state.trend).toHaveLength(TREND_LENGTH);
    expect(state.trend.map((point) => point.p)).toEqual([95, 97.5, 75, 77.5, 80, 82.5, 85, 87.5, 90, 92.5, 95, 97.5]);
  });

  it('increments the version on every update, expired requests included', () => {
    expect(run(vector('38 — 38')).state.version).toBe(3);
  });

  it('never modifies the state it is given', () => {
    const before = run(vector('38 38 38 38')).state;
    const frozen = structuredClone(before);

    evaluate(before, { sessionId: 'x', endedAt: '2026-03-01T10:00:00Z', answers: { relationship: 1, goals: 1, approach: 1, overall: 1 } }, SPEC_DETECTOR_SETTINGS, DEFAULT_INSTRUMENT);
    recordExpired(before, { sessionId: 'y', endedAt: '2026-03-02T10:00:00Z' }, SPEC_DETECTOR_SETTINGS);

    expect(before).toEqual(frozen);
  });

  it('survives a JSON round trip and parses with its schema', () => {
    const { state } = run(vector('36 37 37 38 38 30 37 33'));
    const stored: ClientState = ClientStateSchema.parse(JSON.parse(JSON.stringify(state)));

    expect(stored).toEqual(state);
  });

  it('uses the most recent sessions when baselineMax is lowered after the state was built', () => {
    const { state } = run(vector('30 30 30 30 30 40 40 40 40 40'));
    const { evaluation } = evaluate(
      state,
      { sessionId: 'x', endedAt: '2026-06-01T10:00:00Z', answers: { relationship: 10, goals: 10, approach: 10, overall: 10 } },
      { ...SPEC_DETECTOR_SETTINGS, baselineMax: 5 },
      DEFAULT_INSTRUMENT,
    );

    expect(evaluation).toMatchObject({ n: 5, m: 100 });
  });

  it('rejects answers outside the instrument and leaves no trace', () => {
    const state = initialClientState(DEFAULT_INSTRUMENT);
    const answer = (answers: Record<string, number>) => () =>
      evaluate(state, { sessionId: 'x', endedAt: '2026-03-01T10:00:00Z', answers }, SPEC_DETECTOR_SETTINGS, DEFAULT_INSTRUMENT);

    expect(answer({ relationship: 10, goals: 10, approach: 10 })).toThrow(InvalidAnswersError);
    expect(answer({ relationship: 10, goals: 11, approach: 10, overall: 10 })).toThrow(/goals = 11 is outside 0–10/);
    expect(state.version).toBe(0);
  });

  it('refuses a state built for another instrument', () => {
    const state = initialClientState(REVERSED);

    expect(() =>
      evaluate(state, { sessionId: 'x', endedAt: '2026-03-01T10:00:00Z', answers: { relationship: 1, goals: 1, approach: 1, overall: 1 } }, SPEC_DETECTOR_SETTINGS, DEFAULT_INSTRUMENT),
    ).toThrow(InstrumentMismatchError);
  });

  it('refuses settings whose minimum baseline exceeds the maximum', () => {
    const settings = { ...SPEC_DETECTOR_SETTINGS, minBaseline: 6, baselineMax: 5 };

    expect(() => run(vector('38'), settings)).toThrow(/minBaseline \(6\) must not exceed baselineMax \(5\)/);
  });
});
