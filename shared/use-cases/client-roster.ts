/**
 * The client roster import (`alliance clients import clients.csv`): the practice's client list, as
 * its EHR exports it, becomes the roster the inbound paths complete sessions from.
 *
 * The rules:
 * - the header names the columns (any order, any letter case): clientId, email and therapistId are
 *   required, firstName, locale and active optional; any other column is refused, so that a typo
 *   (`activ`) cannot silently make every client active;
 * - every row is checked before anything is written; one bad row and nothing is applied. Problems
 *   name the line and the field, never the value (it may be an address or a name);
 * - the file is compared with the roster: entries the file changes are written, unchanged ones are
 *   not touched (a re-import of the same file writes nothing, and `importedAt` keeps saying when an
 *   entry last changed);
 * - a client on the roster but not in the file stays as it is, unless the administrator asks to
 *   deactivate them (`deactivateMissing`): an EHR export filtered by mistake must not empty the
 *   roster, and a deactivated entry comes back with the next import that has the client;
 * - a client who was erased is not stored again (their tombstone stays; the request would refuse
 *   them anyway): their rows are reported as skipped, by line.
 */
import type * as z from 'zod/mini';
import { EmailSchema, IdSchema, NameSchema } from '../events/contracts.ts';
import type { ClientRosterStore, Clock, RosterClient, StoredRosterClient } from './ports.ts';

/** The columns of a roster file: required first, in the canonical order of the header. */
export const ROSTER_COLUMNS = ['clientId', 'email', 'firstName', 'locale', 'therapistId', 'active'] as const;
export type RosterColumn = (typeof ROSTER_COLUMNS)[number];
const REQUIRED_COLUMNS: readonly RosterColumn[] = ['clientId', 'email', 'therapistId'];

/** The canonical header line (without the optional `active`). */
export const ROSTER_HEADER = 'clientId,email,firstName,locale,therapistId';

/** A record as the CSV reader yields it (shared/adapters/csv-records.ts). */
export interface RosterRecord {
  line: number;
  fields: Record<string, string>;
  fieldCountError?: string;
}

/** What is wrong with one row: where and what, never the value. */
export interface RowProblem {
  line: number;
  field?: RosterColumn;
  problem: string;
}

/** A checked row of the file. */
export interface RosterRow {
  line: number;
  client: RosterClient;
}

/** Which file column holds each roster column. */
export type ColumnMap = Partial<Record<RosterColumn, string>>;

/** Matches the header's columns to the roster's (letter case ignored); a problem for an unknown, repeated or missing column. */
export function mapColumns(columns: readonly string[]): { map: ColumnMap } | { problem: string } {
  const map: ColumnMap = {};
  const unknown: string[] = [];
  for (const column of columns) {
    const known = ROSTER_COLUMNS.find((name) => name.toLowerCase() === column.toLowerCase());
    if (known === undefined) unknown.push(column);
    else if (map[known] !== undefined) return { problem: `column "${known}" appears twice` };
    else map[known] = column;
  }
  const missing = REQUIRED_COLUMNS.filter((name) => map[name] === undefined);
  const parts = [
    ...(unknown.length > 0 ? [`unknown column${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => `"${name}"`).join(', ')}`] : []),
    ...(missing.length > 0 ? [`missing column${missing.length === 1 ? '' : 's'} ${missing.map((name) => `"${name}"`).join(', ')}`] : []),
  ];
  if (parts.length === 0) return { map };
  return { problem: `${parts.join('; ')} (the columns are ${ROSTER_COLUMNS.join(', ')}; firstName, locale and active may be left out)` };
}

/** A language tag as practices write them (`en`, `es`, `es-MX`, `pt_BR`); the contract maps unsupported ones to English. */
const LOCALE_PATTERN = /^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}$/;

const ACTIVE_VALUES: Readonly<Record<string, boolean>> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };

