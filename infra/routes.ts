/**
 * The routing table: which function handles which event, and how it is paced. The CDK stack builds
 * its EventBridge rules and queues from it and the local bus routes with it, so a laptop run and a
 * deployment cannot disagree about who handles what.
 */
import {
  AllianceRuptureDetected,
  DigestTimeReached,
  FeedbackExpired,
  FeedbackExpiryTimeReached,
  FeedbackReminderTimeReached,
  FeedbackRequested,
  FeedbackSubmitted,
  productEventGroup,
  SesDeliveryProblem,
  SessionCompleted,
  TherapistRegistered,
  type EventContract,
} from '../shared/events/contracts.ts';
import type * as z from 'zod/mini';

/** A function of the product: its id (also its folder under functions/) and entry file. */
export interface FunctionDefinition {
  id: string;
  entry: string;
  description: string;
  /** Seconds; the queue's visibility timeout and the claim lease are derived from it. */
  timeoutSeconds: number;
}

export const FUNCTIONS = {
  request: {
    id: 'request',
    entry: 'functions/request/handler.ts',
    description: 'SessionCompleted → one feedback email to the client',
    timeoutSeconds: 30,
  },
  web: {
    id: 'web',
    entry: 'functions/web/handler.ts',
    description: 'The web pages: feedback form, opt-out, alert acknowledgement',
    timeoutSeconds: 10,
  },
  followUp: {
    id: 'follow-up',
    entry: 'functions/follow-up/handler.ts',
    description: 'FeedbackRequested → reminder and expiry schedules (cancelled on FeedbackSubmitted); sends the one reminder, announces expiry',
    timeoutSeconds: 30,
  },
  evaluate: {
    id: 'evaluate',
    entry: 'functions/evaluate/handler.ts',
    description: 'FeedbackSubmitted / FeedbackExpired → evaluation against the client baseline, alerts',
    timeoutSeconds: 30,
  },
  deliverability: {
    id: 'deliverability',
    entry: 'functions/deliverability/handler.ts',
    description: 'SES bounces and complaints → the client gets no more email; the administrator is told',
    timeoutSeconds: 30,
  },
  alert: {
    id: 'alert',
    entry: 'functions/alert/handler.ts',
    description: 'AllianceRuptureDetected → one alert email to the registered therapist per session and kind (waits for an unregistered one)',
    timeoutSeconds: 30,
  },
  hooks: {
    id: 'hooks',
    entry: 'functions/hooks/handler.ts',
    description: 'Signed webhooks from the EHR (Standard Webhooks) → SessionCompleted on the bus',
    timeoutSeconds: 10,
  },
  appointmentImport: {
    id: 'appointment-import',
    entry: 'functions/appointment-import/handler.ts',
    description: 'A CSV dropped under incoming/ in the appointment drop bucket → SessionCompleted per completed appointment; its report under reports/',
    // Lambda's most: a large export is read twice and announced ten sessions per call.
    timeoutSeconds: 900,
  },
  // Not a route's target: EventBridge Scheduler invokes it (infra/constructs/calendar-feeds.ts).
  feeds: {
    id: 'feeds',
    entry: 'functions/feeds/handler.ts',
    description: 'Every 15 minutes (calendarFeeds): the practice calendar feeds → SessionCompleted for each ended instance',
    // A few feeds fetched one after another, each bounded by its own 15 s timeout.
    timeoutSeconds: 120,
  },
  // Not a route's target: EventBridge Scheduler invokes it every hour (infra/constructs/digest-schedule.ts).
  digestDispatch: {
    id: 'digest-dispatch',
    entry: 'functions/digest-dispatch/handler.ts',
    description: 'Every hour: DigestTimeReached for each therapist whose local time is the digest day and hour',
    // One index query, then up to 10 events per PutEvents call: seconds for thousands of therapists.
    timeoutSeconds: 120,
  },
  digest: {
    id: 'digest',
    entry: 'functions/digest/handler.ts',
    description: 'DigestTimeReached → one weekly digest email to the registered therapist (one caseload query)',
    timeoutSeconds: 30,
  },
  // Not a route's target: EventBridge Scheduler invokes it (infra/constructs/fhir-inbound.ts).
  fhir: {
    id: 'fhir',
    entry: 'functions/fhir/handler.ts',
    description: 'Every 15 minutes (fhirBaseUrl): finished FHIR R4 encounters since the last poll → SessionCompleted, with SMART Backend Services',
    // Pages of encounters, a Patient read each, and up to three backoffs of at most 20 s on a busy server.
    timeoutSeconds: 300,
  },
} as const satisfies Record<string, FunctionDefinition>;

