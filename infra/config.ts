/**
 * The stack's configuration, read from CDK context (`npx cdk deploy -c key=value` or cdk.json).
 * Practice settings come from shared/config.ts, so the CDK app validates them with the very schemas
 * the functions use at cold start, and a bad value fails `cdk synth` naming the context key instead
 * of failing every invocation after deploy.
 */
import { readFileSync } from 'node:fs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import * as z from 'zod/mini';
import {
  ALERT_SETTINGS,
  DIGEST_SETTINGS,
  type DigestSettings,
  ConfigurationError,
  DETECTOR_SETTINGS,
  LOCAL_ADDRESS_HASH_KEY,
  PRIVACY_SETTINGS,
  REQUEST_SETTINGS,
  RETENTION_SETTINGS,
  readSettings,
  type PrivacySettings,
  type AlertSettingValues,
  type DetectorSettings,
  type RequestSettings,
  type RetentionSettings,
  type Setting,
} from '../shared/config.ts';
import { parseInstrumentDefinition } from '../shared/domain/form/instrument-definition.ts';
import { DEFAULT_BUS_NAME, PRODUCT_SOURCE } from '../shared/events/contracts.ts';

/** Retention periods CloudWatch Logs accepts, without "never expire" (logs must not pile up forever). */
const RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

/** An SES identity is a verified domain or a verified address. */
const domainPattern = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/** A deployment setting: shapes the stack, never read by a function, so it has no environment variable. */
export interface DeploymentSetting<Schema extends z.ZodMiniType = z.ZodMiniType> {
  context: string;
  /** Undefined: derived or optional (see the description). */
  defaultValue: string | undefined;
  optional: boolean;
  schema: Schema;
  description: string;
}

function deploymentSetting<Schema extends z.ZodMiniType>(value: DeploymentSetting<Schema>): DeploymentSetting<Schema> {
  return value;
}

/** `a, b,c` → `['a', 'b', 'c']`: a list given as one context value. */
const commaList = (item: z.ZodMiniType<string, string>) =>
  z.pipe(
    z.pipe(z.string(), z.transform((text: string) => text.split(',').map((part) => part.trim()).filter((part) => part !== ''))),
    z.array(item).check(z.minLength(1, 'must list at least one')),
  );

