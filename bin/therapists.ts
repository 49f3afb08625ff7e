/**
 * `alliance therapists import|add|list|remove|cover|uncover`: the practice's therapist directory, the only
 * addresses alerts (and anything else carrying a client's history) are mailed to
 * (shared/use-cases/therapist-directory.ts). Runs with the administrator's own credentials, as
 * `alliance erase` does; each therapist added or changed is announced (TherapistRegistered), which
 * sends the alerts that waited for them.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { clock } from '../shared/adapters/clock.ts';
import { CsvFormatError, readCsv } from '../shared/adapters/csv-records.ts';
import { DynamoDbTherapistDirectory } from '../shared/adapters/dynamodb-therapist-directory.ts';
import { ProductEventPublisher } from '../shared/adapters/eventbridge-publisher.ts';
import { ALERT_KINDS, IdSchema } from '../shared/events/contracts.ts';
import type { DirectoryEntry } from '../shared/use-cases/ports.ts';
import { DEFAULT_SUPERVISE_KINDS } from '../shared/domain/alert-recipients.ts';
import {
  addTherapist,
  applyChanges,
  changedFields,
  checkColumns,
  chooseSupervisor,
  coverTherapist,
  parseSuperviseKinds,
  planImport,
  THERAPIST_COLUMNS,
  uncoverTherapist,
  type SupervisorChoice,
  type TherapistRow,
} from '../shared/use-cases/therapist-directory.ts';
import { parseOptions } from './args.ts';
import { reaching } from './client-data.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS, type Connection } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

export const THERAPISTS_HELP = `Usage: alliance therapists import <therapists.csv> [--dry-run] [where]
       alliance therapists add <therapistId> <email> [--name NAME] [--time-zone ZONE] [--no-digest] [--supervisor ID [--supervise-kinds K,K]] [where]
       alliance therapists cover <therapistId> --by <therapistId> --from YYYY-MM-DD --until YYYY-MM-DD [where]
       alliance therapists uncover <therapistId> [where]
       alliance therapists list [--json] [where]
       alliance therapists remove <therapistId> [where]

The therapist directory: alerts about a client go only to the address registered here for the
session's therapistId, never to an address an event names. A therapist at one of the practice's
own domains (the practiceDomains setting) is registered the first time a session names them; every
other therapist must be added here. An alert for a therapist not registered waits, and the
administrator gets one notice naming the therapist's id; adding the therapist sends what waited.

  import <file>   Adds and updates therapists from a CSV with a header row and the columns
                  ${THERAPIST_COLUMNS.join(',')} (name, timeZone, supervisorId, superviseKinds
                  and digest optional; digest: on or off, empty is on; kinds separated by | or spaces; ; and tab delimiters, UTF-8 or
                  UTF-16 as spreadsheets write them). Every row is checked first: if any row is
                  bad, each problem is reported by line and NOTHING is applied. Importing the
                  same file again changes nothing. Therapists the file leaves out are kept.
  add <id> <email>
                  Adds one therapist, or corrects their address, name or time zone. With --supervisor,
                  names their supervisor (a registered therapist), copied on their alerts of
                  the --supervise-kinds (default: ${DEFAULT_SUPERVISE_KINDS.join(',')});
                  --supervisor none removes the supervisor. Without it, the supervisor is kept.
  cover <id>      While the therapist is away, from --from to --until (both days included,
                  practice dates), their alerts go to the registered clinician --by INSTEAD of
                  them (the therapist is not mailed). One cover per therapist: a new one
                  replaces it.
  uncover <id>    Ends the cover now: the therapist's alerts go to them again.
  list            The directory (--json: every entry with how and when it was registered; this
                  is the export of what the product keeps about its therapists).
  remove <id>     Deletes the therapist's entry (their erase: the directory keeps nothing else
                  about them). Their next alerts wait until they are registered again.

Options:
  --name NAME     The therapist's display name (add)
  --time-zone ZONE
                  The IANA zone the therapist reads dates in, e.g. Europe/Berlin (add; left
                  out: the practice's zone, the practiceTimeZone setting)
  --no-digest     The therapist gets no weekly digest (add; left out: they get it)
  --supervisor ID The therapist's supervisor, or none (add)
  --supervise-kinds K,K
                  Alert kinds the supervisor is copied on, among ${ALERT_KINDS.join(', ')} (add)
  --by ID --from DATE --until DATE
                  The covering clinician and the days of the cover (cover)
  --dry-run       Check the file and show what would change, without changing anything (import)
  --json          Machine-readable output (list)
  -h, --help      Show this help

${CONNECTION_HELP}
Examples:
  npx alliance therapists import therapists.csv --dry-run
  npx alliance therapists add t-7 lee@yourpractice.com --name "Dr. Lee" --time-zone America/Chicago
  npx alliance therapists add t-7 lee@yourpractice.com --supervisor t-9 --supervise-kinds client-asked,rupture
  npx alliance therapists cover t-7 --by t-5 --from 2026-12-20 --until 2027-01-03
  npx alliance therapists list --json --table AllianceFeedback-Table-ABC123 --region eu-west-1
`;

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  name: { type: 'string' },
  'time-zone': { type: 'string' },
  'no-digest': { type: 'boolean' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  supervisor: { type: 'string' },
  'supervise-kinds': { type: 'string' },
  by: { type: 'string' },
  from: { type: 'string' },
  until: { type: 'string' },
} as const;

/** Runs `alliance therapists`. */
export async function therapistsCommand(args: string[]): Promise<void> {
  const [action, ...rest] = args;
  if (action !== 'import' && action !== 'add' && action !== 'list' && action !== 'remove' && action !== 'cover' && action !== 'uncover') {
    throw new UsageError(action === undefined ? 'say what to do: import, add, list, remove, cover or uncover' : `unknown action "${action}"`);
  }
  const { values, positionals } = parseOptions(rest, OPTIONS, true);
  const expected = { import: 1, add: 2, list: 0, remove: 1, cover: 1, uncover: 1 }[action];
  if (positionals.length < expected) throw new UsageError(`${action} needs ${['nothing', 'one argument', 'two arguments'][expected]}`);
  if (positionals.length > expected) throw new UsageError(`unexpected argument "${positionals[expected]}"`);
  if (values.name !== undefined && action !== 'add') throw new UsageError('--name is for add');
  if (values['time-zone'] !== undefined && action !== 'add') throw new UsageError('--time-zone is for add');
  if (values['no-digest'] && action !== 'add') throw new UsageError('--no-digest is for add');
  if (values.json && action !== 'list') throw new UsageError('--json is for list');
  if (values['dry-run'] && action !== 'import') throw new UsageError('--dry-run is for import');
  if ((values.supervisor !== undefined || values['supervise-kinds'] !== undefined) && action !== 'add') throw new UsageError('--supervisor and --supervise-kinds are for add');
  if (values['supervise-kinds'] !== undefined && (values.supervisor === undefined || values.supervisor === 'none')) throw new UsageError('--supervise-kinds needs --supervisor');
  if ((values.by !== undefined || values.from !== undefined || values.until !== undefined) && action !== 'cover') throw new UsageError('--by, --from and --until are for cover');
  if (action === 'cover' && (values.by === undefined || values.from === undefined || values.until === undefined)) throw new UsageError('cover needs --by, --from and --until');
  const supervisor = action === 'add' ? supervisorOf(values.supervisor, values['supervise-kinds']) : undefined;
  // Read (and checked) before connecting: a bad file needs no stack.
  const rows = action === 'import' ? await readTherapistsCsv(positionals[0]!) : undefined;
  const connection = connect(values);
  try {
    const directory = new DynamoDbTherapistDirectory(connection.tableName, connection.documentClient());
    const deps = { directory, publisher: new ProductEventPublisher(connection.busName, connection.eventBridge()), clock };
    const out = (line: string) => process.stdout.write(`${line}\n`);
    if (action === 'list') {
      const entries = await reaching(connection, () => directory.list());
      out(values.json ? JSON.stringify(entries, null, 2) : describeEntries(entries, connection));
      return;
    }
    if (action === 'remove') {
      const therapistId = idOf(positionals[0]!);
      const removed = await reaching(connection, () => directory.remove(therapistId));
      if (!removed) throw new InputError(`therapist ${therapistId} is not in the directory of ${connection.describe()}: nothing removed`);
      out(`Removed therapist ${therapistId} from the directory. Their alerts wait (with one notice to the administrator) until they are registered again.`);
      return;
    }
    if (action === 'cover') {
      const therapistId = idOf(positionals[0]!);
      const cover = { therapistId, by: idOf(values.by!), from: values.from!, until: values.until! };
      const result = await reaching(connection, () => coverTherapist(cover, deps));
      if (result.outcome === 'invalid') throw new InputError(result.problems.join('; '));
      out(`Therapist ${therapistId} is covered by ${cover.by} from ${cover.from} to ${cover.until} (both days included): their alerts go to ${cover.by} instead.`);
      return;
    }
    if (action === 'uncover') {
      const therapistId = idOf(positionals[0]!);
      const result = await reaching(connection, () => uncoverTherapist(therapistId, deps));
      if (result.outcome === 'invalid') throw new InputError(result.problems.join('; '));
      out(`Therapist ${therapistId} is not covered: their alerts go to them.`);
      return;
    }
    if (action === 'add') {
      // Checked before the entry is saved, so a refused supervisor changes nothing.
      if (supervisor !== undefined && supervisor !== 'none') {
        if (supervisor.supervisorId === positionals[0]) throw new InputError('a therapist cannot be their own supervisor');
        if ((await reaching(connection, () => directory.find(supervisor.supervisorId))) === undefined) throw new InputError(`supervisor ${supervisor.supervisorId} is not registered (add them first)`);
      }
      const result = await reaching(connection, () => addTherapist({ therapistId: positionals[0]!, email: positionals[1]!, name: values.name, timeZone: values['time-zone'], ...(values['no-digest'] ? { digest: 'off' as const } : {}) }, deps));
      if (result.outcome === 'invalid') throw new InputError(result.problems.join('; '));
      const announced = result.outcome === 'unchanged' ? '' : `; published TherapistRegistered on bus ${connection.busName} (alerts that waited for them are sent)`;
      out(`Therapist ${result.therapist.therapistId}: ${result.outcome}${announced}.`);
      if (supervisor !== undefined) {
        const routed = await reaching(connection, () => chooseSupervisor(result.therapist.therapistId, supervisor === 'none' ? undefined : supervisor, deps));
        if (routed.outcome === 'invalid') throw new InputError(routed.problems.join('; '));
        out(
          supervisor === 'none'
            ? `Therapist ${result.therapist.therapistId}: no supervisor.`
            : `Therapist ${result.therapist.therapistId}: supervisor ${supervisor.supervisorId}, copied on ${(supervisor.superviseKinds ?? DEFAULT_SUPERVISE_KINDS).join(', ')}.`,
        );
      }
      return;
    }
    const existing = await reaching(connection, () => directory.list());
    const plan = planImport(rows!, existing);
    if (!plan.valid) {
      // Lines and field names only: the values may be addresses, and terminals keep scrollback.
      throw new InputError(`${positionals[0]}: ${plan.problems.length} problem${plan.problems.length === 1 ? '' : 's'}, nothing applied:\n${plan.problems.map((problem) => `  line ${problem.line}: ${problem.message}`).join('\n')}`);
    }
    const { added, updated, unchanged } = plan.changes;
    const before = new Map(existing.map((entry) => [entry.therapistId, entry]));
    for (const entry of added) out(`  added     ${entry.therapistId}`);
    for (const entry of updated) {
      const fields = changedFields(before.get(entry.therapistId), entry);
      out(`  updated   ${entry.therapistId}${fields.length > 0 ? ` (${fields.join(', ')})` : ' (now registered by the administrator)'}`);
    }
    const summary = `${added.length} added, ${updated.length} updated, ${unchanged.length} unchanged`;
    if (values['dry-run']) {
      out(`Dry run: ${summary}; nothing changed in ${connection.describe()}.`);
      return;
    }
    await reaching(connection, () => applyChanges(plan.changes, deps));
    out(`Imported ${positionals[0]} into ${connection.describe()}: ${summary}.`);
  } finally {
    connection.close();
  }
}

