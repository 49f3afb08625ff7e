import { describe, expect, it } from 'vitest';
import { Backtest } from '../../../shared/domain/backtest/backtest.ts';
import { parseHeader, parseRow, type BacktestSession } from '../../../shared/domain/backtest/csv.ts';
import { detectorRuleSettings } from '../../../shared/domain/backtest/rules.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../../shared/domain/detector/index.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

const SETTINGS = detectorRuleSettings(DEFAULT_DETECTOR_SETTINGS);

/** Builds sessions from "clientId total label" lines; a total of "-" is unanswered. */
function sessions(text: string, header = 'clientId,endedAt,relationship,goals,approach,overall,talk,rupture'): BacktestSession[] {
  const columns = parseHeader(header, DEFAULT_INSTRUMENT);
  const week = new Map<string, number>();
  return text
    .trim()
    .split('\n')
    .map((line, index) => {
      const [clientId, total, label] = line.trim().split(/\s+/) as [string, string, string | undefined];
      const n = (week.get(clientId) ?? 0) + 1;
      week.set(clientId, n);
      const item = total === '-' ? '' : String(Number(total) / 4);
      const cells = [clientId, new Date(Date.UTC(2026, 0, 7 * n)).toISOString(), item, item, item, item, '', ...(header.endsWith('rupture') ? [label ?? '0'] : [])];
      return parseRow(cells.join(','), index + 2, columns, DEFAULT_INSTRUMENT)!;
    });
}

function backtest(input: BacktestSession[]) {
  const run = new Backtest(DEFAULT_INSTRUMENT, SETTINGS);
  input.forEach((session, index) => run.add(session, index + 2));
  input.forEach((session) => run.judgeRetrospectively(session));
  return run.result();
}

const TWO_CLIENTS = `
a 36
a 37
a 37
a 38
a 38
a 30 1
a 37
a 38
b 40
b 40
b -
b 40
b 40
b 39
b 40
b 36
b 40
`;

describe('backtest', () => {
  it('counts sessions (answered or not), clients and each rule’s alerts', () => {
    const result = backtest(sessions(TWO_CLIENTS));

    expect(result.sessions).toBe(17);
    expect(result.clients).toBe(2);
    expect(Object.fromEntries(result.rules.map((rule) => [rule.name, rule.alerts]))).toEqual({
      default: 1, // a's 30 is a rupture; b's 36 only a watch (the reference vectors)
      spec: 1,
      sensitive: 1,
      rollingWatch: 1,
      cutoff: 1, // a's 30 is the only total under 36
      lastDrop: 3, // a: 38 → 30; b: 40 → 39 and 40 → 36
      twoSd: 2, // a's 30 (mean 36.4, SD 2.7) and b's 36 (mean 39.4, SD 1.4)
    });
  });

  it('gives alerts per 100 sessions, share of clients alerted, precision and recall', () => {
    const rules = Object.fromEntries(backtest(sessions(TWO_CLIENTS)).rules.map((rule) => [rule.name, rule]));

    expect(rules.default).toEqual({
      name: 'default',
      alerts: 1,
      alertsPer100Sessions: 5.88,
      clientsAlertedShare: 0.5,
      precision: 1,
      recall: 1,
      lenient: { alertsPer100Answered: 6.25, precision: 1, recall: 1 },
    });
    expect(rules.lastDrop).toMatchObject({ alertsPer100Sessions: 17.65, clientsAlertedShare: 1, precision: 0.3333, recall: 1 });
  });

  it('credits a rupture caught at the next answered session, and an alert there, only under the lenient definition', () => {
    // c's drop is labelled one session early: the rule alerts at the session after the label,
    // across an unanswered one.
    const rules = Object.fromEntries(backtest(sessions('c 36\nc 37\nc 37\nc 38\nc 38 1\nc -\nc 30\nc 37')).rules.map((rule) => [rule.name, rule]));

    expect(rules.default).toMatchObject({ alerts: 1, precision: 0, recall: 0, lenient: { alertsPer100Answered: 14.29, precision: 1, recall: 1 } });
  });

  it('does not credit an alert two answered sessions after the label', () => {
    const rules = Object.fromEntries(backtest(sessions('c 36\nc 37\nc 37\nc 38 1\nc 38\nc 30\nc 37')).rules.map((rule) => [rule.name, rule]));

    expect(rules.default).toMatchObject({ alerts: 1, lenient: { precision: 0, recall: 0 } });
  });

  it('fits the practice prior from the clients’ answered sessions: mean of their means, their spread less session noise, the pooled session SD', () => {
    // a: 36, 36.8, 35.2 (90, 92, 88 POMP); b: 28, 28.8, 27.2 (70, 72, 68): session SD 2 POMP each.
    const { practicePrior } = backtest(sessions('a 36\na 36.8\na -\na 35.2\nb 28\nb 28.8\nb 27.2\nc 30'));

    // Means 90 and 70: their SD is 14.14; less 2²/3 of noise: √(200 − 4/3) = 14.1. c has one answer.
    expect(practicePrior).toEqual({ priorMeanPomp: 80, priorSdPomp: 14.1, priorWithinSdPomp: 2, clients: 2 });
  });

  it('fits no prior from fewer than two clients with two answers', () => {
    expect(backtest(sessions('a 36\na 36.8\nb 30')).practicePrior).toBeNull();
  });

  it('reports precision and recall as null when the file has no labels', () => {
    const input = sessions(TWO_CLIENTS, 'clientId,endedAt,relationship,goals,approach,overall,talk');

    expect(backtest(input).rules.map((rule) => [rule.precision, rule.recall])).toEqual(Array(7).fill([null, null]));
  });

  it('reports recall as null when labels exist but none is a rupture, and precision as null without alerts', () => {
    const [rule] = backtest(sessions('a 38\na 38\na 38\na 38')).rules;

    expect(rule).toMatchObject({ name: 'default', alerts: 0, precision: null, recall: null });
  });

  it('refuses a client whose sessions are out of order, naming the line', () => {
    const input = sessions('a 38\na 38');
    const run = new Backtest(DEFAULT_INSTRUMENT, SETTINGS);
    run.add(input[1]!, 2);

    expect(() => run.add(input[0]!, 3)).toThrow(/^line 3: sessions of client a are not sorted by endedAt/);
  });

  it('refuses to summarise before the second pass has seen every session', () => {
    const run = new Backtest(DEFAULT_INSTRUMENT, SETTINGS);
    run.add(sessions('a 38')[0]!, 2);

    expect(() => run.result()).toThrow(/second pass saw 0 sessions, the first 1/);
  });
});
