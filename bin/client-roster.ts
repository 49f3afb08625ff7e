/**
 * `alliance clients import <clients.csv>`, `alliance clients list` and `alliance clients remove
 * <clientId>`: the practice's client roster, which the inbound paths (appointment CSV, calendar
 * feed, webhook without client details) complete sessions from. The rules are in
 * shared/use-cases/client-roster.ts; this file reads the file, reaches the table and prints.
 *
 * Nothing personal is printed outside `list --json`: problems name the line and the field, the
 * terminal listing shows ids, language and status. The administrator's terminal keeps scrollback
 * and CI keeps logs; the JSON is for a file the administrator chose to write.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { clock } from '../shared/adapters/clock.ts';
import { CsvFormatError, readCsv } from '../shared/adapters/csv-records.ts';
import { DynamoDbClientRoster } from '../shared/adapters/dynamodb-client-roster.ts';
import { importRoster, ROSTER_HEADER, type ImportPlan, type RowProblem } from '../shared/use-cases/client-roster.ts';
import { parseOptions } from './args.ts';
import { clientIdOf, reaching } from './client-data.ts';
import { connect, CONNECTION_OPTIONS } from './connection.ts';
import { InputError, UsageError } from './errors.ts';
import { Progress, progressMode } from './progress.ts';

/** The roster part of `alliance clients --help`. */
export const ROSTER_HELP = `  import <clients.csv> Adds and updates the practice's client roster from a CSV file with a
                       header row: ${ROSTER_HEADER}
                       (any order; firstName and locale may be empty or left out; an optional
                       column active takes true/false, yes/no, 1/0, and is true when empty).
                       Every row is checked first: one bad row (reported by line and field)
                       and nothing is imported. Importing the same file again changes nothing.
                       Clients on the roster but not in the file are kept as they are,
                       unless --deactivate-missing is given. Erased clients are not stored again.
    --dry-run          Check the file and show what would change; write nothing
    --deactivate-missing
                       Mark clients on the roster but not in the file inactive
    --progress, --no-progress
                       Progress on stderr (default: on a terminal, for files over 5 MB)
  list [--json]        Shows the roster: ids, therapist, language and status (no addresses or
                       names); --json prints every entry, with addresses and names, as JSON
  remove <clientId>    Takes a client off the roster: appointments that name only this client
                       are skipped from then on. Their sessions stay (erase deletes everything).

Inactive clients stay on the roster, but their appointments send nothing (the client left the
practice or asked for a pause); set active back to true to resume.
`;

/** Problem lines shown before "and N more". */
const PROBLEMS_SHOWN = 50;

