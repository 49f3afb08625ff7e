/**
 * Loads the product's function modules into this process with the environment the CDK stack
 * would give them. The handlers read their environment when their module is loaded, so the
 * environment is set first and the modules are imported after.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type AccessResources, type DerivedPolicy, functionPolicy, functionVariables } from '../function-access.ts';
import { claimLeaseSeconds, EVENT_ROUTES, FUNCTIONS, HTTP_ROUTES, type EventRoute, type FunctionDefinition } from '../routes.ts';
import { localSecretArn, LOCAL_SECRET_NAMES } from './secrets-emulator.ts';
import { INSTRUMENT_ENV } from '../../shared/adapters/instrument-catalogue.ts';
import { ALERT_SETTINGS, ConfigurationError, DETECTOR_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS } from '../../shared/config.ts';
import { LocalStackError } from './errors.ts';
import { machineTimeZone } from '../../shared/domain/local-time.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The functions a local stack runs: every route's target, then the web function, the HTTP routes' own functions, the calendar feed poller and the digest dispatch. */
export function functionsToRun(routes: readonly EventRoute[]): FunctionDefinition[] {
  const byId = new Map<string, FunctionDefinition>();
  for (const route of routes) byId.set(route.target.id, route.target);
  byId.set(FUNCTIONS.web.id, FUNCTIONS.web);
  for (const route of HTTP_ROUTES) byId.set(route.target.id, route.target);
  // Invoked by its schedule, not a route (infra/local/feed-poller.ts).
  byId.set(FUNCTIONS.feeds.id, FUNCTIONS.feeds);
  // Invoked every hour by its schedule (infra/local/digest-clock.ts).
  byId.set(FUNCTIONS.digestDispatch.id, FUNCTIONS.digestDispatch);
  // Likewise (infra/local/fhir/fhir-poller.ts).
  byId.set(FUNCTIONS.fhir.id, FUNCTIONS.fhir);
  return [...byId.values()];
}

export interface StackEnvironment {
  region: string;
  accountId: string;
  endpoints: { dynamodb: string; ses: string; bus: string; web: string };
  tableName: string;
  busName: string;
  /** URL of a local queue by name (the bus answers SQS calls for it). */
  queueUrl: (name: string) => string;
  /** Whether the functions' own logging is silenced (unless POWERTOOLS_LOG_LEVEL says otherwise). */
  quiet: boolean;
  /** The local FHIR stand-in the fhir function polls, when the stack runs one. */
  fhir?: { baseUrl: string; tokenUrl: string; clientId: string } | undefined;
}

/** Name of the local dead-letter queue of a route. */
export function deadLetterQueueName(route: EventRoute): string {
  return `${route.id}-dlq`;
}

/** The local scheduler (infra/local/scheduler.ts) takes any group, role and DLQ: plausible names. */
const LOCAL_SCHEDULE_GROUP = 'local-follow-ups';
const localSchedulerRoleArn = (stack: LocalArnParts) => `arn:aws:iam::${stack.accountId}:role/local-scheduler`;
const localSchedulerDeadLetterQueueArn = (stack: LocalArnParts) => `arn:aws:sqs:${stack.region}:${stack.accountId}:local-scheduler-dlq`;
const localBusArn = (stack: LocalArnParts) => `arn:aws:events:${stack.region}:${stack.accountId}:event-bus/${stack.busName}`;

/** What local ARNs are made of. */
export type LocalArnParts = Pick<StackEnvironment, 'region' | 'accountId' | 'tableName' | 'busName'> & { fhir?: StackEnvironment['fhir'] };

/**
 * A local value for every resource variable the CDK stack may give a function (undefined: not
 * set). Typed against RESOURCE_ENV, so a variable added there fails `tsc` here until the local
 * stack knows what to give it.
 */
const LOCAL_RESOURCE_VALUES: {
  [K in keyof typeof RESOURCE_ENV]: (stack: StackEnvironment, route: EventRoute | undefined, env: NodeJS.ProcessEnv) => string | undefined;
} = {
  tableName: (stack) => stack.tableName,
  busName: (stack) => stack.busName,
  busArn: (stack) => localBusArn(stack),
  deadLetterQueueUrl: (stack, route) => (route ? stack.queueUrl(deadLetterQueueName(route)) : undefined),
  claimLeaseSeconds: (_stack, route) => (route ? String(claimLeaseSeconds(route)) : undefined),
  // The emulator has no configuration sets; the name only matters to real SES.
  sesConfigurationSet: () => undefined,
  scheduleGroupName: () => LOCAL_SCHEDULE_GROUP,
  schedulerRoleArn: (stack) => localSchedulerRoleArn(stack),
  schedulerDeadLetterQueueArn: (stack) => localSchedulerDeadLetterQueueArn(stack),
  // Deliverability notices land in the mail viewer like every other email.
  adminEmail: (_stack, _route, env) => env['ADMIN_EMAIL'] || 'admin@practice.example',
  // The local Secrets Manager stand-in (secrets-emulator.ts) holds it under the same ARN.
  webhookSecretArn: (stack) => localSecretArn(stack, LOCAL_SECRET_NAMES.webhook),
  // No Secrets Manager stand-in: the poller reads the developer's ICS_FEEDS instead (feed-sources.ts).
  calendarFeedsSecretArn: () => undefined,
  icsFeeds: (_stack, _route, env) => env['ICS_FEEDS'] || undefined,
  // The local FHIR stand-in (infra/local/fhir/fhir-server.ts) and the key the stack made for it.
  fhirBaseUrl: (stack) => stack.fhir?.baseUrl,
  fhirTokenUrl: (stack) => stack.fhir?.tokenUrl,
  fhirClientId: (stack) => stack.fhir?.clientId,
  fhirClientKeySecretArn: (stack) => (stack.fhir ? localSecretArn(stack, LOCAL_SECRET_NAMES.fhirClientKey) : undefined),
  fhirNotificationSecretArn: (stack) => (stack.fhir ? localSecretArn(stack, LOCAL_SECRET_NAMES.fhirNotification) : undefined),
};

