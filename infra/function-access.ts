/**
 * What each function touches, declared once beside the routing table: the table items it reads,
 * queries, writes and deletes, the events it publishes, the mail it sends, the schedules it makes,
 * the queues it sends to, the role it passes, and the settings it reads. Everything else follows
 * from it: the IAM policy of its role (CDK), the same policy with local ARNs (the local stack's IAM
 * enforcement), and its environment variables (CDK and the local stack alike).
 *
 * Each entry lists what the function's code really calls (read the handler, its use cases and its
 * adapters before changing one); a call the code makes and the entry lacks fails locally with
 * AccessDenied, and a line the code never uses is a permission nobody needs.
 *
 * Pure data and functions, no aws-cdk-lib: the local stack imports it too.
 */
import { type Setting, ALERT_SETTINGS, DETECTOR_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS } from '../shared/config.ts';
import {
  AlertAcknowledged,
  AllianceRuptureDetected,
  ClientEmailSuppressed,
  ClientContactRestored,
  ClientErased,
  ClientUnsubscribed,
  DigestTimeReached,
  FeedbackExpired,
  FeedbackExpiryTimeReached,
  FeedbackReminderTimeReached,
  FeedbackRequested,
  FeedbackSubmitted,
  PRODUCT_SOURCE,
  SessionCompleted,
  sourceOf,
  TherapistRegistered,
  TrendPageViewed,
  type EventContract,
} from '../shared/events/contracts.ts';
import type { PolicyDocumentJson, PolicyStatementJson } from './policy-document.ts';
import { ITEM_KINDS, type StoredItemKind as ItemKind } from '../shared/adapters/items/index.ts';
import { THERAPIST_INDEX } from '../shared/adapters/items/therapist.ts';
import { pascalCase } from './names.ts';
import { FUNCTIONS, type FunctionDefinition } from './routes.ts';
import type * as z from 'zod/mini';

/**
 * The partition-key prefix of each item kind, from its module in shared/adapters/items/: what
 * `dynamodb:LeadingKeys` can check. Several kinds share a partition, so a grant on one kind is a
 * grant on its partition-mates too; the sort key has no condition key in IAM.
 */
function partitionKeyPrefix(kind: ItemKind): string {
  const found = ITEM_KINDS.find((candidate) => candidate.kind === kind);
  if (found === undefined) throw new Error(`No module in shared/adapters/items/ stores items of kind ${kind}`);
  return found.partitionKeyPrefix;
}

/** Item kinds per DynamoDB call. `update` is UpdateItem, `put` PutItem: the code uses each for different items. */
export interface TableAccess {
  get?: readonly ItemKind[];
  /** BatchGetItem: every key of a batch must be of these kinds. */
  batchGet?: readonly ItemKind[];
  query?: readonly ItemKind[];
  put?: readonly ItemKind[];
  update?: readonly ItemKind[];
  delete?: readonly ItemKind[];
}

/**
 * An event the function publishes, by contract: its source is the one the product's publishers use
 * for it (`sourceOf`: `alliance-feedback` for product events, `alliance-feedback.inbound` for
 * SessionCompleted from an inbound adapter).
 */
export type PublishedEvent = EventContract<z.ZodMiniType, 'product' | 'integrator'>;

/** A queue a principal sends messages to. */
export type QueueTarget =
  /** The dead-letter queue of the route that feeds the function (shared/adapters/sqs-dead-letter.ts parks invalid events there). */
  | 'ownDeadLetterQueue'
  /** The scheduler's dead-letter queue (follow-up events it could not put on the bus). */
  | 'schedulerDeadLetterQueue';

/** What one principal (a function's role, or the scheduler's) may touch. */
export interface Access {
  table?: TableAccess;
  publishes?: readonly PublishedEvent[];
  /** SES SendEmail from the practice sender (REQUEST_SETTINGS.senderAddress), with the stack's configuration set. */
  sendsMail?: boolean;
  /** One-time schedules in the follow-up schedule group (shared/adapters/eventbridge-scheduler.ts). */
  schedules?: { create?: boolean; delete?: boolean };
  /** iam:PassRole of the scheduler role, which a schedule's target names. */
  passesSchedulerRole?: boolean;
  sendsTo?: readonly QueueTarget[];
  /** Secrets Manager secrets it reads (GetSecretValue, and their key through Secrets Manager); each gives it its ARN variable. */
  secrets?: readonly SecretName[];
  /**
   * The optional appointment drop bucket: GetObject under `incoming/` (the dropped files, and the
   * optional `incoming/mapping.json`), PutObject under `reports/`. Left out of the policy when the
   * stack has no bucket (AccessResources.appointmentDropBucketArn).
   */
  appointmentDrop?: { readsIncoming?: boolean; writesReports?: boolean };
  /**
   * Query of the therapist-directory index (items/therapist.ts THERAPIST_INDEX): the directory's
   * ids, zones and digest switches, and nothing else the table holds.
   */
  queriesTherapistIndex?: boolean;
}

