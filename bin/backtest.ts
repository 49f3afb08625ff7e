/**
 * `alliance backtest <scores.csv>`: streams a practice's past scores through our rules and the
 * anchors' rules and reports what each would have sent. The file is read line by line, twice (the
 * retrospective 2-SD rule needs each client's whole-history mean first), so its size is bounded
 * by the disk, not by memory; memory grows with the number of clients (a few KB each).
 */
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DETECTOR_SETTINGS, readSettingsFromEnv, ConfigurationError, type DetectorSettings } from '../shared/config.ts';
import { Backtest, DEFINITIONS, type BacktestResult, type RuleOutcome } from '../shared/domain/backtest/backtest.ts';
import { BacktestInputError, csvField, parseHeader, parseRow, type BacktestSession, type CsvColumns } from '../shared/domain/backtest/csv.ts';
import { ANCHOR_KIND, detectorRuleSettings, RULE_DESCRIPTIONS, type DetectorRuleName } from '../shared/domain/backtest/rules.ts';
import { checkDetectorSettings, DEFAULT_DETECTOR_SETTINGS } from '../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../shared/domain/instruments.ts';
import { parseOptions } from './args.ts';
import { InputError, UsageError } from './errors.ts';
import { Progress, progressMode } from './progress.ts';

export const BACKTEST_HELP = `Usage: alliance backtest <scores.csv> [--json] [--sessions OUT.csv] [--progress | --no-progress]

Replays past scores through our rules and the anchors' rules on the same data, and reports per
rule: alerts, alerts per 100 sessions, share of clients alerted, and how many alerts were right
and how many labelled ruptures were caught when the file has a rupture column — under two
definitions:
  ${DEFINITIONS.strict}
  ${DEFINITIONS.lenient}

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
going-quiet notices are not counted).
The detector's settings are read from the same environment variables as the functions
(e.g. SD_FLOOR_POMP=3 BASELINE_MAX_SESSIONS=8 alliance backtest scores.csv).

Options:
  --json           Print one JSON object on stdout instead of the table
  --sessions FILE  Also write one row per input row and rule: clientId,endedAt,rule,kinds
                   (kinds: the alert kinds fired there that email the therapist, "|"-separated,
                   empty when none; with unrepairedEmailsTherapist off, as by default, an
                   unrepaired escalation emails only a supervisor and is not listed; an
                   anchor rule's alert is "${ANCHOR_KIND}"). Rows of each rule follow the input's
                   order; the twoSd rows come last (that rule is judged on a second pass).
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

/** The settings each of our rules runs on: the configured ones, varied per rule. */
export function detectorSettings(env: NodeJS.ProcessEnv = process.env): Record<DetectorRuleName, DetectorSettings> {
  try {
    const configured = readSettingsFromEnv(DETECTOR_SETTINGS, env);
    checkDetectorSettings(configured);
    return detectorRuleSettings(configured);
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
  options: { settings?: Record<DetectorRuleName, DetectorSettings>; onOutcomes?: (session: BacktestSession, outcomes: readonly RuleOutcome[]) => void } = {},
): Promise<{ result: BacktestResult; answered: number; labelled: number }> {
  const instrument = DEFAULT_INSTRUMENT;
  const backtest = new Backtest(instrument, options.settings ?? detectorSettings());
  const onOutcomes = options.onOutcomes ?? (() => undefined);
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
        onOutcomes(session, backtest.add(session, lineNumber));
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
        onOutcomes(session, [backtest.judgeRetrospectively(session)]);
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

/** Renders the human table: both definitions side by side, each stated under the table. */
export function formatTable(path: string, { result, answered, labelled }: { result: BacktestResult; answered: number; labelled: number }): string {
  const labels = result.rules[0]?.recall === null && labelled === 0 ? 'no rupture labels' : `${labelled.toLocaleString('en')} labelled ruptures`;
  const group = ['', '', 'strict', '', '', '', 'lenient', '', ''];
  const head = ['rule', 'alerts', 'per 100 sessions', 'right', 'caught', 'clients alerted', 'per 100 answered', 'right', 'caught'];
  const rows = result.rules.map((rule) => [
    rule.name,
    rule.alerts.toLocaleString('en'),
    rule.alertsPer100Sessions.toFixed(2),
    percent(rule.precision),
    percent(rule.recall),
    percent(rule.clientsAlertedShare),
    rule.lenient.alertsPer100Answered.toFixed(2),
    percent(rule.lenient.precision),
    percent(rule.lenient.recall),
  ]);
  const widths = head.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [
    `Backtest of ${path}: ${result.sessions.toLocaleString('en')} sessions (${answered.toLocaleString('en')} answered) from ${result.clients.toLocaleString('en')} clients; ${labels}.`,
    '',
    line(group),
    line(head),
    ...rows.map(line),
    '',
    `right = share of alerts that were right; caught = share of labelled ruptures alerted.`,
    ...(result.practicePrior
      ? [
          `Practice prior for early alerts fitted from this file (${result.practicePrior.clients.toLocaleString('en')} clients with 2+ answers): PRIOR_MEAN_POMP=${result.practicePrior.priorMeanPomp} PRIOR_SD_POMP=${result.practicePrior.priorSdPomp} PRIOR_WITHIN_SD_POMP=${result.practicePrior.priorWithinSdPomp} (built-in: ${DEFAULT_DETECTOR_SETTINGS.priorMeanPomp}, ${DEFAULT_DETECTOR_SETTINGS.priorSdPomp}, ${DEFAULT_DETECTOR_SETTINGS.priorWithinSdPomp}); set the first two to judge early sessions against your own clients. PRIOR_WITHIN_SD_POMP is also the spread every client's SD is pulled toward, and this fit counts the file's ruptures as noise: backtest it before you set it.`,
        ]
      : []),
    DEFINITIONS.strict,
    DEFINITIONS.lenient,
    '',
    ...Object.entries(RULE_DESCRIPTIONS).map(([name, description]) => `${name.padEnd(widths[0]!)}  ${description}`),
    '',
  ].join('\n');
}

/** Writes `--sessions` rows in batches, synchronously (the passes call back synchronously). */
class SessionsWriter {
  private readonly fd: number;
  private batch = 'clientId,endedAt,rule,kinds\n';

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (error) {
      throw new InputError(`cannot write ${path}: ${(error as Error).message}`);
    }
  }

  write(session: BacktestSession, outcomes: readonly RuleOutcome[]): void {
    const prefix = `${csvField(session.clientId)},${csvField(session.endedAt)},`;
    for (const outcome of outcomes) this.batch += `${prefix}${outcome.rule},${outcome.kinds.join('|')}\n`;
    if (this.batch.length > 256 * 1024) this.flush();
  }

  flush(): void {
    writeSync(this.fd, this.batch);
    this.batch = '';
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Runs `alliance backtest`. */
export async function backtestCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(
    args,
    { json: { type: 'boolean' }, sessions: { type: 'string' }, progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' } },
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
  const writer = values.sessions === undefined ? null : new SessionsWriter(values.sessions);
  let outcome: Awaited<ReturnType<typeof runBacktest>>;
  try {
    outcome = await runBacktest(path, progress, bytes, writer ? { onOutcomes: (session, outcomes) => writer.write(session, outcomes) } : {});
  } finally {
    writer?.close();
  }
  process.stdout.write(values.json ? `${JSON.stringify(outcome.result)}\n` : formatTable(path, outcome));
}
