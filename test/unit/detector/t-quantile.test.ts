import { describe, expect, it } from 'vitest';
import { MAX_BASELINE_SESSIONS } from '../../../shared/config.ts';
import { alertThreshold, DEFAULT_DETECTOR_SETTINGS, SPEC_DETECTOR_SETTINGS } from '../../../shared/domain/detector/settings.ts';
import { T_975, tQuantile975 } from '../../../shared/domain/detector/t-quantile.ts';

// An independent check of the table: integrate the t density from 0 to the tabled value with
// Simpson's rule; the area must be 0.475 (the 97.5 % quantile of a symmetric distribution).
function logGamma(x: number): number {
  const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const t = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let series = 1.000000000190015;
  for (const coefficient of c) series += coefficient / ++y;
  return -t + Math.log((2.5066282746310005 * series) / x);
}

function tDensity(t: number, df: number): number {
  const logConstant = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  return Math.exp(logConstant - ((df + 1) / 2) * Math.log(1 + (t * t) / df));
}

function areaFromZero(upper: number, df: number): number {
  const steps = 20_000;
  const h = upper / steps;
  let sum = tDensity(0, df) + tDensity(upper, df);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * tDensity(i * h, df);
  return (sum * h) / 3;
}

describe('t quantile table', () => {
  it('covers every baseline size the settings allow', () => {
    expect(T_975).toHaveLength(MAX_BASELINE_SESSIONS - 1);
    expect(() => tQuantile975(MAX_BASELINE_SESSIONS)).toThrow(RangeError);
    expect(() => tQuantile975(0)).toThrow(RangeError);
  });

  it('holds the 97.5 % quantile for every df, to 6 decimals', () => {
    T_975.forEach((value, index) => {
      expect(areaFromZero(value, index + 1)).toBeCloseTo(0.475, 6);
    });
  });

  it('gives the k(n) of ALLIANCE-SCIENCE.md: 3.0, 3.0, 3.0, 2.78, 2.62, 2.51, 2.43, 2.37 for n = 3…10', () => {
    const k = [3, 4, 5, 6, 7, 8, 9, 10].map((n) => alertThreshold(n, SPEC_DETECTOR_SETTINGS).toFixed(2));

    expect(k).toEqual(['3.00', '3.00', '3.00', '2.78', '2.62', '2.51', '2.43', '2.37']);
  });

  it('adds the SD prior’s weight to the degrees of freedom on the default (sdPriorWeight 8): k(3) = t₀.₉₇₅,₁₀ · √(4/3)', () => {
    const k = [3, 10].map((n) => alertThreshold(n, { ...DEFAULT_DETECTOR_SETTINGS, confirmLift: 0 }).toFixed(2));

    expect(DEFAULT_DETECTOR_SETTINGS.sdPriorWeight).toBe(8);
    expect(k).toEqual([(2.228139 * Math.sqrt(4 / 3)).toFixed(2), (2.109816 * Math.sqrt(1.1)).toFixed(2)]);
  });

  it('lifts the line by confirmLift while confirmed dips are on (off by default), and not with confirmK 0 or on `sensitive`', () => {
    const unlifted = [3, 10].map((n) => alertThreshold(n, DEFAULT_DETECTOR_SETTINGS));
    const lifted = { ...DEFAULT_DETECTOR_SETTINGS, confirmLift: 0.3 };

    expect(DEFAULT_DETECTOR_SETTINGS.confirmLift).toBe(0);
    expect([3, 10].map((n) => alertThreshold(n, lifted).toFixed(2))).toEqual(['2.87', '2.51']);
    expect([3, 10].map((n) => alertThreshold(n, lifted))).toEqual(unlifted.map((k) => k + 0.3));
    expect([3, 10].map((n) => alertThreshold(n, { ...lifted, confirmK: 0 }))).toEqual(unlifted);
    expect(alertThreshold(3, { ...lifted, sensitivity: 'sensitive' })).toBe(2);
  });

  it('uses k = 2 on the sensitive setting, whatever the baseline size', () => {
    const sensitive = { ...DEFAULT_DETECTOR_SETTINGS, sensitivity: 'sensitive' as const };

    expect([3, 6, 10].map((n) => alertThreshold(n, sensitive))).toEqual([2, 2, 2]);
  });
});
