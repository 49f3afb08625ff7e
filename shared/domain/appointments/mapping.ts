/**
 * How an appointment file's columns and values become the canonical appointment: which column holds
 * each canonical field, which status values mean which FHIR appointment status, how dates are
 * written and in which time zone, and which statuses count as a session that took place. Without a
 * mapping the file must use the canonical layout, `appointmentId,clientId,therapistId,start,end,status`
 * with ISO-8601 times carrying their offset and FHIR status values.
 *
 * A mapping is a small JSON file the practice writes once for its EHR's export (`--map FILE`); it is
 * checked with zod and every problem is named, so a typo fails before any row is read.
 */
import * as z from 'zod/mini';
import { isTimeZone } from '../local-time.ts';
import { compileDateFormat, type DateFormat } from './local-time.ts';

/** FHIR R4 Appointment.status values (http://hl7.org/fhir/appointmentstatus). */
export const FHIR_APPOINTMENT_STATUSES = ['proposed', 'pending', 'booked', 'arrived', 'fulfilled', 'cancelled', 'noshow', 'entered-in-error', 'checked-in', 'waitlist'] as const;
export type AppointmentStatus = (typeof FHIR_APPOINTMENT_STATUSES)[number];

/** The canonical fields of an appointment row. */
export const CANONICAL_COLUMNS = ['appointmentId', 'clientId', 'therapistId', 'start', 'end', 'status'] as const;
export type CanonicalField = (typeof CANONICAL_COLUMNS)[number];

/** The statuses that become sessions when the mapping names none: the appointment took place. */
export const DEFAULT_COMPLETED_STATUSES: readonly AppointmentStatus[] = ['fulfilled'];

const StatusSchema = z.enum(FHIR_APPOINTMENT_STATUSES, { message: `must be a FHIR appointment status: ${FHIR_APPOINTMENT_STATUSES.join(', ')}` });
const ColumnSchema = z.string().check(z.minLength(1, 'must name a column'));
/** One column, or several whose values are joined with a space (a date column and a time column). */
const ColumnsSchema = z.union([ColumnSchema, z.array(ColumnSchema).check(z.minLength(1, 'must name at least one column'))], { message: 'must be a column name or a list of column names' });

export const AppointmentMappingSchema = z.strictObject({
  /** Column(s) of the file for each canonical field; a field left out keeps its canonical name. `therapistId: null`: the file has none (the roster names the therapist). */
  columns: z.optional(z.strictObject({
    appointmentId: z.optional(ColumnsSchema),
    clientId: z.optional(ColumnsSchema),
    therapistId: z.optional(z.nullable(ColumnsSchema)),
    start: z.optional(ColumnsSchema),
    end: z.optional(ColumnsSchema),
    status: z.optional(ColumnsSchema),
  })),
  /** The file's status values (matched ignoring case and surrounding spaces) → FHIR statuses. FHIR values themselves are always understood. */
  statuses: z.optional(z.record(z.string(), StatusSchema)),
  /** How the file writes times without an offset; both are needed, the zone being the practice calendar's. */
  dates: z.optional(z.strictObject({
    format: z.string().check(z.minLength(1, 'must be a date format such as "MM/DD/YYYY h:mm A"')),
    timeZone: z.string().check(z.refine(isTimeZone, 'must be an IANA time zone such as "America/New_York"')),
  })),
  /** The FHIR statuses that mean the session took place (default: fulfilled). */
  completedStatuses: z.optional(z.array(StatusSchema).check(z.minLength(1, 'must list at least one status'))),
});
export type AppointmentMappingFile = z.infer<typeof AppointmentMappingSchema>;

/** A mapping with every default filled in and its date format compiled: what a row is read with. */
export interface AppointmentMapping {
  columns: Record<CanonicalField, readonly string[] | undefined>;
  statuses: ReadonlyMap<string, AppointmentStatus>;
  dates: { format: DateFormat; timeZone: string } | undefined;
  completedStatuses: ReadonlySet<AppointmentStatus>;
}

/** A mapping file that cannot be used; the message lists every problem by its JSON path. */
export class MappingError extends Error {
  override name = 'MappingError';
}

/** The canonical layout: no mapping file given. */
export const CANONICAL_MAPPING: AppointmentMapping = resolveMapping({});

/** Parses and checks a mapping file's text. Throws MappingError naming every problem. */
export function parseAppointmentMapping(text: string): AppointmentMapping {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MappingError(`the mapping is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = AppointmentMappingSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(the mapping)';
      return issue.code === 'unrecognized_keys' ? `${path}: unknown key(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}` : `${path}: ${issue.message}`;
    });
    throw new MappingError(`the mapping has problems:\n  ${problems.join('\n  ')}`);
  }
  try {
    return resolveMapping(parsed.data);
  } catch (error) {
    throw new MappingError(`the mapping has problems:\n  dates.format: ${(error as Error).message}`);
  }
}

function resolveMapping(file: AppointmentMappingFile): AppointmentMapping {
  const given = file.columns ?? {};
  const columns = Object.fromEntries(
    CANONICAL_COLUMNS.map((field) => {
      const value = given[field];
      if (value === null) return [field, undefined];
      return [field, value === undefined ? [field] : typeof value === 'string' ? [value] : value];
    }),
  ) as Record<CanonicalField, readonly string[] | undefined>;
  const statuses = new Map<string, AppointmentStatus>(FHIR_APPOINTMENT_STATUSES.map((status) => [status, status]));
  for (const [value, status] of Object.entries(file.statuses ?? {})) statuses.set(statusKey(value), status);
  return {
    columns,
    statuses,
    dates: file.dates === undefined ? undefined : { format: compileDateFormat(file.dates.format), timeZone: file.dates.timeZone },
    completedStatuses: new Set(file.completedStatuses ?? DEFAULT_COMPLETED_STATUSES),
  };
}

/** How status values are compared: case and surrounding or repeated spaces do not matter. */
export function statusKey(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The file columns a mapping reads that the header lacks (checked before any row). */
export function missingColumns(header: readonly string[], mapping: AppointmentMapping): string[] {
  const present = new Set(header);
  return [...new Set(Object.values(mapping.columns).flatMap((columns) => columns ?? []))].filter((column) => !present.has(column));
}
