/**
 * The backtest's CSV format, one session a row: `clientId,endedAt,<one column per item>` plus
 * optional `talk` (`yes`/empty) and `rupture` (`1`/`0`/empty: a labelled true rupture). A row whose
 * item cells are all empty is a session whose feedback request expired unanswered. Parsing is pure
 * and works line by line, so a file of any size can be streamed through it.
 */
import type { Instrument } from '../instruments.ts';

/** One session of the backtest input. */
export interface BacktestSession {
  clientId: string;
  endedAt: string;
  /** Milliseconds since the epoch, for the per-client order check. */
  endedAtMs: number;
  /** Raw answers in instrument order; null when the request expired unanswered. */
  answers: number[] | null;
  talk: boolean;
  /** 1 = labelled true rupture, 0 = none, null = the file has no `rupture` column. */
  label: 0 | 1 | null;
}

/** Where each column sits in a row. */
export interface CsvColumns {
  count: number;
  clientId: number;
  endedAt: number;
  items: number[];
  talk: number | null;
  rupture: number | null;
}

/** A problem in the input file, with the line it is on (1 = the header). */
export class BacktestInputError extends Error {
  override name = 'BacktestInputError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** The header a file for this instrument should have (with both optional columns). */
export function csvHeader(instrument: Instrument): string[] {
  return ['clientId', 'endedAt', ...instrument.items.map((item) => item.id), 'talk', 'rupture'];
}

/** Splits one CSV line into fields (RFC 4180 quoting; no line breaks inside fields). */
export function splitCsvLine(line: string, lineNumber: number): string[] {
  if (!line.includes('"')) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  if (quoted) throw new BacktestInputError(lineNumber, 'a quoted field is not closed');
  fields.push(field);
  return fields;
}

/** Quotes a field when it needs it. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Reads the header line and locates every column, naming what is missing, doubled or unknown. */
export function parseHeader(line: string, instrument: Instrument): CsvColumns {
  const names = splitCsvLine(line.replace(/^\uFEFF/, ''), 1).map((name) => name.trim());
  const expected = csvHeader(instrument);
  const problems: string[] = [];
  const position = new Map<string, number>();
  names.forEach((name, index) => {
    if (position.has(name)) problems.push(`column "${name}" appears twice`);
    else if (!expected.includes(name)) problems.push(`unknown column "${name}"`);
    position.set(name, index);
  });
  const required = ['clientId', 'endedAt', ...instrument.items.map((item) => item.id)];
  const missing = required.filter((name) => !position.has(name));
  if (missing.length > 0) problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.map((name) => `"${name}"`).join(', ')}`);
  if (problems.length > 0) {
    throw new BacktestInputError(1, `bad header: ${problems.join('; ')} (expected ${required.join(',')}[,talk][,rupture])`);
  }
  return {
    count: names.length,
    clientId: position.get('clientId')!,
    endedAt: position.get('endedAt')!,
    items: instrument.items.map((item) => position.get(item.id)!),
    talk: position.get('talk') ?? null,
    rupture: position.get('rupture') ?? null,
  };
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function cellAt(fields: readonly string[], index: number): string {
  return (fields[index] ?? '').trim();
}

function parseAnswers(fields: readonly string[], lineNumber: number, columns: CsvColumns, instrument: Instrument): number[] | null {
  let empty = 0;
  for (const index of columns.items) if (cellAt(fields, index) === '') empty += 1;
  if (empty === columns.items.length) return null;
  const answers = new Array<number>(columns.items.length);
  for (let position = 0; position < columns.items.length; position++) {
    const value = cellAt(fields, columns.items[position]!);
    const item = instrument.items[position]!;
    if (value === '') {
      throw new BacktestInputError(lineNumber, `${item.id} is empty while other items are answered (leave every item empty for an unanswered session)`);
    }
    const number = Number(value);
    if (!NUMBER.test(value) || !Number.isFinite(number)) throw new BacktestInputError(lineNumber, `${item.id} "${value}" is not a number`);
    if (number < instrument.min || number > instrument.max) {
      throw new BacktestInputError(lineNumber, `${item.id} ${value} is outside ${instrument.min}–${instrument.max}`);
    }
    answers[position] = number;
  }
  return answers;
}

/** Parses one data line into a session, or returns null for a blank line. */
export function parseRow(line: string, lineNumber: number, columns: CsvColumns, instrument: Instrument): BacktestSession | null {
  if (line.trim() === '') return null;
  const fields = splitCsvLine(line, lineNumber);
  if (fields.length !== columns.count) {
    throw new BacktestInputError(lineNumber, `expected ${columns.count} fields, found ${fields.length}`);
  }

  const clientId = cellAt(fields, columns.clientId);
  if (clientId === '') throw new BacktestInputError(lineNumber, 'clientId is empty');

  const endedAt = cellAt(fields, columns.endedAt);
  const endedAtMs = Date.parse(endedAt);
  if (Number.isNaN(endedAtMs)) throw new BacktestInputError(lineNumber, `endedAt "${endedAt}" is not a date (use ISO 8601, e.g. 2026-01-05T15:00:00Z)`);

  const answers = parseAnswers(fields, lineNumber, columns, instrument);

  let talk = false;
  if (columns.talk !== null) {
    const value = cellAt(fields, columns.talk).toLowerCase();
    if (value === 'yes') talk = true;
    else if (value !== '' && value !== 'no') throw new BacktestInputError(lineNumber, `talk "${cellAt(fields, columns.talk)}" must be "yes" or empty`);
  }

  let label: 0 | 1 | null = null;
  if (columns.rupture !== null) {
    const value = cellAt(fields, columns.rupture);
    if (value === '1') label = 1;
    else if (value === '0' || value === '') label = 0;
    else throw new BacktestInputError(lineNumber, `rupture "${value}" must be 1, 0 or empty`);
  }

  return { clientId, endedAt, endedAtMs, answers, talk, label };
}
