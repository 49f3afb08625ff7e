/**
 * The product's operational metrics, defined once: the functions record them (Powertools Metrics,
 * EMF) and the CDK stack's dashboard reads them, so a renamed metric cannot leave a graph empty.
 *
 * Cost: CloudWatch bills a custom metric (name + dimension values) only in the hours it receives
 * data, so a practice with no traffic pays nothing for these. Every metric carries Powertools'
 * `service` dimension (the function's id); the only other dimensions are `reason` and `kind`, each
 * from a small fixed set, so there are about thirty metrics at most.
 */
import type { SkipReason } from './domain/request-policy.ts';
import { ALERT_KINDS } from './events/contracts.ts';
import type { SkippedAppointment } from './use-cases/complete-session.ts';
import type { SkippedEncounter } from './use-cases/poll-fhir-encounters.ts';

/** CloudWatch namespace of every product metric. */
export const METRICS_NAMESPACE = 'AllianceFeedback';

/** The dimension Powertools adds to every metric: the function's id (its FUNCTIONS entry). */
export const SERVICE_DIMENSION = 'service';

export const METRIC = {
  /** request: a feedback email went out. */
  feedbackRequestSent: 'FeedbackRequestSent',
  /** request: no email, by `reason` (stale, opted-out, throttled, undeliverable, erased, do-not-contact). */
  feedbackRequestSkipped: 'FeedbackRequestSkipped',
  /** request: the session was already handled (a redelivered or repeated event). */
  feedbackRequestDuplicate: 'FeedbackRequestDuplicate',
  /** follow-up: the one reminder went out. */
  reminderSent: 'ReminderSent',
  /** follow-up: a request ran out unanswered and FeedbackExpired was announced. */
  feedbackExpired: 'FeedbackExpired',
  /**
   * follow-up: an answered session's schedule still fired and found no evaluation, so the answer
   * was announced again (its FeedbackSubmitted had been lost; the web function logged why).
   */
  answerReannounced: 'AnswerReannounced',
  /** web: a client's answer was stored. */
  answerRecorded: 'AnswerRecorded',
  /** web: a posted answer the form could not take (field errors, too large, not form-encoded). */
  answerRejected: 'AnswerRejected',
  /** web: a client opted out (the first time only). */
  clientOptedOut: 'ClientOptedOut',
  /** web: a therapist acknowledged an alert (the first time only). */
  alertAcknowledged: 'AlertAcknowledged',
  /** web: seconds from the alert email to its first acknowledgement. */
  timeToAcknowledge: 'TimeToAcknowledge',
  /** evaluate: an answer was scored against the client's baseline (redeliveries not counted). */
  answerEvaluated: 'AnswerEvaluated',
  /** evaluate: an answer or an expiry of an erased client, late or redelivered, changed nothing. */
  erasedClientEventSkipped: 'ErasedClientEventSkipped',
  /** evaluate: an alert was announced, by the leading `kind` (one per session, as emailed). */
  alertRaised: 'AlertRaised',
  /** alert: the therapist's alert email went out, by `kind`. */
  alertEmailSent: 'AlertEmailSent',
  /** every queue-fed function: an invalid event was parked in the dead-letter queue. */
  eventRejected: 'EventRejected',
  /**
   * evaluate, alert: a product event that does not match the stored record (a forged event, one
   * about an erased session, or an alert no stored evaluation raised) was left alone.
   */
  eventIgnored: 'EventIgnored',
  /**
   * Every inbound path (signed webhook, appointment import, calendar feed, FHIR): a finished
   * appointment did not become a session, by `reason` (completeSession's SkippedAppointment).
   */
  appointmentSkipped: 'AppointmentSkipped',
  /** Every inbound path: a finished appointment was announced as SessionCompleted. */
  sessionAnnounced: 'SessionAnnounced',
  /** feeds: a calendar feed could not be read (or its poll not finished); its cursor stays, the next poll retries. */
  calendarFeedFailed: 'CalendarFeedFailed',
  /** fhir: a poll of the FHIR server did not complete (unavailable, refused, bus); its cursor stays, the next poll retries. */
  fhirPollFailed: 'FhirPollFailed',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The dimensions beyond `service`; each takes values from a fixed list below. */
export const METRIC_DIMENSION = { reason: 'reason', kind: 'kind' } as const;

export type MetricDimension =
  | { name: typeof METRIC_DIMENSION.reason; value: SkipReason | SkippedAppointment | SkippedEncounter | 'no-client-reference' }
  | { name: typeof METRIC_DIMENSION.kind; value: (typeof ALERT_KINDS)[number] };

// A record keyed by SkipReason: adding a reason to the domain fails `tsc` here until it is listed.
const SKIP_REASON_SET = { stale: true, 'opted-out': true, throttled: true, undeliverable: true, erased: true, 'do-not-contact': true } as const satisfies Record<SkipReason, true>;

/** Every value of the `reason` dimension of FeedbackRequestSkipped. */
export const SKIP_REASONS = Object.keys(SKIP_REASON_SET) as SkipReason[];

// Keyed by the calendar poller's reasons: a new reason fails `tsc` here until it is graphed.
// A record keyed by SkippedAppointment: a reason added to completeSession fails `tsc` here until it is listed.
const APPOINTMENT_SKIP_REASON_SET = { 'client-not-on-roster': true, 'client-inactive': true, 'therapist-unknown': true, 'invalid-details': true } as const satisfies Record<SkippedAppointment, true>;

/** Every value of the `reason` dimension of AppointmentSkipped from an inbound path (completeSession's reasons). */
export const APPOINTMENT_SKIP_REASONS = Object.keys(APPOINTMENT_SKIP_REASON_SET) as SkippedAppointment[];

/** The calendar feed poller's reasons: an event with no client reference, then completeSession's. */
export const CALENDAR_SKIP_REASONS: (SkippedAppointment | 'no-client-reference')[] = ['no-client-reference', ...APPOINTMENT_SKIP_REASONS];

// Keyed by the FHIR poller's reasons: a new reason fails `tsc` here until it is graphed and alarmed.
const FHIR_SKIP_REASON_SET = {
  'no-patient': true,
  'no-practitioner': true,
  'no-end-time': true,
  'patient-not-found': true,
  'no-email': true,
  'client-not-on-roster': true,
  'client-inactive': true,
  'therapist-unknown': true,
  'invalid-details': true,
} as const satisfies Record<SkippedEncounter, true>;

/** The FHIR poller's reasons: the encounter's own gaps, a patient with no email anywhere, then completeSession's. */
export const FHIR_SKIP_REASONS = Object.keys(FHIR_SKIP_REASON_SET) as SkippedEncounter[];

/** Every value of the `kind` dimension of AlertRaised and AlertEmailSent. */
export { ALERT_KINDS };

/**
 * What the functions' wiring records metrics through. Use cases never see it: the wiring turns
 * their outcomes into counts.
 */
export interface MetricsRecorder {
  /** Counts one occurrence, optionally under one dimension. */
  count(name: MetricName, dimension?: MetricDimension): void;
  /** Records a duration in seconds. */
  seconds(name: MetricName, value: number): void;
}