/** Every data row of the file, after its header is checked (a file the reader cannot read is an InputError). */
export async function readTherapistsCsv(path: string): Promise<TherapistRow[]> {
  try {
    if (!(await stat(path)).isFile()) throw new InputError(`${path} is not a file`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const csv = await readCsv(createReadStream(path));
    const problems = checkColumns(csv.columns);
    if (problems.length > 0) throw new InputError(`${path}: line 1 (header): ${problems.join('; ')}; nothing applied`);
    const rows: TherapistRow[] = [];
    for await (const record of csv.records) rows.push(record);
    return rows;
  } catch (error) {
    if (error instanceof CsvFormatError) throw new InputError(`${path}: ${error.message}; nothing applied`);
    throw error;
  }
}

function idOf(value: string): string {
  if (!IdSchema.safeParse(value).success) throw new UsageError(`"${value}" is not a therapist id (1–128 characters of A-Z a-z 0-9 . _ : -)`);
  return value;
}

/** `--supervisor` and `--supervise-kinds` as given: undefined (keep), 'none' (remove) or the choice. */
function supervisorOf(supervisorId: string | undefined, kinds: string | undefined): SupervisorChoice | 'none' | undefined {
  if (supervisorId === undefined) return undefined;
  if (supervisorId === 'none') return 'none';
  const parsed = kinds === undefined ? undefined : parseSuperviseKinds(kinds);
  if (parsed !== undefined && 'problem' in parsed) throw new UsageError(parsed.problem.replace('superviseKinds', '--supervise-kinds'));
  return { supervisorId: idOf(supervisorId), ...(parsed === undefined ? {} : { superviseKinds: parsed.kinds }) };
}

function describeEntries(entries: readonly DirectoryEntry[], connection: Connection): string {
  if (entries.length === 0) return `No therapists in the directory of ${connection.describe()}.`;
  const supervision = (entry: DirectoryEntry) => (entry.supervisorId === undefined ? '' : `${entry.supervisorId} (${(entry.superviseKinds ?? DEFAULT_SUPERVISE_KINDS).join(',')})`);
  const cover = (entry: DirectoryEntry) => (entry.covering === undefined ? '' : `${entry.covering.therapistId} ${entry.covering.from}..${entry.covering.until}`);
  const rows = [
    ['therapistId', 'email', 'name', 'registered', 'by', 'supervisor (kinds)', 'covered by', 'digest'],
    ...entries.map((entry) => [entry.therapistId, entry.email, entry.name ?? '', entry.registeredAt, entry.registeredBy, supervision(entry), cover(entry), entry.digest ?? 'on']),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}
