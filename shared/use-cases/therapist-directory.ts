/**
 * The therapist directory's rules: who is registered, from where, and what an event may change.
 * Alerts and anything else carrying a client's history go only to the directory's address
 * (send-alert.ts); this module decides what gets into the directory:
 * - the administrator (`alliance therapists add|import`) registers and corrects entries;
 * - an address at one of the practice's own domains (the `practiceDomains` setting) is registered
 *   the first time a SessionCompleted names its therapist; any other address is never taken;
 * - an event never changes an entry: a known therapist's different address in an event is ignored
 *   (the directory wins), so whoever can put SessionCompleted cannot redirect a client's history.
 */
import * as z from 'zod/mini';
import { isAtPracticeDomain } from '../domain/practice-domains.ts';
import { isTimeZone } from '../domain/local-time.ts';
import { ALERT_KINDS, IdSchema, TherapistRegistered, type AlertKind } from '../events/contracts.ts';
import type { Clock, DirectoryEntry, EventPublisher, RegisteredTherapist, TherapistRegistry } from './ports.ts';

// ── first sight (the request function) ─────────────────────────────────────────────────────────────

/**
 * What a SessionCompleted's therapist meant for the directory: `known` (same address),
 * `address-ignored` (registered with another address: the event's is not taken), `registered`
 * (new, at a practice domain: added now), `not-registered` (new, elsewhere: never mailed).
 */
export type TherapistSighting = 'known' | 'address-ignored' | 'registered' | 'not-registered';

export interface RecognizeTherapistDeps {
  directory: TherapistRegistry;
  practiceDomains: readonly string[];
  clock: Clock;
  publisher: EventPublisher;
}

/** Takes note of the therapist a SessionCompleted names: registers them on first sight at a practice domain, and nothing else. */
export async function recognizeTherapist(
  seen: { therapistId: string; therapist: { email: string; name?: string | undefined } },
  deps: RecognizeTherapistDeps,
): Promise<TherapistSighting> {
  const known = await deps.directory.find(seen.therapistId);
  if (known) return sameAddress(known.email, seen.therapist.email) ? 'known' : 'address-ignored';
  if (!isAtPracticeDomain(seen.therapist.email, deps.practiceDomains)) return 'not-registered';
  const registeredAt = deps.clock.now().toISOString();
  const therapist = { therapistId: seen.therapistId, email: seen.therapist.email.trim(), name: seen.therapist.name };
  if (!(await deps.directory.registerIfAbsent(therapist, registeredAt, 'practice-domain'))) {
    // Registered meanwhile (another session of theirs, or the administrator): that entry stands.
    const now = await deps.directory.find(seen.therapistId);
    return now && sameAddress(now.email, seen.therapist.email) ? 'known' : 'address-ignored';
  }
  // Alerts that waited for this therapist go out now (the alert function reads the directory).
  await deps.publisher.publish(TherapistRegistered, { therapistId: seen.therapistId, registeredBy: 'practice-domain', registeredAt });
  return 'registered';
}

