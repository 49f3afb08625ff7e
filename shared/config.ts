/**
 * Every setting a practice can change, defined once: its CDK context key, the environment variable
 * the functions read, its default, its validation and what it means. The CDK app, the local stack,
 * the functions and the docs' configuration table are all built from this list.
 */
import * as z from 'zod/mini';
import { isTimeZone } from './domain/local-time.ts';
import { practiceDomainsOf } from './domain/practice-domains.ts';

/**
 * Builds a schema when the module loads; annotated like the one in shared/events/contracts.ts (a
 * copy: esbuild honours the annotation only in the module that declares the function), so a
 * function's bundle leaves out the setting groups it never reads instead of building their schemas
 * at every cold start. Measured: without this, `setting` and the two annotated messages below (each
 * is needed: any one missing keeps every group), a function's own code took 1.0–1.5 ms more CPU to load.
 */
// @__NO_SIDE_EFFECTS__
function defineSchema<Schema>(build: () => Schema): Schema {
  return build();
}

// Messages say what is allowed: zod's default for a failed check is a bare "Invalid input".
const hoursMessage = { message: 'must be a number of hours above 0, at most 8760 (a year)' };
const minutesMessage = { message: 'must be a number of minutes from 0 to 10080 (a week)' };
const positiveHours = defineSchema(() => z.pipe(z.coerce.number(hoursMessage), z.number(hoursMessage).check(z.positive(hoursMessage), z.lte(24 * 365, hoursMessage))));
const nonNegativeMinutes = defineSchema(() => z.pipe(z.coerce.number(minutesMessage), z.number(minutesMessage).check(z.gte(0, minutesMessage), z.lte(7 * 24 * 60, minutesMessage))));
/** Hosts a page may be served from over plain http: only the developer's own machine (the local stack). */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
const webBaseUrlMessage = { message: 'must be an https URL (http only for localhost, 127.0.0.1 or [::1]): every link carries a personal token' };
/**
 * The base of the links clients and therapists open: https, because each link carries a token that
 * answers a form, opts a client out or acknowledges an alert, and a network on the way must not read it.
 */
const webBaseUrl = defineSchema(() =>
  z.string().check(
    z.refine((value: string) => {
      if (!URL.canParse(value)) return false;
      const url = new URL(value);
      return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname));
    }, webBaseUrlMessage),
  ),
);

/** One practice setting. */
export interface Setting<Schema extends z.ZodMiniType = z.ZodMiniType> {
  /** CDK context key: `npx cdk deploy -c <context>=...` or cdk.json `context`. */
  context: string;
  /** Environment variable the functions read. */
  env: string;
  /** Used when neither context nor environment gives a value; undefined means required. */
  defaultValue: string | undefined;
  schema: Schema;
  description: string;
}

// @__NO_SIDE_EFFECTS__
function setting<Schema extends z.ZodMiniType>(value: Setting<Schema>): Setting<Schema> {
  return value;
}

