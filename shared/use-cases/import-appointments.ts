/**
 * The appointment import: an EHR's appointment export → SessionCompleted for every appointment that
 * took place, through completeSession like every inbound path.
 *
 * Never half-applied: the first pass reads the whole file and judges every row; if any row is bad,
 * the report lists them by line and nothing is sent. Only a clean file gets the second pass, which
 * reads it again and announces. Both passes stream (the file is opened twice, never held), so
 * memory stays flat however long the file is.
 *
 * Importing the same file again is safe: the appointment id is the session id, and the request
 * function claims each session id once (a conditional write), so an already-known session is
 * announced again but sends nothing. The import does not keep a ledger of its own: it would be a
 * second record of which sessions exist (the table's session items are the record), cost a write
 * per row, and still not know whether the request function took the session. So the report says
 * "announced", not "new".
 */
import { classifyAppointmentRow, type AppointmentRow, type RowOutcome } from '../domain/appointments/appointment-row.ts';
import { missingColumns, type AppointmentMapping, type AppointmentStatus } from '../domain/appointments/mapping.ts';
import type { RequestPolicy } from '../domain/request-policy.ts';
import type { SessionCompletedDetail } from '../events/contracts.ts';
import { completeSession, type SkippedAppointment } from './complete-session.ts';
import type { ClientRoster, SessionAnnouncer, TherapistDirectory, UnannouncedSession } from './ports.ts';

/** An appointment file opened for one pass (shared/adapters/csv-records.ts's readCsv gives this shape). */
export interface AppointmentFile {
  columns: string[];
  records: AsyncIterable<AppointmentRow>;
}

export interface ImportAppointmentsDeps {
  roster: ClientRoster;
  therapists: TherapistDirectory;
  announcer: SessionAnnouncer;
}

/** What happens to one row, as a dry run lists it: ids and outcomes only. */
export interface RowDecision {
  line: number;
  sessionId: string | undefined;
  outcome: 'announce' | Exclude<RowOutcome['kind'], 'completed'> | SkippedAppointment;
}

export interface ImportAppointmentsInput {
  /** Opens the file from its start; called once per pass. */
  open: () => Promise<AppointmentFile>;
  mapping: AppointmentMapping;
  now: Date;
  /** The request function's limits: a session too old for it is counted as stale, not sent. */
  policy: Pick<RequestPolicy, 'maxSessionAgeHours' | 'maxSessionLeadMinutes'>;
  /** Judge and complete every row, announce nothing. */
  dryRun: boolean;
  /** Each row's decision in the second pass (the dry run's listing). */
  onRow?: (decision: RowDecision) => void;
  /** After each row of either pass. */
  onProgress?: (pass: 1 | 2, rows: number) => void;
}

/** The import's outcome, without personal data: counts, line numbers, appointment ids. */
export interface ImportReport {
  dryRun: boolean;
  /** Bad rows were found: nothing was announced. */
  refused: boolean;
  /** Rows read (the header not counted). */
  rows: number;
  /** SessionCompleted put on the bus (or, in a dry run, that would be); already-known sessions send nothing. */
  announced: number;
  cancelled: number;
  noshow: number;
  /** Not ended yet. */
  future: number;
  /** Ended too long ago for a feedback request (the request policy's maxSessionAgeHours). */
  stale: number;
  /** Ended without a completed status, by FHIR status. */
  notCompleted: Partial<Record<AppointmentStatus, number>>;
  /** Completed, but completeSession could not make a session of it (no roster entry...), by reason. */
  skipped: Partial<Record<SkippedAppointment, number>>;
  /** The first MAX_LISTED_BAD_ROWS bad rows; badRowCount counts them all. */
  badRows: { line: number; problems: string[] }[];
  badRowCount: number;
  /** Sessions the bus refused even after retries. */
  unannounced: UnannouncedSession[];
}

/** Bad rows listed in a report: enough to fix a systematic problem, bounded so memory stays flat. */
export const MAX_LISTED_BAD_ROWS = 200;
/** Sessions per announce call: PutEvents' entry limit. */
const BATCH_SIZE = 10;
/** Rows whose roster and directory lookups run at once. */
const LOOKUP_WINDOW = 50;
/** Announce calls (PutEvents) under way at once. */
const ANNOUNCE_CALLS_IN_FLIGHT = 4;

/** A file the import cannot read at all (a column the mapping needs is missing). */
export class AppointmentFileError extends Error {
  override name = 'AppointmentFileError';
}