/** The settings only the stack reads; listed for the docs' configuration table next to REQUEST_SETTINGS. */
export const DEPLOYMENT_SETTINGS = {
  sesIdentity: deploymentSetting({
    context: 'sesIdentity',
    defaultValue: undefined,
    optional: true,
    schema: z.union([z.email(), z.string().check(z.regex(domainPattern))], { message: 'must be a domain or an email address verified in SES' }),
    description: 'The SES identity (domain or address) you verified; senderAddress must belong to it (checked at synth). Defaults to the domain of senderAddress. Not on a reserved domain.',
  }),
  adminEmail: deploymentSetting({
    context: 'adminEmail',
    defaultValue: undefined,
    optional: true,
    schema: z.email({ message: 'must be an email address' }),
    description: 'Subscribed to the alarm topic (confirm the subscription email), and told about bounces and complaints. Without it, subscribe to the topic yourself. Not on a reserved domain.',
  }),
  busName: deploymentSetting({
    context: 'busName',
    defaultValue: DEFAULT_BUS_NAME,
    optional: false,
    schema: z.string().check(
      z.regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be 1–256 characters of A-Z a-z 0-9 . _ -'),
      z.refine((name) => name !== 'default', 'must not be "default": the product needs its own bus'),
    ),
    description: 'Name of the custom EventBridge bus that EHR integrations send SessionCompleted to (with `instance`, the default is `alliance-feedback-<instance>`).',
  }),
  instance: deploymentSetting({
    context: 'instance',
    defaultValue: undefined,
    optional: true,
    schema: z.string().check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$/, 'must be 1–20 characters of a-z 0-9 and inner hyphens')),
    description:
      'A second copy of the product in the same account and region (e.g. `staging`): the stack becomes `AllianceFeedback-<instance>`, its bus `alliance-feedback-<instance>` (unless busName is given) and its schedule group `alliance-feedback-<instance>-follow-ups`. Unset for the first or only copy.',
  }),
  instrumentFile: deploymentSetting({
    context: 'instrumentFile',
    defaultValue: undefined,
    optional: true,
    schema: z.string().check(z.minLength(1)),
    description: 'Path of a JSON instrument definition your practice holds a licence for; it becomes the instrument new forms use (the built-in one stays readable). Checked at synth.',
  }),
  integrationSources: deploymentSetting({
    context: 'integrationSources',
    defaultValue: undefined,
    optional: true,
    schema: commaList(
      z.string().check(
        z.regex(/^[^\s,]{1,256}$/, 'each source must be 1–256 characters without spaces'),
        z.refine((source) => source !== PRODUCT_SOURCE, `must not list "${PRODUCT_SOURCE}": only the product publishes with its own source`),
        z.refine((source) => !source.startsWith('aws.'), 'must not list an "aws." source: those are reserved for AWS services'),
      ),
    ),
    description: `Comma-separated sources your EHR integration puts SessionCompleted with (e.g. \`com.your-ehr\`): the integration policy (output IntegrationPolicyArn) and the cross-account grant allow only these. Unset: any source but \`${PRODUCT_SOURCE}\`.`,
  }),
  integrationAccounts: deploymentSetting({
    context: 'integrationAccounts',
    defaultValue: undefined,
    optional: true,
    schema: commaList(z.string().check(z.regex(/^\d{12}$/, 'each account must be a 12-digit AWS account id'))),
    description: 'Comma-separated AWS account ids (an EHR vendor\'s) whose principals may put SessionCompleted on the bus, with the integration policy\'s conditions (granted in the bus\'s resource policy; the other account still grants its own role PutEvents on the bus).',
  }),
  administratorPrincipals: deploymentSetting({
    context: 'administratorPrincipals',
    defaultValue: undefined,
    optional: true,
    schema: commaList(z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]{1,512}$/, 'each must be the ARN of an IAM role or user (arn:aws:iam::<account>:role/<name>)'))),
    description: `Comma-separated ARNs of the IAM roles or users that run \`npx alliance erase\` and \`npx alliance clients\`: only they may announce ClientErased and ClientContactRestored (source \`${PRODUCT_SOURCE}\`) on the bus. Unset: any principal of the account whose own policy allows PutEvents on the bus may put these two (never any other product event).`,
  }),
  front: deploymentSetting({
    context: 'front',
    defaultValue: 'false',
    optional: false,
    schema: z.stringbool({ error: 'must be true or false' }),
    description:
      'Put a CloudFront distribution with an AWS WAF per-IP rate limit in front of the client pages (about $6/month; see "The optional front"). The WAF lives in a second stack in us-east-1 (`cdk deploy --all`); links then use the distribution\'s domain unless formBaseUrl is your own domain with frontCertificateArn.',
  }),
  frontCertificateArn: deploymentSetting({
    context: 'frontCertificateArn',
    defaultValue: undefined,
    optional: true,
    schema: z.string().check(z.regex(/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/, 'must be the ARN of an ACM certificate in us-east-1 (CloudFront takes certificates from there only)')),
    description: 'With front and formBaseUrl: the ACM certificate (in us-east-1) for formBaseUrl\'s host name, which becomes the distribution\'s alternate domain name. Point the name (CNAME or alias record) at the output FrontDomainName.',
  }),
  appointmentDropDays: deploymentSetting({
    context: 'appointmentDropDays',
    defaultValue: undefined,
    optional: true,
    schema: z.pipe(z.coerce.number(), z.int().check(z.minimum(1, 'must be at least 1 day'), z.maximum(365, 'must be at most 365 days'))),
    description: 'Creates the appointment drop bucket (output AppointmentDropBucketName): a CSV put under `incoming/` is imported like `npx alliance import` and its report written under `reports/`. Files and reports are deleted after this many days. Unset: no bucket.',
  }),
  logRetentionDays: deploymentSetting({
    context: 'logRetentionDays',
    defaultValue: '365',
    optional: false,
    schema: z.pipe(
      z.coerce.number(),
      z.number().check(z.refine((days) => RETENTION_DAYS.includes(days), `must be one of ${RETENTION_DAYS.join(', ')}`)),
    ),
    description: 'Days CloudWatch keeps function and access logs (logs carry ids and outcomes, never personal data).',
  }),
  calendarFeeds: deploymentSetting({
    context: 'calendarFeeds',
    defaultValue: undefined,
    optional: true,
    schema: z.pipe(
      z.string(),
      z.transform((text: string) => (/^(true|on|yes)$/i.test(text.trim()) ? 15 : Number(text))),
    ).check(z.refine((minutes: number) => Number.isInteger(minutes) && minutes >= 5 && minutes <= 1440, 'must be `true` (every 15 minutes) or whole minutes from 5 to 1440')),
    description:
      'Turns the calendar feed poller on: `true` polls every 15 minutes, a number sets the minutes between polls (5–1440). The stack then has a Secrets Manager secret (output CalendarFeedsSecretArn) where you put the feed list (docs/integrate.md, Calendar feed). Unset: no poller, no secret.',
  }),
  fhirBaseUrl: deploymentSetting({
    context: 'fhirBaseUrl',
    defaultValue: undefined,
    optional: true,
    schema: z.url({ protocol: /^https$/, message: 'must be an https:// URL' }),
    description:
      'Turns FHIR R4 inbound on: the practice EHR\'s FHIR base URL, polled every fhirPollMinutes for finished encounters with SMART Backend Services (docs/integrate.md, FHIR R4). Needs fhirTokenUrl and fhirClientId; the stack then has a secret (output FhirClientKeySecretArn) for the backend app\'s private key. Unset: no FHIR poller, no secret.',
  }),
  fhirTokenUrl: deploymentSetting({
    context: 'fhirTokenUrl',
    defaultValue: undefined,
    optional: true,
    schema: z.url({ protocol: /^https$/, message: 'must be an https:// URL' }),
    description: 'With fhirBaseUrl: the EHR\'s SMART token endpoint (token_endpoint in {fhirBaseUrl}/.well-known/smart-configuration).',
  }),
  fhirClientId: deploymentSetting({
    context: 'fhirClientId',
    defaultValue: undefined,
    optional: true,
    schema: z.string().check(z.regex(/^[\x21-\x7e]{1,200}$/, 'must be 1–200 printable characters without spaces')),
    description: 'With fhirBaseUrl: the client id the EHR gave the product\'s backend app when you registered it.',
  }),
  fhirPollMinutes: deploymentSetting({
    context: 'fhirPollMinutes',
    defaultValue: '15',
    optional: false,
    schema: z.pipe(z.coerce.number(), z.int().check(z.minimum(5, 'must be at least 5 minutes'), z.maximum(1440, 'must be at most 1440 minutes'))),
    description: 'With fhirBaseUrl: minutes between polls of the FHIR server.',
  }),
} as const;

