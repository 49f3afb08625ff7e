/**
 * `alliance backtest-report`: every rule on every simulator over a sweep of seeds.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backtestSessions, meetsBars, simulatedSessions, sweepSimulator } from '../../shared/domain/backtest/report.ts';
import { detectorRuleSettings } from '../../shared/domain/backtest/rules.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../shared/domain/detector/index.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alliance.mjs');

function alliance(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const SETTINGS = detectorRuleSettings(DEFAULT_DETECTOR_SETTINGS);

describe('alliance backtest-report', () => {
  it('prints every rule of every simulator asked for, with the worst seed and the bars', () => {
    const result = alliance('backtest-report', '--simulator', 'mixed,uneven', '--seeds', '3-4', '--clients', '60');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^mixed: six shapes/m);
    expect(result.stdout).toMatch(/^uneven: kept out of all tuning/m);
    expect(result.stdout).toMatch(/^60 clients × seeds 3–4: [\d,]+ answered sessions, [\d,]+ labelled ruptures$/m);
    for (const rule of ['default', 'spec', 'sensitive', 'rollingWatch', 'cutoff', 'lastDrop', 'twoSd']) {
      expect(result.stdout).toMatch(new RegExp(`^${rule}\\s+\\d+\\.\\d\\d \\(\\d+\\.\\d\\d\\)\\s+[\\d.]+ % \\(\\d+\\)\\s+[\\d.]+ % \\(\\d+\\)\\s+\\d+ of 2$`, 'm'));
    }
    expect(result.stdout).toContain('Bars (issue 15): caught ≥ 90 %, right ≥ 60 %, ≤ 6 alerts per 100 answered sessions.');
  });

  it('gives in JSON the same figures as backtesting each seed’s cohort on its own', () => {
    const report = JSON.parse(alliance('backtest-report', '--simulator', 'short-ceiling', '--seeds', '5-6', '--clients', '80', '--json').stdout);
    const [sweep] = report.simulators;
    const perSeed = [5, 6].map((seed) => backtestSessions(simulatedSessions('short-ceiling', seed, 80, DEFAULT_INSTRUMENT), DEFAULT_INSTRUMENT, SETTINGS));
    const recall = perSeed.map((result) => result.rules[0]!.lenient.recall!);

    expect(sweep.rules[0].name).toBe('default');
    expect(sweep.rules[0].recall.min).toBe(Math.min(...recall));
    expect(sweep.rules[0].recall.mean).toBeCloseTo((recall[0]! + recall[1]!) / 2, 4);
    expect(sweep.labelled).toBe(perSeed[0]!.labelled + perSeed[1]!.labelled);
  });

  it('lists and reports the anchored simulator, and simulate writes its high and low clients', () => {
    expect(alliance('backtest-report', '--help').stdout).toMatch(/^ {2}anchored +fitted to the figures issue 15 published/m);
    expect(alliance('simulate', '--help').stdout).toMatch(/^ {2}anchored +fitted to the figures issue 15 published/m);
    expect(alliance('backtest-report', '--simulator', 'anchored', '--seeds', '1-1', '--clients', '40').stdout).toMatch(/^anchored: fitted to the figures issue 15 published[\s\S]*^twoSd\s/m);
    const rows = alliance('simulate', '--simulator', 'anchored', '--clients', '30', '--seed', '2').stdout.trim().split('\n').slice(1);

    expect(rows).toHaveLength(30 * 12);
    expect(new Set(rows.map((row) => row.split(',')[0]!.replace(/^sim-\d{4}-/, '')))).toEqual(new Set(['high', 'low']));
  });

  it('refuses an unknown simulator and a bad seed range', () => {
    expect(alliance('backtest-report', '--simulator', 'nope').stderr).toMatch(/unknown simulator "nope"/);
    expect(alliance('backtest-report', '--seeds', '9-3').code).toBe(2);
  });
});

describe('the default against the spec (seeds 1–2, small cohorts: a guard, not the evidence)', () => {
  it('catches more early ruptures on the short-ceiling simulator than the spec, whose clients with 1–2 answers get no statistical alert', () => {
    const sweep = sweepSimulator('short-ceiling', [1, 2], 300, DEFAULT_INSTRUMENT, SETTINGS);
    const byName = Object.fromEntries(sweep.rules.map((rule) => [rule.name, rule]));

    expect(byName.default!.recall.mean).toBeGreaterThan(byName.spec!.recall.mean + 0.2);
    expect(byName.default!.precision.mean).toBeGreaterThanOrEqual(0.6);
  });

  it('judges the bars on all three figures', () => {
    expect(meetsBars({ alertsPer100Answered: 5, precision: 0.6, recall: 0.9 })).toBe(true);
    expect(meetsBars({ alertsPer100Answered: 6.01, precision: 0.9, recall: 0.99 })).toBe(false);
    expect(meetsBars({ alertsPer100Answered: 1, precision: 0.59, recall: 0.99 })).toBe(false);
    expect(meetsBars({ alertsPer100Answered: 1, precision: 0.99, recall: null })).toBe(false);
  });
});