/** An event route: events matching the contract's pattern go through a queue to the function. */
export interface EventRoute {
  id: string;
  contract: EventContract<z.ZodMiniType>;
  target: FunctionDefinition;
  /** Concurrent invocations the queue may drive: paces SES sends and DynamoDB writes. */
  maxConcurrency: number;
  /** Records per invocation. */
  batchSize: number;
  /** Deliveries before a failing message moves to the dead-letter queue. */
  maxReceiveCount: number;
  /**
   * Where the events arrive: the product's own bus (default), or the account's default bus, the
   * only one AWS services such as SES publish to.
   */
  bus?: 'product' | 'default';
}

export const EVENT_ROUTES: readonly EventRoute[] = [
  {
    id: 'session-completed-to-request',
    contract: SessionCompleted,
    target: FUNCTIONS.request,
    // 2 is the smallest value Lambda accepts; with batches of 5 that stays near SES's starting
    // production rate (14 messages/s) and far from DynamoDB's on-demand limits.
    maxConcurrency: 2,
    batchSize: 5,
    maxReceiveCount: 5,
  },
  {
    id: 'follow-ups',
    // FeedbackSubmitted deletes the answered request's schedules, so they never fire to read the
    // session only to find it answered.
    contract: productEventGroup([FeedbackRequested, FeedbackReminderTimeReached, FeedbackExpiryTimeReached, FeedbackSubmitted]),
    target: FUNCTIONS.followUp,
    // Sends reminders through SES like the request function: the same pacing.
    maxConcurrency: 2,
    batchSize: 5,
    maxReceiveCount: 5,
  },
  {
    id: 'feedback-to-evaluate',
    contract: productEventGroup([FeedbackSubmitted, FeedbackExpired]),
    target: FUNCTIONS.evaluate,
    // Evaluations of one client race on its detector record (optimistic concurrency); a lost race
    // is a retry, so more receives are allowed before a message counts as dead.
    maxConcurrency: 2,
    batchSize: 10,
    maxReceiveCount: 8,
  },
  {
    id: 'ses-problems-to-deliverability',
    contract: SesDeliveryProblem,
    target: FUNCTIONS.deliverability,
    bus: 'default',
    maxConcurrency: 2,
    batchSize: 10,
    maxReceiveCount: 5,
  },
  {
    id: 'alerts-to-therapists',
    // TherapistRegistered sends the alerts that waited for that therapist to be registered.
    contract: productEventGroup([AllianceRuptureDetected, TherapistRegistered]),
    target: FUNCTIONS.alert,
    maxConcurrency: 2,
    batchSize: 5,
    maxReceiveCount: 5,
  },
  {
    id: 'digests-to-therapists',
    // One message per therapist: a digest that fails is retried alone, and at most 2 × 5 are sent at
    // once, within SES's starting rate.
    contract: DigestTimeReached,
    target: FUNCTIONS.digest,
    maxConcurrency: 2,
    batchSize: 5,
    maxReceiveCount: 5,
  },
];

/**
 * How long a claim on a session holds: longer than one invocation can run, so a live attempt is
 * never overtaken; the queue's visibility timeout is longer still, so a retry after a crash finds it
 * expired and can try again.
 */
export function claimLeaseSeconds(route: EventRoute): number {
  return route.target.timeoutSeconds * 2;
}

/** Visibility timeout of a route's queue (AWS recommends at least 6× the function timeout). */
export function visibilityTimeoutSeconds(route: EventRoute): number {
  return route.target.timeoutSeconds * 6;
}

/**
 * An HTTP route of the API that goes to its own function instead of the web function (whose
 * catch-all `/{proxy+}` takes everything else). API Gateway picks the most specific route; the
 * local web server matches these exactly before falling back to the web function.
 */
export interface HttpRoute {
  method: 'POST';
  path: string;
  target: FunctionDefinition;
}

export const HTTP_ROUTES: readonly HttpRoute[] = [
  // Its own function and role: the EHR's signed webhooks need the webhook secret and PutEvents of
  // SessionCompleted, which the client-facing pages must never have (least privilege).
  { method: 'POST', path: '/hooks/v1/sessions', target: FUNCTIONS.hooks },
  // FHIR subscription notifications (rest-hook): the fhir function, which has the FHIR key, the
  // notification secret and the poll's state; nothing else does.
  { method: 'POST', path: '/fhir/r4/notifications', target: FUNCTIONS.fhir },
];
