/**
 * The rules a backtest compares on the same data: ours (the detector on its default and sensitive
 * settings) and the anchors' (ALLIANCE-SCIENCE.md, "Rules the anchors use"), all in POMP units.
 */
import { evaluate, initialClientState, recordExpired, SPEC_OVERRIDES, type ClientState, type DetectorSettings } from '../detector/index.ts';
import type { Instrument } from '../instruments.ts';
import type { AlertKind } from '../../events/contracts.ts';
import { emailsTherapist } from '../alert-recipients.ts';
import { itemPomp } from '../instruments.ts';

/** The rules a backtest reports, in report order. */
export const RULE_NAMES = ['default', 'spec', 'sensitive', 'rollingWatch', 'cutoff', 'lastDrop', 'twoSd'] as const;
export type RuleName = (typeof RULE_NAMES)[number];

/** The rules that are our detector on some settings (each needs its DetectorSettings). */
export const DETECTOR_RULE_NAMES = ['default', 'spec', 'sensitive', 'rollingWatch'] as const satisfies readonly RuleName[];
export type DetectorRuleName = (typeof DETECTOR_RULE_NAMES)[number];

/** The settings each of our rules runs on, from the configured (or default) ones. */
export function detectorRuleSettings(configured: DetectorSettings): Record<DetectorRuleName, DetectorSettings> {
  const spec = { ...configured, ...SPEC_OVERRIDES };
  return {
    default: { ...configured, sensitivity: 'default' },
    spec: { ...spec, sensitivity: 'default' },
    sensitive: { ...configured, sensitivity: 'sensitive' },
    rollingWatch: { ...spec, sensitivity: 'default', declineRule: 'rolling' },
  };
}

/** The one kind an anchor rule's alert has in `--sessions` output (they have no kinds of their own). */
export const ANCHOR_KIND = 'alert';

/** What each rule alerts on, for the human report. */
export const RULE_DESCRIPTIONS: Record<RuleName, string> = {
  default:
    'ours, as configured: against the client’s own baseline, its SD pulled toward the practice’s, k(n) ≤ 3; a dip short of the line that the next session confirms; early alerts from the practice prior; slow slides by summed shortfall (cusum); one more alert when a fall deepens after an alert; the unrepaired escalation (4th session) in the weekly digest, not emailed to the therapist',
  spec: 'ours as ALLIANCE-SCIENCE.md specifies it: the client’s own SD (floored), no early alerts, watch runs judged against the frozen baseline, item drops by size alone, no second alert inside an episode, the unrepaired escalation (3rd session) emailed to the therapist',
  sensitive: 'ours, as configured but with the sensitive setting, k = 2',
  rollingWatch: 'the spec’s rule with watch runs judged against the rolling baseline instead of the frozen one',
  cutoff: 'fixed cutoff: total below 90 POMP (≈ SRS < 36)',
  lastDrop: 'drop ≥ 2.5 POMP since the previous answered session (≈ OpenFIT’s 1 point)',
  twoSd: 'retrospective: more than 2 SD below the client’s mean over all sessions',
};

/** The fixed-cutoff rule alerts below this total (POMP): SRS < 36 of 40. */
export const CUTOFF_POMP = 90;

/** The last-drop rule alerts at a drop of at least this much (POMP): 1 point of 40. */
export const LAST_DROP_POMP = 2.5;

/** The retrospective rule alerts more than this many SDs below the client's mean (Stiles 2004). */
export const TWO_SD = 2;

const EPSILON = 1e-9;

/**
 * Which alerts our rules count: everything that would reach the therapist by email at an answered
 * session (emailsTherapist: the unrepaired escalation only with `unrepairedEmailsTherapist`).
 */
const COUNTED_KINDS = new Set<AlertKind>(['rupture', 'sustained-decline', 'item-drop', 'low-rating', 'client-asked', 'unrepaired']);

/** Returns true when the fixed cutoff alerts at a session with total p. */
export function cutoffAlerts(p: number): boolean {
  return p < CUTOFF_POMP - EPSILON;
}

/** Returns true when the last-drop rule alerts: p fell by LAST_DROP_POMP or more since `previous`. */
export function lastDropAlerts(p: number, previous: number | null): boolean {
  return previous !== null && previous - p >= LAST_DROP_POMP - EPSILON;
}

/** Running mean and sum of squares (Welford), so the retrospective rule needs O(1) per client. */
export interface RunningStats {
  n: number;
  mean: number;
  m2: number;
}

/** Adds one score to running statistics (in place: the backtest holds one per client). */
export function addToStats(stats: RunningStats, p: number): void {
  stats.n += 1;
  const delta = p - stats.mean;
  stats.mean += delta / stats.n;
  stats.m2 += delta * (p - stats.mean);
}

/** Returns true when the retrospective rule alerts: p more than 2 sample SDs below the client's mean. */
export function twoSdAlerts(p: number, stats: RunningStats): boolean {
  if (stats.n < 2) return false;
  const sd = Math.sqrt(stats.m2 / (stats.n - 1));
  return p < stats.mean - TWO_SD * sd - EPSILON;
}

/** The detector, stepped through one client's sessions for the backtest. */
export class DetectorRule {
  private state: ClientState;

  constructor(
    private readonly settings: DetectorSettings,
    private readonly instrument: Instrument,
  ) {
    this.state = initialClientState(instrument);
  }

  /**
   * Feeds one session; returns the kinds of the alerts that would have reached the therapist by
   * email at that session (empty when none).
   */
  step(sessionId: string, endedAt: string, answers: readonly number[] | null, talk: boolean): string[] {
    if (answers === null) {
      // Going-quiet notices concern unanswered sessions; they are not counted as alerts.
      this.state = recordExpired(this.state, { sessionId, endedAt }, this.settings).state;
      return [];
    }
    const values: Record<string, number> = {};
    const items = this.instrument.items;
    for (let index = 0; index < items.length; index++) values[items[index]!.id] = answers[index]!;
    const result = evaluate(this.state, { sessionId, endedAt, answers: values, talk }, this.settings, this.instrument, { explain: false });
    // The trend chart is for emails; dropping it keeps a backtest's memory per client small.
    this.state = { ...result.state, trend: [] };
    const kinds: string[] = [];
    for (const alert of result.evaluation.alerts) {
      if (COUNTED_KINDS.has(alert.kind) && emailsTherapist(alert.kind, this.settings.unrepairedEmailsTherapist)) kinds.push(alert.kind);
    }
    return kinds;
  }
}

/** Scores raw answers in instrument order to a total POMP: the mean of the items' POMP values. */
export function sessionPomp(instrument: Instrument, answers: readonly number[]): number {
  const items = instrument.items;
  let sum = 0;
  for (let index = 0; index < items.length; index++) sum += itemPomp(instrument, items[index]!, answers[index]!);
  return sum / items.length;
}