/**
 * The stack's Secrets Manager secrets, each encrypted with the stack's key, by name: the resource
 * variable that carries a reader its ARN. A new secret is one line here plus its resource in the
 * CDK stack (and its local ARN in infra/local/functions.ts).
 */
export const SECRETS = {
  /** The signed webhook's `whsec_` secrets (current, and previous during a rotation): shared/adapters/webhook-secret.ts. */
  webhook: { variable: 'webhookSecretArn' },
  /** The calendar feed list (infra/constructs/calendar-feeds.ts); only with the calendarFeeds context key. */
  calendarFeeds: { variable: 'calendarFeedsSecretArn' },
  /** The FHIR backend app's private signing key (infra/constructs/fhir-inbound.ts); only with the fhirBaseUrl context key. */
  fhirClientKey: { variable: 'fhirClientKeySecretArn' },
  /** The header secret FHIR subscription notifications carry (infra/constructs/fhir-inbound.ts); only with fhirBaseUrl. */
  fhirNotification: { variable: 'fhirNotificationSecretArn' },
} as const satisfies Record<string, { variable: keyof typeof RESOURCE_ENV }>;

export type SecretName = keyof typeof SECRETS;

/** A function's access, plus what it reads from its environment that grants nothing. */
export interface FunctionAccess extends Access {
  /** Setting groups as the handler reads them: a whole group, or the few settings it picks. */
  settings?: readonly Readonly<Record<string, Setting>>[];
  /** Loads the instrument catalogue (INSTRUMENT_JSON / INSTRUMENT_FILE). */
  instruments?: boolean;
  /** Resource variables that grant nothing (the others follow from the access above). */
  variables?: readonly ('claimLeaseSeconds' | 'adminEmail' | 'icsFeeds' | 'fhirBaseUrl' | 'fhirTokenUrl' | 'fhirClientId')[];
}

type FunctionKey = keyof typeof FUNCTIONS;

