/**
 * FHIR R4 resources as the FHIR inbound path reads them: the few elements of Encounter and Patient
 * it uses, validated with zod at the edge (anything else in the resource is ignored), and how they
 * map onto a finished appointment.
 *
 * - sessionId `fhir.<Encounter.id>`: the same encounter polled again, or notified and then polled,
 *   is the same session, which the request function emails once.
 * - clientId: the Patient's id (Encounter.subject). Client email: the Patient's current `telecom`
 *   with system `email` (not `use: old`, not past its period), best `rank` first; first name: the
 *   first `given` of the `usual` name, else the `official` one, else any; locale: the primary
 *   language subtag of the `preferred` `communication` (else the first).
 * - therapistId: the id of the Practitioner who performed the encounter (participant type PPRF,
 *   else ATND, else SPRF, else the first Practitioner participant). The therapist must be in the
 *   practice's therapist directory under that id: the alert goes to the directory's address, never
 *   to an address the EHR's Practitioner resource happens to carry.
 * - endedAt: Encounter.period.end (a dateTime with a time and an offset).
 */
import * as z from 'zod/mini';

/** A FHIR id: 1–64 of `[A-Za-z0-9-.]`. */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The session id of an encounter: `fhir.<Encounter.id>` (fits the contract's IdSchema). */
export function fhirSessionId(encounterId: string): string {
  return `fhir.${encounterId}`;
}

const Coding = z.object({ system: z.optional(z.string()), code: z.optional(z.string()) });
const CodeableConcept = z.object({ coding: z.optional(z.array(Coding)), text: z.optional(z.string()) });
const Reference = z.object({ reference: z.optional(z.string()) });
const Period = z.object({ start: z.optional(z.string()), end: z.optional(z.string()) });

// @__NO_SIDE_EFFECTS__
function schema<T>(build: () => T): T {
  return build();
}

/** The elements of an Encounter the path reads. */
export const EncounterSchema = schema(() =>
  z.object({
    resourceType: z.literal('Encounter'),
    id: z.string().check(z.regex(FHIR_ID)),
    status: z.string(),
    subject: z.optional(Reference),
    participant: z.optional(z.array(z.object({ type: z.optional(z.array(CodeableConcept)), individual: z.optional(Reference) }))),
    period: z.optional(Period),
  }),
);

/** The elements of a Patient the path reads. */
export const PatientSchema = schema(() =>
  z.object({
    resourceType: z.literal('Patient'),
    id: z.string().check(z.regex(FHIR_ID)),
    active: z.optional(z.boolean()),
    name: z.optional(z.array(z.object({ use: z.optional(z.string()), given: z.optional(z.array(z.string())), period: z.optional(Period) }))),
    telecom: z.optional(z.array(z.object({ system: z.optional(z.string()), value: z.optional(z.string()), use: z.optional(z.string()), rank: z.optional(z.number()), period: z.optional(Period) }))),
    communication: z.optional(z.array(z.object({ language: CodeableConcept, preferred: z.optional(z.boolean()) }))),
  }),
);

/** Why an encounter did not become an appointment before anyone was looked up. */
export type EncounterProblem = 'not-an-encounter' | 'not-finished' | 'no-patient' | 'no-practitioner' | 'no-end-time';

export interface EncounterFacts {
  encounterId: string;
  sessionId: string;
  patientId: string;
  practitionerId: string;
  endedAt: string;
}

/** The facts of a finished encounter, or why it has none. */
export function encounterFacts(raw: unknown): { ok: true; facts: EncounterFacts } | { ok: false; problem: EncounterProblem; encounterId?: string } {
  const parsed = EncounterSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problem: 'not-an-encounter' };
  const encounter = parsed.data;
  const failed = (problem: EncounterProblem) => ({ ok: false as const, problem, encounterId: encounter.id });
  if (encounter.status !== 'finished') return failed('not-finished');
  const patientId = referencedId(encounter.subject?.reference, 'Patient');
  if (patientId === undefined) return failed('no-patient');
  const practitionerId = performerId(encounter.participant ?? []);
  if (practitionerId === undefined) return failed('no-practitioner');
  const endedAt = instant(encounter.period?.end);
  if (endedAt === undefined) return failed('no-end-time');
  return { ok: true, facts: { encounterId: encounter.id, sessionId: fhirSessionId(encounter.id), patientId, practitionerId, endedAt } };
}

