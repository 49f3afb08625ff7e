/**
 * Watches the functions' own AWS SDK clients — the container-wide singletons the adapters use —
 * while they run in the local stack: every DynamoDB call is made to return its ConsumedCapacity
 * (`ReturnConsumedCapacity: 'INDEXES'`, which changes nothing else) and recorded with the item kind
 * it touched; SES sends and EventBridge/Scheduler calls are recorded with their time. The product code
 * is unchanged; only middleware is added, and removed again by `detach()`.
 */
import { getDocumentClient } from '../../shared/adapters/dynamodb-table.ts';
import { getEventBridgeClient } from '../../shared/adapters/eventbridge-publisher.ts';
import { getSchedulerClient } from '../../shared/adapters/eventbridge-scheduler.ts';
import { getSesClient } from '../../shared/adapters/ses-mailer.ts';

export interface DynamoCall {
  /** The low-level operation (GetItem, PutItem, UpdateItem, …). */
  operation: string;
  kind: 'read' | 'write';
  /** The item kind from its key (SESSION, TOKEN, PROFILE, DETECTOR, EVALUATION, ALERT, …). */
  item: string;
  consistentRead: boolean;
  units: number;
  /** Of `units`, what went to global secondary indexes (DynamoDB writes an index entry as a write). */
  indexUnits: number;
  ok: boolean;
  errorName?: string;
  startedAt: number;
  ms: number;
  /** Where the call came from, when attribution is on: the function folder and the use case. */
  fn?: string;
  useCase?: string;
  /** The label the bench had set when the call was made. */
  step: string;
  /** The partition key (to tell items apart, e.g. which client's detector record). */
  pk: string;
}

export interface SentEmail {
  to: string;
  subject: string;
  text: string;
  /** performance.now() when SES (the emulator) had accepted and stored the message. */
  at: number;
  /** How long the SendEmail call took. */
  ms: number;
  ok: boolean;
}

export interface PutEventsCall {
  detailTypes: string[];
  at: number;
  ms: number;
}