export const FUNCTION_ACCESS = {
  // shared/adapters/dynamodb-session-store.ts: the claim and the skip are conditional puts of the
  // session; a duplicate reads the form token (consistent GetItem) to learn whether its email went
  // out; the client's request slot is an update (its condition also refuses an erased client); a
  // failed send, or the claim of an erased client, deletes its claim; the do-not-contact list is
  // read before emailing, and a stale session reads the profile (erased?) before it is recorded.
  // Each email's own opt-out link is put before it is sent (use-cases/client-email.ts).
  // The therapist directory (dynamodb-therapist-directory.ts): the event's therapist is looked up,
  // and registered only if absent (a conditional put) at one of the practice's domains, which
  // announces TherapistRegistered (use-cases/therapist-directory.ts).
  request: {
    table: { get: ['form-link', 'do-not-contact', 'profile', 'therapist'], put: ['session', 'form-link', 'opt-out-link', 'therapist'], update: ['profile'], delete: ['session'] },
    publishes: [FeedbackRequested, TherapistRegistered],
    sendsMail: true,
    sendsTo: ['ownDeadLetterQueue'],
    settings: [REQUEST_SETTINGS, RETENTION_SETTINGS, PRIVACY_SETTINGS],
    instruments: true,
    variables: ['claimLeaseSeconds'],
  },
  // dynamodb-feedback-store.ts (form link, opt-out link and answer state read; answer and opt-out
  // written) and dynamodb-alert-store.ts (the acknowledge link read and acknowledged, while it has
  // not outlived acknowledgeLinkDays); the acknowledgement is marked on the session's history row,
  // closes the alert in the therapist's caseload and counts in their response week
  // (dynamodb-caseload-store.ts). The trend page (dynamodb-trend-store.ts): the link (get), the
  // therapist's entry and both revocation marks (one batch read, same partition), the client's
  // history rows (one query), their sessions projected to the client's words (one batch read);
  // every view publishes TrendPageViewed and marks the caseload's comments read.
  web: {
    table: {
      get: ['form-link', 'opt-out-link', 'session', 'alert-link', 'trend-link'],
      batchGet: ['trend-revocation', 'therapist', 'session'],
      query: ['client-history'],
      update: ['session', 'profile', 'alert-link', 'client-history', 'caseload', 'response-week'],
    },
    publishes: [FeedbackSubmitted, ClientUnsubscribed, AlertAcknowledged, TrendPageViewed],
    settings: [
      {
        practiceName: REQUEST_SETTINGS.practiceName,
        practiceTimeZone: REQUEST_SETTINGS.practiceTimeZone,
        acknowledgeLinkDays: ALERT_SETTINGS.acknowledgeLinkDays,
        trendShowsFirstName: ALERT_SETTINGS.trendShowsFirstName,
      },
    ],
    instruments: true,
  },
  // dynamodb-follow-up-store.ts: reads the session, the client's opt-out and whether an evaluation
  // exists; guards the reminder and the expiry with updates; stores the reminder's new link. A
  // follow-up already due is published at once instead of scheduled (eventbridge-scheduler.ts), and
  // an answer whose announcement was lost is announced again (use-cases/follow-up.ts). The reminder
  // puts its own opt-out link (use-cases/client-email.ts).
  followUp: {
    table: { get: ['session', 'profile', 'evaluation'], update: ['session'], put: ['form-link', 'opt-out-link'] },
    publishes: [FeedbackReminderTimeReached, FeedbackExpiryTimeReached, FeedbackExpired, FeedbackSubmitted],
    sendsMail: true,
    schedules: { create: true, delete: true },
    passesSchedulerRole: true,
    sendsTo: ['ownDeadLetterQueue'],
    settings: [REQUEST_SETTINGS],
    instruments: true,
  },
  // dynamodb-detector-store.ts: the client's detector record with their profile (one Query: the
  // profile of an erased client is their tombstone), the record's conditional put, the session
  // (get: its stored answer or expiry is what is evaluated, the event only says which) and its
  // evaluation (get, put). The therapist's caseload summary of the client (dynamodb-caseload-store.ts):
  // one conditional update per evaluated session (a second one adds the session's marks when a
  // newer summary won), and a delete of the previous therapist's when the client moved.
  evaluate: {
    // The session's row of the client's history (items/client-history.ts): one update per evaluation;
    // the therapist's caseload summary (items/caseload.ts): one update, a delete when the client moved.
    table: { query: ['detector', 'profile'], get: ['session', 'evaluation'], put: ['detector', 'evaluation'], update: ['client-history', 'caseload'], delete: ['caseload'] },
    publishes: [AllianceRuptureDetected],
    sendsTo: ['ownDeadLetterQueue'],
    settings: [DETECTOR_SETTINGS, RETENTION_SETTINGS],
    instruments: true,
  },
  // dynamodb-deliverability-store.ts: one update of the client's profile — or, when the profile is
  // a tombstone, the bounced address onto the do-not-contact list (hashed with the address key);
  // the administrator's notice goes out from the practice sender like every other email.
  deliverability: {
    table: { update: ['profile'], put: ['do-not-contact'] },
    publishes: [ClientEmailSuppressed],
    sendsMail: true,
    sendsTo: ['ownDeadLetterQueue'],
    settings: [{ senderAddress: REQUEST_SETTINGS.senderAddress, practiceName: REQUEST_SETTINGS.practiceName }, PRIVACY_SETTINGS],
    variables: ['adminEmail'],
  },
  // functions/appointment-import: the dropped file is read twice (check, then send) and its mapping
  // once; the report is written under reports/; completed appointments are completed from the
  // roster and the directory (shared/adapters/inbound-directories.ts) and announced in batches
  // (shared/adapters/eventbridge-session-announcer.ts).
  appointmentImport: {
    table: { get: ['roster-client', 'therapist'] },
    publishes: [SessionCompleted],
    appointmentDrop: { readsIncoming: true, writesReports: true },
    settings: [{ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours, maxSessionLeadMinutes: REQUEST_SETTINGS.maxSessionLeadMinutes }],
  },
  // dynamodb-alert-store.ts: one Query reads the session and its evaluation; the (session, kind,
  // recipient slot: the therapist or covering clinician, and the supervisor's copy) claim is an update (put back by a second update, deleted after a failed send); the acknowledge
  // link is read (was the earlier attempt's email sent?) and written once the email is out. Both
  // the claim and the link expire with the retention setting.
  // The therapist's address is read from the directory (get), and so are their supervisor's and
  // covering clinician's, when the therapist's entry names them (the same item kind); an alert for a therapist not in it
  // waits in their partition (put, queried and deleted when TherapistRegistered releases it), and
  // the administrator's one notice is marked there (put, deleted on release or a failed notice).
  alert: {
    table: {
      query: ['session', 'evaluation', 'waiting-alert'],
      get: ['alert-link', 'therapist'],
      put: ['alert-link', 'waiting-alert', 'therapist-notice', 'trend-link'],
      // The session's history row is marked sent (one update); the email's trend link is put; the
      // therapist's response week counts each alert sent to them (dynamodb-caseload-store.ts).
      update: ['alert-claim', 'client-history', 'response-week'],
      delete: ['alert-claim', 'waiting-alert', 'therapist-notice'],
    },
    sendsMail: true,
    sendsTo: ['ownDeadLetterQueue'],
    settings: [REQUEST_SETTINGS, ALERT_SETTINGS, RETENTION_SETTINGS, PRIVACY_SETTINGS, { unrepairedEmailsTherapist: DETECTOR_SETTINGS.unrepairedEmailsTherapist }],
    instruments: true,
    variables: ['claimLeaseSeconds', 'adminEmail'],
  },
  // functions/hooks: verifies each delivery with the webhook secret (read, cached a minute), claims
  // its webhook-id with a conditional put (deleted again when the publish fails, so the sender's
  // retry is not taken for a replay) and publishes SessionCompleted with the inbound source; a
  // delivery that leaves client or therapist details out is completed from the roster and the
  // directory (shared/adapters/inbound-directories.ts).
  hooks: {
    table: { get: ['roster-client', 'therapist'], put: ['webhook-delivery'], delete: ['webhook-delivery'] },
    publishes: [SessionCompleted],
    secrets: ['webhook'],
  },
  // shared/use-cases/poll-calendar-feeds.ts: the feed's poll state (read, conditional put), the
  // feed list (the secret; ICS_FEEDS locally), SessionCompleted from the inbound source. The
  // roster and the directory it completes sessions from are read through
  // shared/adapters/inbound-directory.ts: their item kinds join `get` when they are merged.
  feeds: {
    table: { get: ['feed-state', 'roster-client', 'therapist'], put: ['feed-state'] },
    publishes: [SessionCompleted],
    secrets: ['calendarFeeds'],
    settings: [{ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours }],
    variables: ['icsFeeds'],
  },
  // shared/use-cases/send-digest.ts (dispatchDigests): the directory's index (ids, zones, digest
  // switches: no address, no client) and one DigestTimeReached per therapist whose digest hour it is.
  digestDispatch: {
    queriesTherapistIndex: true,
    publishes: [DigestTimeReached],
    settings: [{ practiceTimeZone: REQUEST_SETTINGS.practiceTimeZone, digestDay: DIGEST_SETTINGS.digestDay, digestHour: DIGEST_SETTINGS.digestHour }],
  },
  // shared/use-cases/send-digest.ts (sendDigest) and dynamodb-digest-store.ts: the therapist's
  // directory entry (get: the only address it mails) and ONE Query of their caseload partition
  // (summaries, response weeks, digest claims); the claim is an update (deleted after a failed
  // send, marked sent after SES accepted). The client's label is the alert's (a pseudonym keyed
  // with addressHashKey by default).
  digest: {
    // One trend link per client row (items/trend-link.ts), as the alert issues one per recipient.
    table: { get: ['therapist'], query: ['caseload', 'response-week', 'digest-claim'], put: ['trend-link'], update: ['digest-claim'], delete: ['digest-claim'] },
    sendsMail: true,
    sendsTo: ['ownDeadLetterQueue'],
    settings: [
      {
        senderAddress: REQUEST_SETTINGS.senderAddress,
        practiceName: REQUEST_SETTINGS.practiceName,
        practiceTimeZone: REQUEST_SETTINGS.practiceTimeZone,
        formBaseUrl: REQUEST_SETTINGS.formBaseUrl,
        alertClientLabel: ALERT_SETTINGS.alertClientLabel,
        trendLinkDays: ALERT_SETTINGS.trendLinkDays,
      },
      DIGEST_SETTINGS,
      PRIVACY_SETTINGS,
    ],
    variables: ['claimLeaseSeconds'],
  },
  // shared/use-cases/poll-fhir-encounters.ts: the FHIR source's poll state (read, conditional put),
  // the roster and the directory it completes sessions from (shared/adapters/inbound-directories.ts),
  // SessionCompleted from the inbound source. The backend app's private key is read from its secret
  // (shared/adapters/smart-backend-auth.ts); the FHIR server itself is outside AWS (HTTPS, no grant).
  // Behind POST /fhir/r4/notifications it also takes subscription notifications, checked against
  // the notification secret (shared/use-cases/receive-fhir-notification.ts: the same items).
  fhir: {
    table: { get: ['fhir-state', 'roster-client', 'therapist'], put: ['fhir-state'] },
    publishes: [SessionCompleted],
    secrets: ['fhirClientKey', 'fhirNotification'],
    settings: [{ maxSessionAgeHours: REQUEST_SETTINGS.maxSessionAgeHours }],
    variables: ['fhirBaseUrl', 'fhirTokenUrl', 'fhirClientId'],
  },
} as const satisfies Record<FunctionKey, FunctionAccess>;

