/**
 * The anchored simulator: a generator fitted to the figures issue 15 published for the anchors'
 * rules and the spec's rule on a labelled cohort we have never seen (400 clients × 12 sessions,
 * 179 ruptures). Its shape, and that the anchors' and the spec's rules give those figures on it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { BacktestResult } from '../../../shared/domain/backtest/backtest.ts';
import { backtestSessions, simulatedSessions } from '../../../shared/domain/backtest/report.ts';
import { detectorRuleSettings, type RuleName } from '../../../shared/domain/backtest/rules.ts';
import { SIMULATORS, simulateCohort, type SimulatedSession } from '../../../shared/domain/backtest/simulate.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../../shared/domain/detector/index.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

const cohort = (seed: number, clients: number): SimulatedSession[] => [...simulateCohort({ clients, seed, simulator: 'anchored' }, DEFAULT_INSTRUMENT)];

function byClient(sessions: readonly SimulatedSession[]): SimulatedSession[][] {
  const clients = new Map<string, SimulatedSession[]>();
  for (const session of sessions) clients.set(session.clientId, [...(clients.get(session.clientId) ?? []), session]);
  return [...clients.values()];
}

const totalPomp = (answers: readonly number[]) => (10 * answers.reduce((sum, value) => sum + value, 0)) / answers.length;

describe('the anchored simulator’s shape', () => {
  const sessions = cohort(4, 2000);
  const clients = byClient(sessions);
  const fit = SIMULATORS.anchored.anchored;

  it('gives every client 12 weekly sessions, named high or low, about 35 % low', () => {
    expect(clients).toHaveLength(2000);
    expect(new Set(clients.map((client) => client.length))).toEqual(new Set([12]));
    expect(new Set(clients.map((client) => client[0]!.archetype))).toEqual(new Set(['high', 'low']));
    for (const client of clients) expect(client[0]!.clientId).toMatch(new RegExp(`^sim-\\d{4}-${client[0]!.archetype}$`));
    const low = clients.filter((client) => client[0]!.archetype === 'low').length / clients.length;
    expect(low).toBeGreaterThan(fit.lowShare - 0.04);
    expect(low).toBeLessThan(fit.lowShare + 0.04);
  });

  it('leaves about 5 % of requests unanswered, ruptures included', () => {
    const unanswered = sessions.filter((session) => session.answers === null).length / sessions.length;

    expect(unanswered).toBeGreaterThan(SIMULATORS.anchored.unansweredShare - 0.01);
    expect(unanswered).toBeLessThan(SIMULATORS.anchored.unansweredShare + 0.01);
    expect(sessions.some((session) => session.rupture === 1 && session.answers === null)).toBe(true);
  });

  it('gives about 45 % of clients, high and low alike, exactly one rupture, 14 % of them at the 2nd or 3rd session and none at the first', () => {
    const labels = clients.map((client) => client.filter((session) => session.rupture === 1).length);
    const ruptured = clients.filter((_, index) => labels[index] === 1);
    const share = (group: readonly SimulatedSession[][]) => group.filter((client) => client.some((session) => session.rupture === 1)).length / group.length;
    const at = ruptured.map((client) => client.findIndex((session) => session.rupture === 1));

    expect(Math.max(...labels)).toBe(1);
    expect(ruptured.length / clients.length).toBeGreaterThan(fit.ruptureShare - 0.03);
    expect(ruptured.length / clients.length).toBeLessThan(fit.ruptureShare + 0.03);
    for (const kind of ['high', 'low']) {
      const group = clients.filter((client) => client[0]!.archetype === kind);
      expect({ kind, share: share(group) > 0.4 && share(group) < 0.5 }).toEqual({ kind, share: true });
    }
    expect(Math.min(...at)).toBe(1);
    const early = at.filter((index) => index <= 2).length / at.length;
    expect(early).toBeGreaterThan(fit.earlyShare - 0.04);
    expect(early).toBeLessThan(fit.earlyShare + 0.04);
  });

  it('keeps a ruptured client down after the rupture: later sessions stay about half as deep, never back to usual', () => {
    const later: number[] = [];
    const atRupture: number[] = [];
    for (const client of clients) {
      const at = client.findIndex((session) => session.rupture === 1);
      if (at < 0) continue;
      for (const session of client.slice(at)) {
        if (session.answers === null) continue;
        const residual = totalPomp(session.answers) - session.truth.usualPomp;
        (session === client[at] ? atRupture : later).push(residual);
      }
    }
    const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const depth = (10 * (fit.depth[0] + fit.depth[1])) / 2;

    // Rounding and the scale's top pull the observed drop in a little; well inside these margins.
    expect(mean(atRupture)).toBeLessThan(-0.8 * depth);
    expect(mean(atRupture)).toBeGreaterThan(-1.1 * depth);
    expect(mean(later)).toBeLessThan(-0.8 * fit.afterShare * depth);
    expect(mean(later)).toBeGreaterThan(-1.2 * fit.afterShare * depth);
  });

  it('gives the oracle each client’s true usual level and noise (low clients without a rupture, away from the top)', () => {
    const steady = clients.filter((client) => client[0]!.archetype === 'low' && client.every((session) => session.rupture === 0));
    const answered = steady.flat().filter((session) => session.answers !== null);
    const residuals = answered.map((session) => totalPomp(session.answers!) - session.truth.usualPomp);
    const mean = residuals.reduce((sum, value) => sum + value, 0) / residuals.length;
    const sd = Math.sqrt(residuals.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (residuals.length - 1));
    const trueSd = answered.reduce((sum, session) => sum + session.truth.sdPomp, 0) / answered.length;
    const items = answered.flatMap((session) => session.answers!.map((value, index) => 10 * value - session.truth.itemUsualPomp[index]!));
    const itemSd = Math.sqrt(items.reduce((sum, value) => sum + value ** 2, 0) / items.length);
    const trueItemSd = answered.reduce((sum, session) => sum + session.truth.itemSdPomp, 0) / answered.length;

    expect(answered.length).toBeGreaterThan(3000);
    expect(Math.abs(mean)).toBeLessThan(1.5);
    expect(sd / trueSd).toBeGreaterThan(0.85);
    expect(sd / trueSd).toBeLessThan(1.25);
    expect(itemSd / trueItemSd).toBeGreaterThan(0.85);
    expect(itemSd / trueItemSd).toBeLessThan(1.25);
  });
});

describe('the anchored simulator against issue 15’s published figures (held-out seeds 101–103, 2,000 clients each; lenient definition)', () => {
  // Issue 15's table: alerts per 100 answered sessions · share of alerts right · share of ruptures caught.
  const PUBLISHED: Partial<Record<RuleName, readonly [number, number, number]>> = {
    spec: [6.2, 0.58, 0.88],
    rollingWatch: [5.8, 0.61, 0.87],
    twoSd: [3.5, 0.68, 0.58],
    // The "sensitive (k = 2)" is the spec's rule at k = 2, not our `sensitive` row (our
    // default at k = 2): it is backtested here in that row's place.
    sensitive: [7.0, 0.53, 0.92],
    cutoff: [48, 0.1, 1],
    lastDrop: [34, 0.13, 1],
  };
  const SEEDS = [101, 102, 103];
  const CLIENTS = 2000;
  const ours = detectorRuleSettings(DEFAULT_DETECTOR_SETTINGS);
  const settings = { ...ours, sensitive: { ...ours.spec, sensitivity: 'sensitive' as const } };
  let results: BacktestResult[] = [];
  beforeAll(() => {
    results = SEEDS.map((seed) => backtestSessions(simulatedSessions('anchored', seed, CLIENTS, DEFAULT_INSTRUMENT), DEFAULT_INSTRUMENT, settings));
  });
  const figures = (name: RuleName) => {
    const per = results.map((result) => result.rules.find((rule) => rule.name === name)!.lenient);
    const mean = (pick: (figures: (typeof per)[number]) => number) => per.reduce((sum, figures) => sum + pick(figures), 0) / per.length;
    return { alerts: mean((f) => f.alertsPer100Answered), right: mean((f) => f.precision ?? 0), caught: mean((f) => f.recall ?? 0) };
  };

  it.each(['spec', 'sensitive', 'rollingWatch', 'twoSd'] as const)('%s: within 0.6 alerts per 100, 0.04 right and 0.04 caught of the issue’s row', (name) => {
    const [alerts, right, caught] = PUBLISHED[name]!;
    const measured = figures(name);

    expect(Math.abs(measured.alerts - alerts), `${name} alerts ${measured.alerts.toFixed(2)}`).toBeLessThanOrEqual(0.6);
    expect(Math.abs(measured.right - right), `${name} right ${measured.right.toFixed(3)}`).toBeLessThanOrEqual(0.04);
    expect(Math.abs(measured.caught - caught), `${name} caught ${measured.caught.toFixed(3)}`).toBeLessThanOrEqual(0.04);
  });

  it.each(['cutoff', 'lastDrop'] as const)('%s: within 6 alerts per 100 of the issue’s row, and catches at least 98 in 100 ruptures', (name) => {
    const [alerts] = PUBLISHED[name]!;
    const measured = figures(name);

    expect(Math.abs(measured.alerts - alerts), `${name} alerts ${measured.alerts.toFixed(2)}`).toBeLessThanOrEqual(6);
    expect(measured.caught).toBeGreaterThanOrEqual(0.98);
  });

  it('has about as many ruptures per client as the issue’s cohort (179 of 400: 0.45)', () => {
    const perClient = results.reduce((sum, result) => sum + result.labelled, 0) / (SEEDS.length * CLIENTS);

    expect(perClient).toBeGreaterThanOrEqual(0.4);
    expect(perClient).toBeLessThanOrEqual(0.5);
  });
});
