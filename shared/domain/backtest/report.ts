/**
 * The detector's evidence: every simulator, a sweep of seeds, every rule — what
 * `alliance backtest-report` prints. Cohorts are generated and backtested in memory (a simulated
 * cohort is small), with the same Backtest a practice runs on its own file.
 */
import type { DetectorSettings } from '../detector/index.ts';
import type { Instrument } from '../instruments.ts';
import { Backtest, type BacktestResult } from './backtest.ts';
import type { BacktestSession } from './csv.ts';
import { RULE_NAMES, type DetectorRuleName, type RuleName } from './rules.ts';
import { simulateCohort, type SimulatorName } from './simulate.ts';

/** The bars issue 15 sets for the default rule, under the lenient definition. */
export const BARS = { recall: 0.9, precision: 0.6, alertsPer100Answered: 6 } as const;

/** Simulated sessions as the backtest reads them. */
export function simulatedSessions(simulator: SimulatorName, seed: number, clients: number, instrument: Instrument): BacktestSession[] {
  return [...simulateCohort({ clients, seed, simulator }, instrument)].map((session) => ({
    clientId: session.clientId,
    endedAt: session.endedAt,
    endedAtMs: Date.parse(session.endedAt),
    answers: session.answers,
    talk: session.talk,
    label: session.rupture,
  }));
}

/** Backtests sessions held in memory: both passes, in order. */
export function backtestSessions(sessions: readonly BacktestSession[], instrument: Instrument, settings: Record<DetectorRuleName, DetectorSettings>): BacktestResult {
  const backtest = new Backtest(instrument, settings);
  sessions.forEach((session, index) => backtest.add(session, index + 2));
  for (const session of sessions) backtest.judgeRetrospectively(session);
  return backtest.result();
}

/** A figure over the seeds of a sweep. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

/** One rule on one simulator, over the seeds (lenient definition). */
export interface RuleSweep {
  name: RuleName;
  alertsPer100Answered: Spread;
  precision: Spread;
  recall: Spread;
  /** Seeds on which the rule met all three bars. */
  seedsMeetingBars: number;
}

export interface SimulatorSweep {
  simulator: SimulatorName;
  seeds: number[];
  clients: number;
  /** Totals over the seeds. */
  sessions: number;
  answered: number;
  labelled: number;
  rules: RuleSweep[];
}

function spread(values: readonly number[]): Spread {
  const round = (value: number) => Math.round(value * 1e4) / 1e4;
  return { mean: round(values.reduce((sum, value) => sum + value, 0) / values.length), min: round(Math.min(...values)), max: round(Math.max(...values)) };
}

/** Whether a rule's lenient figures meet issue 15's bars. */
export function meetsBars(figures: { alertsPer100Answered: number; precision: number | null; recall: number | null }): boolean {
  return (figures.recall ?? 0) >= BARS.recall && (figures.precision ?? 0) >= BARS.precision && figures.alertsPer100Answered <= BARS.alertsPer100Answered;
}

/** Runs one simulator over the seeds and summarises every rule. */
export function sweepSimulator(
  simulator: SimulatorName,
  seeds: readonly number[],
  clients: number,
  instrument: Instrument,
  settings: Record<DetectorRuleName, DetectorSettings>,
): SimulatorSweep {
  const results = seeds.map((seed) => backtestSessions(simulatedSessions(simulator, seed, clients, instrument), instrument, settings));
  return {
    simulator,
    seeds: [...seeds],
    clients,
    sessions: results.reduce((sum, result) => sum + result.sessions, 0),
    answered: results.reduce((sum, result) => sum + result.answered, 0),
    labelled: results.reduce((sum, result) => sum + result.labelled, 0),
    rules: RULE_NAMES.map((name) => {
      const per = results.map((result) => result.rules.find((rule) => rule.name === name)!.lenient);
      return {
        name,
        alertsPer100Answered: spread(per.map((figures) => figures.alertsPer100Answered)),
        precision: spread(per.map((figures) => figures.precision ?? 0)),
        recall: spread(per.map((figures) => figures.recall ?? 0)),
        seedsMeetingBars: per.filter(meetsBars).length,
      };
    }),
  };
}