/** Everything the stack needs to know, validated. */
export interface StackConfig {
  /** Every request setting; `formBaseUrl` is undefined when the stack should use its HTTP API URL. */
  request: Omit<RequestSettings, 'formBaseUrl'> & { formBaseUrl: string | undefined };
  detector: DetectorSettings;
  alert: AlertSettingValues;
  digest: DigestSettings;
  retention: RetentionSettings;
  privacy: PrivacySettings;
  sesIdentity: string;
  adminEmail: string | undefined;
  busName: string;
  /** Set for a second copy of the product in the same account and region (names then carry it). */
  instance: string | undefined;
  logRetention: RetentionDays;
  /** A practice's own instrument definition (validated JSON), passed to every function that loads instruments. */
  instrumentJson: string | undefined;
  /** Who may put SessionCompleted: the listed sources (undefined: any but the product's) and other accounts. */
  integration: { sources: string[] | undefined; accounts: string[] };
  /** Who may announce the administrator's commands (ClientErased, ClientContactRestored); empty: any principal of the account allowed PutEvents. */
  administratorPrincipals: string[];
  /** The optional CloudFront + WAF front; undefined when off. `certificateArn` is set when formBaseUrl is the practice's own domain. */
  front: { certificateArn: string | undefined } | undefined;
  /** The appointment drop bucket's object expiry in days; undefined: no bucket. */
  appointmentDropDays: number | undefined;
  /** Minutes between calendar feed polls; undefined: no poller (calendarFeeds unset). */
  calendarFeedIntervalMinutes: number | undefined;
  /** FHIR R4 inbound; undefined: off (fhirBaseUrl unset). */
  fhir: { baseUrl: string; tokenUrl: string; clientId: string; intervalMinutes: number } | undefined;
}

