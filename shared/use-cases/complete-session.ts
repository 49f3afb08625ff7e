/**
 * Turns what an inbound path knows about a finished appointment into the one inbound contract,
 * `SessionCompleted` v1. Every inbound adapter (signed webhook, appointment CSV, calendar feed, FHIR)
 * ends here, so they all complete events the same way:
 * - the client's address, first name and locale come from the appointment when it carries them,
 *   otherwise from the roster (most EHR exports and calendar feeds carry only a client reference);
 * - the therapist comes from the appointment, else from the client's roster entry; their address from
 *   the appointment, else from the therapist directory;
 * - a client the roster does not know (and the appointment gives no address for), an inactive roster
 *   client, or a therapist nobody can name an address for: the appointment is skipped with a reason
 *   the adapter counts and reports to the administrator — never with the client's details.
 * The result is validated against the contract, so what an adapter publishes is what the bus accepts.
 */
import { SessionCompletedDetailSchema, type SessionCompletedDetail } from '../events/contracts.ts';
import type { ClientRoster, TherapistDirectory } from './ports.ts';

/** A finished appointment as an inbound path sees it: ids and times, details when it has them. */
export interface FinishedAppointment {
  sessionId: string;
  clientId: string;
  therapistId?: string | undefined;
  endedAt: string;
  client?: { email?: string | undefined; firstName?: string | undefined; locale?: string | undefined } | undefined;
  therapist?: { email?: string | undefined; name?: string | undefined } | undefined;
}

/** Why an appointment did not become a session; counted and reported, never with personal data. */
export type SkippedAppointment =
  | 'client-not-on-roster'
  | 'client-inactive'
  | 'therapist-unknown'
  | 'invalid-details';

export type CompletedSession =
  | { completed: true; detail: SessionCompletedDetail }
  | { completed: false; reason: SkippedAppointment; issues?: string[] };

export interface CompleteSessionDependencies {
  roster: ClientRoster;
  therapists: TherapistDirectory;
}

export async function completeSession(appointment: FinishedAppointment, deps: CompleteSessionDependencies): Promise<CompletedSession> {
  const rosterEntry = appointment.client?.email === undefined || appointment.therapistId === undefined
    ? await deps.roster.find(appointment.clientId)
    : undefined;
  if (appointment.client?.email === undefined) {
    if (rosterEntry === undefined) return { completed: false, reason: 'client-not-on-roster' };
    if (!rosterEntry.active) return { completed: false, reason: 'client-inactive' };
  }
  const therapistId = appointment.therapistId ?? rosterEntry?.therapistId;
  if (therapistId === undefined) return { completed: false, reason: 'client-not-on-roster' };
  const registered = appointment.therapist?.email === undefined ? await deps.therapists.find(therapistId) : undefined;
  const therapistEmail = appointment.therapist?.email ?? registered?.email;
  if (therapistEmail === undefined) return { completed: false, reason: 'therapist-unknown' };

  const candidate = {
    sessionId: appointment.sessionId,
    clientId: appointment.clientId,
    therapistId,
    endedAt: appointment.endedAt,
    client: {
      email: appointment.client?.email ?? rosterEntry?.email,
      firstName: appointment.client?.firstName ?? rosterEntry?.firstName,
      locale: appointment.client?.locale ?? rosterEntry?.locale,
    },
    therapist: { email: therapistEmail, name: appointment.therapist?.name ?? registered?.name },
  };
  const parsed = SessionCompletedDetailSchema.safeParse(withoutUndefined(candidate));
  if (!parsed.success) {
    // Field paths only: the values may be personal data.
    return { completed: false, reason: 'invalid-details', issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) };
  }
  return { completed: true, detail: parsed.data };
}

/** Drops undefined members (zod's optional fields accept a missing key, and the event should not carry nulls). */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