/** The settings that shape the feedback request. */
export const REQUEST_SETTINGS = {
  senderAddress: setting({
    context: 'senderAddress',
    env: 'SENDER_ADDRESS',
    defaultValue: 'feedback@practice.example',
    schema: defineSchema(() => z.email({ message: 'must be an email address on your SES-verified identity' })),
    description: 'From address of client emails; must belong to the SES identity (domain or address) you verified. The default is for the local stack: a deployment refuses it, and any address on a reserved domain (`example.com`, `*.example`, `*.test`...).',
  }),
  practiceName: setting({
    context: 'practiceName',
    env: 'PRACTICE_NAME',
    defaultValue: 'Your practice',
    schema: defineSchema(() => z.string().check(z.trim(), z.minLength(1), z.maxLength(80), z.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'))),
    description: 'Practice name shown to clients in the email and on the form. A deployment refuses the default.',
  }),
  practiceTimeZone: setting({
    context: 'practiceTimeZone',
    env: 'PRACTICE_TIME_ZONE',
    defaultValue: undefined,
    schema: defineSchema(() => z.string().check(z.refine(isTimeZone, { message: 'must be an IANA time zone such as "America/New_York" (see `Intl.supportedValuesOf(\'timeZone\')`)' }))),
    description:
      'The practice’s IANA time zone (e.g. `America/New_York`): clients read every date in it, and therapists without a zone of their own in the directory too. Required for a deployment; the local stack uses the machine’s zone (or `PRACTICE_TIME_ZONE`).',
  }),
  formBaseUrl: setting({
    context: 'formBaseUrl',
    env: 'FORM_BASE_URL',
    defaultValue: undefined,
    schema: webBaseUrl,
    description: 'Base URL of the feedback form (links are `{formBaseUrl}/f/{token}`); https only (http just for localhost). Defaults to the stack’s HTTP API URL; set it when you put a custom domain in front.',
  }),
  throttleHours: setting({
    context: 'throttleHours',
    env: 'THROTTLE_HOURS',
    defaultValue: '12',
    schema: positiveHours,
    description: 'No second request to a client for a session that ended less than this many hours after (or before) the last one they were asked about.',
  }),
  tokenExpiryHours: setting({
    context: 'tokenExpiryHours',
    env: 'TOKEN_EXPIRY_HOURS',
    defaultValue: '72',
    schema: positiveHours,
    description: 'How long a feedback link stays valid, counted from when the email is sent.',
  }),
  reminderHours: setting({
    context: 'reminderHours',
    env: 'REMINDER_HOURS',
    defaultValue: '48',
    schema: positiveHours,
    description: 'One reminder is sent this many hours after the request if it is still unanswered and unexpired (none when the link expires first).',
  }),
  maxSessionAgeHours: setting({
    context: 'maxSessionAgeHours',
    env: 'MAX_SESSION_AGE_HOURS',
    defaultValue: '168',
    schema: positiveHours,
    description: 'Sessions that ended longer ago than this are not asked about (skipped as stale).',
  }),
  maxSessionLeadMinutes: setting({
    context: 'maxSessionLeadMinutes',
    env: 'MAX_SESSION_LEAD_MINUTES',
    defaultValue: '60',
    schema: nonNegativeMinutes,
    description: 'Sessions whose end lies further in the future than this are skipped as stale (clock skew allowance).',
  }),
  practiceDomains: setting({
    context: 'practiceDomains',
    env: 'PRACTICE_DOMAINS',
    defaultValue: 'none',
    schema: defineSchema(() =>
      z.string().check(
        z.refine((value: string) => practiceDomainsOf(value) !== undefined, { message: 'must be "none" or a comma-separated list of mail domains (e.g. "practice.org,clinic.practice.org")' }),
      ),
    ),
    description:
      'The practice’s own mail domains (comma-separated, exact: no subdomains), or `none`. A therapist whose address in a SessionCompleted is at one of them is added to the therapist directory the first time they are seen; every other therapist must be registered (`npx alliance therapists add|import`) before their alerts are sent. An event never changes a registered therapist’s address. The local stack uses `practice.example`.',
  }),
} as const;

/** Largest baseline the detector supports: its table of t quantiles stops at n − 1 = 29. */
export const MAX_BASELINE_SESSIONS = 30;

const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.pipe(z.coerce.number({ message }), z.int({ message }).check(z.gte(min, { message }), z.lte(max, { message })));
};
const baselineSessions = defineSchema(() => wholeNumber(2, MAX_BASELINE_SESSIONS));
const pompMessage = { message: 'must be from 0 to 100 (POMP)' };
const pompPoints = defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, pompMessage), z.lte(100, pompMessage))));
const positiveZ = defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.positive({ message: 'must be above 0 (SDs)' }), z.lte(10, { message: 'must be at most 10 (SDs)' }))));
const sessionCount = defineSchema(() => wholeNumber(1, 50));

/** A switch read from "true" or "false". */
const onOff = defineSchema(() =>
  z.pipe(
    z.enum(['true', 'false'], { message: 'must be true or false' }),
    z.transform((value) => value === 'true'),
  ),
);

/**
 * The settings of the rupture detector (ALLIANCE-SCIENCE.md, "Detection rule"). Scores are in
 * POMP (0–100) so one set serves every instrument. `minBaseline` must not exceed `baselineMax`.
 */