/** The role EventBridge Scheduler assumes when a follow-up schedule fires: it puts the event on the bus, or parks it. */
export const SCHEDULER_ACCESS = {
  publishes: [FeedbackReminderTimeReached, FeedbackExpiryTimeReached],
  sendsTo: ['schedulerDeadLetterQueue'],
} as const satisfies Access;

/**
 * What the administrator's own commands publish with the administrator's credentials: `npx alliance
 * erase` announces ClientErased, `npx alliance clients unblock|allow` the audit record
 * ClientContactRestored, `npx alliance therapists add|import` TherapistRegistered. None of them is
 * believed on its word (the first two are for the practice's own rules and audit; the third only
 * makes the alert function read the directory again), so the bus lets a principal of the account whose own policy allows it put these
 * product events; every other product event only the product's roles may put.
 */
export const ADMINISTRATOR_ACCESS = {
  // TherapistRegistered (`alliance therapists add|import`) is the one the product consumes: the
  // alert function then sends the therapist's waiting alerts to the directory's address, read from
  // the table. A forged one can only make alerts go where the practice registered them.
  // DigestTimeReached (`alliance digest send`): a forged one can only send a registered therapist their own
  // digest, at the directory's address, once per digestId.
  publishes: [ClientErased, ClientContactRestored, TherapistRegistered, DigestTimeReached],
} as const satisfies Access;

