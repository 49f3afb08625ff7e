/**
 * Who receives an alert (pure): the therapist, or the covering clinician instead while the
 * therapist is covered; and the therapist's supervisor, copied on the kinds they chose.
 *
 * - Covering: an entry's `covering` names a registered clinician and an ISO date range (both days
 *   included, read as dates in the given time zone). On those days the alert goes to the covering
 *   clinician INSTEAD of the therapist (the therapist is away; their inbox is not a safe place for a
 *   client's history nobody reads). A covering clinician who is not (or no longer) registered is
 *   ignored: the alert then goes to the therapist, so it always reaches somebody.
 * - Supervisor: copied on the kinds in `superviseKinds` (DEFAULT_SUPERVISE_KINDS when unset). A
 *   supervisor who is not registered is ignored; so is one who already receives this alert.
 * - The unrepaired escalation: the therapist was alerted when the episode began, so by default
 *   (`unrepairedEmailsTherapist` off) they are not emailed again: the weekly digest shows the
 *   client as not repaired. Only a supervisor copied on the kind is emailed. A therapist whose
 *   digest is off would never see it, and a covering clinician gets no digest of this client:
 *   both are still emailed.
 *
 * Each recipient has a claim slot: `primary` (therapist or covering clinician: one alert, whoever it
 * went to) and `supervisor`. The once-only guard is per (session, kind, slot), so a redelivery sends
 * nothing again to anybody, even when the covering window or the supervisor changed in between.
 */
import type { AlertKind } from '../events/contracts.ts';

export type RecipientRole = 'therapist' | 'supervisor' | 'covering';
export type RecipientSlot = 'primary' | 'supervisor';

/**
 * Kinds a supervisor is copied on by default: an unrepaired rupture (unrepaired ruptures predict
 * worse outcome, McLaughlin et al. 2014) and a steady decline over several sessions (a client not on
 * track, for whom feedback helps most, Lambert & Shimokawa 2011). A single drop is the therapist's
 * to take up in the next session (recognising it is what removes its effect, Chen et al. 2018), and
 * a client's request to talk is addressed to their therapist: neither is copied unless chosen.
 */
export const DEFAULT_SUPERVISE_KINDS: readonly AlertKind[] = ['unrepaired', 'sustained-decline'];

/**
 * Whether the practice emails the therapist an alert of this kind: every kind but the unrepaired
 * escalation, which only with DETECTOR_SETTINGS.unrepairedEmailsTherapist (otherwise their weekly
 * digest shows it). chooseRecipients still emails a therapist whose digest is off, and a covering
 * clinician; the evaluation's caseload marks and the backtest's counts follow this rule.
 */
export function emailsTherapist(kind: AlertKind, unrepairedEmailsTherapist: boolean | undefined): boolean {
  return kind !== 'unrepaired' || unrepairedEmailsTherapist === true;
}

/** The directory's routing of one therapist (attributes of their entry). */
export interface TherapistRouting {
  supervisorId?: string | undefined;
  /** Kinds the supervisor is copied on; unset: DEFAULT_SUPERVISE_KINDS. */
  superviseKinds?: readonly AlertKind[] | undefined;
  /** A covering clinician for an ISO date range, both days included. */
  covering?: { therapistId: string; from: string; until: string } | undefined;
}

/** A registered directory entry, as far as routing reads it. */
export interface RoutingEntry extends TherapistRouting {
  therapistId: string;
  email: string;
  /** `off`: no weekly digest (unset: on). */
  digest?: 'off' | undefined;
  name?: string | undefined;
  /** The zone this clinician reads dates in, when the directory names one. */
  timeZone?: string | undefined;
}

export interface AlertRecipient {
  role: RecipientRole;
  slot: RecipientSlot;
  therapistId: string;
  email: string;
  /** The recipient's own zone from the directory, when it names one. */
  timeZone?: string | undefined;
}

/** Routing named a clinician who gets nothing (ids and reasons only: no address, no name). */
export interface IgnoredRecipient {
  role: 'supervisor' | 'covering';
  therapistId: string;
  reason: 'not-registered' | 'self';
}

export interface RecipientInput {
  therapist: RoutingEntry;
  /** The supervisor's entry, when the therapist names one and it is registered. */
  supervisor?: RoutingEntry | undefined;
  /** The covering clinician's entry, when the therapist names one and it is registered. */
  covering?: RoutingEntry | undefined;
  kind: AlertKind;
  now: Date;
  /** The practice's IANA zone for "today"; the machine's zone when unset. */
  timeZone?: string | undefined;
  /** DETECTOR_SETTINGS.unrepairedEmailsTherapist: email the therapist the unrepaired escalation too (unset: off, the default). */
  unrepairedEmailsTherapist?: boolean | undefined;
}

export interface Routing {
  recipients: AlertRecipient[];
  ignored: IgnoredRecipient[];
  /** The therapist reads this alert in their weekly digest: nobody is emailed in their place (a supervisor's copy aside). */
  digestOnly: boolean;
}

export function chooseRecipients(input: RecipientInput): Routing {
  const { therapist } = input;
  const ignored: IgnoredRecipient[] = [];
  let primary: AlertRecipient = { role: 'therapist', slot: 'primary', therapistId: therapist.therapistId, email: therapist.email, timeZone: therapist.timeZone };
  const cover = therapist.covering;
  if (cover !== undefined && isCovered(cover, input.now, input.timeZone)) {
    if (cover.therapistId === therapist.therapistId) ignored.push({ role: 'covering', therapistId: cover.therapistId, reason: 'self' });
    else if (input.covering?.therapistId !== cover.therapistId) ignored.push({ role: 'covering', therapistId: cover.therapistId, reason: 'not-registered' });
    else primary = { role: 'covering', slot: 'primary', therapistId: cover.therapistId, email: input.covering.email, timeZone: input.covering.timeZone };
  }
  // The therapist reads an unrepaired episode in their digest; everyone else keeps the email.
  const digestOnly = !emailsTherapist(input.kind, input.unrepairedEmailsTherapist) && primary.role === 'therapist' && therapist.digest !== 'off';
  const recipients = digestOnly ? [] : [primary];
  const supervisorId = therapist.supervisorId;
  if (supervisorId !== undefined && (therapist.superviseKinds ?? DEFAULT_SUPERVISE_KINDS).includes(input.kind)) {
    if (supervisorId === therapist.therapistId) ignored.push({ role: 'supervisor', therapistId: supervisorId, reason: 'self' });
    else if (input.supervisor?.therapistId !== supervisorId) ignored.push({ role: 'supervisor', therapistId: supervisorId, reason: 'not-registered' });
    // Already receiving this alert (they cover): one email is enough.
    else if (supervisorId !== primary.therapistId) recipients.push({ role: 'supervisor', slot: 'supervisor', therapistId: supervisorId, email: input.supervisor.email, timeZone: input.supervisor.timeZone });
  }
  return { recipients, ignored, digestOnly };
}

/** Whether `now` falls on a day of the range (ISO dates, both included) in the zone. */
export function isCovered(cover: { from: string; until: string }, now: Date, timeZone?: string): boolean {
  const today = isoDate(now, timeZone);
  return cover.from <= today && today <= cover.until;
}

/** The ISO date (YYYY-MM-DD) of an instant in a zone. */
export function isoDate(now: Date, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