const PERFORMER_PREFERENCE = ['PPRF', 'ATND', 'SPRF'];

function performerId(participants: readonly { type?: { coding?: { code?: string | undefined }[] | undefined }[] | undefined; individual?: { reference?: string | undefined } | undefined }[]): string | undefined {
  const practitioners = participants
    .map((participant) => ({ id: referencedId(participant.individual?.reference, 'Practitioner'), codes: (participant.type ?? []).flatMap((type) => (type.coding ?? []).map((coding) => coding.code ?? '')) }))
    .filter((participant): participant is { id: string; codes: string[] } => participant.id !== undefined);
  for (const code of PERFORMER_PREFERENCE) {
    const found = practitioners.find((participant) => participant.codes.includes(code));
    if (found) return found.id;
  }
  return practitioners[0]?.id;
}

/** The id in `Type/id`, `Type/id/_history/n` or an absolute `…/Type/id`; undefined for another type or a contained `#ref`. */
export function referencedId(reference: string | undefined, type: 'Patient' | 'Practitioner' | 'Encounter'): string | undefined {
  if (reference === undefined) return undefined;
  const match = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(reference);
  return match?.[1];
}

/** A FHIR dateTime with a time and an offset, as UTC ISO; a date alone says nothing of when the session ended. */
function instant(value: string | undefined): string | undefined {
  if (value === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

/** What a Patient says about reaching the client. Personal data: never logged. */
export interface PatientDetails {
  email?: string | undefined;
  firstName?: string | undefined;
  locale?: string | undefined;
}

const USE_ORDER = ['home', 'mobile', 'work', 'temp'];
const NAME_ORDER = ['usual', 'official'];

/** The client's details from a Patient (see the module comment); undefined when it is not a Patient. */
export function patientDetails(raw: unknown, now: Date): PatientDetails | undefined {
  const parsed = PatientSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const patient = parsed.data;
  const current = (period: { end?: string | undefined } | undefined) => period?.end === undefined || Date.parse(period.end) > now.getTime();
  const emails = (patient.telecom ?? [])
    .filter((point) => point.system === 'email' && typeof point.value === 'string' && point.value.trim() !== '' && point.use !== 'old' && current(point.period))
    .sort((a, b) => (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER) || rankOf(USE_ORDER, a.use) - rankOf(USE_ORDER, b.use));
  const names = (patient.name ?? [])
    .filter((name) => name.use !== 'old' && name.use !== 'anonymous' && current(name.period) && (name.given ?? []).some((given) => given.trim() !== ''))
    .sort((a, b) => rankOf(NAME_ORDER, a.use) - rankOf(NAME_ORDER, b.use));
  const languages = [...(patient.communication ?? [])].sort((a, b) => Number(b.preferred === true) - Number(a.preferred === true));
  const language = languages.map((entry) => entry.language.coding?.find((coding) => coding.code)?.code ?? entry.language.text).find((code) => code !== undefined && /^[A-Za-z]{2,3}([-_][A-Za-z0-9]+)*$/.test(code));
  return {
    email: emails[0]?.value?.trim(),
    firstName: names[0]?.given?.find((given) => given.trim() !== '')?.trim(),
    locale: language?.split(/[-_]/)[0]?.toLowerCase(),
  };
}

function rankOf(order: readonly string[], value: string | undefined): number {
  const index = value === undefined ? -1 : order.indexOf(value);
  return index === -1 ? order.length : index;
}