/**
 * What the practice's EHR integration may publish: SessionCompleted, and nothing else. Its source
 * is the integration's own (the practice lists them, or any but the product's): see
 * integrationPolicy.
 */
export const INTEGRATION_ACCESS = {
  publishes: [SessionCompleted],
} as const;

/** The declaration of a function of the routing table. */
export function accessOf(fn: FunctionDefinition): FunctionAccess {
  const key = (Object.keys(FUNCTIONS) as FunctionKey[]).find((candidate) => FUNCTIONS[candidate].id === fn.id);
  if (key === undefined) throw new Error(`${fn.id} is not in FUNCTIONS`);
  return FUNCTION_ACCESS[key];
}

/** A statement this module derives: always named, always an Allow, actions and resources as lists. */
export interface DerivedStatement extends PolicyStatementJson {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** A policy document of derived statements. */
export interface DerivedPolicy extends PolicyDocumentJson {
  Statement: DerivedStatement[];
}

/**
 * The resources a policy names, as ARNs (CDK passes its tokens, which are strings; the local stack
 * passes local ARNs).
 */
export interface AccessResources {
  /** For kms:ViaService (`dynamodb.<region>.amazonaws.com`). */
  region: string;
  tableArn: string;
  /** The one customer-managed key: the table's and every queue's. */
  keyArn: string;
  /** The product's bus. */
  busArn: string;
  /** Every SES identity of the account and region (`arn:…:identity/*`): see SendMailAsPracticeSender. */
  sesIdentitiesArn: string;
  /** The stack's SES configuration set; undefined locally (the emulator has none). */
  sesConfigurationSetArn: string | undefined;
  /** The practice sender (`ses:FromAddress`). */
  senderAddress: string;
  /** Every schedule in the follow-up group: `arn:…:schedule/<group>/*`. */
  followUpSchedulesArn: string;
  schedulerRoleArn: string;
  schedulerDeadLetterQueueArn: string;
  /** Each routed function's dead-letter queue (its route's), by function id. */
  deadLetterQueueArns: Readonly<Record<string, string>>;
  /** Each secret's ARN (Secrets Manager's, with its random suffix), by name; an optional secret the stack does not have is absent. */
  secretArns: Readonly<{ webhook: string } & Partial<Record<SecretName, string>>>;
  /** The appointment drop bucket; undefined when the stack has none (appointmentDropDays unset, and locally). */
  appointmentDropBucketArn?: string | undefined;
}

const unique = (values: Iterable<string>): string[] => [...new Set(values)];

const TABLE_CALLS: readonly { call: keyof TableAccess; action: string; sid: string }[] = [
  { call: 'get', action: 'dynamodb:GetItem', sid: 'ReadItems' },
  { call: 'batchGet', action: 'dynamodb:BatchGetItem', sid: 'BatchReadItems' },
  { call: 'query', action: 'dynamodb:Query', sid: 'QueryItems' },
  { call: 'put', action: 'dynamodb:PutItem', sid: 'PutItems' },
  { call: 'update', action: 'dynamodb:UpdateItem', sid: 'UpdateItems' },
  { call: 'delete', action: 'dynamodb:DeleteItem', sid: 'DeleteItems' },
];

/**
 * The IAM statements of one principal's declared access: exactly the calls it makes, each with the
 * conditions AWS offers for it. `ownerId` names the function whose own dead-letter queue it is.
 */
export function accessStatements(access: Access, resources: AccessResources, ownerId?: string): DerivedStatement[] {
  const statements: DerivedStatement[] = [];
  const table = access.table ?? {};

  // One statement per call, limited to the partitions of the item kinds it touches.
  for (const { call, action, sid } of TABLE_CALLS) {
    const kinds = table[call] ?? [];
    if (kinds.length === 0) continue;
    statements.push({
      Sid: sid,
      Effect: 'Allow',
      Action: [action],
      Resource: [resources.tableArn],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': unique(kinds.map((kind) => `${partitionKeyPrefix(kind)}*`)).sort() } },
    });
  }
  // The table is encrypted with the stack's key, which DynamoDB uses with the caller's permission:
  // Decrypt (and DescribeKey) to read, Encrypt and GenerateDataKey as well to write — the set CDK's
  // own table grants give readers and writers — and only through DynamoDB.
  if (access.queriesTherapistIndex) {
    // The index holds the directory only (sparse on registeredBy): no LeadingKeys condition needed.
    statements.push({ Sid: 'QueryTherapistDirectoryIndex', Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [`${resources.tableArn}/index/${THERAPIST_INDEX.name}`] });
  }
  const writesTable = (['put', 'update', 'delete'] as const).some((call) => (table[call] ?? []).length > 0);
  if (access.queriesTherapistIndex || TABLE_CALLS.some(({ call }) => (table[call] ?? []).length > 0)) {
    statements.push({
      Sid: 'UseKeyThroughDynamoDb',
      Effect: 'Allow',
      Action: writesTable ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'],
      Resource: [resources.keyArn],
      Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${resources.region}.amazonaws.com` } },
    });
  }

  // One statement per source, limited to the declared detail-types.
  const bySource = new Map<string, string[]>();
  for (const event of access.publishes ?? []) {
    const source = sourceOf(event);
    // A group contract (productEventGroup) matches several detail-types: its pattern lists them all.
        bySource.set(source, unique([...(bySource.get(source) ?? []), ...detailTypesOf([event])]));
  }
  for (const [source, detailTypes] of bySource) {
    statements.push({
      Sid: `Publish${pascalCase(source)}Events`,
      Effect: 'Allow',
      Action: ['events:PutEvents'],
      Resource: [resources.busArn],
      Condition: { StringEquals: { 'events:source': [source], 'events:detail-type': detailTypes } },
    });
  }

  if (access.sendsMail) {
    statements.push({
      Sid: 'SendMailAsPracticeSender',
      Effect: 'Allow',
      // SendEmail with simple content is what shared/adapters/ses-mailer.ts calls; never raw MIME.
      Action: ['ses:SendEmail'],
      // SES authorizes a send against the sender's identity and the configuration set it names, and
      // in the sandbox also against each recipient's identity (a verified test mailbox at another
      // provider is an identity of its own). So every identity of the account, but only ever From
      // the practice sender: out of the sandbox that is the sender's identity alone.
      Resource: resources.sesConfigurationSetArn === undefined ? [resources.sesIdentitiesArn] : [resources.sesIdentitiesArn, resources.sesConfigurationSetArn],
      Condition: { StringEquals: { 'ses:FromAddress': resources.senderAddress } },
    });
  }

  const scheduleActions = [
    ...(access.schedules?.create ? ['scheduler:CreateSchedule'] : []),
    ...(access.schedules?.delete ? ['scheduler:DeleteSchedule'] : []),
  ];
  if (scheduleActions.length > 0) {
    statements.push({ Sid: 'ManageFollowUpSchedules', Effect: 'Allow', Action: scheduleActions, Resource: [resources.followUpSchedulesArn] });
  }
  if (access.passesSchedulerRole) {
    statements.push({
      Sid: 'PassSchedulerRole',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: [resources.schedulerRoleArn],
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  }

  const queueArns = (access.sendsTo ?? []).map((target) => {
    if (target === 'schedulerDeadLetterQueue') return resources.schedulerDeadLetterQueueArn;
    const arn = ownerId === undefined ? undefined : resources.deadLetterQueueArns[ownerId];
    if (arn === undefined) throw new Error(`${ownerId ?? 'this principal'} sends to its own dead-letter queue but has none (is it the target of a route?)`);
    return arn;
  });
  if (queueArns.length > 0) {
    statements.push({ Sid: 'ParkInDeadLetterQueue', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: unique(queueArns) });
    // The queues are encrypted with the stack's key: SQS generates and decrypts data keys with the
    // sender's permission.
    statements.push({
      Sid: 'UseKeyThroughSqs',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: [resources.keyArn],
      Condition: { StringEquals: { 'kms:ViaService': `sqs.${resources.region}.amazonaws.com` } },
    });
  }

  // A secret the stack does not have (calendarFeeds unset, or the local stack's feed list) grants nothing.
  const secretArns = (access.secrets ?? []).flatMap((name) => resources.secretArns[name] ?? []);
  if (secretArns.length > 0) {
    statements.push({ Sid: 'ReadSecrets', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: unique(secretArns) });
    // The secrets are encrypted with the stack's key: Secrets Manager decrypts with the reader's permission.
    statements.push({
      Sid: 'UseKeyThroughSecretsManager',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [resources.keyArn],
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${resources.region}.amazonaws.com` } },
    });
  }
  statements.push(...appointmentDropStatements(access, resources));
  return statements;
}

