/**
 * The reference vectors of ALLIANCE-SCIENCE.md ("Detection rule"), one `it` each: SRS-like totals
 * 0–40 with equal items, on the spec's settings (SPEC_DETECTOR_SETTINGS); then the same vectors
 * on the product's default, which issue 15's backtests moved away from the spec (docs/detector.md):
 * four vectors keep their outcome; the four others changed, and their tests say why and what the
 * backtest gained (one in rounds 1–3, one more in round 4 with confirmed dips).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_SETTINGS, type RuptureAlert, type SustainedDeclineAlert } from '../../../shared/domain/detector/index.ts';
import { at, kinds, run, vector, type Step } from './support.ts';

function states(steps: readonly Step[]): string[] {
  return steps.map((step) => (step.kind === 'answered' ? step.evaluation.state : 'skipped'));
}

function alertSessions(steps: readonly Step[]): string[] {
  return steps.flatMap((step, index) => (step.kind === 'answered' && step.evaluation.alerts.length > 0 ? [`s${index + 1} ${kinds(step.evaluation).join('+')}`] : []));
}

function expectWatchBand(steps: readonly Step[], session: number): void {
  const { z, k } = at(steps, session);
  expect(z).not.toBeNull();
  expect(z!).toBeLessThanOrEqual(-1);
  expect(z!).toBeGreaterThan(-k!);
}

const BASELINE_PERIOD = ['insufficient-baseline', 'insufficient-baseline', 'insufficient-baseline'];

describe('reference vectors (ALLIANCE-SCIENCE.md)', () => {
  it('36 37 37 38 38 30 37 38: s6 rupture (z = −3.60), s7 repaired', () => {
    const { steps } = run(vector('36 37 37 38 38 30 37 38'));

    expect(states(steps)).toEqual([...BASELINE_PERIOD, 'normal', 'normal', 'alert', 'repaired', 'normal']);
    expect(alertSessions(steps)).toEqual(['s6 rupture']);
    expect(at(steps, 6).z!.toFixed(2)).toBe('-3.60');
  });

  it('40 40 40 40 39 40 36 40: s7 watch only, no alert', () => {
    const { steps } = run(vector('40 40 40 40 39 40 36 40'));

    expect(states(steps)).toEqual([...BASELINE_PERIOD, 'normal', 'normal', 'normal', 'watch', 'normal']);
    expect(alertSessions(steps)).toEqual([]);
    expectWatchBand(steps, 7);
  });

  it('30 36 28 35 31 34 27 33: s7 watch only (noisy client)', () => {
    const { steps } = run(vector('30 36 28 35 31 34 27 33'));

    expect(states(steps)).toEqual([...BASELINE_PERIOD, 'normal', 'normal', 'normal', 'watch', 'normal']);
    expect(alertSessions(steps)).toEqual([]);
    expectWatchBand(steps, 7);
  });

  it('38 38 39 38 33 32 31 30: s5, s6 watch; s7 sustained decline; s8 continuing', () => {
    const { steps } = run(vector('38 38 39 38 33 32 31 30'));

    expect(states(steps)).toEqual([...BASELINE_PERIOD, 'normal', 'watch', 'watch', 'alert', 'continuing']);
    expect(alertSessions(steps)).toEqual(['s7 sustained-decline']);
    expectWatchBand(steps, 5);
    expectWatchBand(steps, 6);
  });

  it('38 30 37 38 38 37: no relative alert (s2 is inside the baseline period)', () => {
    const { steps } = run(vector('38 30 37 38 38 37'));

    expect(states(steps)).toEqual([...BASELINE_PERIOD, 'normal', 'normal', 'normal']);
    expect(alertSessions(steps)).toEqual([]);
  });

  it('39 38 37 36 35 34 33 32: s4, s5 watch; s6 sustained decline; s7–s8 continuing', () => {
    const { steps } = run(vector('39 38 37 36 35 34 33 32'));

    expect(states(steps)).toEqual([...BASELINE_PERIOD, 'watch', 'watch', 'alert', 'continuing', 'continuing']);
    expect(alertSessions(steps)).toEqual(['s6 sustained-decline']);
    expectWatchBand(steps, 4);
    expectWatchBand(steps, 5);
  });

  it('40 40 40 40 34 39 40: s5 rupture (z = −3.00), s6 repaired', () => {
    const { steps } = run(vector('40 40 40 40 34 39 40'));

    expect(states(steps)).toEqual([...BASELINE_PERIOD, 'normal', 'alert', 'repaired', 'normal']);
    expect(alertSessions(steps)).toEqual(['s5 rupture']);
    expect(at(steps, 5).z!.toFixed(2)).toBe('-3.00');
  });

  it('37 38 — 37 38 31 36: s3 unanswered (skipped); s6 rupture (z = −3.25); s7 repaired', () => {
    const { steps } = run(vector('37 38 — 37 38 31 36'));

    expect(states(steps)).toEqual(['insufficient-baseline', 'insufficient-baseline', 'skipped', 'insufficient-baseline', 'normal', 'alert', 'repaired']);
    expect(alertSessions(steps)).toEqual(['s6 rupture']);
    expect(at(steps, 6).z!.toFixed(2)).toBe('-3.25');
    expect(at(steps, 6).n).toBe(4);
  });
});

describe('reference vectors on the product default (spec + early alerts, cusum decline, item drops against their spread, SD prior, deepened falls, escalation at the 4th session, confirmed dips)', () => {
  const outcome = (text: string) => {
    const { steps } = run(vector(text), DEFAULT_DETECTOR_SETTINGS);
    return { states: states(steps), alerts: alertSessions(steps), steps };
  };
  const onSpec = (text: string) => {
    const { steps } = run(vector(text));
    return { states: states(steps), alerts: alertSessions(steps) };
  };

  it.each([
    '36 37 37 38 38 30 37 38',
    '40 40 40 40 39 40 36 40',
    '30 36 28 35 31 34 27 33',
    '38 30 37 38 38 37',
    '40 40 40 40 34 39 40',
    '37 38 — 37 38 31 36',
  ])('%s: the same outcome as the spec', (text) => {
    const { states: got, alerts } = outcome(text);

    expect({ states: got, alerts }).toEqual(onSpec(text));
  });

  it('38 30 37 38 38 37: s2 stays quiet although early alerts are on (30 is within 2.2 SDs of what one 38 and the prior predict)', () => {
    const { steps } = outcome('38 30 37 38 38 37');

    expect(at(steps, 2).alerts).toEqual([]);
  });

  // CHANGED: the spec alerts at s6 (the 3rd watch in a row); the default alerts at s8. Two steps
  // of issue 15 moved it. (1) The cusum rule (first round) moved it to s7: counting watches treats
  // a session 1.0 SD down like one 2.5 SD down, so on slow slides the spec alerted before the
  // rupture line or restarted its count after a session just above the watch line. Gain (seeds
  // 1–5, lenient definition, cusum alone against the spec): mixed caught 85.5 → 87.9 %, right
  // 61.5 → 64.2 %; twelve right 59.0 → 61.9 %. (2) The SD prior (sdPriorWeight 8, second round)
  // moved it to s8: four sessions 39 38 37 (SD 2.5 POMP) are judged with an SD pulled toward the
  // practice's 7 POMP (5.9), not floored at 5, so each shortfall counts fewer SDs and the sum
  // reaches 5 one session later. Gain of the SD prior alone on the default of the time (seeds
  // 1–5): mixed 4.97 → 4.65 alerts per 100 answered, right 64.0 → 69.5 %, caught 87.9 → 89.3 %;
  // twelve 5.72 → 5.58, 62.2 → 65.0 %, 82.2 → 83.9 %; noisy-missing 6.77 → 6.61, 39.9 → 41.6 %,
  // 77.3 → 78.8 % (docs/detector.md). (3) Round 3 forgave more of each shortfall and alerts at a
  // lower sum (cusumSlack 0.5 → 0.75, cusumLimit 5 → 4): the vector still alerts at s8, its sum
  // 4.11 instead of 5.36. Gain (seeds 1–5, on the round-2 default): mixed right 73.4 → 74.2 %,
  // twelve 68.7 → 69.4 % and caught 84.9 → 85.0 %, noisy-missing right 44.6 → 44.9 %, with
  // slightly fewer alerts on each; short-ceiling unchanged.
  it('39 38 37 36 35 34 33 32: CHANGED — s5–s7 watch; s8 sustained decline (spec: s6)', () => {
    const { states: got, alerts, steps } = outcome('39 38 37 36 35 34 33 32');

    expect(onSpec('39 38 37 36 35 34 33 32').alerts).toEqual(['s6 sustained-decline']);
    expect(got).toEqual([...BASELINE_PERIOD, 'normal', 'watch', 'watch', 'watch', 'alert']);
    expect(alerts).toEqual(['s8 sustained-decline']);
    const alert = at(steps, 8).alerts[0] as SustainedDeclineAlert;
    // The sum began at s4 (a shortfall less the slack, though s4 is not yet a watch): 5 sessions.
    expect(alert).toMatchObject({ watches: 5, m: 95 });
    expect(alert.sum!).toBeGreaterThanOrEqual(4);
    expect(at(steps, 8).reason).toContain('the shortfalls add up to 4.11 SDs beyond what noise explains, past the limit of 4.00');
    // Without the SD prior the default alerts at s7, as after the first round.
    expect(run(vector('39 38 37 36 35 34 33 32'), { ...DEFAULT_DETECTOR_SETTINGS, sdPriorWeight: 0 }).steps.findIndex((step) => step.kind === 'answered' && step.evaluation.alerts.length > 0) + 1).toBe(7);
  });

  // Round 4 (docs/detector.md, "Round 4"): a total confirmK (2) SDs below the baseline but short
  // of the single-session line waits one answered session, and alerts there if that session is
  // still confirmZ (0.9) SDs below the same baseline. This vector's s5 is such a dip and s6
  // confirms it, one session before the spec's third watch. Gain of the confirmed dips on the
  // round-4 default without them (held-out seeds 101–110, lenient definition; alerts per 100
  // answered · right · caught): short-ceiling 3.63 · 99.1 % · 88.9 % → 3.79 · 98.7 % · 92.3 %;
  // twelve 5.26 · 71.7 % · 85.0 % → 5.50 · 70.2 % · 87.0 %; mixed 4.58 · 75.7 % · 91.8 % →
  // 4.77 · 73.8 % · 92.3 %. The single-session line is not lifted by default (confirmLift 0), so
  // the spec's single dips (vectors 7 and 8) still alert at once.
  it('38 38 39 38 33 32 31 30: CHANGED — s5 watch (waiting); s6 rupture, a confirmed dip; s7–s8 continuing (spec: s7 sustained decline)', () => {
    const { states: got, alerts, steps } = outcome('38 38 39 38 33 32 31 30');

    expect(onSpec('38 38 39 38 33 32 31 30').alerts).toEqual(['s7 sustained-decline']);
    expect(got).toEqual([...BASELINE_PERIOD, 'normal', 'watch', 'alert', 'continuing', 'continuing']);
    expect(alerts).toEqual(['s6 rupture']);
    // s5 is 2.19 SDs below usual (past confirmK 2, short of the line 2.46); s6 is still 2.6 SDs
    // below the same baseline: one session earlier than the spec's third watch.
    expect((at(steps, 6).alerts[0] as RuptureAlert).confirmed).toEqual({ firstP: 82.5, firstZ: at(steps, 5).z });
    expect(at(steps, 6).reason).toBe('Total 33 of 40 at the last answered session and 32 of 40 today, 2.2 and 2.6 SDs below the usual 38.3: two sessions in a row this far down.');
    // Without confirmed dips the default keeps the spec's outcome, as before round 4.
    expect(alertSessions(run(vector('38 38 39 38 33 32 31 30'), { ...DEFAULT_DETECTOR_SETTINGS, confirmK: 0 }).steps)).toEqual(['s7 sustained-decline']);
  });

  it('40 40 40 40 34 39 40 with confirmLift 0.3 (a setting): no alert, the dip waits and the next session is back', () => {
    const lifted = { ...DEFAULT_DETECTOR_SETTINGS, confirmLift: 0.3 };
    const { steps } = run(vector('40 40 40 40 34 39 40'), lifted);

    // z −2.51 is past the default line (2.46 at n = 4) but short of the lifted one (2.76).
    expect(at(steps, 5).z!.toFixed(2)).toBe('-2.51');
    expect(at(steps, 5).k!.toFixed(2)).toBe('2.76');
    expect(alertSessions(steps)).toEqual([]);
  });
});
