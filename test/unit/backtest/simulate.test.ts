import { describe, expect, it } from 'vitest';
import { parseHeader, parseRow } from '../../../shared/domain/backtest/csv.ts';
import { SIMULATOR_NAMES, SIMULATORS, seededRandom, simulateCohort, simulatedCsvHeader, simulatedCsvLine, type SimulatedSession, type SimulatorName } from '../../../shared/domain/backtest/simulate.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

const cohort = (seed: number, clients = 60, simulator: SimulatorName = 'mixed'): SimulatedSession[] => [...simulateCohort({ clients, seed, simulator }, DEFAULT_INSTRUMENT)];

describe('simulated cohort', () => {
  it('is the same for the same seed and different for another', () => {
    expect(cohort(7)).toEqual(cohort(7));
    expect(cohort(8)).not.toEqual(cohort(7));
  });

  it('has every kind of client of the mixed simulator in equal shares', () => {
    const clients = new Map(cohort(1).map((session) => [session.clientId, session.archetype]));
    const counts = SIMULATORS.mixed.mix.map(([archetype]) => [...clients.values()].filter((kind) => kind === archetype).length);

    expect(counts).toEqual([10, 10, 10, 10, 10, 10]);
  });

  it('labels ruptures only where one was simulated, and never at an unanswered session on the mixed simulator', () => {
    const sessions = cohort(3);
    const labelled = new Set(sessions.filter((session) => session.rupture === 1).map((session) => session.archetype));

    expect([...labelled].sort()).toEqual(['item-drop', 'slow-slide', 'v-dip']);
    expect(sessions.filter((session) => session.rupture === 1 && session.answers === null)).toEqual([]);
  });

  it('labels the onset of a rupture only: never two labelled sessions in a row', () => {
    for (const simulator of SIMULATOR_NAMES) {
      const sessions = cohort(2, 200, simulator);
      const doubled = sessions.filter((session, index) => index > 0 && session.rupture === 1 && sessions[index - 1]!.rupture === 1 && sessions[index - 1]!.clientId === session.clientId);
      expect({ simulator, doubled: doubled.length }).toEqual({ simulator, doubled: 0 });
      expect(sessions.some((session) => session.rupture === 1)).toBe(true);
    }
  });

  it('gives each simulator its own shape: session counts, missing sessions and shares of clients', () => {
    const shape = (simulator: SimulatorName) => {
      const sessions = cohort(9, 300, simulator);
      const perClient = new Map<string, number>();
      for (const session of sessions) perClient.set(session.clientId, (perClient.get(session.clientId) ?? 0) + 1);
      const counts = [...perClient.values()];
      return { min: Math.min(...counts), max: Math.max(...counts), unanswered: sessions.filter((session) => session.answers === null).length / sessions.length };
    };

    for (const simulator of SIMULATOR_NAMES) {
      const { min, max, unanswered } = shape(simulator);
      const [low, high] = SIMULATORS[simulator].sessions;
      expect(min).toBeGreaterThanOrEqual(low);
      expect(max).toBeLessThanOrEqual(high);
      expect(unanswered).toBeGreaterThan(SIMULATORS[simulator].unansweredShare * 0.6);
      expect(unanswered).toBeLessThan(SIMULATORS[simulator].unansweredShare * 1.4);
    }
    expect(shape('twelve')).toMatchObject({ min: 12, max: 12 });
  });

  it('is the same for the same simulator and seed, and differs between simulators', () => {
    expect(cohort(7, 60, 'uneven')).toEqual(cohort(7, 60, 'uneven'));
    expect(cohort(7, 60, 'uneven')).not.toEqual(cohort(7, 60, 'noisy-missing'));
  });

  it("keeps each client's sessions together and in time order, with answers in range", () => {
    const sessions = cohort(4);
    for (let i = 1; i < sessions.length; i++) {
      const [before, after] = [sessions[i - 1]!, sessions[i]!];
      if (before.clientId === after.clientId) expect(Date.parse(after.endedAt)).toBeGreaterThan(Date.parse(before.endedAt));
    }
    for (const session of sessions) for (const value of session.answers ?? []) expect(Number.isInteger(value) && value >= 0 && value <= 10).toBe(true);
  });

  it('writes CSV that the backtest reads back unchanged', () => {
    const columns = parseHeader(simulatedCsvHeader(DEFAULT_INSTRUMENT), DEFAULT_INSTRUMENT);

    for (const session of cohort(5, 12)) {
      const row = parseRow(simulatedCsvLine(session, DEFAULT_INSTRUMENT), 2, columns, DEFAULT_INSTRUMENT);
      expect(row).toMatchObject({ clientId: session.clientId, endedAt: session.endedAt, answers: session.answers, talk: session.talk, label: session.rupture });
    }
  });

  it('draws from a seeded generator in [0, 1)', () => {
    const random = seededRandom(42);
    const draws = Array.from({ length: 1000 }, random);

    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(seededRandom(42)()).toBe(draws[0]);
  });
});