export const DETECTOR_SETTINGS = {
  baselineMax: setting({
    context: 'baselineMax',
    env: 'BASELINE_MAX_SESSIONS',
    defaultValue: '10',
    schema: baselineSessions,
    // In an annotated function: esbuild counts a template with a substitution as a possible side
    // effect, and would keep this whole group in the bundles of functions that never read it.
    description: /* @__PURE__ */ (() => `How many of the client’s most recent unflagged answered sessions form their baseline (2–${MAX_BASELINE_SESSIONS}).`)(),
  }),
  minBaseline: setting({
    context: 'minBaseline',
    env: 'MIN_BASELINE_SESSIONS',
    defaultValue: '3',
    schema: baselineSessions,
    description: 'Answered sessions needed before a score is compared with the client’s own baseline; at most baselineMax.',
  }),
  sdFloor: setting({
    context: 'sdFloor',
    env: 'SD_FLOOR_POMP',
    defaultValue: '5',
    schema: pompPoints,
    description: 'Smallest standard deviation (POMP) a baseline is given, so a client who always answers at the top is not alerted on a one-point dip.',
  }),
  sensitivity: setting({
    context: 'sensitivity',
    env: 'DETECTOR_SENSITIVITY',
    defaultValue: 'default',
    schema: defineSchema(() => z.enum(['default', 'sensitive'], { message: 'must be "default" or "sensitive"' })),
    description: '`default` alerts below the 97.5 % prediction bound of the baseline (k ≤ kCap); `sensitive` alerts at 2 SD (k = 2).',
  }),
  kCap: setting({
    context: 'kCap',
    env: 'K_CAP',
    defaultValue: '3',
    schema: positiveZ,
    description: 'Upper limit of the alert threshold k (in SDs) that small baselines would otherwise get.',
  }),
  watchZ: setting({
    context: 'watchZ',
    env: 'WATCH_Z',
    defaultValue: '1',
    schema: positiveZ,
    description: 'A score this many SDs below the baseline (but not an alert) is a watch: no email, but counted towards a sustained decline.',
  }),
  sustainedWatches: setting({
    context: 'sustainedWatches',
    env: 'SUSTAINED_WATCHES',
    defaultValue: '3',
    schema: sessionCount,
    description: 'With declineRule `frozen` or `rolling`: watch sessions in a row that raise a sustained-decline alert.',
  }),
  declineRule: setting({
    context: 'declineRule',
    env: 'DECLINE_RULE',
    defaultValue: 'cusum',
    schema: defineSchema(() => z.enum(['frozen', 'rolling', 'cusum'], { message: 'must be "frozen", "rolling" or "cusum"' })),
    description:
      'How a slow decline is found: `frozen`, sustainedWatches watches in a row each judged against the baseline frozen at the first; `rolling`, each judged against the baseline of its day; `cusum`, the shortfalls below the frozen baseline (less cusumSlack SD each) add up to cusumLimit SDs.',
  }),
  cusumSlack: setting({
    context: 'cusumSlack',
    env: 'CUSUM_SLACK',
    defaultValue: '0.75',
    schema: positiveZ,
    description: 'With declineRule `cusum`: the part of each session’s shortfall (in SDs) that is forgiven as noise before it adds up.',
  }),
  cusumLimit: setting({
    context: 'cusumLimit',
    env: 'CUSUM_LIMIT',
    defaultValue: '4',
    schema: positiveZ,
    description: 'With declineRule `cusum`: the summed shortfall (in SDs) that raises a sustained-decline alert.',
  }),
  earlyK: setting({
    context: 'earlyK',
    env: 'EARLY_K',
    defaultValue: '2.2',
    schema: defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, { message: 'must be 0 (off) or more (SDs)' }), z.lte(10, { message: 'must be at most 10 (SDs)' })))),
    description:
      'Before minBaseline answered sessions: alert when a total is this many SDs below what the client’s first sessions, pulled toward the practice prior, predict (0 = off).',
  }),
  priorMeanPomp: setting({
    context: 'priorMeanPomp',
    env: 'PRIOR_MEAN_POMP',
    defaultValue: '80',
    schema: pompPoints,
    description: 'The practice prior for early alerts: clients’ typical usual total (POMP).',
  }),
  priorSdPomp: setting({
    context: 'priorSdPomp',
    env: 'PRIOR_SD_POMP',
    defaultValue: '12',
    schema: pompPoints,
    description: 'The practice prior for early alerts: how far clients’ usual totals spread around priorMeanPomp (SD, POMP).',
  }),
  priorWithinSdPomp: setting({
    context: 'priorWithinSdPomp',
    env: 'PRIOR_WITHIN_SD_POMP',
    defaultValue: '7',
    schema: pompPoints,
    description: 'The practice prior: how much one client’s total moves from session to session (SD, POMP); early alerts use it, and sdPriorWeight pulls each client’s SD toward it.',
  }),
  sdPriorWeight: setting({
    context: 'sdPriorWeight',
    env: 'SD_PRIOR_WEIGHT',
    defaultValue: '8',
    schema: defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, { message: 'must be 0 (off) or more (sessions)' }), z.lte(50, { message: 'must be at most 50 (sessions)' })))),
    description:
      'How many sessions’ worth of weight the practice’s typical session-to-session spread (priorWithinSdPomp) gets in a client’s SD: the client’s own spread is pulled toward it, less as their baseline grows, and k(n) counts the prior’s weight too (0 = off: the client’s own SD, floored).',
  }),
  deepenGap: setting({
    context: 'deepenGap',
    env: 'DEEPEN_GAP',
    defaultValue: '1',
    schema: defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, { message: 'must be 0 (off) or more (SDs)' }), z.lte(10, { message: 'must be at most 10 (SDs)' })))),
    description:
      'Inside an alert episode: a total past the rupture line of the pre-alert baseline and this many of its SDs below the total at the alert raises one more rupture alert, and the episode starts again from it (0 = off).',
  }),
  confirmK: setting({
    context: 'confirmK',
    env: 'CONFIRM_K',
    defaultValue: '2',
    schema: defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, { message: 'must be 0 (off) or more (SDs)' }), z.lte(10, { message: 'must be at most 10 (SDs)' })))),
    description:
      'A total this many SDs below the baseline but short of the rupture line waits one answered session: if the next is still confirmZ SDs below the same baseline, that one raises a rupture alert (two sessions in a row this far down; 0 = off).',
  }),
  confirmLift: setting({
    context: 'confirmLift',
    env: 'CONFIRM_LIFT',
    defaultValue: '0',
    schema: defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, { message: 'must be 0 or more (SDs)' }), z.lte(2, { message: 'must be at most 2 (SDs)' })))),
    description:
      'With confirmK above 0: the alert line k(n) of a single session moves this many SDs further down (not with `sensitive`); a dip between confirmK and that line waits for the next session instead. Fewer alerts and more of them right, fewer ruptures caught, and a steady client’s single 6-point drop that is back next session is no longer alerted (0 = off, the default; docs/detector.md, Round 4).',
  }),
  confirmZ: setting({
    context: 'confirmZ',
    env: 'CONFIRM_Z',
    defaultValue: '0.9',
    schema: positiveZ,
    description: 'With confirmK or confirmEarlyK: how many SDs below the baseline kept from the first low session the next answered session must still be to confirm the dip.',
  }),
  confirmEarlyK: setting({
    context: 'confirmEarlyK',
    env: 'CONFIRM_EARLY_K',
    defaultValue: '1.7',
    schema: defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, { message: 'must be 0 (off) or more (SDs)' }), z.lte(10, { message: 'must be at most 10 (SDs)' })))),
    description:
      'Before minBaseline answered sessions: a total this many SDs below the early expectation (but short of earlyK) waits one answered session, and alerts if the next is still confirmZ SDs below that expectation (0 = off; needs earlyK above 0).',
  }),
  itemDropPomp: setting({
    context: 'itemDropPomp',
    env: 'ITEM_DROP_POMP',
    defaultValue: '40',
    schema: pompPoints,
    description: 'An item this many POMP below its own baseline mean raises an item-drop alert (40 = 4 points on a 0–10 item).',
  }),
  itemDropK: setting({
    context: 'itemDropK',
    env: 'ITEM_DROP_K',
    defaultValue: '3',
    schema: defineSchema(() => z.pipe(z.coerce.number(), z.number().check(z.gte(0, { message: 'must be 0 (off) or more (SDs)' }), z.lte(10, { message: 'must be at most 10 (SDs)' })))),
    description: 'An item drop must also be this many of the item’s own baseline SDs (floored at twice sdFloor: one item moves more than the total), so a client whose answers to that item often move is not alerted on an ordinary dip (0 = off).',
  }),
  lowRatingPomp: setting({
    context: 'lowRatingPomp',
    env: 'LOW_RATING_POMP',
    defaultValue: '50',
    schema: pompPoints,
    description: 'A total at or below this (POMP) raises a low-rating alert, even before a baseline exists.',
  }),
  repairWindow: setting({
    context: 'repairWindow',
    env: 'REPAIR_WINDOW_SESSIONS',
    defaultValue: '4',
    schema: sessionCount,
    description: 'Answered sessions after an alert within which the score must come back to the usual range; otherwise one unrepaired escalation.',
  }),
  unrepairedEmailsTherapist: setting({
    context: 'unrepairedEmailsTherapist',
    env: 'UNREPAIRED_EMAILS_THERAPIST',
    defaultValue: 'false',
    schema: onOff,
    description:
      'Whether the unrepaired escalation is emailed to the therapist, who was already alerted at the start of the episode. `false` (default): the therapist is not emailed again; the trend page lists it at its session (“not yet repaired · in your weekly digest, not emailed”) and the weekly digest lists the client (as “alert open” while the first alert is unacknowledged, then as “not repaired” until the therapist has opened the client’s trend page and the client has answered again). A supervisor copied on unrepaired ruptures, a covering clinician and a therapist whose digest is off are still emailed. `true`: the therapist is emailed again too (ALLIANCE-SCIENCE.md step 9).',
  }),
  quietAfterExpired: setting({
    context: 'quietAfterExpired',
    env: 'QUIET_AFTER_EXPIRED',
    defaultValue: '2',
    schema: sessionCount,
    description: 'Feedback requests in a row that expired unanswered before the therapist gets a going-quiet notice.',
  }),
} as const;