/** How an error names a context key: the flag a person types to fix it. */
export function describeContextKey(key: string): string {
  return `context "${key}" (-c ${key}=...)`;
}

/**
 * Domains reserved for documentation and tests (RFC 2606, RFC 6761): `example.com`, `.net`,
 * `.org` and the top-level `example`, `test`, `invalid` and `localhost`, with everything under
 * them. Nobody can own them, so mail from or to them goes nowhere.
 */
const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|net|org)|example|test|invalid|localhost)\.?$/i;

/** Whether `domain` (a host name, or the domain of an address) is reserved and never deliverable. */
export function isReservedDomain(domain: string): boolean {
  return RESERVED_DOMAIN.test(domain.toLowerCase());
}

/** The practice zone of a synth that is not for deployment (the tests'): a deployment must give its own. */
export const TEST_SYNTH_TIME_ZONE = 'UTC';

export interface ReadStackConfigOptions {
  /**
   * Reading for a stack that will be deployed (the CDK CLI's `cdk synth`/`deploy`): also refuse
   * the placeholders that let the tests and the local stack run without settings (see
   * placeholderProblems). Off for the tests, which build the stack with the defaults.
   */
  forDeployment?: boolean;
}

/**
 * Reads and validates the stack configuration from CDK context; throws one ConfigurationError that
 * lists every problem, each naming its context key.
 */