export async function importAppointments(input: ImportAppointmentsInput, deps: ImportAppointmentsDeps): Promise<ImportReport> {
  const report: ImportReport = {
    dryRun: input.dryRun,
    refused: false,
    rows: 0,
    announced: 0,
    cancelled: 0,
    noshow: 0,
    future: 0,
    stale: 0,
    notCompleted: {},
    skipped: {},
    badRows: [],
    badRowCount: 0,
    unannounced: [],
  };
  const policy: RequestPolicy = { throttleHours: 0, tokenExpiryHours: 0, ...input.policy };
  const classify = (row: AppointmentRow) => classifyAppointmentRow(row, input.mapping, input.now, policy);

  // Pass 1: judge every row; count what is not a session; list what is bad.
  for await (const row of await openChecked(input)) {
    report.rows += 1;
    const outcome = classify(row);
    if (outcome.kind === 'bad') {
      report.badRowCount += 1;
      if (report.badRows.length < MAX_LISTED_BAD_ROWS) report.badRows.push({ line: outcome.line, problems: outcome.problems });
    } else if (outcome.kind === 'not-completed') {
      report.notCompleted[outcome.status] = (report.notCompleted[outcome.status] ?? 0) + 1;
    } else if (outcome.kind !== 'completed') {
      report[outcome.kind] += 1;
    }
    input.onProgress?.(1, report.rows);
  }
  if (report.badRowCount > 0) return { ...report, refused: true };

  // Pass 2: the file is clean; complete and announce each completed row. Roster lookups run a
  // window of rows at a time and announcements a few calls at a time (each is a network round
  // trip: one at a time, 100,000 rows would take longer than a Lambda may run); both are bounded,
  // so memory stays flat, and rows are reported in file order.
  const inFlight = new Set<Promise<void>>();
  const announce = async (batch: SessionCompletedDetail[]) => {
    if (input.dryRun) {
      report.announced += batch.length;
      return;
    }
    const refused = await deps.announcer.announce(batch);
    report.unannounced.push(...refused);
    report.announced += batch.length - refused.length;
  };
  // A call that throws (not a refusal: a detail the contract rejects) stops the import; it is
  // kept here because its promise leaves inFlight as soon as it settles.
  let failure: { error: unknown } | undefined;
  const startAnnouncing = async (batch: SessionCompletedDetail[]) => {
    if (failure) throw failure.error;
    const call: Promise<void> = announce(batch)
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
    if (inFlight.size >= ANNOUNCE_CALLS_IN_FLIGHT) await Promise.race(inFlight);
  };
  let window: { row: AppointmentRow; outcome: Exclude<RowOutcome, { kind: 'bad' }> }[] = [];
  let batch: SessionCompletedDetail[] = [];
  const completeWindow = async () => {
    const results = await Promise.all(window.map(({ outcome }) => (outcome.kind === 'completed' ? completeSession(outcome.appointment, deps) : undefined)));
    for (const [index, { row, outcome }] of window.entries()) {
      const result = results[index];
      if (outcome.kind !== 'completed') {
        input.onRow?.({ line: row.line, sessionId: outcome.sessionId, outcome: outcome.kind });
      } else if (result?.completed) {
        batch.push(result.detail);
        input.onRow?.({ line: row.line, sessionId: outcome.appointment.sessionId, outcome: 'announce' });
        if (batch.length === BATCH_SIZE) {
          await startAnnouncing(batch);
          batch = [];
        }
      } else if (result !== undefined) {
        report.skipped[result.reason] = (report.skipped[result.reason] ?? 0) + 1;
        input.onRow?.({ line: row.line, sessionId: outcome.appointment.sessionId, outcome: result.reason });
      }
    }
    window = [];
  };
  let rows = 0;
  for await (const row of await openChecked(input)) {
    rows += 1;
    const outcome = classify(row);
    // Pass 1 found no bad row; the same bytes give the same outcomes.
    if (outcome.kind !== 'bad') window.push({ row, outcome });
    if (window.length === LOOKUP_WINDOW) await completeWindow();
    input.onProgress?.(2, rows);
  }
  await completeWindow();
  if (batch.length > 0) await startAnnouncing(batch);
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  return report;
}

/** Opens a pass and checks the header against the mapping before any row is read. */
async function openChecked(input: ImportAppointmentsInput): Promise<AsyncIterable<AppointmentRow>> {
  const file = await input.open();
  const missing = missingColumns(file.columns, input.mapping);
  if (missing.length > 0) {
    throw new AppointmentFileError(`the header lacks ${missing.map((column) => `"${column}"`).join(', ')} (it has ${file.columns.map((column) => `"${column}"`).join(', ')})`);
  }
  return file.records;
}
