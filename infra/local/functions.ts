/**
 * Loads the product's function modules into this process with the environment the CDK stack
 * would give them. The handlers read their environment when their module is loaded, so the
 * environment is set first and the modules are imported after.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { claimLeaseSeconds, FUNCTIONS, type EventRoute, type FunctionDefinition } from '../routes.ts';
import { ConfigurationError, REQUEST_SETTINGS, RESOURCE_ENV } from '../../shared/config.ts';
import { LocalStackError } from './errors.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The functions a local stack runs: every route's target, then the web function. */
export function functionsToRun(routes: readonly EventRoute[]): FunctionDefinition[] {
  const byId = new Map<string, FunctionDefinition>();
  for (const route of routes) byId.set(route.target.id, route.target);
  byId.set(FUNCTIONS.web.id, FUNCTIONS.web);
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
}

/** Name of the local dead-letter queue of a route. */
export function deadLetterQueueName(route: EventRoute): string {
  return `${route.id}-dlq`;
}

/**
 * A local value for every resource variable the CDK stack may give a function (undefined: not
 * set). Typed against RESOURCE_ENV, so a variable added there fails `tsc` here until the local
 * stack knows what to give it.
 */
const LOCAL_RESOURCE_VALUES: { [K in keyof typeof RESOURCE_ENV]: (stack: StackEnvironment, route: EventRoute | undefined) => string | undefined } = {
  tableName: (stack) => stack.tableName,
  busName: (stack) => stack.busName,
  busArn: (stack) => `arn:aws:events:${stack.region}:${stack.accountId}:event-bus/${stack.busName}`,
  deadLetterQueueUrl: (stack, route) => (route ? stack.queueUrl(deadLetterQueueName(route)) : undefined),
  claimLeaseSeconds: (_stack, route) => (route ? String(claimLeaseSeconds(route)) : undefined),
  // The emulator has no configuration sets; the name only matters to real SES.
  sesConfigurationSet: () => undefined,
  // The local scheduler (infra/local/scheduler.ts) takes any group, role and DLQ: plausible names.
  scheduleGroupName: () => 'local-follow-ups',
  schedulerRoleArn: (stack) => `arn:aws:iam::${stack.accountId}:role/local-scheduler`,
  schedulerDeadLetterQueueArn: (stack) => `arn:aws:sqs:${stack.region}:${stack.accountId}:local-scheduler-dlq`,
  // Deliverability notices land in the mail viewer like every other email.
  adminEmail: () => process.env['ADMIN_EMAIL'] || 'admin@practice.example',
};

/**
 * The environment of one function: region, throw-away credentials and the local endpoints (the
 * SDK reads `AWS_ENDPOINT_URL_<SERVICE>` itself, so the handler code is unchanged), the resource
 * variables, and the form's base URL. Settings the practice can change (REQUEST_SETTINGS and the
 * like) are left to the developer's environment or their defaults. `undefined` means "remove".
 */
export function functionEnvironment(
  fn: FunctionDefinition,
  routes: readonly EventRoute[],
  stack: StackEnvironment,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const route = routes.find((candidate) => candidate.target.id === fn.id);
  const resources = Object.fromEntries(
    (Object.keys(RESOURCE_ENV) as (keyof typeof RESOURCE_ENV)[]).map((key) => [RESOURCE_ENV[key], LOCAL_RESOURCE_VALUES[key](stack, route)]),
  );
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
    // Any other AWS service a function calls lands on the bus, which answers "no local stand-in
    // for ..." instead of the call leaving the machine.
    AWS_ENDPOINT_URL: stack.endpoints.bus,
    ...resources,
    [REQUEST_SETTINGS.formBaseUrl.env]: stack.endpoints.web,
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
