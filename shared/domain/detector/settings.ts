/**
 * The detector's parameters and the alert threshold k(n) they imply.
 */
import { DETECTOR_SETTINGS, readSettings, type DetectorSettings } from '../../config.ts';
import { T_975, tQuantile975 } from './t-quantile.ts';

export type { DetectorSettings };

/** The documented defaults (ALLIANCE-SCIENCE.md), read from the one place settings are declared. */
export const DEFAULT_DETECTOR_SETTINGS: Readonly<DetectorSettings> = Object.freeze(readSettings(DETECTOR_SETTINGS, () => undefined, (entry) => entry.context));

/**
 * The settings ALLIANCE-SCIENCE.md's detection rule specifies, where issue 15's backtests moved
 * the default away from them (docs/detector.md): no early alerts, the frozen reading of the watch
 * run, item drops judged by size alone, the client's own SD (floored) not pulled toward the practice's,
 * no re-alert when a fall deepens inside an episode, the escalation at the 3rd session after an alert,
 * emailed to the therapist, and no confirmed dips (so the alert line is not lifted either).
 */
export const SPEC_OVERRIDES = Object.freeze({
  earlyK: 0,
  declineRule: 'frozen',
  itemDropK: 0,
  sdPriorWeight: 0,
  deepenGap: 0,
  repairWindow: 3,
  unrepairedEmailsTherapist: true,
  confirmK: 0,
  confirmEarlyK: 0,
} as const satisfies Partial<DetectorSettings>);

/** The spec's settings: the defaults with SPEC_OVERRIDES. */
export const SPEC_DETECTOR_SETTINGS: Readonly<DetectorSettings> = Object.freeze({ ...DEFAULT_DETECTOR_SETTINGS, ...SPEC_OVERRIDES });

/** Throws a RangeError when settings that are valid one by one do not fit together. */
export function checkDetectorSettings(settings: DetectorSettings): void {
  if (settings.minBaseline > settings.baselineMax) {
    throw new RangeError(`minBaseline (${settings.minBaseline}) must not exceed baselineMax (${settings.baselineMax})`);
  }
}

/**
 * Returns the alert threshold k for a baseline of n sessions: the 97.5 % lower prediction bound
 * for one new observation, t₀.₉₇₅,ₙ₋₁ · √(1 + 1/n), capped at kCap, then moved confirmLift SDs
 * further down when confirmed dips are on (confirmK > 0: the dips short of it wait for the next
 * session instead); or 2 on the sensitive setting.
 */
export function alertThreshold(n: number, settings: DetectorSettings): number {
  if (settings.sensitivity === 'sensitive') return 2;
  // With a prior on the SD, its weight adds degrees of freedom (rounded down, within the table).
  const df = Math.min(n - 1 + Math.floor(settings.sdPriorWeight), T_975.length);
  const lift = settings.confirmK > 0 ? settings.confirmLift : 0;
  return Math.min(tQuantile975(df) * Math.sqrt(1 + 1 / n), settings.kCap) + lift;
}