/** The first issue's message of a failed parse (zod's messages name the rule, not the value). */
function issueOf<Schema extends z.ZodMiniType>(schema: Schema, value: string): { value: z.infer<Schema> } | { problem: string } {
  const parsed = schema.safeParse(value);
  return parsed.success ? { value: parsed.data } : { problem: parsed.error.issues[0]?.message ?? 'is not valid' };
}

/** Checks one row: the client it describes, or every problem it has. */
export function checkRow(record: RosterRecord, map: ColumnMap): { client: RosterClient } | { problems: RowProblem[] } {
  if (record.fieldCountError !== undefined) return { problems: [{ line: record.line, problem: record.fieldCountError }] };
  const problems: RowProblem[] = [];
  const valueOf = (column: RosterColumn) => {
    const name = map[column];
    return name === undefined ? '' : (record.fields[name] ?? '').trim();
  };
  const required = <Schema extends z.ZodMiniType>(column: RosterColumn, schema: Schema): z.infer<Schema> | undefined => {
    const value = valueOf(column);
    if (value === '') {
      problems.push({ line: record.line, field: column, problem: 'is missing' });
      return undefined;
    }
    const checked = issueOf(schema, value);
    if ('problem' in checked) problems.push({ line: record.line, field: column, problem: checked.problem });
    return 'value' in checked ? checked.value : undefined;
  };

  const clientId = required('clientId', IdSchema);
  const email = required('email', EmailSchema);
  const therapistId = required('therapistId', IdSchema);
  let firstName: string | undefined;
  if (valueOf('firstName') !== '') {
    const checked = issueOf(NameSchema, valueOf('firstName'));
    if ('problem' in checked) problems.push({ line: record.line, field: 'firstName', problem: checked.problem });
    else firstName = checked.value;
  }
  const locale = valueOf('locale') === '' ? undefined : valueOf('locale');
  if (locale !== undefined && !LOCALE_PATTERN.test(locale)) problems.push({ line: record.line, field: 'locale', problem: 'must be a language tag such as en, es or es-MX' });
  const activeText = valueOf('active').toLowerCase();
  const active = activeText === '' ? true : ACTIVE_VALUES[activeText];
  if (active === undefined) problems.push({ line: record.line, field: 'active', problem: 'must be true, false, yes, no, 1 or 0 (empty: true)' });

  if (problems.length > 0) return { problems };
  return {
    client: {
      clientId: clientId!,
      email: email!,
      ...(firstName === undefined ? {} : { firstName }),
      ...(locale === undefined ? {} : { locale }),
      therapistId: therapistId!,
      active: active!,
    },
  };
}

/** Reads and checks every row of the file; the rows are kept (a roster is thousands of rows, not millions). */
export async function readRoster(
  file: { columns: readonly string[]; records: AsyncIterable<RosterRecord> },
  onRecord: (records: number) => void = () => {},
): Promise<{ rows: RosterRow[]; problems: RowProblem[] } | { headerProblem: string }> {
  const mapped = mapColumns(file.columns);
  if ('problem' in mapped) return { headerProblem: mapped.problem };
  const rows: RosterRow[] = [];
  const problems: RowProblem[] = [];
  const lineOf = new Map<string, number>();
  let records = 0;
  for await (const record of file.records) {
    onRecord(++records);
    const checked = checkRow(record, mapped.map);
    if ('problems' in checked) {
      problems.push(...checked.problems);
      continue;
    }
    const earlier = lineOf.get(checked.client.clientId);
    if (earlier !== undefined) {
      problems.push({ line: record.line, field: 'clientId', problem: `is on line ${earlier} already (one row per client)` });
      continue;
    }
    lineOf.set(checked.client.clientId, record.line);
    rows.push({ line: record.line, client: checked.client });
  }
  return { rows, problems };
}

/** Whether an entry says the same as a row (importedAt aside). */
export function sameClient(a: RosterClient, b: RosterClient): boolean {
  return a.clientId === b.clientId && a.email === b.email && a.firstName === b.firstName && a.locale === b.locale && a.therapistId === b.therapistId && a.active === b.active;
}