export function readStackConfig(node: Node, options: ReadStackConfigOptions = {}): StackConfig {
  const lookup = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    // Values from `-c` arrive as strings, values from cdk.json may be numbers or booleans.
    return value === undefined || value === null ? undefined : String(value);
  };
  const problems: string[] = [];

  // formBaseUrl is the one request setting with a derived default (the API's URL, a deploy-time
  // token), so it is validated only when given.
  const { formBaseUrl: formBaseUrlSetting, ...otherRequestSettings } = REQUEST_SETTINGS;
  const givenFormBaseUrl = lookup(formBaseUrlSetting.context);
  const requestSettings: Record<string, Setting> = givenFormBaseUrl === undefined ? otherRequestSettings : REQUEST_SETTINGS;
  // practiceTimeZone has no default: a deployment must name it (refused below, with the other
  // placeholders, so one message still lists every problem). The tests' synths stand in UTC, so
  // they build the same stack on every machine.
  const givenTimeZone = lookup(REQUEST_SETTINGS.practiceTimeZone.context);
  const requestLookup = (entry: Setting): string | undefined =>
    lookup(entry.context) ?? (entry === REQUEST_SETTINGS.practiceTimeZone ? TEST_SYNTH_TIME_ZONE : undefined);
  let request: Record<string, unknown> = {};
  try {
    request = readSettings(requestSettings, requestLookup, (entry) => describeContextKey(entry.context));
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    // readSettings lists its problems one per "- " line; merge them with ours into one error.
    problems.push(...error.message.split('\n- ').slice(1));
  }

  // The detector's and the alert's settings: validated here so a bad value fails the synth, then
  // passed to the functions through their environment variables.
  const groups: Record<string, unknown> = {};
  for (const [name, group] of [['detector', DETECTOR_SETTINGS], ['alert', ALERT_SETTINGS], ['digest', DIGEST_SETTINGS], ['retention', RETENTION_SETTINGS], ['privacy', PRIVACY_SETTINGS]] as const) {
    try {
      groups[name] = readSettings(group as Record<string, Setting>, (entry) => lookup(entry.context), (entry) => describeContextKey(entry.context));
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      problems.push(...error.message.split('\n- ').slice(1));
    }
  }

  const detector = groups['detector'] as DetectorSettings | undefined;
  if (detector && detector.minBaseline > detector.baselineMax) {
    problems.push(`${describeContextKey('minBaseline')} (${detector.minBaseline}) must not exceed ${describeContextKey('baselineMax')} (${detector.baselineMax})`);
  }

  // A session record must outlive every link to it and every late duplicate of its event: deleted
  // sooner, a redelivered SessionCompleted would find no record and email the client again.
  const retentionDays = (groups['retention'] as RetentionSettings | undefined)?.retentionDays;
  const { maxSessionAgeHours, tokenExpiryHours } = request as Partial<RequestSettings>;
  if (typeof retentionDays === 'number' && maxSessionAgeHours !== undefined && tokenExpiryHours !== undefined && retentionDays * 24 <= maxSessionAgeHours + tokenExpiryHours) {
    problems.push(
      `${describeContextKey('retentionDays')} (${retentionDays} days) must exceed ${describeContextKey('maxSessionAgeHours')} + ${describeContextKey('tokenExpiryHours')} (${maxSessionAgeHours + tokenExpiryHours} hours)`,
    );
  }

  const deployment: Record<string, unknown> = {};
  // A second copy must not share the first one's bus: its default name carries the instance.
  const instance = lookup(DEPLOYMENT_SETTINGS.instance.context);
  const defaultFor = (key: string, entry: DeploymentSetting) => (key === 'busName' && instance ? `${DEFAULT_BUS_NAME}-${instance}` : entry.defaultValue);
  for (const [key, entry] of Object.entries(DEPLOYMENT_SETTINGS) as [string, DeploymentSetting][]) {
    const raw = lookup(entry.context) ?? defaultFor(key, entry);
    if (raw === undefined || raw === '') {
      if (!entry.optional) problems.push(`${describeContextKey(entry.context)} is required: ${entry.description}`);
      continue;
    }
    const parsed = entry.schema.safeParse(raw);
    if (parsed.success) deployment[key] = parsed.data;
    else problems.push(`${describeContextKey(entry.context)} ${parsed.error.issues.map((issue) => issue.message).join(', ')} (got "${raw}")`);
  }

  const typedRequest = request as Partial<RequestSettings>;
  const senderAddress = typedRequest.senderAddress;
  // The address's domain: verifying a domain in SES is the usual set-up, and it covers every address on it.
  const sesIdentity = (deployment['sesIdentity'] as string | undefined) ?? senderAddress?.split('@').pop();
  if (senderAddress !== undefined && sesIdentity !== undefined && !identityCovers(sesIdentity, senderAddress)) {
    // The IAM policy allows sending only as this identity: catch the mismatch now, not as AccessDenied.
    problems.push(`${describeContextKey('senderAddress')} must belong to the SES identity "${sesIdentity}" (set ${describeContextKey('sesIdentity')} to the identity you verified)`);
  }

  const fhirParts = (['fhirBaseUrl', 'fhirTokenUrl', 'fhirClientId'] as const).filter((key) => lookup(DEPLOYMENT_SETTINGS[key].context) !== undefined);
  if (fhirParts.length > 0 && fhirParts.length < 3) {
    problems.push(`${describeContextKey('fhirBaseUrl')}, ${describeContextKey('fhirTokenUrl')} and ${describeContextKey('fhirClientId')} go together (FHIR R4 inbound): give all three, or none`);
  }

  let instrumentJson: string | undefined;
  const instrumentFile = deployment['instrumentFile'] as string | undefined;
  if (instrumentFile !== undefined) {
    try {
      const text = readFileSync(instrumentFile, 'utf8');
      const parsed = parseInstrumentDefinition(text);
      // Compact: Lambda allows 4 KB of environment per function in total.
      if (parsed.ok) instrumentJson = JSON.stringify(JSON.parse(text));
      else problems.push(`${describeContextKey('instrumentFile')} ${instrumentFile} is not a valid instrument: ${parsed.reason}`);
    } catch (error) {
      problems.push(`${describeContextKey('instrumentFile')} cannot read ${instrumentFile}: ${(error as Error).message}`);
    }
  }

  problems.push(...frontProblems(deployment['front'] === true, typedRequest.formBaseUrl, deployment['frontCertificateArn'] as string | undefined));

  if (options.forDeployment) {
    problems.push(
      ...placeholderProblems({
        senderAddress,
        practiceName: typedRequest.practiceName,
        formBaseUrl: typedRequest.formBaseUrl,
        sesIdentity: deployment['sesIdentity'] as string | undefined,
        adminEmail: deployment['adminEmail'] as string | undefined,
        addressHashKey: (groups['privacy'] as PrivacySettings | undefined)?.addressHashKey,
      }),
    );
    if (givenTimeZone === undefined || givenTimeZone === '') {
      problems.push(
        `${describeContextKey(REQUEST_SETTINGS.practiceTimeZone.context)} is required (no default): the practice's IANA time zone, in which clients and therapists read every date, e.g. -c practiceTimeZone=America/New_York`,
      );
    }
  }

  if (problems.length > 0 || senderAddress === undefined || sesIdentity === undefined) {
    throw new ConfigurationError(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
  return {
    request: { ...(typedRequest as Omit<RequestSettings, 'formBaseUrl'>), formBaseUrl: typedRequest.formBaseUrl },
    detector: groups['detector'] as DetectorSettings,
    alert: groups['alert'] as AlertSettingValues,
    digest: groups['digest'] as DigestSettings,
    retention: groups['retention'] as RetentionSettings,
    privacy: groups['privacy'] as PrivacySettings,
    sesIdentity,
    adminEmail: deployment['adminEmail'] as string | undefined,
    busName: deployment['busName'] as string,
    instance: deployment['instance'] as string | undefined,
    logRetention: deployment['logRetentionDays'] as RetentionDays,
    instrumentJson,
    integration: { sources: deployment['integrationSources'] as string[] | undefined, accounts: (deployment['integrationAccounts'] as string[] | undefined) ?? [] },
    administratorPrincipals: (deployment['administratorPrincipals'] as string[] | undefined) ?? [],
    front: deployment['front'] === true ? { certificateArn: deployment['frontCertificateArn'] as string | undefined } : undefined,
    appointmentDropDays: deployment['appointmentDropDays'] as number | undefined,
    calendarFeedIntervalMinutes: deployment['calendarFeeds'] as number | undefined,
    fhir:
      deployment['fhirBaseUrl'] !== undefined && deployment['fhirTokenUrl'] !== undefined && deployment['fhirClientId'] !== undefined
        ? { baseUrl: deployment['fhirBaseUrl'] as string, tokenUrl: deployment['fhirTokenUrl'] as string, clientId: deployment['fhirClientId'] as string, intervalMinutes: deployment['fhirPollMinutes'] as number }
        : undefined,
  };
}

/**
 * With the front on, every link must lead through it: formBaseUrl unset (the stack uses the
 * distribution's own https URL), or the practice's own host name, which the distribution can only
 * answer for with a certificate. An API Gateway custom domain (what formBaseUrl means without the
 * front) would send every client around the WAF, and a base path would not exist on the front.
 */
function frontProblems(front: boolean, formBaseUrl: string | undefined, certificateArn: string | undefined): string[] {
  if (!front) return certificateArn === undefined ? [] : [`${describeContextKey('frontCertificateArn')} is only used with ${describeContextKey('front')} set to true`];
  if (formBaseUrl === undefined) {
    return certificateArn === undefined ? [] : [`${describeContextKey('frontCertificateArn')} needs ${describeContextKey('formBaseUrl')}: the host name the certificate is for`];
  }
  const problems: string[] = [];
  if (certificateArn === undefined) {
    problems.push(
      `${describeContextKey('formBaseUrl')} with the front on must be your own host name served by the front: give ${describeContextKey('frontCertificateArn')} (an ACM certificate for it in us-east-1), or leave formBaseUrl unset to use the distribution's domain`,
    );
  }
  const { pathname } = new URL(formBaseUrl);
  if (pathname !== '/' && pathname !== '') problems.push(`${describeContextKey('formBaseUrl')} with the front on must have no path (got "${pathname}"): the front serves the pages at the root of its host name`);
  return problems;
}

/** Whether SES lets `address` send under `identity`: the address itself, or an address on the domain. */
function identityCovers(identity: string, address: string): boolean {
  const wanted = identity.toLowerCase();
  const sender = address.toLowerCase();
  return wanted.includes('@') ? wanted === sender : sender.endsWith(`@${wanted}`);
}

/**
 * The settings a deployment must not keep at their placeholder: the defaults (and any value on a
 * reserved domain) let the tests and the local stack run without configuration, but deployed they
 * would send every email from an address nobody can verify, name "Your practice" to clients, or
 * send links and alarms nowhere. Each problem says which context key to set. Values not given are
 * skipped (the optional ones, or ones already reported as invalid).
 */
export function placeholderProblems(values: {
  senderAddress: string | undefined;
  practiceName: string | undefined;
  formBaseUrl: string | undefined;
  /** Only as given in context: when derived from senderAddress, the sender's problem covers it. */
  sesIdentity: string | undefined;
  adminEmail: string | undefined;
  addressHashKey?: string | undefined;
}): string[] {
  const problems: string[] = [];
  const reserved = (key: string, domain: string, consequence: string, example: string) =>
    problems.push(`${describeContextKey(key)} is on "${domain}", a domain reserved for examples and tests (${consequence}): set yours, e.g. -c ${key}=${example}`);
  const { senderAddress, practiceName, formBaseUrl, sesIdentity, adminEmail } = values;
  const domainOf = (address: string) => address.split('@').pop() ?? address;

  if (senderAddress !== undefined && isReservedDomain(domainOf(senderAddress))) {
    reserved('senderAddress', domainOf(senderAddress), 'SES cannot verify it, so no email would go out', 'feedback@yourpractice.com');
  }
  if (practiceName !== undefined && practiceName === REQUEST_SETTINGS.practiceName.defaultValue) {
    problems.push(`${describeContextKey('practiceName')} is the placeholder "${practiceName}", which every client email and form would show: set your practice's name, e.g. -c practiceName="Riverside Practice"`);
  }
  if (sesIdentity !== undefined && isReservedDomain(domainOf(sesIdentity))) {
    reserved('sesIdentity', domainOf(sesIdentity), 'SES cannot verify it', 'yourpractice.com');
  }
  if (adminEmail !== undefined && isReservedDomain(domainOf(adminEmail))) {
    reserved('adminEmail', domainOf(adminEmail), 'alarms and deliverability notices would reach nobody', 'it@yourpractice.com');
  }
  if (values.addressHashKey === LOCAL_ADDRESS_HASH_KEY) {
    problems.push(
      `${describeContextKey('addressHashKey')} is the local stack's published key, under which anyone could test an address against the do-not-contact list: generate yours once and keep it, e.g. openssl rand -hex 32`,
    );
  }
  if (formBaseUrl !== undefined && isReservedDomain(new URL(formBaseUrl).hostname)) {
    reserved('formBaseUrl', new URL(formBaseUrl).hostname, 'the links in emails would lead nowhere', 'https://feedback.yourpractice.com');
  }
  return problems;
}
