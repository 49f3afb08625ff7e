/**
 * The real CLI, run as a subprocess the way a practice runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alliance.mjs');
const HEADER = 'clientId,endedAt,relationship,goals,approach,overall';
const RULES = ['default', 'spec', 'sensitive', 'rollingWatch', 'cutoff', 'lastDrop', 'twoSd'];

function alliance(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let cohort: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-cli-'));
  cohort = join(dir, 'cohort.csv');
  const simulated = alliance('simulate', '--clients', '300', '--seed', '11', '--out', cohort);
  expect(simulated.code).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('alliance CLI', () => {
  it('runs through npx from the package.json bin entry', () => {
    const result = spawnSync('npx', ['--no-install', 'alliance', '--help'], { cwd: ROOT, encoding: 'utf8' });

    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/backtest <scores\.csv>[\s\S]*simulate/);
  });

  it.each(['export', 'erase', 'redrive', 'clients'])('shows the help of %s through npx', (command) => {
    const result = spawnSync('npx', ['--no-install', 'alliance', command, '--help'], { cwd: ROOT, encoding: 'utf8' });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Usage: alliance ${command}`);
    expect(result.stdout).toContain('--region REGION');
  });

  it('refuses to erase without --yes when nobody can be asked', () => {
    const result = alliance('erase', 'c-1');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stdin is not a terminal: pass --yes');
  });

  it('says the local stack is not running instead of printing a stack trace', () => {
    const result = alliance('export', 'c-1', '--endpoint', 'http://127.0.0.1:1');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot reach the local stack .*127\.0\.0\.1:1.*is it running \(npm start\)\?/);
    expect(result.stdout).toBe('');
  });

  it('lists the clients command in its help: unblock and allow, audited', () => {
    const result = alliance('--help');

    expect(result.stdout).toMatch(/clients unblock <clientId>[\s\S]*clients allow <email>[\s\S]*audited/);
  });

  it('needs the deployment’s address key on AWS to erase or allow an address, and never takes the local one', () => {
    const withoutKey = { ...process.env, NO_COLOR: '1', ADDRESS_HASH_KEY: '' };
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: withoutKey });

    for (const args of [['erase', 'c-1', '--yes'], ['clients', 'allow', 'ana@example.com']]) {
      const result = run(...args, '--table', 'T', '--region', 'eu-west-1');
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('on AWS, set ADDRESS_HASH_KEY to the addressHashKey the stack was deployed with');
    }
  });

  it('refuses clients without an action, an unknown action and an address that is not one', () => {
    expect(alliance('clients').stderr).toContain('say what to do: import, list, remove, unblock or allow');
    expect(alliance('clients', 'forget', 'c-1').code).toBe(2);
    const notAnAddress = alliance('clients', 'allow', 'not-an-address');
    expect(notAnAddress.code).toBe(2);
    expect(notAnAddress.stderr).toContain('that is not an email address');
  });

  it('needs the table on AWS, where CloudFormation named it', () => {
    const result = alliance('export', 'c-1', '--region', 'eu-west-1');

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('on AWS, --table is required');
  });

  it('shows help for a command', () => {
    const result = alliance('backtest', '--help');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: alliance backtest <scores.csv>');
  });

  it('simulates the same cohort for the same seed', () => {
    const again = alliance('simulate', '--clients', '300', '--seed', '11');

    expect(again.code).toBe(0);
    expect(again.stdout).toBe(readFileSync(cohort, 'utf8'));
    expect(again.stdout.split('\n', 1)[0]).toBe(`${HEADER},talk,rupture`);
  });

  it('prints exactly one JSON object on stdout with --json, and nothing on stderr for a small file', () => {
    const result = alliance('backtest', cohort, '--json');

    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual(['sessions', 'answered', 'labelled', 'clients', 'definitions', 'rules', 'practicePrior']);
    expect(report.clients).toBe(300);
    expect(Object.keys(report.definitions)).toEqual(['strict', 'lenient']);
    expect(report.rules.map((rule: { name: string }) => rule.name)).toEqual(RULES);
    for (const rule of report.rules) {
      expect(Object.keys(rule)).toEqual(['name', 'alerts', 'alertsPer100Sessions', 'clientsAlertedShare', 'precision', 'recall', 'lenient']);
      expect(Object.keys(rule.lenient)).toEqual(['alertsPer100Answered', 'precision', 'recall']);
    }
  });

  it('sends fewer alerts per 100 sessions on the default rule than on lastDrop, and catches labelled dips', () => {
    const rules = Object.fromEntries(JSON.parse(alliance('backtest', cohort, '--json').stdout).rules.map((rule: { name: string }) => [rule.name, rule]));

    expect(rules.default.alertsPer100Sessions).toBeLessThan(rules.lastDrop.alertsPer100Sessions);
    expect(rules.default.alertsPer100Sessions).toBeLessThan(rules.cutoff.alertsPer100Sessions);
    expect(rules.default.recall).toBeGreaterThan(0);
    expect(rules.default.precision).toBeGreaterThan(rules.lastDrop.precision);
  });

  it('prints a table by default', () => {
    const result = alliance('backtest', cohort);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Backtest of .*cohort\.csv: [\d,]+ sessions \([\d,]+ answered\) from 300 clients; [\d,]+ labelled ruptures\./);
    expect(result.stdout).toMatch(/^\s+strict\s+lenient$/m);
    expect(result.stdout).toMatch(/^rule\s+alerts\s+per 100 sessions\s+right\s+caught\s+clients alerted\s+per 100 answered\s+right\s+caught$/m);
    expect(result.stdout).toMatch(/^lastDrop\s+[\d,]+\s+\d+\.\d\d\s+[\d.]+ %\s+[\d.]+ %\s+[\d.]+ %\s+\d+\.\d\d\s+[\d.]+ %\s+[\d.]+ %$/m);
    expect(result.stdout).toContain('strict: an alert is right only at a session labelled 1');
    expect(result.stdout).toContain('lenient (issue 15): an alert is right at a labelled session or at the first answered session after one');
  });

  it('reports progress on stderr only, leaving stdout clean JSON', () => {
    const result = alliance('backtest', cohort, '--json', '--progress');

    expect(result.stderr).toMatch(/backtest: 0 %[\s\S]*backtest: 100 %/);
    expect(() => JSON.parse(result.stdout)).not.toThrow();
  });

  it('reports null precision and recall for a file without labels', () => {
    const path = file('plain.csv', `${HEADER}\nc-1,2026-01-05T15:00:00Z,9,9,9,9\nc-1,2026-01-12T15:00:00Z,,,,\n`);
    const report = JSON.parse(alliance('backtest', path, '--json').stdout);

    expect(report.sessions).toBe(2);
    expect(report.rules[0]).toEqual({
      name: 'default',
      alerts: 0,
      alertsPer100Sessions: 0,
      clientsAlertedShare: 0,
      precision: null,
      recall: null,
      lenient: { alertsPer100Answered: 0, precision: null, recall: null },
    });
  });

  it.each([
    ['a missing file', () => join(dir, 'nowhere.csv'), /nowhere\.csv: no such file/],
    ['an empty file', () => file('empty.csv', ''), /empty\.csv is empty: expected a header row/],
    ['a bad header', () => file('header.csv', 'client,endedAt,relationship,goals,approach,overall\n'), /line 1: bad header: unknown column "client"; missing column "clientId"/],
    ['a bad number', () => file('number.csv', `${HEADER}\nc-1,2026-01-05,9,9,9,9\nc-1,2026-01-12,9,x,9,9\n`), /number\.csv line 3: goals "x" is not a number/],
    ['unsorted sessions', () => file('order.csv', `${HEADER}\nc-1,2026-01-12,9,9,9,9\nc-2,2026-01-01,9,9,9,9\nc-1,2026-01-05,9,9,9,9\n`), /line 4: sessions of client c-1 are not sorted by endedAt/],
  ])('fails clearly on %s, with exit code 1 and nothing on stdout', (_, path, message) => {
    const result = alliance('backtest', path(), '--json');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('fails with exit code 2 on a usage error', () => {
    expect(alliance('backtest').code).toBe(2);
    expect(alliance('backtest', cohort, '--jsn').stderr).toMatch(/Unknown option '--jsn'/);
    expect(alliance('simulate', '--clients', 'many').stderr).toMatch(/--clients must be a whole number/);
    expect(alliance('frobnicate').code).toBe(2);
  });

  it('reads the detector settings from the environment, rejecting invalid ones', () => {
    const result = spawnSync(process.execPath, [BIN, 'backtest', cohort, '--json'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, SD_FLOOR_POMP: 'wide' } });

    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/SD_FLOOR_POMP/);
  });
});
