/**
 * `alliance backtest --sessions`: the per-session output lets anyone recompute every figure the
 * backtest prints. These tests recompute them here, from the output and the input's labels alone,
 * with a second, deliberately plain implementation that holds every row in memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alliance.mjs');

function alliance(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`alliance ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

interface InputRow {
  clientId: string;
  endedAt: string;
  answered: boolean;
  label: boolean;
}

interface Figures {
  alerts: number;
  alertsPer100Sessions: number;
  precision: number | null;
  recall: number | null;
  lenient: { alertsPer100Answered: number; precision: number | null; recall: number | null };
}

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const share = (part: number, whole: number) => (whole === 0 ? null : round(part / whole, 4));

/** Recomputes one rule's figures from its rows (in input order) and the input rows. */
function recompute(input: readonly InputRow[], alerted: readonly boolean[]): Figures {
  const byClient = new Map<string, number[]>();
  input.forEach((row, index) => byClient.set(row.clientId, [...(byClient.get(row.clientId) ?? []), index]));
  let alerts = 0;
  let strictRight = 0;
  let lenientRight = 0;
  let strictCaught = 0;
  let lenientCaught = 0;
  for (const rows of byClient.values()) {
    rows.forEach((row, position) => {
      // The client's next answered row after this one, and the rows since their previous answered one.
      const next = rows.slice(position + 1).find((other) => input[other]!.answered);
      let previous = position - 1;
      while (previous >= 0 && !input[rows[previous]!]!.answered) previous -= 1;
      const since = rows.slice(Math.max(previous, 0), position);
      if (alerted[row]) {
        alerts += 1;
        if (input[row]!.label) strictRight += 1;
        if (input[row]!.label || since.some((other) => input[other]!.label)) lenientRight += 1;
      }
      if (input[row]!.label) {
        if (alerted[row]) strictCaught += 1;
        if (alerted[row] || (next !== undefined && alerted[next])) lenientCaught += 1;
      }
    });
  }
  const labelled = input.filter((row) => row.label).length;
  const answered = input.filter((row) => row.answered).length;
  return {
    alerts,
    alertsPer100Sessions: round((100 * alerts) / input.length, 2),
    precision: share(strictRight, alerts),
    recall: share(strictCaught, labelled),
    lenient: { alertsPer100Answered: round((100 * alerts) / answered, 2), precision: share(lenientRight, alerts), recall: share(lenientCaught, labelled) },
  };
}

let dir: string;
let input: InputRow[];
let report: { rules: (Figures & { name: string })[] };
let sessions: string[][];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-sessions-'));
  const cohort = join(dir, 'cohort.csv');
  alliance('simulate', '--clients', '200', '--seed', '5', '--out', cohort);
  const lines = readFileSync(cohort, 'utf8').trim().split('\n').slice(1);
  input = lines.map((line) => {
    const cells = line.split(',');
    return { clientId: cells[0]!, endedAt: cells[1]!, answered: cells[2] !== '', label: cells.at(-1) === '1' };
  });
  const out = join(dir, 'sessions.csv');
  report = JSON.parse(alliance('backtest', cohort, '--json', '--sessions', out));
  sessions = readFileSync(out, 'utf8').trim().split('\n').map((line) => line.split(','));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alliance backtest --sessions', () => {
  it('writes a header and one row per input row and rule', () => {
    expect(sessions[0]).toEqual(['clientId', 'endedAt', 'rule', 'kinds']);
    expect(sessions.length - 1).toBe(input.length * report.rules.length);
  });

  it('lists each rule’s rows in the input’s order, with the input’s client and end time', () => {
    for (const rule of report.rules) {
      const rows = sessions.slice(1).filter((row) => row[2] === rule.name);
      expect(rows.map((row) => `${row[0]},${row[1]}`)).toEqual(input.map((row) => `${row.clientId},${row.endedAt}`));
    }
  });

  it('names the detector’s alert kinds, and never alerts at an unanswered row', () => {
    const body = sessions.slice(1);
    const kinds = new Set(body.flatMap((row) => (row[3] === '' ? [] : row[3]!.split('|'))));
    expect([...kinds].every((kind) => ['rupture', 'sustained-decline', 'item-drop', 'low-rating', 'client-asked', 'unrepaired', 'alert'].includes(kind))).toBe(true);
    expect(kinds.has('rupture')).toBe(true);
    for (const rule of report.rules) {
      const rows = body.filter((row) => row[2] === rule.name);
      rows.forEach((row, index) => {
        if (!input[index]!.answered) expect(row[3]).toBe('');
      });
    }
  });

  it('recomputes every rule’s figures under both definitions from the rows alone', () => {
    for (const rule of report.rules) {
      const alerted = sessions.slice(1).filter((row) => row[2] === rule.name).map((row) => row[3] !== '');
      const { name, clientsAlertedShare: _, ...figures } = rule as Figures & { name: string; clientsAlertedShare: number };
      expect({ name, ...recompute(input, alerted) }).toEqual({ name, ...figures });
    }
  });
});
