/**
 * `alliance import <appointments.csv>`: an EHR's appointment export → SessionCompleted for every
 * appointment that took place (shared/use-cases/import-appointments.ts), against the local stack or
 * a deployed bus. The file is read twice (check every row, then send), streaming, so a file of any
 * size fits in memory; a file with a bad row sends nothing.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CsvFormatError, readCsv } from '../shared/adapters/csv-records.ts';
import { EventBridgeSessionAnnouncer } from '../shared/adapters/eventbridge-session-announcer.ts';
import { inboundDirectories, type InboundDirectories } from '../shared/adapters/inbound-directories.ts';
import { ConfigurationError, readSettingsFromEnv, REQUEST_SETTINGS } from '../shared/config.ts';
import { CANONICAL_MAPPING, MappingError, parseAppointmentMapping, type AppointmentMapping } from '../shared/domain/appointments/mapping.ts';
import { AppointmentFileError, importAppointments, type ImportReport, type RowDecision } from '../shared/use-cases/import-appointments.ts';
import type { SessionAnnouncer } from '../shared/use-cases/ports.ts';
import { parseOptions } from './args.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from './connection.ts';
import { InputError, UsageError } from './errors.ts';
import { Progress, progressMode } from './progress.ts';

export const IMPORT_HELP = `Usage: alliance import <appointments.csv> [--map FILE] [--dry-run] [--json] [--progress | --no-progress] [where]

Announces every appointment of an EHR export that took place as SessionCompleted: the client gets
one feedback email, as with any other integration. The client's address, name and therapist come
from the client roster (alliance clients import).

The file: a header line, then one appointment per line; UTF-8 (with or without a BOM) or UTF-16,
separated by , or ; or tabs, quoted fields may span lines. Without --map the columns are
  appointmentId,clientId,therapistId,start,end,status
with times in ISO-8601 with their offset (2026-03-02T14:50:00-05:00) and FHIR status values
(fulfilled, cancelled, noshow, booked, arrived, ...). A mapping file (JSON) renames columns, maps
the export's status values and reads its dates in your calendar's time zone: docs/integrate.md.

What happens to each row: a completed status (fulfilled unless the mapping says otherwise) that
ended becomes a session, its appointmentId the sessionId; cancelled, no-show, future and other
statuses are counted and skipped, and so are sessions too old for a feedback request
(${REQUEST_SETTINGS.maxSessionAgeHours.env}, default ${REQUEST_SETTINGS.maxSessionAgeHours.defaultValue} hours). Every row is checked before anything is sent: one bad row
and the whole file is refused, with each bad row's line. Importing the same file again is safe:
sessions already known send no second email (the report counts them as announced again).

Options:
  --map FILE           Mapping of columns, status values and date format (JSON)
  --dry-run            Send nothing; list each row's line, appointment id and outcome
  --json               Print the report as JSON
  --progress           Always show progress on stderr (default: on a terminal, for files over 5 MB)
  --no-progress        Never show progress
  -h, --help           Show this help

${CONNECTION_HELP}
Examples:
  npx alliance import appointments.csv --dry-run
  npx alliance import export.csv --map simplepractice-mapping.json
  npx alliance import appointments.csv --bus alliance-feedback --region eu-west-1
`;

/** What the command reaches outside the file: tests give their own roster or announcer. */
export interface ImportWiring {
  directories?: InboundDirectories;
  announcer?: SessionAnnouncer;
  now?: Date;
  out?: NodeJS.WritableStream;
}