/** Fewest days a retention period may be: well beyond any session age and link life the request settings allow by default. */
export const MIN_RETENTION_DAYS = 30;
const retentionMessage = { message: /* @__PURE__ */ (() => `must be "keep" or a whole number of days from ${MIN_RETENTION_DAYS} to 36500`)() };

/** How long the product keeps what clients told it. */
export const RETENTION_SETTINGS = {
  retentionDays: setting({
    context: 'retentionDays',
    env: 'RETENTION_DAYS',
    defaultValue: 'keep',
    schema: defineSchema(() => z.union([z.literal('keep'), wholeNumber(MIN_RETENTION_DAYS, 36_500)], retentionMessage)),
    description:
      'Days after a session ended when its record (contact details, answer) and its evaluation are deleted by DynamoDB TTL, and days after an alert was sent when its records (the once-only claim, the acknowledge link) are; `keep` keeps them. Applies to records stored from then on; must exceed maxSessionAgeHours + tokenExpiryHours.',
  }),
} as const;

/**
 * The key of the do-not-contact list's hashes (shared/adapters/address-hash.ts). The default is
 * for the local stack only: a deployment refuses it (infra/app.ts), since anyone could recompute
 * hashes under a published key.
 */
export const LOCAL_ADDRESS_HASH_KEY = 'local-only-address-hash-key-never-deploy-this-0000';