/** The id of the local stand-in for the stack's data key (in ARNs only). */
export const LOCAL_DATA_KEY_ID = '00000000-0000-4000-8000-000000000000';

/**
 * The resources of the local stack as the functions' policies name them: the same statements the
 * synthesized stack has (infra/function-access.ts), with local ARNs. The emulator has no
 * configuration set, so none is named; like the stack's, the SES statement names every identity and
 * allows only the practice sender as From.
 */
export function localAccessResources(stack: LocalArnParts, senderAddress: string): AccessResources {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${stack.region}:${stack.accountId}:${resource}`;
  return {
    region: stack.region,
    tableArn: arn('dynamodb', `table/${stack.tableName}`),
    // Nothing encrypts locally, but the enforcer checks the key use a call on the table or a queue
    // implies (function-policies.ts), as KMS would.
    keyArn: arn('kms', `key/${LOCAL_DATA_KEY_ID}`),
    busArn: localBusArn(stack),
    sesIdentitiesArn: arn('ses', 'identity/*'),
    sesConfigurationSetArn: undefined,
    senderAddress,
    followUpSchedulesArn: arn('scheduler', `schedule/${LOCAL_SCHEDULE_GROUP}/*`),
    schedulerRoleArn: localSchedulerRoleArn(stack),
    schedulerDeadLetterQueueArn: localSchedulerDeadLetterQueueArn(stack),
    // The local bus names a queue's ARN after the queue (infra/local/local-queue.ts).
    deadLetterQueueArns: Object.fromEntries(EVENT_ROUTES.map((route) => [route.target.id, arn('sqs', deadLetterQueueName(route))])),
    // The FHIR key exists when the stack runs the FHIR stand-in, as the stack's exists with fhirBaseUrl.
    secretArns: { webhook: localSecretArn(stack, LOCAL_SECRET_NAMES.webhook), ...(stack.fhir ? { fhirClientKey: localSecretArn(stack, LOCAL_SECRET_NAMES.fhirClientKey), fhirNotification: localSecretArn(stack, LOCAL_SECRET_NAMES.fhirNotification) } : {}) },
  };
}

/** The sender address a local function sends as: the developer's SENDER_ADDRESS, or the setting's default. */
export function localSenderAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env[REQUEST_SETTINGS.senderAddress.env] || REQUEST_SETTINGS.senderAddress.defaultValue!;
}

/** A function's policy in the local stack: what the synthesized stack grants it, with local ARNs. */
export function localFunctionPolicy(fn: FunctionDefinition, stack: LocalArnParts, env: NodeJS.ProcessEnv = process.env): DerivedPolicy {
  return functionPolicy(fn, localAccessResources(stack, localSenderAddress(env)));
}

/**
 * The local stack's own mail domain (its sender, its administrator, the tour's and send-session's
 * therapists): treated as the practice's, so a therapist at it is registered on first sight and the
 * tour's alerts arrive without `alliance therapists add`. PRACTICE_DOMAINS overrides it (`none`
 * makes every therapist wait for registration, as a deployment without the setting does).
 */
export const LOCAL_PRACTICE_DOMAINS = 'practice.example';

/** Every variable a function may read from its environment, settings and resources alike. */
const SETTING_VARIABLES = [REQUEST_SETTINGS, DETECTOR_SETTINGS, RETENTION_SETTINGS, ALERT_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS].flatMap((group) => Object.values(group).map((setting) => setting.env));

/**
 * The environment of one function: region, throw-away credentials and the local endpoints (the
 * SDK reads `AWS_ENDPOINT_URL_<SERVICE>` itself, so the handler code is unchanged), then exactly
 * the variables its declaration (infra/function-access.ts) gives it, as the CDK stack does: its
 * resource variables, and the settings it reads from the developer's environment `env` (or their
 * defaults), the form's base URL being the local web server. Every other setting and resource
 * variable is removed, so a function that reads what it did not declare fails here as in AWS.
 * `undefined` means "remove". `env` is the environment the stack started with: the functions are
 * loaded one after another into one process.
 */