/** Runs `alliance clients import|list|remove`. */
export async function rosterCommand(action: 'import' | 'list' | 'remove', args: string[]): Promise<void> {
  if (action === 'import') return importCommand(args);
  if (action === 'list') return listCommand(args);
  return removeCommand(args);
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const plural = (count: number, one: string, many: string) => `${count.toLocaleString('en')} ${count === 1 ? one : many}`;

async function importCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(
    args,
    { ...CONNECTION_OPTIONS, 'dry-run': { type: 'boolean' }, 'deactivate-missing': { type: 'boolean' }, progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' } },
    true,
  );
  if (positionals.length === 0) throw new UsageError('a CSV file is required');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const path = positionals[0]!;
  let bytes: number;
  try {
    bytes = (await stat(path)).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${path}: no such file` : `cannot read ${path}: ${(error as Error).message}`);
  }
  const dryRun = values['dry-run'] === true;
  const force = values['no-progress'] ? false : values.progress ? true : undefined;
  const mode = progressMode(bytes, process.stderr.isTTY === true, force);
  const connection = connect(values);
  try {
    const store = new DynamoDbClientRoster(connection.tableName, connection.documentClient());
    const stream = createReadStream(path);
    const reading = new Progress(bytes, mode, process.stderr, 'clients import: reading');
    let writing: Progress | undefined;
    let outcome;
    try {
      const file = await readCsv(stream);
      outcome = await reaching(connection, () =>
        importRoster(file, { store, clock }, {
          dryRun,
          deactivateMissing: values['deactivate-missing'] === true,
          onRecord: (records) => {
            if ((records & 0xff) === 0) reading.update(stream.bytesRead, records);
          },
          onWrite: (done, total) => {
            if (writing === undefined) {
              reading.update(bytes, 0);
              reading.finish();
              writing = new Progress(total, mode, process.stderr, 'clients import: writing');
            }
            writing.update(done, done);
          },
        }),
      );
      // The whole file was read (a dry run or a bad row writes nothing: no second bar).
      if (writing === undefined) reading.update(bytes, 0);
    } catch (error) {
      if (error instanceof CsvFormatError) throw new InputError(`${path} ${error.message}`);
      throw error;
    } finally {
      reading.finish();
      writing?.finish();
      stream.destroy();
    }
    if (outcome.outcome === 'bad-header') throw new InputError(`${path} line 1: bad header: ${outcome.problem}`);
    if (outcome.outcome === 'bad-rows') {
      reportProblems(path, outcome.problems);
      const badRows = new Set(outcome.problems.map((problem) => problem.line)).size;
      throw new InputError(`nothing imported: ${plural(badRows, 'bad row', 'bad rows')} of ${plural(outcome.rows, 'row', 'rows')}; fix ${badRows === 1 ? 'it' : 'them'} and import again`);
    }
    describeImport(outcome.plan, { rows: outcome.rows, path, where: connection.describe(), dryRun: outcome.outcome === 'dry-run' });
  } finally {
    connection.close();
  }
}

function reportProblems(path: string, problems: readonly RowProblem[]): void {
  for (const problem of problems.slice(0, PROBLEMS_SHOWN)) {
    process.stderr.write(`${path} line ${problem.line}: ${problem.field === undefined ? '' : `${problem.field} `}${problem.problem}\n`);
  }
  if (problems.length > PROBLEMS_SHOWN) process.stderr.write(`... and ${plural(problems.length - PROBLEMS_SHOWN, 'more problem', 'more problems')}\n`);
}

function describeImport(plan: ImportPlan, context: { rows: number; path: string; where: string; dryRun: boolean }): void {
  const verb = context.dryRun ? (['would add', 'would update'] as const) : (['added', 'updated'] as const);
  out(`Read ${plural(context.rows, 'client', 'clients')} from ${context.path}.`);
  out(`${context.dryRun ? 'Dry run on' : 'Roster in'} ${context.where}: ${verb[0]} ${plan.added.length.toLocaleString('en')}, ${verb[1]} ${plan.updated.length.toLocaleString('en')}, unchanged ${plan.unchanged.toLocaleString('en')}.`);
  if (plan.deactivated.length > 0) out(`${context.dryRun ? 'Would deactivate' : 'Deactivated'} ${plural(plan.deactivated.length, 'client', 'clients')} on the roster but not in this file.`);
  if (plan.missing > 0) out(`${plural(plan.missing, 'client', 'clients')} on the roster but not in this file: kept as ${plan.missing === 1 ? 'it was' : 'they were'} (--deactivate-missing deactivates them; alliance clients remove takes one off).`);
  if (plan.erased.length > 0) {
    const lines = plan.erased.slice(0, 20).map((row) => row.line).join(', ');
    out(`Skipped ${plural(plan.erased.length, 'erased client', 'erased clients')} (line${plan.erased.length === 1 ? '' : 's'} ${lines}${plan.erased.length > 20 ? ', ...' : ''}): an erased client is never stored again; remove ${plan.erased.length === 1 ? 'the row' : 'the rows'} from the EHR's export.`);
  }
  if (context.dryRun) out('Dry run: nothing written.');
}

async function listCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(args, { ...CONNECTION_OPTIONS, json: { type: 'boolean' } }, true);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const connection = connect(values);
  try {
    const store = new DynamoDbClientRoster(connection.tableName, connection.documentClient());
    const entries = await reaching(connection, () => store.list());
    if (values.json) {
      out(JSON.stringify(entries, null, 2));
      return;
    }
    const rows = [['clientId', 'therapistId', 'active', 'locale', 'importedAt'], ...entries.map((entry) => [entry.clientId, entry.therapistId, entry.active ? 'yes' : 'no', entry.locale ?? '', entry.importedAt])];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    if (entries.length > 0) for (const row of rows) out(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
    const active = entries.filter((entry) => entry.active).length;
    out(`${plural(entries.length, 'client', 'clients')} on the roster (${active.toLocaleString('en')} active) in ${connection.describe()}.`);
  } finally {
    connection.close();
  }
}

async function removeCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(args, CONNECTION_OPTIONS, true);
  const clientId = clientIdOf(positionals);
  const connection = connect(values);
  try {
    const store = new DynamoDbClientRoster(connection.tableName, connection.documentClient());
    const removed = await reaching(connection, () => store.remove(clientId));
    if (!removed) throw new InputError(`client ${clientId} is not on the roster in ${connection.describe()}: nothing removed`);
    out(`Removed client ${clientId} from the roster: appointments that name only this client are skipped from now on.`);
    out(`Their sessions and answers stay; to delete everything stored about them: alliance erase ${clientId}`);
  } finally {
    connection.close();
  }
}