/** Addresses compare without case or surrounding spaces (mail systems treat them alike). */
function sameAddress(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

// ── the administrator's entries (`alliance therapists`) ────────────────────────────────────────────

/** The canonical columns of therapists.csv; all but `therapistId` and `email` may be left out. */
export const THERAPIST_COLUMNS = ['therapistId', 'email', 'name', 'timeZone', 'supervisorId', 'superviseKinds', 'digest'] as const;
const REQUIRED_COLUMNS = ['therapistId', 'email'] as const;

const EmailSchema = z.email();
const NameSchema = z.string().check(z.maxLength(80), z.regex(/^[^\p{Cc}]*$/u));

/** One entry as the administrator gives it (a CSV row or `add`'s arguments), checked; problems name fields, never echo values. */
export function checkEntry(input: {
  therapistId?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  timeZone?: string | undefined;
  /** `on` (or empty) or `off`: the weekly digest. */
  digest?: string | undefined;
}): { entry: RegisteredTherapist } | { problems: string[] } {
  const problems: string[] = [];
  const therapistId = (input.therapistId ?? '').trim();
  const email = (input.email ?? '').trim();
  const name = (input.name ?? '').trim();
  const timeZone = (input.timeZone ?? '').trim();
  const digest = (input.digest ?? '').trim().toLowerCase();
  if (therapistId === '') problems.push('therapistId is empty');
  else if (!IdSchema.safeParse(therapistId).success) problems.push('therapistId must be 1–128 characters of A-Z a-z 0-9 . _ : -');
  if (email === '') problems.push('email is empty');
  else if (!EmailSchema.safeParse(email).success) problems.push('email is not an email address');
  if (name !== '' && !NameSchema.safeParse(name).success) problems.push('name must be at most 80 characters without control characters');
  if (timeZone !== '' && !isTimeZone(timeZone)) problems.push('timeZone must be an IANA time zone such as "America/New_York"');
  if (digest !== '' && digest !== 'on' && digest !== 'off') problems.push('digest must be on or off (empty: on)');
  if (problems.length > 0) return { problems };
  return { entry: { therapistId, email, ...(name === '' ? {} : { name }), ...(timeZone === '' ? {} : { timeZone }), ...(digest === 'off' ? { digest: 'off' as const } : {}) } };
}

/** Problems with a therapists.csv header (missing or unknown columns), or none. */
export function checkColumns(columns: readonly string[]): string[] {
  const problems = REQUIRED_COLUMNS.filter((column) => !columns.includes(column)).map((column) => `missing column "${column}"`);
  const unknown = columns.filter((column) => !(THERAPIST_COLUMNS as readonly string[]).includes(column));
  if (unknown.length > 0) problems.push(`unknown column${unknown.length === 1 ? '' : 's'} ${unknown.map((column) => `"${column}"`).join(', ')} (the columns are ${THERAPIST_COLUMNS.join(',')})`);
  return problems;
}

/** One data row of therapists.csv, as the CSV reader yields it. */
export interface TherapistRow {
  line: number;
  fields: Record<string, string>;
  fieldCountError?: string | undefined;
}

/** What an import would change, against the directory as it is. */
export interface ImportChanges {
  added: RegisteredTherapist[];
  updated: RegisteredTherapist[];
  unchanged: RegisteredTherapist[];
  /** Supervisors set or removed (only when the file has a supervisorId column), after the entries are saved. */
  supervisors?: { therapistId: string; supervisor: SupervisorChoice | undefined }[] | undefined;
}

/** A therapist's supervisor and the kinds they are copied on (unset: the default kinds). */
export interface SupervisorChoice {
  supervisorId: string;
  superviseKinds?: AlertKind[] | undefined;
}

/** Alert kinds as the administrator writes them: separated by commas, `|` or spaces. */
export function parseSuperviseKinds(text: string): { kinds: AlertKind[] } | { problem: string } {
  const words = text.split(/[\s,|]+/).filter((word) => word !== '');
  const unknown = words.filter((word) => !(ALERT_KINDS as readonly string[]).includes(word));
  if (unknown.length > 0 || words.length === 0) return { problem: `superviseKinds must name alert kinds among ${ALERT_KINDS.join(', ')}` };
  return { kinds: [...new Set(words as AlertKind[])] };
}

/** Problems with a supervisor choice, against who is (or will be) registered. */
function supervisorProblems(therapistId: string, choice: SupervisorChoice, registered: (id: string) => boolean): string[] {
  if (!IdSchema.safeParse(choice.supervisorId).success) return ['supervisorId must be 1–128 characters of A-Z a-z 0-9 . _ : -'];
  if (choice.supervisorId === therapistId) return ['a therapist cannot be their own supervisor'];
  if (!registered(choice.supervisorId)) return [`supervisor ${choice.supervisorId} is not registered (add them first)`];
  return [];
}

function sameSupervisor(a: SupervisorChoice | undefined, entry: DirectoryEntry | undefined): boolean {
  if (a === undefined) return entry?.supervisorId === undefined;
  return a.supervisorId === entry?.supervisorId && (a.superviseKinds ?? []).join(',') === (entry.superviseKinds ?? []).join(',') && (a.superviseKinds === undefined) === (entry.superviseKinds === undefined);
}

export type ImportPlan = { valid: true; changes: ImportChanges } | { valid: false; problems: { line: number; message: string }[] };

/**
 * Plans an import: every row checked (a bad row or a therapist twice makes the whole file invalid,
 * with each problem's line), then compared with the directory: added, updated (address, name or
 * time zone changed), unchanged. Therapists the file leaves out are not removed (`remove` does that).
 */
export function planImport(rows: readonly TherapistRow[], existing: readonly DirectoryEntry[]): ImportPlan {
  const problems: { line: number; message: string }[] = [];
  const entries: RegisteredTherapist[] = [];
  const firstLine = new Map<string, number>();
  const supervisorRows: { line: number; therapistId: string; supervisor: SupervisorChoice | undefined }[] = [];
  for (const row of rows) {
    if (row.fieldCountError !== undefined) {
      problems.push({ line: row.line, message: row.fieldCountError });
      continue;
    }
    const checked = checkEntry(row.fields);
    if ('problems' in checked) {
      problems.push(...checked.problems.map((message) => ({ line: row.line, message })));
      continue;
    }
    const earlier = firstLine.get(checked.entry.therapistId);
    if (earlier !== undefined) {
      problems.push({ line: row.line, message: `therapist ${checked.entry.therapistId} is already on line ${earlier}` });
      continue;
    }
    firstLine.set(checked.entry.therapistId, row.line);
    entries.push(checked.entry);
    if ('supervisorId' in row.fields) {
      const supervisorId = (row.fields['supervisorId'] ?? '').trim();
      const kindsText = (row.fields['superviseKinds'] ?? '').trim();
      if (supervisorId === '') {
        if (kindsText !== '') problems.push({ line: row.line, message: 'superviseKinds needs a supervisorId' });
        else supervisorRows.push({ line: row.line, therapistId: checked.entry.therapistId, supervisor: undefined });
        continue;
      }
      const kinds = kindsText === '' ? undefined : parseSuperviseKinds(kindsText);
      if (kinds !== undefined && 'problem' in kinds) problems.push({ line: row.line, message: kinds.problem });
      else supervisorRows.push({ line: row.line, therapistId: checked.entry.therapistId, supervisor: { supervisorId, ...(kinds === undefined ? {} : { superviseKinds: kinds.kinds }) } });
    }
  }
  const byId = new Map(existing.map((entry) => [entry.therapistId, entry]));
  // A supervisor must be registered: already, or by this very file.
  const registered = (id: string) => byId.has(id) || firstLine.has(id);
  for (const { line, therapistId, supervisor } of supervisorRows) {
    if (supervisor !== undefined) problems.push(...supervisorProblems(therapistId, supervisor, registered).map((message) => ({ line, message })));
  }
  if (problems.length > 0) return { valid: false, problems: problems.sort((a, b) => a.line - b.line) };
  const changes: ImportChanges = { added: [], updated: [], unchanged: [] };
  for (const entry of entries) {
    const current = byId.get(entry.therapistId);
    if (current === undefined) changes.added.push(entry);
    else if (current.email !== entry.email || current.name !== entry.name || current.timeZone !== entry.timeZone || current.digest !== entry.digest || current.registeredBy !== 'administrator') changes.updated.push(entry);
    else changes.unchanged.push(entry);
  }
  const supervisors = supervisorRows.filter(({ therapistId, supervisor }) => !sameSupervisor(supervisor, byId.get(therapistId)));
  if (supervisors.length > 0) changes.supervisors = supervisors.map(({ therapistId, supervisor }) => ({ therapistId, supervisor }));
  return { valid: true, changes };
}

export interface DirectoryAdminDeps {
  directory: TherapistRegistry;
  publisher: EventPublisher;
  clock: Clock;
}

/**
 * Applies a planned import (or one `add`): saves the added and updated entries and announces each
 * (TherapistRegistered), which sends the alerts that waited for them. Unchanged entries cost nothing.
 */
export async function applyChanges(changes: ImportChanges, deps: DirectoryAdminDeps): Promise<void> {
  const now = deps.clock.now().toISOString();
  for (const entry of [...changes.added, ...changes.updated]) {
    await deps.directory.save(entry, now);
    await deps.publisher.publish(TherapistRegistered, { therapistId: entry.therapistId, registeredBy: 'administrator', registeredAt: now });
  }
  for (const { therapistId, supervisor } of changes.supervisors ?? []) await deps.directory.setSupervisor(therapistId, supervisor, now);
}

/** What one `add` did. */
export type AddOutcome = { outcome: 'added' | 'updated' | 'unchanged'; therapist: RegisteredTherapist } | { outcome: 'invalid'; problems: string[] };

/** Adds or corrects one therapist (`alliance therapists add`), with the import's rules. */
export async function addTherapist(input: { therapistId: string; email: string; name?: string | undefined; timeZone?: string | undefined; digest?: 'off' | undefined }, deps: DirectoryAdminDeps): Promise<AddOutcome> {
  const checked = checkEntry(input);
  if ('problems' in checked) return { outcome: 'invalid', problems: checked.problems };
  const current = await deps.directory.find(checked.entry.therapistId);
  const plan = planImport([{ line: 1, fields: { ...input, name: input.name ?? '', timeZone: input.timeZone ?? '', digest: input.digest ?? '' } }], current ? [current] : []);
  if (!plan.valid) return { outcome: 'invalid', problems: plan.problems.map((problem) => problem.message) };
  await applyChanges(plan.changes, deps);
  const outcome = plan.changes.added.length > 0 ? 'added' : plan.changes.updated.length > 0 ? 'updated' : 'unchanged';
  return { outcome, therapist: checked.entry };
}

/** What changed between a directory entry and its replacement, by field name (for the administrator's summary). */
export function changedFields(before: RegisteredTherapist | undefined, after: RegisteredTherapist): ('email' | 'name' | 'timeZone' | 'digest')[] {
  if (before === undefined) return [];
  return [
    ...(before.email !== after.email ? (['email'] as const) : []),
    ...(before.name !== after.name ? (['name'] as const) : []),
    ...(before.timeZone !== after.timeZone ? (['timeZone'] as const) : []),
    ...(before.digest !== after.digest ? (['digest'] as const) : []),
  ];
}

// ── routing: supervisor and covering clinician (`alliance therapists add --supervisor`, `cover`) ────

export type RoutingOutcome = { outcome: 'set' | 'removed' } | { outcome: 'invalid'; problems: string[] };

/** Names (or with undefined, removes) a therapist's supervisor: both must be registered, and differ. */
export async function chooseSupervisor(therapistId: string, supervisor: SupervisorChoice | undefined, deps: DirectoryAdminDeps): Promise<RoutingOutcome> {
  if ((await deps.directory.find(therapistId)) === undefined) return { outcome: 'invalid', problems: [`therapist ${therapistId} is not registered`] };
  if (supervisor !== undefined) {
    const supervisorEntry = await deps.directory.find(supervisor.supervisorId);
    const problems = supervisorProblems(therapistId, supervisor, () => supervisorEntry !== undefined);
    if (problems.length > 0) return { outcome: 'invalid', problems };
  }
  const saved = await deps.directory.setSupervisor(therapistId, supervisor, deps.clock.now().toISOString());
  if (!saved) return { outcome: 'invalid', problems: [`therapist ${therapistId} is not registered`] };
  return { outcome: supervisor === undefined ? 'removed' : 'set' };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date written YYYY-MM-DD that exists (no 2026-02-30). */
export function isIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/**
 * Names a covering clinician for a range of days (ISO dates, both included, in the practice's
 * sense): on those days the therapist's alerts go to them instead. Both must be registered, and differ.
 */
export async function coverTherapist(input: { therapistId: string; by: string; from: string; until: string }, deps: DirectoryAdminDeps): Promise<RoutingOutcome> {
  const problems: string[] = [];
  if (!isIsoDate(input.from)) problems.push('--from must be a date written YYYY-MM-DD');
  if (!isIsoDate(input.until)) problems.push('--until must be a date written YYYY-MM-DD');
  if (problems.length === 0 && input.until < input.from) problems.push('--until is before --from');
  if (input.by === input.therapistId) problems.push('a therapist cannot cover for themselves');
  if ((await deps.directory.find(input.therapistId)) === undefined) problems.push(`therapist ${input.therapistId} is not registered`);
  if (input.by !== input.therapistId && (await deps.directory.find(input.by)) === undefined) problems.push(`covering clinician ${input.by} is not registered (add them first)`);
  if (problems.length > 0) return { outcome: 'invalid', problems };
  const saved = await deps.directory.setCovering(input.therapistId, { therapistId: input.by, from: input.from, until: input.until }, deps.clock.now().toISOString());
  return saved ? { outcome: 'set' } : { outcome: 'invalid', problems: [`therapist ${input.therapistId} is not registered`] };
}

/** Ends the cover: the therapist's alerts go to them again. */
export async function uncoverTherapist(therapistId: string, deps: DirectoryAdminDeps): Promise<RoutingOutcome> {
  const saved = await deps.directory.setCovering(therapistId, undefined, deps.clock.now().toISOString());
  return saved ? { outcome: 'removed' } : { outcome: 'invalid', problems: [`therapist ${therapistId} is not registered`] };
}