/** What an import changes: the entries to write, and what it leaves alone. */
export interface ImportPlan {
  added: StoredRosterClient[];
  updated: StoredRosterClient[];
  unchanged: number;
  /** On the roster, not in the file, deactivated (only with deactivateMissing). */
  deactivated: StoredRosterClient[];
  /** On the roster, not in the file, left as they were. */
  missing: number;
  /** Rows of erased clients: not stored. */
  erased: { line: number; clientId: string }[];
}

/** Compares the file's rows with the roster. `erased`: the clients of the file whose profile is a tombstone. */
export function planImport(
  rows: readonly RosterRow[],
  stored: readonly StoredRosterClient[],
  erased: ReadonlySet<string>,
  options: { deactivateMissing: boolean; now: Date },
): ImportPlan {
  const importedAt = options.now.toISOString();
  const byId = new Map(stored.map((entry) => [entry.clientId, entry]));
  const plan: ImportPlan = { added: [], updated: [], unchanged: 0, deactivated: [], missing: 0, erased: [] };
  for (const { line, client } of rows) {
    const current = byId.get(client.clientId);
    byId.delete(client.clientId);
    if (erased.has(client.clientId)) plan.erased.push({ line, clientId: client.clientId });
    else if (current === undefined) plan.added.push({ ...client, importedAt });
    else if (sameClient(current, client)) plan.unchanged += 1;
    else plan.updated.push({ ...client, importedAt });
  }
  for (const entry of byId.values()) {
    if (options.deactivateMissing && entry.active) plan.deactivated.push({ ...entry, active: false, importedAt });
    else plan.missing += 1;
  }
  return plan;
}

export type ImportOutcome =
  | { outcome: 'bad-header'; problem: string }
  | { outcome: 'bad-rows'; problems: RowProblem[]; rows: number }
  | { outcome: 'applied' | 'dry-run'; plan: ImportPlan; rows: number };

/**
 * Imports a roster file: reads and checks every row, compares with the roster, and, unless any row
 * is bad or this is a dry run, writes the entries that change.
 */
export async function importRoster(
  file: { columns: readonly string[]; records: AsyncIterable<RosterRecord> },
  deps: { store: ClientRosterStore; clock: Clock },
  options: { dryRun: boolean; deactivateMissing: boolean; onRecord?: (records: number) => void; onWrite?: (done: number, total: number) => void },
): Promise<ImportOutcome> {
  const read = await readRoster(file, options.onRecord);
  if ('headerProblem' in read) return { outcome: 'bad-header', problem: read.headerProblem };
  if (read.problems.length > 0) return { outcome: 'bad-rows', problems: read.problems, rows: read.rows.length + new Set(read.problems.map((problem) => problem.line)).size };

  const stored = await deps.store.list();
  // Only clients new to the roster can be erased ones: erase deletes the entry of everyone it erases.
  // So a re-import of the same file reads no profile at all.
  const onRoster = new Set(stored.map((entry) => entry.clientId));
  const erased = await deps.store.erasedAmong(read.rows.map((row) => row.client.clientId).filter((clientId) => !onRoster.has(clientId)));
  const plan = planImport(read.rows, stored, erased, { deactivateMissing: options.deactivateMissing, now: deps.clock.now() });
  if (options.dryRun) return { outcome: 'dry-run', plan, rows: read.rows.length };

  const writes = [...plan.added, ...plan.updated, ...plan.deactivated];
  options.onWrite?.(0, writes.length);
  // In slices, to report progress; each slice's puts run concurrently in the store.
  const SLICE = 200;
  for (let start = 0; start < writes.length; start += SLICE) {
    await deps.store.put(writes.slice(start, start + SLICE));
    options.onWrite?.(Math.min(start + SLICE, writes.length), writes.length);
  }
  return { outcome: 'applied', plan, rows: read.rows.length };
}
