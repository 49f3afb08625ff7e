import { describe, expect, it } from 'vitest';
import { oracleCeiling } from '../../../shared/domain/backtest/oracle.ts';
import { simulateCohort } from '../../../shared/domain/backtest/simulate.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

describe('the simulator’s truth', () => {
  it('gives each client the usual level and noise their answers actually have', () => {
    // Stable clients of `mixed` (no drops): their totals must centre on the true usual level and
    // spread by the true SD (up to rounding and the scale's top, so within a loose margin).
    const sessions = [...simulateCohort({ clients: 600, seed: 7, simulator: 'mixed' }, DEFAULT_INSTRUMENT)].filter((session) => session.archetype === 'stable' && session.answers);
    const residuals = sessions.map((session) => (10 * session.answers!.reduce((sum, value) => sum + value, 0)) / session.answers!.length - session.truth.usualPomp);
    const mean = residuals.reduce((sum, value) => sum + value, 0) / residuals.length;
    const sd = Math.sqrt(residuals.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (residuals.length - 1));
    const trueSd = sessions.reduce((sum, session) => sum + session.truth.sdPomp, 0) / sessions.length;

    expect(sessions.length).toBeGreaterThan(1000);
    expect(Math.abs(mean)).toBeLessThan(1);
    expect(sd / trueSd).toBeGreaterThan(0.9);
    expect(sd / trueSd).toBeLessThan(1.25);
  });

  it('leaves the cohort itself unchanged: the truth draws no random numbers', () => {
    const first = [...simulateCohort({ clients: 20, seed: 3, simulator: 'twelve' }, DEFAULT_INSTRUMENT)];

    // The first answers of this cohort as the simulator wrote them before it carried the truth.
    expect(first.slice(0, 3).map((session) => session.answers)).toEqual([
      [8, 9, 8, 9],
      [8, 9, 7, 9],
      [8, 9, 9, 9],
    ]);
  });
});

describe('oracleCeiling', () => {
  const seeds = [1, 2];

  it('catches fewer ruptures at a stricter line, and more with items added', () => {
    const [two, three, withItems] = [{ totalK: 2 }, { totalK: 3 }, { totalK: 2, itemK: 3 }].map((line) => oracleCeiling('noisy-missing', seeds, 300, DEFAULT_INSTRUMENT, line));

    expect(two!.labelled).toBeGreaterThan(100);
    expect(three!.caught).toBeLessThan(two!.caught);
    expect(withItems!.caught).toBeGreaterThan(two!.caught);
    expect(three!.alertsPer100Answered).toBeLessThan(two!.alertsPer100Answered);
  });

  it('catches nearly every rupture of the steady simulator, and misses some of the noisy one’s', () => {
    const line = { totalK: 2.5 };

    expect(oracleCeiling('mixed', seeds, 300, DEFAULT_INSTRUMENT, line).caught).toBeGreaterThan(0.95);
    expect(oracleCeiling('uneven', seeds, 300, DEFAULT_INSTRUMENT, line).caught).toBeLessThan(0.85);
  });
});
