/**
 * The reference vectors of ALLIANCE-SCIENCE.md ("Detection rule"), one `it` each: SRS-like totals
 * 0–40 with equal items, default settings.
 */
import { describe, expect, it } from 'vitest';
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
