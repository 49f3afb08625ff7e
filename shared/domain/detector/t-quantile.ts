/**
 * The 97.5 % quantile of Student's t distribution, as a table rather than a dependency: the
 * detector only needs df = n − 1 for baselines of 2 to MAX_BASELINE_SESSIONS sessions, a table is
 * exact to 6 decimals, costs nothing at cold start and cannot drift with a library upgrade.
 * The values were computed by inverting the regularised incomplete beta function and agree with
 * published tables; test/unit/detector/t-quantile.test.ts re-checks each one by integrating the
 * t density, and the resulting k(n) against ALLIANCE-SCIENCE.md (3.0 … 2.37 for n = 3…10).
 */
import { MAX_BASELINE_SESSIONS } from '../../config.ts';

/** t₀.₉₇₅ for df = 1 … 29 (index df − 1). */
export const T_975: readonly number[] = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
  2.200985, 2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
  2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523,
];

if (T_975.length !== MAX_BASELINE_SESSIONS - 1) throw new Error('T_975 must cover every baseline size the settings allow');

/** Returns the 97.5 % quantile of the t distribution with `df` degrees of freedom (1 ≤ df ≤ 29). */
export function tQuantile975(df: number): number {
  const value = T_975[df - 1];
  if (!Number.isInteger(df) || value === undefined) throw new RangeError(`t quantile table covers df 1–${T_975.length}, got ${df}`);
  return value;
}