/** What keeps a client's wishes after their data is erased. */
export const PRIVACY_SETTINGS = {
  addressHashKey: setting({
    context: 'addressHashKey',
    env: 'ADDRESS_HASH_KEY',
    defaultValue: LOCAL_ADDRESS_HASH_KEY,
    schema: defineSchema(() => z.string().check(z.minLength(32, { message: 'must be at least 32 characters (generate one: openssl rand -hex 32)' }), z.regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces'))),
    description:
      'Secret key (at least 32 characters, e.g. `openssl rand -hex 32`) of the do-not-contact list: an erased client who had opted out or bounced is kept only as an HMAC-SHA256 of their address under this key. Generate it once and keep it: a new key makes the list forget everyone on it. `alliance erase` and `alliance clients allow` need the same key (`ADDRESS_HASH_KEY`). It also keys the client pseudonym of alert subjects (`alertClientLabel`): a new key gives every client a new pseudonym. A deployment refuses the default.',
  }),
} as const;

/** Names of environment variables that wire a function to its resources (set by CDK, not by people). */

/** What the therapist's alert email may show about the client. */
export const ALERT_SETTINGS = {
  alertClientLabel: setting({
    context: 'alertClientLabel',
    env: 'ALERT_CLIENT_LABEL',
    defaultValue: 'pseudonym',
    schema: defineSchema(() => z.enum(['pseudonym', 'clientId', 'firstName'], { message: 'must be pseudonym, clientId or firstName' })),
    description:
      'How an alert’s subject names the client: `pseudonym` (a short label such as “Client K7Q-3PF”, the same for a client in every alert, derived from their id with `addressHashKey` so it cannot be traced back without the key; no EHR id on lock screens), `clientId` (the EHR’s id), or `firstName` (the first name when the session has one, else the pseudonym). The trend page behind the alert’s link shows the EHR id.',
  }),
  alertShowsFirstName: setting({
    context: 'alertShowsFirstName',
    env: 'ALERT_SHOWS_FIRST_NAME',
    defaultValue: 'false',
    schema: onOff,
    description: 'Show the client’s first name (beside their label) in alert emails.',
  }),
  alertIncludesComment: setting({
    context: 'alertIncludesComment',
    env: 'ALERT_INCLUDES_COMMENT',
    defaultValue: 'false',
    schema: onOff,
    description: 'Include the client’s free-text comment in alert emails. Off: the comment stays only in the practice’s table (`npx alliance export` shows it); email travels further than the table.',
  }),
  acknowledgeLinkDays: setting({
    context: 'acknowledgeLinkDays',
    env: 'ACKNOWLEDGE_LINK_DAYS',
    defaultValue: '30',
    schema: defineSchema(() => wholeNumber(1, 365)),
    description: 'Days an alert’s acknowledge link works, counted from when the alert was sent; after that it acknowledges nothing (a forwarded or leaked old email cannot speak for the therapist).',
  }),
  trendLinkDays: setting({
    context: 'trendLinkDays',
    env: 'TREND_LINK_DAYS',
    defaultValue: '7',
    schema: defineSchema(() => wholeNumber(1, 90)),
    description:
      'Days a link to a client’s trend page (in alerts and the weekly digest) opens it, counted from when it was issued; after that the page answers 410. Links can be revoked sooner with `npx alliance links revoke`.',
  }),
  trendShowsFirstName: setting({
    context: 'trendShowsFirstName',
    env: 'TREND_SHOWS_FIRST_NAME',
    defaultValue: 'true',
    schema: onOff,
    description: 'Show the client’s first name (when sessions carry one) beside their EHR id on the trend page, behind the therapist’s signed link. `false`: the id only.',
  }),
} as const;

export const DIGEST_DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** The therapist's weekly digest (one email per registered therapist with active clients). */
export const DIGEST_SETTINGS = {
  digestDay: setting({
    context: 'digestDay',
    env: 'DIGEST_DAY',
    defaultValue: 'monday',
    schema: defineSchema(() => z.enum(DIGEST_DAYS, { message: 'must be a weekday in English, lower case: monday … sunday' })),
    description: 'Day of the week the weekly digest reaches each therapist, in the therapist’s own time zone (the directory’s `timeZone`, else `practiceTimeZone`).',
  }),
  digestHour: setting({
    context: 'digestHour',
    env: 'DIGEST_HOUR',
    defaultValue: '7',
    schema: defineSchema(() => wholeNumber(0, 23)),
    description: 'Hour of that day (0–23, the therapist’s time) the digest is sent: the hourly dispatch picks each therapist whose local time is this hour.',
  }),
  digestActiveWeeks: setting({
    context: 'digestActiveWeeks',
    env: 'DIGEST_ACTIVE_WEEKS',
    defaultValue: '8',
    schema: defineSchema(() => wholeNumber(1, 52)),
    description: 'A client is in the therapist’s digest while their last session (answered or expired) is at most this many weeks old; a client moved to another therapist leaves the old therapist’s digest at their next session.',
  }),
  responseRateWeeks: setting({
    context: 'responseRateWeeks',
    env: 'RESPONSE_RATE_WEEKS',
    defaultValue: '4',
    schema: defineSchema(() => wholeNumber(1, 26)),
    description: 'The digest’s response rate: alerts the therapist acknowledged, of those sent to them (not supervisor or covering copies) in the last this many weeks.',
  }),
} as const;

export const RESOURCE_ENV = {
  tableName: 'TABLE_NAME',
  busName: 'BUS_NAME',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  sesConfigurationSet: 'SES_CONFIGURATION_SET',
  /** Seconds a claim on a session holds: above the function timeout, below the queue's visibility timeout. */
  claimLeaseSeconds: 'CLAIM_LEASE_SECONDS',
  busArn: 'BUS_ARN',
  scheduleGroupName: 'SCHEDULE_GROUP_NAME',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  schedulerDeadLetterQueueArn: 'SCHEDULER_DEAD_LETTER_QUEUE_ARN',
  /** The practice administrator's address for deliverability notices (optional). */
  adminEmail: 'ADMIN_EMAIL',
  /** The signed webhook's secret in Secrets Manager (its ARN): the hooks function verifies with it. */
  webhookSecretArn: 'WEBHOOK_SECRET_ARN',
  /** The secret that lists the calendar feeds (optional: only with the calendarFeeds context key). */
  calendarFeedsSecretArn: 'CALENDAR_FEEDS_SECRET_ARN',
  /** Local stack only: the calendar feeds to poll, file paths or URLs (shared/adapters/feed-sources.ts). */
  icsFeeds: 'ICS_FEEDS',
  /** The practice's FHIR R4 base URL (optional: only with the fhirBaseUrl context key; locally the stand-in's). */
  fhirBaseUrl: 'FHIR_BASE_URL',
  /** Its SMART Backend Services token endpoint. */
  fhirTokenUrl: 'FHIR_TOKEN_URL',
  /** The client id the EHR registered the product's backend app under. */
  fhirClientId: 'FHIR_CLIENT_ID',
  /** The secret holding the backend app's private signing key (RS384/ES384). */
  fhirClientKeySecretArn: 'FHIR_CLIENT_KEY_SECRET_ARN',
  /** The secret the FHIR server's Subscription sends in its notifications' Authorization header. */
  fhirNotificationSecretArn: 'FHIR_NOTIFICATION_SECRET_ARN',
} as const;

type SettingValues<T extends Record<string, Setting>> = { [K in keyof T]: z.infer<T[K]['schema']> };

/** A setting had no value or an invalid one. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * Reads and validates a group of settings from a lookup (the environment, or CDK context), applying
 * defaults; throws one ConfigurationError that lists every problem, naming where to fix it.
 */
export function readSettings<T extends Record<string, Setting>>(
  settings: T,
  lookup: (setting: Setting) => string | undefined,
  describeSource: (setting: Setting) => string,
): SettingValues<T> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(settings)) {
    const raw = lookup(entry) ?? entry.defaultValue;
    if (raw === undefined || raw === '') {
      problems.push(`${describeSource(entry)} is required: ${entry.description}`);
      continue;
    }
    const parsed = entry.schema.safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else problems.push(`${describeSource(entry)} ${parsed.error.issues.map((issue) => issue.message).join(', ')} (got "${raw}")`);
  }
  if (problems.length > 0) throw new ConfigurationError(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  return values as SettingValues<T>;
}

/** Reads settings from the process environment (how a function gets them). */
export function readSettingsFromEnv<T extends Record<string, Setting>>(settings: T, env: NodeJS.ProcessEnv = process.env): SettingValues<T> {
  return readSettings(settings, (entry) => env[entry.env], (entry) => entry.env);
}

/** Reads a required resource variable, failing fast with its name when it is missing. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`Environment variable ${name} is required`);
  return value;
}

export type RequestSettings = SettingValues<typeof REQUEST_SETTINGS>;
export type DetectorSettings = SettingValues<typeof DETECTOR_SETTINGS>;
export type AlertSettingValues = SettingValues<typeof ALERT_SETTINGS>;
export type RetentionSettings = SettingValues<typeof RETENTION_SETTINGS>;
export type PrivacySettings = SettingValues<typeof PRIVACY_SETTINGS>;
export type DigestSettings = SettingValues<typeof DIGEST_SETTINGS>;
