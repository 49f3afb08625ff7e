/**
 * One row of an appointment file → what the import does with it. Pure: the same row, mapping,
 * clock and policy always give the same outcome, which is what lets the import read the file twice
 * (check everything, then send) without keeping it in memory.
 *
 * The order of the rules matters and is the practice's intuition: a cancelled or no-show
 * appointment is that whatever its time; otherwise one that has not ended yet is future; one that
 * ended without a completed status (still `booked`, `arrived`...) is not a session; one that ended
 * too long ago for a feedback request (the request policy's own rule, isStale) is stale.
 */
import { isStale, type RequestPolicy } from '../request-policy.ts';
import { instantInZone } from './local-time.ts';
import { statusKey, type AppointmentMapping, type AppointmentStatus, type CanonicalField } from './mapping.ts';

/** A row as the CSV reader yields it (shared/adapters/csv-records.ts's CsvRecord has this shape). */
export interface AppointmentRow {
  line: number;
  fields: Record<string, string>;
  fieldCountError?: string | undefined;
}

/** The appointment a completed row describes: the appointment id is the session id. */
export interface CompletedAppointment {
  sessionId: string;
  clientId: string;
  therapistId: string | undefined;
  endedAt: string;
}

export type RowOutcome =
  | { kind: 'completed'; appointment: CompletedAppointment }
  | { kind: 'cancelled' | 'noshow' | 'future' | 'stale'; sessionId: string }
  /** Ended, but its status does not say it took place (`booked`, `arrived`, `entered-in-error`...). */
  | { kind: 'not-completed'; sessionId: string; status: AppointmentStatus }
  /** The row cannot be read; the problems name fields, never their values (they may be personal data). */
  | { kind: 'bad'; line: number; problems: string[] };

/** Ids are echoed in reports and become event fields: printable, no spaces, of a sane length. */
const ID_PATTERN = /^[A-Za-z0-9._:@\-/]{1,128}$/;
/** ISO-8601 with a time and an explicit offset (`Z` or ±hh:mm). */
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Reads and judges one row. `now` and `policy` decide future and stale. */
export function classifyAppointmentRow(record: AppointmentRow, mapping: AppointmentMapping, now: Date, policy: RequestPolicy): RowOutcome {
  const problems: string[] = [];
  if (record.fieldCountError !== undefined) return { kind: 'bad', line: record.line, problems: [record.fieldCountError] };
  const value = (field: CanonicalField): string => (mapping.columns[field] ?? []).map((column) => (record.fields[column] ?? '').trim()).join(' ').trim();

  const id = (field: 'appointmentId' | 'clientId'): string => {
    const text = value(field);
    if (text === '') problems.push(`${field} is empty`);
    else if (!ID_PATTERN.test(text)) problems.push(`${field} must be 1–128 letters, digits or . _ : @ - /`);
    return text;
  };
  const sessionId = id('appointmentId');
  const clientId = id('clientId');
  const therapistText = mapping.columns.therapistId === undefined ? '' : value('therapistId');
  if (therapistText !== '' && !ID_PATTERN.test(therapistText)) problems.push('therapistId must be 1–128 letters, digits or . _ : @ - /');

  const statusText = value('status');
  const status = statusText === '' ? undefined : mapping.statuses.get(statusKey(statusText));
  if (statusText === '') problems.push('status is empty');
  else if (status === undefined) problems.push('status is not a FHIR appointment status nor one the mapping\'s "statuses" names');

  const start = readTime(value('start'), 'start', mapping, problems);
  const end = readTime(value('end'), 'end', mapping, problems);
  if (start !== undefined && end !== undefined && end.getTime() < start.getTime()) problems.push('end is before start');

  if (problems.length > 0 || status === undefined || end === undefined) return { kind: 'bad', line: record.line, problems };
  if (status === 'cancelled' || status === 'noshow') return { kind: status, sessionId };
  if (end.getTime() > now.getTime()) return { kind: 'future', sessionId };
  if (!mapping.completedStatuses.has(status)) return { kind: 'not-completed', sessionId, status };
  if (isStale(end, now, policy)) return { kind: 'stale', sessionId };
  return { kind: 'completed', appointment: { sessionId, clientId, therapistId: therapistText === '' ? undefined : therapistText, endedAt: end.toISOString() } };
}

function readTime(text: string, field: 'start' | 'end', mapping: AppointmentMapping, problems: string[]): Date | undefined {
  if (text === '') {
    problems.push(`${field} is empty`);
    return undefined;
  }
  if (ISO_WITH_OFFSET.test(text)) {
    const instant = new Date(text);
    if (!Number.isNaN(instant.getTime())) return instant;
  }
  if (mapping.dates !== undefined) {
    const clock = mapping.dates.format.parse(text);
    if (clock !== undefined) return instantInZone(clock, mapping.dates.timeZone);
    problems.push(`${field} is neither ISO-8601 with an offset nor a date in the format "${mapping.dates.format.text}"`);
    return undefined;
  }
  problems.push(`${field} must be ISO-8601 with an offset (2026-03-02T14:50:00-05:00), or give a mapping with "dates"`);
  return undefined;
}
