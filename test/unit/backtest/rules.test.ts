import { describe, expect, it } from 'vitest';
import { addToStats, cutoffAlerts, lastDropAlerts, sessionPomp, twoSdAlerts, type RunningStats } from '../../../shared/domain/backtest/rules.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

const pomp = (total: number) => (total / 40) * 100;

function statsOf(values: number[]): RunningStats {
  const stats = { n: 0, mean: 0, m2: 0 };
  for (const value of values) addToStats(stats, value);
  return stats;
}

describe("anchors' rules", () => {
  it('cutoff alerts below 36 of 40 (90 POMP), not at it', () => {
    expect([cutoffAlerts(pomp(35)), cutoffAlerts(pomp(35.9)), cutoffAlerts(pomp(36))]).toEqual([true, true, false]);
  });

  it('lastDrop alerts at a drop of one point of 40 or more since the previous answered session', () => {
    expect([lastDropAlerts(pomp(37), pomp(38)), lastDropAlerts(pomp(37.5), pomp(38)), lastDropAlerts(pomp(38), null)]).toEqual([true, false, false]);
  });

  it('keeps running statistics equal to the two-pass mean and sample SD', () => {
    const values = [90, 92.5, 70, 87.5, 95, 85];
    const stats = statsOf(values);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));

    expect(stats.mean).toBeCloseTo(mean, 10);
    expect(Math.sqrt(stats.m2 / (stats.n - 1))).toBeCloseTo(sd, 10);
  });

  it('twoSd alerts more than 2 SD below the client’s whole-history mean', () => {
    const stats = statsOf([95, 95, 97.5, 95, 95, 97.5, 95, 95, 70]);

    expect(twoSdAlerts(70, stats)).toBe(true);
    expect(twoSdAlerts(95, stats)).toBe(false);
  });

  it('twoSd never alerts a client whose scores never vary', () => {
    expect(twoSdAlerts(100, statsOf([100, 100, 100, 100]))).toBe(false);
  });

  it('scores answers in instrument order to a total POMP', () => {
    expect(sessionPomp(DEFAULT_INSTRUMENT, [10, 9, 8, 7])).toBe(85);
  });
});