/** The drop bucket's statements: its two prefixes only, and its key only through S3. */
function appointmentDropStatements(access: Access, resources: AccessResources): DerivedStatement[] {
  const bucketArn = resources.appointmentDropBucketArn;
  const drop = access.appointmentDrop;
  if (bucketArn === undefined || drop === undefined) return [];
  const statements: DerivedStatement[] = [];
  if (drop.readsIncoming) statements.push({ Sid: 'ReadDroppedAppointmentFiles', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucketArn}/incoming/*`] });
  if (drop.writesReports) statements.push({ Sid: 'WriteImportReports', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${bucketArn}/reports/*`] });
  // The bucket is encrypted with the stack's key (with an S3 bucket key): reading decrypts, writing makes a data key.
  statements.push({
    Sid: 'UseKeyThroughS3',
    Effect: 'Allow',
    Action: [...(drop.readsIncoming ? ['kms:Decrypt'] : []), ...(drop.writesReports ? ['kms:GenerateDataKey'] : [])],
    Resource: [resources.keyArn],
    Condition: { StringEquals: { 'kms:ViaService': `s3.${resources.region}.amazonaws.com` } },
  });
  return statements;
}

/** The policy of a function's role: exactly what its declaration lists. */
export function functionPolicy(fn: FunctionDefinition, resources: AccessResources): DerivedPolicy {
  return { Version: '2012-10-17', Statement: accessStatements(accessOf(fn), resources, fn.id) };
}

/** The policy of the role EventBridge Scheduler assumes for the follow-up schedules. */
export function schedulerPolicy(resources: AccessResources): DerivedPolicy {
  return { Version: '2012-10-17', Statement: accessStatements(SCHEDULER_ACCESS, resources) };
}

/** The names of the variables a function's environment holds, derived from its declaration. */
export interface FunctionVariables {
  settings: Setting[];
  resources: (keyof typeof RESOURCE_ENV)[];
  instruments: boolean;
}

/**
 * The variables a function gets: the settings it reads, and the resource variables its access
 * implies (the table's name for table access, the bus's name for publishing, the configuration
 * set for mail, the schedule target for schedules, its dead-letter queue's URL) plus the few it
 * declares that grant nothing.
 */
export function functionVariables(fn: FunctionDefinition): FunctionVariables {
  const access = accessOf(fn);
  const table = access.table ?? {};
  const implied: (keyof typeof RESOURCE_ENV)[] = [
    ...(access.queriesTherapistIndex || TABLE_CALLS.some(({ call }) => (table[call] ?? []).length > 0) ? (['tableName'] as const) : []),
    ...((access.publishes ?? []).length > 0 ? (['busName'] as const) : []),
    ...(access.sendsMail ? (['sesConfigurationSet'] as const) : []),
    ...(access.schedules?.create || access.schedules?.delete ? (['scheduleGroupName'] as const) : []),
    // A schedule's target: the bus, the role the scheduler assumes and its dead-letter queue.
    ...(access.schedules?.create ? (['busArn', 'schedulerDeadLetterQueueArn'] as const) : []),
    ...(access.passesSchedulerRole ? (['schedulerRoleArn'] as const) : []),
    ...((access.sendsTo ?? []).includes('ownDeadLetterQueue') ? (['deadLetterQueueUrl'] as const) : []),
    ...(access.secrets ?? []).map((name) => SECRETS[name].variable),
  ];
  const settings = new Map<string, Setting>();
  for (const group of access.settings ?? []) for (const setting of Object.values(group)) settings.set(setting.env, setting);
  return {
    settings: [...settings.values()],
    resources: [...new Set([...implied, ...(access.variables ?? [])])],
    instruments: access.instruments ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// Who may put events on the product's bus

/**
 * The principals that publish the product's own events (source PRODUCT_SOURCE), from their
 * declarations: the functions whose `publishes` list a product event, and the scheduler's role
 * when its declaration does. The bus refuses PRODUCT_SOURCE to everyone else.
 */
export function productPublishers(): { functions: FunctionDefinition[]; scheduler: boolean } {
  const publishesProductEvents = (access: Access) => (access.publishes ?? []).some((event) => sourceOf(event) === PRODUCT_SOURCE);
  return {
    functions: (Object.keys(FUNCTIONS) as FunctionKey[]).filter((key) => publishesProductEvents(FUNCTION_ACCESS[key])).map((key) => FUNCTIONS[key]),
    scheduler: publishesProductEvents(SCHEDULER_ACCESS),
  };
}

/** The product principal whose declaration publishes `detailType` (a function's id, or `scheduler`), if any. */
export function productPublisherOf(detailType: string): string | undefined {
  const publishes = (access: Access) => detailTypesOf(access.publishes ?? []).includes(detailType);
  const key = (Object.keys(FUNCTIONS) as FunctionKey[]).find((candidate) => publishes(FUNCTION_ACCESS[candidate]));
  if (key !== undefined) return FUNCTIONS[key].id;
  return publishes(SCHEDULER_ACCESS) ? 'scheduler' : undefined;
}

/** The detail-types of a list of contracts (a group contract names several). */
export function detailTypesOf(events: readonly PublishedEvent[]): string[] {
  return unique(events.flatMap((event) => event.pattern['detail-type'] ?? [event.detailType]));
}

/**
 * The integration's source condition: one of the sources the practice listed, or by default any
 * source but the product's own, matched exactly (StringNotEquals, not a prefix: INBOUND_SOURCE,
 * `alliance-feedback.inbound`, stays allowed).
 */
function integrationConditions(sources: readonly string[] | undefined): Record<string, Record<string, string[]>> {
  const detailTypes = detailTypesOf(INTEGRATION_ACCESS.publishes);
  return sources !== undefined && sources.length > 0
    ? { StringEquals: { 'events:detail-type': detailTypes, 'events:source': [...sources] } }
    : { StringEquals: { 'events:detail-type': detailTypes }, StringNotEquals: { 'events:source': [PRODUCT_SOURCE] } };
}

/**
 * The managed policy a practice attaches to its EHR integration's role: PutEvents on the product's
 * bus of SessionCompleted only, from the listed sources (or any but the product's). The CDK stack
 * outputs it; the local stack holds every caller from outside the stack to it.
 */
export function integrationPolicy(busArn: string, sources?: readonly string[]): DerivedPolicy {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'PutSessionCompleted', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [busArn], Condition: integrationConditions(sources) }],
  };
}

/** A statement of a resource policy: it names its principals. */
export interface ResourcePolicyStatement extends Omit<DerivedStatement, 'Effect'> {
  Effect: 'Allow' | 'Deny';
  Principal: '*' | { AWS: string[] };
}

export interface BusPolicyOptions {
  busArn: string;
  /** The roles of productPublishers(): the function roles and the scheduler's. */
  productRoleArns: readonly string[];
  /** Other AWS accounts whose principals may put SessionCompleted (with the integration's conditions). */
  integrationAccounts?: readonly string[];
  integrationSources?: readonly string[];
  /** The roles or users that run the administrator's commands; unset: any principal whose own policy allows PutEvents. */
  administratorPrincipals?: readonly string[];
}

/**
 * The product bus's resource policy. An explicit Deny of PutEvents with source PRODUCT_SOURCE
 * (exactly) to every principal but the product's own roles: an explicit deny holds even against an
 * identity policy that allows everything, so nobody outside the product can speak for it. The
 * administrator's commands' announcements (ADMINISTRATOR_ACCESS) are the exception, limited by a
 * second Deny to the administrator principals the practice lists, when it lists them. Other
 * accounts the practice lists may put SessionCompleted under the integration policy's conditions.
 */
export function busPolicy(options: BusPolicyOptions): { Version: '2012-10-17'; Statement: ResourcePolicyStatement[] } {
  const statements: ResourcePolicyStatement[] = [
    {
      Sid: 'OnlyTheProductPublishesItsEvents',
      Effect: 'Deny',
      Principal: '*',
      Action: ['events:PutEvents'],
      Resource: [options.busArn],
      Condition: {
        StringEquals: { 'events:source': [PRODUCT_SOURCE] },
        StringNotEquals: { 'events:detail-type': detailTypesOf(ADMINISTRATOR_ACCESS.publishes) },
        // aws:PrincipalArn is the role's ARN for a role's session, whatever the session's name.
        ArnNotEquals: { 'aws:PrincipalArn': [...options.productRoleArns] },
      },
    },
  ];
  const administrators = options.administratorPrincipals ?? [];
  if (administrators.length > 0) {
    statements.push({
      Sid: 'OnlyTheAdministratorsAnnounceTheirCommands',
      Effect: 'Deny',
      Principal: '*',
      Action: ['events:PutEvents'],
      Resource: [options.busArn],
      Condition: {
        StringEquals: { 'events:source': [PRODUCT_SOURCE], 'events:detail-type': detailTypesOf(ADMINISTRATOR_ACCESS.publishes) },
        ArnNotEquals: { 'aws:PrincipalArn': [...administrators] },
      },
    });
  }
  const accounts = options.integrationAccounts ?? [];
  if (accounts.length > 0) {
    statements.push({
      Sid: 'IntegrationAccountsPutSessionCompleted',
      Effect: 'Allow',
      Principal: { AWS: accounts.map((account) => `arn:aws:iam::${account}:root`) },
      Action: ['events:PutEvents'],
      Resource: [options.busArn],
      Condition: integrationConditions(options.integrationSources),
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}