/** Runs `alliance import`. */
export async function importCommand(args: string[], wiring: ImportWiring = {}): Promise<void> {
  const { values, positionals } = parseOptions(
    args,
    { map: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' }, ...CONNECTION_OPTIONS },
    true,
  );
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'give the appointments file' : `one file at a time, got ${positionals.length}`);
  const path = positionals[0]!;
  const bytes = await fileSize(path);
  const mapping = values.map === undefined ? CANONICAL_MAPPING : await readMapping(values.map);
  let policy: { maxSessionAgeHours: number; maxSessionLeadMinutes: number };
  try {
    policy = readSettingsFromEnv({ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours, maxSessionLeadMinutes: REQUEST_SETTINGS.maxSessionLeadMinutes });
  } catch (error) {
    if (error instanceof ConfigurationError) throw new UsageError(error.message);
    throw error;
  }

  const out = wiring.out ?? process.stdout;
  const dryRun = values['dry-run'] === true;
  // The bus only when sending; the roster and directory are read in a dry run too.
  const needsConnection = wiring.directories === undefined || (!dryRun && wiring.announcer === undefined);
  const connection = needsConnection ? connect(values, { needsTable: wiring.directories === undefined }) : undefined;
  const force = values['no-progress'] ? false : values.progress ? true : undefined;
  const progress = new Progress(bytes * 2, progressMode(bytes, process.stderr.isTTY === true, force), process.stderr, 'import');
  let current: Readable | undefined;
  let rowsSeen = 0;
  try {
    const report = await importAppointments(
      {
        open: async () => {
          current = createReadStream(path);
          return readCsv(current);
        },
        mapping,
        now: wiring.now ?? new Date(),
        policy,
        dryRun,
        onRow: dryRun && !values.json ? (decision) => out.write(describeDecision(decision)) : undefined,
        onProgress: (pass, rows) => {
          rowsSeen += 1;
          if ((rows & 0xff) === 0) progress.update((pass - 1) * bytes + ((current as { bytesRead?: number } | undefined)?.bytesRead ?? 0), rowsSeen);
        },
      },
      {
        ...(wiring.directories ?? inboundDirectories(connection!.tableName, connection!.documentClient())),
        announcer: wiring.announcer ?? (dryRun ? { announce: async () => [] } : new EventBridgeSessionAnnouncer(connection!.busName, connection!.eventBridge())),
      },
    );
    progress.update(bytes * 2, rowsSeen);
    progress.finish();
    out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describeReport(report));
    if (report.refused) throw new InputError(`${report.badRowCount} bad row${report.badRowCount === 1 ? '' : 's'}: nothing was sent; fix ${report.badRowCount === 1 ? 'it' : 'them'} and import the file again`);
    if (report.unannounced.length > 0) throw new InputError(`the bus refused ${report.unannounced.length} session(s) after retries; import the file again (sessions already announced send nothing)`);
  } catch (error) {
    progress.finish();
    if (error instanceof CsvFormatError || error instanceof AppointmentFileError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  } finally {
    connection?.close();
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new InputError(`${path} is not a regular file (the import reads it twice; save piped data to a file first)`);
    return info.size;
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${path}: no such file` : `cannot read ${path}: ${(error as Error).message}`);
  }
}

async function readMapping(path: string): Promise<AppointmentMapping> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError((error as NodeJS.ErrnoException).code === 'ENOENT' ? `${path}: no such file` : `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return parseAppointmentMapping(text);
  } catch (error) {
    if (error instanceof MappingError) throw new InputError(`${path}: ${error.message}`);
    throw error;
  }
}

/** One dry-run line: `line 4  a-1043  announce`. */
export function describeDecision(decision: RowDecision): string {
  return `line ${decision.line}\t${decision.sessionId ?? '-'}\t${decision.outcome}\n`;
}

/** The report for a person: counts by outcome, then the bad rows by line. */
export function describeReport(report: ImportReport): string {
  const lines: string[] = [];
  const verb = report.dryRun ? 'would announce' : 'announced';
  lines.push(report.refused ? `Refused: ${report.rows} rows read, ${report.badRowCount} bad; nothing was sent.` : `${report.rows} rows read${report.dryRun ? ' (dry run: nothing sent)' : ''}.`);
  if (!report.refused) lines.push(`  ${verb.padEnd(16)}${report.announced} session(s) (sessions already known send no second email)`);
  for (const [label, count] of [['cancelled', report.cancelled], ['no-show', report.noshow], ['future', report.future], ['stale', report.stale]] as const) {
    if (count > 0) lines.push(`  ${label.padEnd(16)}${count}`);
  }
  for (const [status, count] of Object.entries(report.notCompleted)) lines.push(`  ${`status ${status}`.padEnd(16)}${count} (not a completed status)`);
  for (const [reason, count] of Object.entries(report.skipped)) lines.push(`  ${'skipped'.padEnd(16)}${count} (${reason})`);
  for (const failed of report.unannounced) lines.push(`  not announced   ${failed.sessionId} (${failed.errorCode})`);
  for (const bad of report.badRows) lines.push(`  line ${bad.line}: ${bad.problems.join('; ')}`);
  if (report.badRowCount > report.badRows.length) lines.push(`  ... and ${report.badRowCount - report.badRows.length} more bad rows`);
  return `${lines.join('\n')}\n`;
}
