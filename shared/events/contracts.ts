/**
 * The event contracts: one object per event, holding its source, detail-type, detail schema and
 * the EventBridge pattern derived from them. The functions parse with these schemas, the CDK rules
 * and the local bus route with these patterns, so no literal is written twice.
 *
 * Runtime code uses `zod/mini`: the classic build adds ~450 KB and ~60 ms to every cold start.
 */
import * as z from 'zod/mini';

/**
 * Builds a schema when the module loads. Every schema here is built through it: the annotation lets
 * esbuild leave the schemas a function never uses out of its bundle (zod marks its own functions
 * side-effect free, but esbuild does not carry that mark through zod's re-exports), so each
 * function builds only its own events' schemas at a cold start, not all of them. Measured: without
 * this and the annotations on the contract factories below, each function's own code took 1.5–2.4 ms
 * more CPU to load (on import floors of 90–115 ms: up to 0.024 of the 1.25× cold-start bar). The
 * annotation only counts in the module that declares the function, so config.ts has its own copy.
 */
// @__NO_SIDE_EFFECTS__
function defineSchema<Schema>(build: () => Schema): Schema {
  return build();
}

/** The source of every event this product publishes; integrators must use any other source. */
export const PRODUCT_SOURCE = 'alliance-feedback';

/**
 * The source the product's own inbound adapters (signed EHR webhooks, appointment imports, FHIR)
 * publish integration events such as SessionCompleted with. Not PRODUCT_SOURCE: the
 * SessionCompleted rule refuses the product's own source (so nobody can forge a product event and
 * nothing the product publishes loops back into a consumer), so an integration event published
 * with it would be dropped silently; and the bus is to let only the product's roles use
 * PRODUCT_SOURCE at all. Any policy that refuses PRODUCT_SOURCE must match it exactly, not as a
 * prefix of this one.
 */
export const INBOUND_SOURCE = 'alliance-feedback.inbound';

/** The default name of the custom EventBridge bus. */
export const DEFAULT_BUS_NAME = 'alliance-feedback';

