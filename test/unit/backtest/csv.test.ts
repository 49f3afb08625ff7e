import { describe, expect, it } from 'vitest';
import { BacktestInputError, csvField, parseHeader, parseRow, splitCsvLine } from '../../../shared/domain/backtest/csv.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';

const HEADER = 'clientId,endedAt,relationship,goals,approach,overall,talk,rupture';
const columns = parseHeader(HEADER, DEFAULT_INSTRUMENT);
const row = (line: string, lineNumber = 2) => parseRow(line, lineNumber, columns, DEFAULT_INSTRUMENT);

describe('backtest CSV header', () => {
  it('finds the columns in any order, the optional ones included', () => {
    const shuffled = parseHeader('overall,clientId,goals,endedAt,relationship,approach', DEFAULT_INSTRUMENT);

    expect(shuffled).toEqual({ count: 6, clientId: 1, endedAt: 3, items: [4, 2, 5, 0], talk: null, rupture: null });
  });

  it('ignores a byte-order mark and spaces around names', () => {
    expect(parseHeader('\uFEFFclientId, endedAt,relationship,goals,approach,overall', DEFAULT_INSTRUMENT).clientId).toBe(0);
  });

  it('names every missing, doubled and unknown column on line 1', () => {
    const read = () => parseHeader('clientId,endedAt,relationship,relationship,goal,overall', DEFAULT_INSTRUMENT);

    expect(read).toThrow(BacktestInputError);
    expect(read).toThrow(/^line 1: bad header: column "relationship" appears twice; unknown column "goal"; missing columns "goals", "approach"/);
  });
});

describe('backtest CSV rows', () => {
  it('reads an answered session', () => {
    expect(row('c-1,2026-01-05T15:00:00Z,9,8,10,9.5,yes,1')).toEqual({
      clientId: 'c-1',
      endedAt: '2026-01-05T15:00:00Z',
      endedAtMs: Date.UTC(2026, 0, 5, 15),
      answers: [9, 8, 10, 9.5],
      talk: true,
      label: 1,
    });
  });

  it('reads a row with every item empty as an unanswered session', () => {
    expect(row('c-1,2026-01-05T15:00:00Z,,,,,,')).toMatchObject({ answers: null, talk: false, label: 0 });
  });

  it('has no label when the file has no rupture column', () => {
    const plain = parseHeader('clientId,endedAt,relationship,goals,approach,overall', DEFAULT_INSTRUMENT);

    expect(parseRow('c-1,2026-01-05,9,9,9,9', 2, plain, DEFAULT_INSTRUMENT)?.label).toBeNull();
  });

  it('skips blank lines', () => {
    expect(row('')).toBeNull();
  });

  it('reads quoted fields', () => {
    expect(splitCsvLine('"c,1","say ""hi""",3', 2)).toEqual(['c,1', 'say "hi"', '3']);
    expect(csvField('c,1')).toBe('"c,1"');
  });

  it.each([
    ['c-1,2026-01-05,9,,9,9,,', 7, /^line 7: goals is empty while other items are answered/],
    ['c-1,2026-01-05,9,nine,9,9,,', 8, /^line 8: goals "nine" is not a number/],
    ['c-1,2026-01-05,9,11,9,9,,', 9, /^line 9: goals 11 is outside 0–10/],
    ['c-1,yesterday,9,9,9,9,,', 3, /^line 3: endedAt "yesterday" is not a date/],
    ['c-1,2026-01-05,9,9,9,9,maybe,', 4, /^line 4: talk "maybe" must be "yes" or empty/],
    ['c-1,2026-01-05,9,9,9,9,,2', 5, /^line 5: rupture "2" must be 1, 0 or empty/],
    ['c-1,2026-01-05,9,9,9,9', 6, /^line 6: expected 8 fields, found 6/],
    [',2026-01-05,9,9,9,9,,', 10, /^line 10: clientId is empty/],
    ['"c-1,2026-01-05,9,9,9,9,,', 11, /^line 11: a quoted field is not closed/],
  ])('rejects %s with its line number', (line, lineNumber, message) => {
    expect(() => row(line, lineNumber)).toThrow(message);
  });
});