export function functionEnvironment(
  fn: FunctionDefinition,
  routes: readonly EventRoute[],
  stack: StackEnvironment,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const route = routes.find((candidate) => candidate.target.id === fn.id);
  const declared = functionVariables(fn);
  const resources = Object.fromEntries(
    (Object.keys(RESOURCE_ENV) as (keyof typeof RESOURCE_ENV)[]).map((key) => [
      RESOURCE_ENV[key],
      declared.resources.includes(key) ? LOCAL_RESOURCE_VALUES[key](stack, route, env) : undefined,
    ]),
  );
  const readsSetting = new Set(declared.settings.map((setting) => setting.env));
  const settings = Object.fromEntries(
    SETTING_VARIABLES.map((name) => [
      name,
      !readsSetting.has(name)
        ? undefined
        : name === REQUEST_SETTINGS.formBaseUrl.env
          ? stack.endpoints.web
          : name === REQUEST_SETTINGS.practiceDomains.env
            ? env[name] || LOCAL_PRACTICE_DOMAINS
            : name === REQUEST_SETTINGS.practiceTimeZone.env
              ? env[name] || machineTimeZone()
              : env[name],
    ]),
  );
  const instruments = Object.fromEntries(Object.values(INSTRUMENT_ENV).map((name) => [name, declared.instruments ? env[name] : undefined]));
  return {
    AWS_REGION: stack.region,
    // Local stand-ins accept any signature; a developer's real credentials have no business here.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: undefined,
    // With AWS_PROFILE set the SDK would prefer the profile over the variables above.
    AWS_PROFILE: undefined,
    // This switch would make the SDK ignore every endpoint below and call real AWS.
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: stack.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SESV2: stack.endpoints.ses,
    AWS_ENDPOINT_URL_EVENTBRIDGE: stack.endpoints.bus,
    AWS_ENDPOINT_URL_SQS: stack.endpoints.bus,
    // The scheduler stand-in answers the Scheduler REST API on the bus's port.
    AWS_ENDPOINT_URL_SCHEDULER: stack.endpoints.bus,
    // The Secrets Manager stand-in (secrets-emulator.ts) answers on the bus's port too.
    AWS_ENDPOINT_URL_SECRETS_MANAGER: stack.endpoints.bus,
    // Any other AWS service a function calls lands on the bus, which answers "no local stand-in
    // for ..." instead of the call leaving the machine.
    AWS_ENDPOINT_URL: stack.endpoints.bus,
    ...resources,
    ...settings,
    ...instruments,
    POWERTOOLS_LOG_LEVEL: env['POWERTOOLS_LOG_LEVEL'] ?? (stack.quiet ? 'SILENT' : undefined),
    // Nothing turns EMF into metrics on a laptop: off, so it does not fill the console
    // (POWERTOOLS_METRICS_DISABLED=false npm start shows it).
    POWERTOOLS_METRICS_DISABLED: env['POWERTOOLS_METRICS_DISABLED'] ?? 'true',
  };
}

export function applyEnvironment(variables: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(variables)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
}

/** What each function module was loaded with: a module is loaded once per process. */
const loaded = new Map<string, { signature: string; module: Record<string, unknown> }>();

/**
 * Imports a function module after putting its environment in place and returns its `handler`.
 * A module is evaluated once per process, so a second stack in the same process must use the same
 * environment (the same ports); otherwise this refuses rather than run handlers wired elsewhere.
 */
export async function loadFunction<Handler>(fn: FunctionDefinition, variables: Record<string, string | undefined>): Promise<Handler> {
  const signature = JSON.stringify(Object.entries(variables).sort(([a], [b]) => a.localeCompare(b)));
  const previous = loaded.get(fn.id);
  if (previous && previous.signature !== signature) {
    throw new LocalStackError(
      `Function ${fn.id} was already loaded in this process with other endpoints or settings; handlers read their environment once, so run one local stack per process (or restart it on the same ports).`,
    );
  }
  applyEnvironment(variables);
  let module = previous?.module;
  if (!module) {
    try {
      module = (await import(pathToFileURL(resolve(REPO_ROOT, fn.entry)).href)) as Record<string, unknown>;
    } catch (error) {
      // A setting the developer gave a bad value: the message names the variable and the fix.
      if (error instanceof ConfigurationError) throw new LocalStackError(`Function ${fn.id}: ${error.message}`);
      const cause = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new LocalStackError(`Function ${fn.id} (${fn.entry}) failed to load: ${cause}`, { cause: error });
    }
    loaded.set(fn.id, { signature, module });
  }
  if (typeof module['handler'] !== 'function') throw new LocalStackError(`Function ${fn.id} (${fn.entry}) exports no \`handler\` function`);
  return module['handler'] as Handler;
}