export interface Recorder {
  dynamo: DynamoCall[];
  emails: SentEmail[];
  events: PutEventsCall[];
  schedules: { name: string; at: number }[];
  /** The label stored with each call (the lifecycle step running now). */
  step: string;
  /** Record where each DynamoDB call came from (a stack trace per call: for the lifecycle only). */
  attribute: boolean;
  /** Called as soon as an email is stored (the burst uses it to take times). */
  onEmail?: (email: SentEmail) => void;
  /** Called as soon as a DynamoDB call completes. */
  onDynamo?: (call: DynamoCall, input: Record<string, unknown>) => void;
  /** Drops what was recorded so far. */
  reset(): void;
  /** Removes the middleware from the clients. */
  detach(): void;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/** The part of an SDK client (and of its middleware API) the recorder uses. */
type Middleware = (
  next: (args: { input: unknown }) => Promise<{ output: unknown }>,
  context: { commandName?: string },
) => (args: { input: unknown }) => Promise<{ output: unknown }>;

interface Client {
  middlewareStack: {
    add(middleware: Middleware, options: { step: 'initialize' | 'finalizeRequest'; name: string; priority: 'high'; override: boolean }): void;
    remove(name: string): boolean;
  };
  config: unknown;
}

/** Attaches the recorder to the functions' SDK clients (call after the local stack loaded them). */
export function attachRecorder(): Recorder {
  const recorder: Recorder = {
    dynamo: [],
    emails: [],
    events: [],
    schedules: [],
    step: 'setup',
    attribute: false,
    reset() {
      this.dynamo.length = 0;
      this.emails.length = 0;
      this.events.length = 0;
      this.schedules.length = 0;
    },
    detach: () => undefined,
  };

  const dynamoMiddleware: Middleware = (next, context) => async (args) => {
    const input = args.input as Record<string, unknown>;
    // INDEXES: the total, and what of it the table and each index took.
    input['ReturnConsumedCapacity'] = 'INDEXES';
    const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
    const where = recorder.attribute ? callSite() : {};
    const startedAt = performance.now();
    const base = {
      operation,
      kind: READS.has(operation) ? ('read' as const) : ('write' as const),
      item: itemKind(input),
      pk: partitionKey(input),
      consistentRead: input['ConsistentRead'] === true,
      startedAt,
      step: recorder.step,
      ...where,
    };
    try {
      const result = await next(args);
      type Consumed = { CapacityUnits?: number; GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> };
      const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      const entries = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
      const units = entries.reduce((total, entry) => total + (entry.CapacityUnits ?? 0), 0);
      const indexUnits = entries.reduce((total, entry) => total + Object.values(entry.GlobalSecondaryIndexes ?? {}).reduce((sum, index) => sum + (index.CapacityUnits ?? 0), 0), 0);
      const call: DynamoCall = { ...base, units, indexUnits, ok: true, ms: performance.now() - startedAt };
      recorder.dynamo.push(call);
      recorder.onDynamo?.(call, input);
      return result;
    } catch (error) {
      // A failed conditional write still costs write units in AWS; DynamoDB Local reports none.
      const call: DynamoCall = { ...base, units: 0, indexUnits: 0, ok: false, errorName: (error as Error).name, ms: performance.now() - startedAt };
      recorder.dynamo.push(call);
      recorder.onDynamo?.(call, input);
      throw error;
    }
  };

  const sesMiddleware: Middleware = (next) => async (args) => {
    const input = args.input as { Destination?: { ToAddresses?: string[] }; Content?: { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string } } } } };
    const simple = input.Content?.Simple;
    const email = { to: input.Destination?.ToAddresses?.[0] ?? '', subject: simple?.Subject?.Data ?? '', text: simple?.Body?.Text?.Data ?? '' };
    const startedAt = performance.now();
    try {
      const result = await next(args);
      const at = performance.now();
      const sent: SentEmail = { ...email, at, ms: at - startedAt, ok: true };
      recorder.emails.push(sent);
      recorder.onEmail?.(sent);
      return result;
    } catch (error) {
      const at = performance.now();
      recorder.emails.push({ ...email, at, ms: at - startedAt, ok: false });
      throw error;
    }
  };

  const eventsMiddleware: Middleware = (next, context) => async (args) => {
    const startedAt = performance.now();
    const result = await next(args);
    if (context.commandName === 'PutEventsCommand') {
      const entries = (args.input as { Entries?: { DetailType?: string }[] }).Entries ?? [];
      const at = performance.now();
      recorder.events.push({ detailTypes: entries.map((entry) => entry.DetailType ?? ''), at, ms: at - startedAt });
    }
    return result;
  };

  const schedulerMiddleware: Middleware = (next, context) => async (args) => {
    const result = await next(args);
    if (context.commandName === 'CreateScheduleCommand') recorder.schedules.push({ name: String((args.input as { Name?: string }).Name), at: performance.now() });
    return result;
  };

  const attachments: { client: Client; name: string }[] = [];
  // Refuses, at the last step before sending, any request whose host is not on this machine.
  const loopbackGuard: Middleware = (next) => async (args) => {
    const hostname = (args as { request?: { hostname?: string } }).request?.hostname ?? '';
    if (!LOOPBACK.has(hostname)) throw new NotLoopbackError(`the benchmark refuses a request to ${hostname}: only the local stack may be called`);
    return next(args);
  };
  const attach = (client: Client, name: string, middleware: Middleware) => {
    client.middlewareStack.add(middleware, { step: 'initialize', name, priority: 'high', override: true });
    client.middlewareStack.add(loopbackGuard, { step: 'finalizeRequest', name: `${name}LoopbackGuard`, priority: 'high', override: true });
    attachments.push({ client, name }, { client, name: `${name}LoopbackGuard` });
  };
  attach(getDocumentClient() as unknown as Client, 'benchDynamoDbRecorder', dynamoMiddleware);
  attach(getSesClient() as unknown as Client, 'benchSesRecorder', sesMiddleware);
  attach(getEventBridgeClient() as unknown as Client, 'benchEventBridgeRecorder', eventsMiddleware);
  attach(getSchedulerClient() as unknown as Client, 'benchSchedulerRecorder', schedulerMiddleware);
  recorder.detach = () => {
    for (const { client, name } of attachments) client.middlewareStack.remove(name);
  };
  return recorder;
}

/** A request that would leave the machine. */
export class NotLoopbackError extends Error {
  override name = 'NotLoopbackError';
}

/** Loopback hosts the local stack listens on. */
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function keyOf(input: Record<string, unknown>): Record<string, unknown> | undefined {
  return (input['Key'] ?? input['Item']) as Record<string, unknown> | undefined;
}

function stringOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'S' in value) return String((value as { S: unknown }).S);
  return '';
}

function partitionKey(input: Record<string, unknown>): string {
  return stringOf(keyOf(input)?.['pk']);
}

/** SESSION, TOKEN/FormToken, PROFILE, DETECTOR, EVALUATION, ALERT … from the item's keys. */
function itemKind(input: Record<string, unknown>): string {
  const key = keyOf(input);
  if (!key) return String(input['TableName'] ?? '?');
  const pk = stringOf(key['pk']);
  const sk = stringOf(key['sk']);
  const pkKind = pk.split('#')[0] ?? '';
  const skKind = sk.split('#')[0] ?? '';
  return pkKind === 'TOKEN' ? `TOKEN/${skKind}` : skKind || pkKind;
}

/** The product function and use case a call came from, read off the (async) stack. */
function callSite(): { fn?: string; useCase?: string } {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  const frames = (holder.stack ?? '').split('\n');
  let fn: string | undefined;
  let useCase: string | undefined;
  let adapter: string | undefined;
  for (const frame of frames) {
    useCase ??= /at (?:async )?([\w$.]+) \(.*\/shared\/use-cases\/[\w-]+\.ts/.exec(frame)?.[1];
    adapter ??= /at (?:async )?([\w$.]+) \(.*\/shared\/adapters\/[\w-]+\.ts/.exec(frame)?.[1];
    fn ??= /\/functions\/([\w-]+)\//.exec(frame)?.[1];
  }
  const where = useCase ?? adapter;
  return { ...(fn ? { fn } : {}), ...(where ? { useCase: where } : {}) };
}