/** The locales a client can read the email and form in; anything else falls back to English. */
export const SUPPORTED_LOCALES = ['en', 'es'] as const;
export type Locale = (typeof SUPPORTED_LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** Session, client and therapist ids: 1–128 characters of `[A-Za-z0-9._:-]`. */
export const IdSchema = defineSchema(() => z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 . _ : -')));

/** An ISO-8601 timestamp with an explicit offset (`Z` or `±hh:mm`). */
export const TimestampSchema = defineSchema(() => z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp with an offset' }));

export const EmailSchema = defineSchema(() => z.email({ message: 'must be a valid email address' }).check(z.maxLength(254)));

/** A display name: printable text, no line breaks (they could break a mail header or a layout). */
export const NameSchema = defineSchema(() => z
  .string()
  .check(z.trim(), z.minLength(1), z.maxLength(100), z.regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'must not contain control characters')));

const LocaleSchema = defineSchema(() => z.pipe(
  z.optional(z.string()),
  z.transform((value): Locale => (SUPPORTED_LOCALES as readonly string[]).includes(value ?? '') ? (value as Locale) : DEFAULT_LOCALE),
));

/** Detail of `SessionCompleted`, version 1: the public inbound contract for EHR integrations. */
export const SessionCompletedDetailSchema = defineSchema(() => z.object({
  sessionId: IdSchema,
  clientId: IdSchema,
  therapistId: IdSchema,
  endedAt: TimestampSchema,
  client: z.object({
    email: EmailSchema,
    firstName: z.optional(NameSchema),
    locale: LocaleSchema,
  }),
  therapist: z.object({
    email: EmailSchema,
    name: z.optional(NameSchema),
  }),
}));
export type SessionCompletedDetail = z.infer<typeof SessionCompletedDetailSchema>;

/** Detail of `FeedbackRequested`: published once the client's email has been handed to SES. */
export const FeedbackRequestedDetailSchema = defineSchema(() => z.object({
  sessionId: IdSchema,
  clientId: IdSchema,
  therapistId: IdSchema,
  requestedAt: TimestampSchema,
  expiresAt: TimestampSchema,
}));
export type FeedbackRequestedDetail = z.infer<typeof FeedbackRequestedDetailSchema>;

/** An EventBridge event pattern, as the CDK `events.EventPattern` and the local bus read it. */
export interface EventPattern {
  source?: unknown[];
  'detail-type'?: string[];
  detail?: Record<string, unknown>;
}

/**
 * Who publishes an event: `product` — the product itself, with PRODUCT_SOURCE; `integrator` — an
 * integration (an EHR with its own source, or the product's inbound adapters with INBOUND_SOURCE);
 * `aws` — an AWS service, on the default bus.
 */
export type EventPublisherKind = 'product' | 'integrator' | 'aws';

/** One event type: who publishes it, what it is called, what it carries and how to match it. */
export interface EventContract<Schema extends z.ZodMiniType, Publisher extends EventPublisherKind = EventPublisherKind> {
  detailType: string;
  publisher: Publisher;
  schema: Schema;
  pattern: EventPattern;
}

// @__NO_SIDE_EFFECTS__
function productEvent<Schema extends z.ZodMiniType>(detailType: string, schema: Schema): EventContract<Schema, 'product'> {
  return { detailType, publisher: 'product', schema, pattern: { source: [PRODUCT_SOURCE], 'detail-type': [detailType] } };
}

// @__NO_SIDE_EFFECTS__
function integratorEvent<Schema extends z.ZodMiniType>(detailType: string, schema: Schema): EventContract<Schema, 'integrator'> {
  // Integrators choose their own source; only the product's own is refused, so that nobody can
  // forge a product event and nothing the product publishes can loop back into a consumer.
  return {
    detailType,
    publisher: 'integrator',
    schema,
    pattern: { source: [{ 'anything-but': PRODUCT_SOURCE }], 'detail-type': [detailType] },
  };
}

/** A practice's EHR says a session has ended. */
export const SessionCompleted = integratorEvent('SessionCompleted', SessionCompletedDetailSchema);

/** The product emailed a client a feedback link. */
export const FeedbackRequested = productEvent('FeedbackRequested', FeedbackRequestedDetailSchema);

/** Detail of the follow-ups the scheduler fires for one request: `FeedbackReminderTimeReached`, `FeedbackExpiryTimeReached`. */
export const FollowUpDueDetailSchema = defineSchema(() => z.object({ sessionId: IdSchema }));
export type FollowUpDueDetail = z.infer<typeof FollowUpDueDetailSchema>;

/** The scheduler says it is time to remind the client (if they have not answered). */
export const FeedbackReminderTimeReached = productEvent('FeedbackReminderTimeReached', FollowUpDueDetailSchema);

/** The scheduler says the feedback link has run out (published as FeedbackExpired if unanswered). */
export const FeedbackExpiryTimeReached = productEvent('FeedbackExpiryTimeReached', FollowUpDueDetailSchema);

/** Detail of `FeedbackExpired`: a request ran out unanswered. */
export const FeedbackExpiredDetailSchema = defineSchema(() => z.object({
  sessionId: IdSchema,
  clientId: IdSchema,
  therapistId: IdSchema,
  /** When the session ended (UTC), for consumers that chart by session (the product's evaluation reads it from the stored session). Added in v1.1: optional. */
  sessionEndedAt: z.optional(TimestampSchema),
}));
export type FeedbackExpiredDetail = z.infer<typeof FeedbackExpiredDetailSchema>;

/** A feedback request expired without an answer. */
export const FeedbackExpired = productEvent('FeedbackExpired', FeedbackExpiredDetailSchema);

/** An instrument item's id, also its form field name: lower-case letters, digits and hyphens. */
export const ItemIdSchema = defineSchema(() => z.string().check(z.regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be 1–40 characters of a-z 0-9 -, starting with a letter')));

/** Detail of `FeedbackSubmitted`: the client's ratings, never the comment text or any contact detail. */
export const FeedbackSubmittedDetailSchema = defineSchema(() => z.object({
  sessionId: IdSchema,
  clientId: IdSchema,
  therapistId: IdSchema,
  instrumentId: IdSchema,
  /** Item id → the raw value the client chose (score with the instrument, reverse keys included). */
  items: z.record(ItemIdSchema, z.int()),
  /** The client ticked "I'd like to talk about how therapy is going". */
  talk: z.boolean(),
  /** The client wrote a comment; its text stays in the table, out of the event stream. */
  hasComment: z.boolean(),
  submittedAt: TimestampSchema,
  /** When the session ended (UTC), for consumers that chart by session (the product's evaluation reads it from the stored session). Added in v1.1: optional. */
  sessionEndedAt: z.optional(TimestampSchema),
}));
export type FeedbackSubmittedDetail = z.infer<typeof FeedbackSubmittedDetailSchema>;

/** A client answered the feedback form (once per session: the first valid answer wins). */
export const FeedbackSubmitted = productEvent('FeedbackSubmitted', FeedbackSubmittedDetailSchema);

/** Detail of `ClientUnsubscribed`: the first time a client asks for no more feedback emails. */
export const ClientUnsubscribedDetailSchema = defineSchema(() => z.object({
  clientId: IdSchema,
  optedOutAt: TimestampSchema,
}));
export type ClientUnsubscribedDetail = z.infer<typeof ClientUnsubscribedDetailSchema>;

/** A client opted out of feedback emails (from the email's link or their mail client's one-click button). */
export const ClientUnsubscribed = productEvent('ClientUnsubscribed', ClientUnsubscribedDetailSchema);

/** Detail of `ClientErased`: ids and counts only, never what was erased. */
export const ClientErasedDetailSchema = defineSchema(() => z.object({
  clientId: IdSchema,
  erasedAt: TimestampSchema,
  /** Items this run deleted (a repeated or resumed erase counts only what was left). */
  itemsDeleted: z.int().check(z.gte(0)),
}));
export type ClientErasedDetail = z.infer<typeof ClientErasedDetailSchema>;

/** An operator erased everything the product stored about a client (`npx alliance erase`). */
export const ClientErased = productEvent('ClientErased', ClientErasedDetailSchema);

/** What `alliance clients` can lift: a client's opt-out, their delivery block, an address's do-not-contact entry. */
export const CONTACT_RESTRICTIONS = ['opted-out', 'undeliverable', 'do-not-contact'] as const;

/** Detail of `ClientContactRestored`: the audit record of an administrator lifting a restriction; never the address. */
export const ClientContactRestoredDetailSchema = defineSchema(() => z.object({
  /** `client`: `alliance clients unblock <clientId>`; `address`: `alliance clients allow <email>`. */
  scope: z.enum(['client', 'address']),
  /** The client whose opt-out or block was lifted (scope `client` only). */
  clientId: z.optional(IdSchema),
  /** What was lifted. */
  lifted: z.array(z.enum(CONTACT_RESTRICTIONS)).check(z.minLength(1)),
  restoredAt: TimestampSchema,
}));
export type ClientContactRestoredDetail = z.infer<typeof ClientContactRestoredDetailSchema>;

/** An administrator lifted a client's opt-out or delivery block, or took an address off the do-not-contact list. */
export const ClientContactRestored = productEvent('ClientContactRestored', ClientContactRestoredDetailSchema);

/** Detail of `TherapistRegistered`: the therapist's id and how they were registered; never their address. */
export const TherapistRegisteredDetailSchema = defineSchema(() => z.object({
  therapistId: IdSchema,
  /** `administrator`: `alliance therapists add|import`; `practice-domain`: first seen at one of the practice's own domains. */
  registeredBy: z.enum(['administrator', 'practice-domain']),
  registeredAt: TimestampSchema,
}));
export type TherapistRegisteredDetail = z.infer<typeof TherapistRegisteredDetailSchema>;

/**
 * A therapist was registered in the directory, or their entry changed: the alert function sends
 * their waiting alerts (to the directory's address, read from the table, never from the event).
 */
export const TherapistRegistered = productEvent('TherapistRegistered', TherapistRegisteredDetailSchema);

/** Detail of `DigestTimeReached`: whose digest, and which (its once-only key); never an address. */
export const DigestTimeReachedDetailSchema = defineSchema(() => z.object({
  therapistId: IdSchema,
  /** `week-2026-W50` for the weekly one (the week in the therapist's zone), `manual-…` for `alliance digest send`: each is sent once. */
  digestId: IdSchema,
}));
export type DigestTimeReachedDetail = z.infer<typeof DigestTimeReachedDetailSchema>;

/**
 * A therapist's weekly digest is due: the hourly dispatch announces one per therapist whose local
 * time is the digest's day and hour (`alliance digest send` one per therapist asked for); the
 * digest function reads the therapist's caseload and sends one email, once per `digestId`.
 */
export const DigestTimeReached = productEvent('DigestTimeReached', DigestTimeReachedDetailSchema);

/** The kinds of alert the detector raises; `going-quiet` is a lower-key notice. */
export const ALERT_KINDS = ['rupture', 'sustained-decline', 'item-drop', 'low-rating', 'client-asked', 'unrepaired', 'going-quiet'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Which alert leads when several fire on one session: the order of ALERT_KINDS, most important first. */
export function leadingAlertKind(kinds: readonly AlertKind[]): AlertKind | undefined {
  return ALERT_KINDS.find((kind) => kinds.includes(kind));
}

/** Detail of `AllianceRuptureDetected`: one alert for one session, with the numbers behind it. */
export const AllianceRuptureDetectedDetailSchema = defineSchema(() => z.object({
  sessionId: IdSchema,
  clientId: IdSchema,
  therapistId: IdSchema,
  /** The most important rule that fired; the therapist gets one email per session and kind. */
  kind: z.enum(ALERT_KINDS),
  /** Other rules that fired on the same session: named in the same email rather than sent as more. */
  alsoFired: z.optional(z.array(z.enum(ALERT_KINDS))),
  /** Plain-language reason with numbers; never personal data. */
  reason: z.string().check(z.maxLength(1000)),
  /** The session's total in POMP (0–100) and on the instrument's raw scale; null when unanswered. */
  score: z.nullable(z.object({ p: z.number(), total: z.number(), max: z.number() })),
  /** The client's baseline the score was judged against; null before one exists. */
  baseline: z.nullable(z.object({ m: z.number(), sEff: z.number(), n: z.int(), k: z.number(), z: z.nullable(z.number()) })),
}));
export type AllianceRuptureDetectedDetail = z.infer<typeof AllianceRuptureDetectedDetailSchema>;

/** The detector raised an alert for a therapist. */
export const AllianceRuptureDetected = productEvent('AllianceRuptureDetected', AllianceRuptureDetectedDetailSchema);

/** Detail of `AlertAcknowledged`: the therapist confirmed they saw an alert. */
export const AlertAcknowledgedDetailSchema = defineSchema(() => z.object({
  sessionId: IdSchema,
  clientId: IdSchema,
  therapistId: IdSchema,
  kind: z.enum(ALERT_KINDS),
  acknowledgedAt: TimestampSchema,
}));
export type AlertAcknowledgedDetail = z.infer<typeof AlertAcknowledgedDetailSchema>;

/** A therapist acknowledged an alert. */
export const AlertAcknowledged = productEvent('AlertAcknowledged', AlertAcknowledgedDetailSchema);

/** Detail of `TrendPageViewed`: the audit record of one view of a client's trend page; ids only, never what the page showed. */
export const TrendPageViewedDetailSchema = defineSchema(() => z.object({
  therapistId: IdSchema,
  clientId: IdSchema,
  /** Whose link it was: the therapist's own, a supervisor's or a covering clinician's copy. */
  recipientRole: z.enum(['therapist', 'supervisor', 'covering']),
  /** When the link was issued (it identifies the link among the therapist's, without its token). */
  linkIssuedAt: TimestampSchema,
  viewedAt: TimestampSchema,
}));
export type TrendPageViewedDetail = z.infer<typeof TrendPageViewedDetailSchema>;

/** A therapist (or whoever the link was for) opened a client's trend page: the audit record of the view. */
export const TrendPageViewed = productEvent('TrendPageViewed', TrendPageViewedDetailSchema);

/**
 * Several product events consumed by one function through one queue: the rule matches any of their
 * detail-types (the function dispatches on the detail-type and parses with each event's own schema).
 */
// @__NO_SIDE_EFFECTS__
export function productEventGroup(contracts: readonly EventContract<z.ZodMiniType>[]): EventContract<z.ZodMiniType, 'product'> {
  if (contracts.some((contract) => contract.publisher !== 'product')) throw new Error('only product events can be grouped');
  const detailTypes = contracts.map((contract) => contract.detailType);
  return {
    detailType: detailTypes.join(' | '),
    publisher: 'product',
    schema: z.union(contracts.map((contract) => contract.schema) as [z.ZodMiniType, ...z.ZodMiniType[]]),
    pattern: { source: [PRODUCT_SOURCE], 'detail-type': detailTypes },
  };
}

/**
 * What Amazon SES reports about an email (configuration-set event publishing to EventBridge, which
 * only uses the account's default bus). Only the fields the product reads are checked; the
 * recipients' addresses are in the event but never read or stored.
 */
export const SesDeliveryProblemDetailSchema = defineSchema(() => z.object({
  eventType: z.enum(['Bounce', 'Complaint']),
  bounce: z.optional(z.object({ bounceType: z.string(), bouncedRecipients: z.optional(z.array(z.object({ emailAddress: z.string() }))) })),
  complaint: z.optional(z.object({ complainedRecipients: z.optional(z.array(z.object({ emailAddress: z.string() }))) })),
  mail: z.object({
    messageId: z.optional(z.string()),
    tags: z.optional(z.record(z.string(), z.array(z.string()))),
  }),
}));
export type SesDeliveryProblemDetail = z.infer<typeof SesDeliveryProblemDetailSchema>;

/** SES: an email bounced or its recipient marked it as spam (published by SES on the default bus). */
export const SesDeliveryProblem: EventContract<typeof SesDeliveryProblemDetailSchema, 'aws'> = {
  detailType: 'Email Bounced | Email Complaint Received',
  publisher: 'aws',
  schema: SesDeliveryProblemDetailSchema,
  pattern: { source: ['aws.ses'], 'detail-type': ['Email Bounced', 'Email Complaint Received'] },
};

/** Detail of `ClientEmailSuppressed`: a client’s address bounced or they complained; no more email goes to it. */
export const ClientEmailSuppressedDetailSchema = defineSchema(() => z.object({
  clientId: IdSchema,
  reason: z.enum(['bounce', 'complaint']),
  markedAt: TimestampSchema,
}));

/** The product stopped emailing a client whose address bounced or who complained. */
export const ClientEmailSuppressed = productEvent('ClientEmailSuppressed', ClientEmailSuppressedDetailSchema);

/**
 * The source the product publishes an event with: PRODUCT_SOURCE for its own events, INBOUND_SOURCE
 * for integration events from its inbound adapters. AWS's events are never the product's to publish.
 */
export function sourceOf(contract: EventContract<z.ZodMiniType, 'product' | 'integrator'>): typeof PRODUCT_SOURCE | typeof INBOUND_SOURCE {
  if (contract.publisher === 'product') return PRODUCT_SOURCE;
  if (contract.publisher === 'integrator') return INBOUND_SOURCE;
  throw new Error(`${contract.detailType} is published by ${String((contract as { publisher: unknown }).publisher)}, never by the product`);
}

/** Every contract, for catalogues and tests. */
export const CONTRACTS = {
  SessionCompleted,
  FeedbackRequested,
  FeedbackReminderTimeReached,
  FeedbackExpiryTimeReached,
  FeedbackExpired,
  FeedbackSubmitted,
  ClientUnsubscribed,
  ClientErased,
  ClientContactRestored,
  TherapistRegistered,
  AllianceRuptureDetected,
  AlertAcknowledged,
  TrendPageViewed,
  ClientEmailSuppressed,
  DigestTimeReached,
} as const;

/** Formats zod issues as one line a person can act on, naming fields but never echoing values. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(detail)';
      const message = issue.code === 'invalid_type' ? `must be a ${issue.expected}` : issue.message;
      return `${field}: ${message}`;
    })
    .join('; ');
}
