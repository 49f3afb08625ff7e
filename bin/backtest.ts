/**
 * `alliance backtest <scores.csv>`: streams a practice's past scores through our rules and the
 * anchors' rules and reports what each would have sent. The file is read line by line, twice (the
 * retrospective 2-SD rule needs each client's whole-history mean first), so its size is bounded
 * by the disk, not by memory; memory grows with the number of clients (a few KB each).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DETECTOR_SETTINGS, readSettingsFromEnv, ConfigurationError, type DetectorSettings } from '../shared/config.ts';
import { Backtest, type BacktestResult } from '../shared/domain/backtest/backtest.ts';
import { BacktestInputError, parseHeader, parseRow, type CsvColumns } from '../shared/domain/backtest/csv.ts';
import { RULE_DESCRIPTIONS } from '../shared/domain/backtest/rules.ts';
import { checkDetectorSettings } from '../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../shared/domain/instruments.ts';
import { parseOptions } from './args.ts';
import { InputError, UsageError } from './errors.ts';
import { Progress, progressMode } from './progress.ts';

export const BACKTEST_HELP = `Usage: alliance backtest <scores.csv> [--json] [--progress | --no-progress]

Replays past scores through our rules (default and sensitive) and the anchors' rules on the
same data, and reports per rule: alerts, alerts per 100 sessions, share of clients alerted,
and precision and recall when the file has a rupture column.

The CSV has a header row. Columns (any order):
  clientId,endedAt,relationship,goals,approach,overall   required
  talk                                                   optional: "yes" or empty
  rupture                                                optional: 1 = a labelled true rupture, 0 or empty = none
One row per session, each client's rows in endedAt order (ISO 8601). A row whose items are all
empty is a session whose feedback request went unanswered.

Rules:
${Object.entries(RULE_DESCRIPTIONS)
  .map(([name, description]) => `  ${name.padEnd(10)} ${description}`)
  .join('\n')}
An alert is a session at which a rule would have alerted the therapist (ours: any alert kind;
going-quiet notices are not counted). A true positive is an alert at a session labelled 1.
The detector's settings are read from the same environment variables as the functions
(e.g. SD_FLOOR_POMP=3 BASELINE_MAX_SESSIONS=8 alliance backtest scores.csv).

Options:
  --json           Print one JSON object on stdout instead of the table
  --progress       Always show progress on stderr (default: on a terminal, for files over 5 MB)
  --no-progress    Never show progress
  -h, --help       Show this help
`;

interface PassOptions {
  path: string;
  onRow: (line: string, lineNumber: number) => void;
  onProgress: (bytes: number) => void;
}

/** Reads a file line by line, never holding more than a buffer of it. */
async function readLines({ path, onRow, onProgress }: PassOptions): Promise<void> {
  const stream = createReadStream(path);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      onRow(line, lineNumber);
      if ((lineNumber & 0xfff) === 0) onProgress(stream.bytesRead);
    }
    onProgress(stream.bytesRead);
  } finally {
    lines.close();
    stream.destroy();
  }
}

function detectorSettings(): { default: DetectorSettings; sensitive: DetectorSettings } {
  try {
    const configured = readSettingsFromEnv(DETECTOR_SETTINGS);
    checkDetectorSettings(configured);
    return { default: { ...configured, sensitivity: 'default' }, sensitive: { ...configured, sensitivity: 'sensitive' } };
  } catch (error) {
    if (error instanceof ConfigurationError || error instanceof RangeError) throw new InputError(error.message);
    throw error;
  }
}

/** Streams the file through the backtest; returns its result and a few counts for the table. */
export async function runBacktest(
  path: string,
  progress: Progress,
  bytes: number,
): Promise<{ result: BacktestResult; answered: number; labelled: number }> {
  const instrument = DEFAULT_INSTRUMENT;
  const backtest = new Backtest(instrument, detectorSettings());
  let columns: CsvColumns | null = null;
  let rows = 0;
  let answered = 0;
  let labelled = 0;

  const where = (error: unknown) => {
    if (error instanceof BacktestInputError) return new InputError(`${path} ${error.message}`);
    return error;
  };
  try {
    progress.update(0, 0);
    await readLines({
      path,
      onRow: (line, lineNumber) => {
        if (columns === null) {
          columns = parseHeader(line, instrument);
          return;
        }
        const session = parseRow(line, lineNumber, columns, instrument);
        if (session === null) return;
        rows += 1;
        if (session.answers !== null) answered += 1;
        if (session.label === 1) labelled += 1;
        backtest.add(session, lineNumber);
      },
      onProgress: (read) => progress.update(read, rows),
    });
    if (columns === null) throw new InputError(`${path} is empty: expected a header row`);
    const header: CsvColumns = columns;
    let secondPassRows = 0;
    await readLines({
      path,
      onRow: (line, lineNumber) => {
        if (lineNumber === 1) return;
        const session = parseRow(line, lineNumber, header, instrument);
        if (session === null) return;
        secondPassRows += 1;
        backtest.judgeRetrospectively(session);
      },
      onProgress: (read) => progress.update(bytes + read, rows + secondPassRows),
    });
  } catch (error) {
    throw where(error);
  } finally {
    progress.finish();
  }
  return { result: backtest.result(), answered, labelled };
}

function percent(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)} %`;
}

/** Renders the human table. */
export function formatTable(path: string, { result, answered, labelled }: { result: BacktestResult; answered: number; labelled: number }): string {
  const labels = result.rules[0]?.recall === null && labelled === 0 ? 'no rupture labels' : `${labelled.toLocaleString('en')} labelled ruptures`;
  const head = ['rule', 'alerts', 'per 100 sessions', 'clients alerted', 'precision', 'recall'];
  const rows = result.rules.map((rule) => [
    rule.name,
    rule.alerts.toLocaleString('en'),
    rule.alertsPer100Sessions.toFixed(2),
    percent(rule.clientsAlertedShare),
    percent(rule.precision),
    percent(rule.recall),
  ]);
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [
    `Backtest of ${path}: ${result.sessions.toLocaleString('en')} sessions (${answered.toLocaleString('en')} answered) from ${result.clients.toLocaleString('en')} clients; ${labels}.`,
    '',
    line(head),
    ...rows.map(line),
    '',
    ...Object.entries(RULE_DESCRIPTIONS).map(([name, description]) => `${name.padEnd(widths[0]!)}  ${description}`),
    '',
  ].join('\n');
}

/** Runs `alliance backtest`. */
export async function backtestCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(
    args,
    { json: { type: 'boolean' }, progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the scores file' : `one file at a time, got ${positionals.length}`);
  const path = positionals[0]!;
  let bytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(`${path} is not a regular file (the backtest reads it twice; save piped data to a file first)`);
    bytes = info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${path}: no such file` : `cannot read ${path}: ${(error as Error).message}`);
  }
  const force = values['no-progress'] ? false : values.progress ? true : undefined;
  const progress = new Progress(bytes * 2, progressMode(bytes, process.stderr.isTTY === true, force));
  const outcome = await runBacktest(path, progress, bytes);
  process.stdout.write(values.json ? `${JSON.stringify(outcome.result)}\n` : formatTable(path, outcome));
}
