/**
 * An EventBridge-compatible endpoint for the local stack. It speaks the PutEvents JSON protocol,
 * so the real `@aws-sdk/client-eventbridge` and `aws events put-events --endpoint-url` work; it
 * validates entries the way EventBridge does and routes accepted events with the routing table
 * (infra/routes.ts) and the contracts' patterns into the routes' local queues.
 *
 * It also answers SQS `SendMessage` for the local dead-letter queues, so a function's own
 * dead-lettering (shared/adapters/sqs-dead-letter.ts) works unchanged.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { EventRoute } from '../routes.ts';
import type { Clock } from '../../shared/use-cases/ports.ts';
import { describeBody, type DeadLetter, type DeadLetterRedrive } from './dead-letters.ts';
import { matchesPattern } from './event-pattern.ts';
import type { LocalQueue } from './local-queue.ts';
import type { LogLine } from './log.ts';
import { HttpListener } from './http-listener.ts';
import { maskPath } from './web-server.ts';

/** EventBridge's limits on one PutEvents request. */
export const PUT_EVENTS_LIMITS = { maxEntries: 10, maxTotalBytes: 256 * 1024 } as const;

/** Local-only path where stand-ins for AWS services put their `aws.*` events (PutEvents refuses them). */
export const AWS_SERVICE_EVENTS_PATH = '/aws-service-events';

/** The event as a rule target (here: a queue) receives it. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** Another AWS service's REST API served on the same port; returns false when the request is not its. */
export type RestService = (request: IncomingMessage, response: ServerResponse, body: string) => Promise<boolean>;

export interface BusTargets {
  routes: { route: EventRoute; queue: LocalQueue }[];
  /** Dead-letter queues by name, with the route whose queue they serve. */
  deadLetterQueues: Map<string, { route: EventRoute; queue: LocalQueue }>;
  /** REST stand-ins reached through the catch-all endpoint (e.g. the scheduler's `/schedules/...`). */
  restServices?: RestService[];
  /** JSON-protocol stand-ins by `X-Amz-Target` (e.g. Secrets Manager's `secretsmanager.*`). */
  jsonServices?: JsonService[];
}

/** Another AWS service's JSON 1.1 API on the same port; answers undefined when the target is not its. */
export type JsonService = (target: string, input: unknown) => Promise<{ status: number; body: unknown } | undefined>;

export interface LocalEventBusOptions {
  port: number;
  region: string;
  accountId: string;
  /** The product's custom bus; `default` is accepted too but, as in AWS, has no rules. */
  busName: string;
  clock: Clock;
  log: LogLine;
  /** Keeps a parked message: the entry is what `/dead-letters` lists, the body what a redrive sends again. */
  recordDeadLetter: (entry: DeadLetter, body: string) => void;
  listDeadLetters: () => readonly DeadLetter[];
  /** Sends parked messages (of one dead-letter queue, by name) back to their route's queue: `POST /dead-letters/redrive`. */
  redriveDeadLetters?: (request: { queue: string | undefined; dryRun: boolean }) => DeadLetterRedrive;
  /** Sees every event the bus accepts (tests use it to check what was published). */
  onEvent?: (event: EventEnvelope, bus: string) => void;
}

/**
 * Who may put what on the bus: the local stand-in for EventBridge's authorization of each entry
 * (infra/local/iam-enforcement.ts). Without one, the bus accepts every valid entry.
 */
export interface BusAuthorization {
  /** The caller of a PutEvents request, from its headers (a function, the administrator, or the integration). */
  callerOf(headers: IncomingHttpHeaders): string;
  /** The failed entry for an entry its caller may not put, or undefined when it may. */
  refuse(caller: string, entry: { busArn: string; source: string; detailType: string }): Promise<{ ErrorCode: string; ErrorMessage: string } | undefined>;
}

/** Who puts an entry: a function's id, or one of the callers outside the functions (iam-enforcement.ts BusCaller). */
export type BusCallerName = string;

const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

/** Checks one PutEvents entry like EventBridge and, when it is acceptable, builds its envelope. */
export function acceptEntry(
  entry: unknown,
  context: { busName: string; region: string; accountId: string; now: Date; asAwsService?: boolean },
): { ok: true; bus: string; event: EventEnvelope } | { ok: false; error: { ErrorCode: string; ErrorMessage: string } } {
  const fail = (ErrorCode: string, ErrorMessage: string) => ({ ok: false as const, error: { ErrorCode, ErrorMessage } });
  if (typeof entry !== 'object' || entry === null) return fail('InvalidArgument', 'Parameter Entry is not valid.');
  const { Source, DetailType, Detail, EventBusName, Resources, Time } = entry as Record<string, unknown>;

  const bus = busNameOf(EventBusName);
  if (bus !== context.busName && bus !== 'default') return fail('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
  for (const [name, value] of [['Source', Source], ['DetailType', DetailType], ['Detail', Detail]] as const) {
    if (typeof value !== 'string' || value === '') return fail('InvalidArgument', `Parameter ${name} is not valid. Reason: ${name} is a required argument.`);
  }
  const source = Source as string;
  // `aws.` sources are reserved for AWS services.
  if (source.startsWith('aws.') && !context.asAwsService) return fail('NotAuthorizedForSourceException', 'Not authorized for the source.');
  let detail: unknown;
  try {
    detail = JSON.parse(Detail as string);
  } catch {
    return fail('MalformedDetail', 'Detail is malformed.');
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return fail('MalformedDetail', 'Detail is malformed.');
  if (Resources !== undefined && (!Array.isArray(Resources) || Resources.some((resource) => typeof resource !== 'string'))) {
    return fail('InvalidArgument', 'Parameter Resources is not valid.');
  }
  const time = Time === undefined ? context.now : parseTime(Time);
  if (!time) return fail('InvalidArgument', 'Parameter Time is not valid.');

  return {
    ok: true,
    bus,
    event: {
      version: '0',
      id: randomUUID(),
      'detail-type': DetailType as string,
      source,
      account: context.accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: context.region,
      resources: (Resources as string[] | undefined) ?? [],
      detail: detail as Record<string, unknown>,
    },
  };
}

/** Entry size as EventBridge counts it: Time (14 bytes), Source, DetailType, Detail and Resources. */
export function entrySize(entry: unknown): number {
  if (typeof entry !== 'object' || entry === null) return 0;
  const { Source, DetailType, Detail, Resources, Time } = entry as Record<string, unknown>;
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  const resources = Array.isArray(Resources) ? Resources.reduce((sum: number, resource) => sum + bytes(resource), 0) : 0;
  return (Time === undefined ? 0 : 14) + bytes(Source) + bytes(DetailType) + bytes(Detail) + resources;
}

function busNameOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') return 'default';
  // An ARN names the bus after `event-bus/`.
  const arn = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(value);
  return arn?.[1] ?? value;
}

function parseTime(value: unknown): Date | undefined {
  // The SDKs send epoch seconds; accept an RFC 3339 string as well.
  const date = typeof value === 'number' ? new Date(value * 1000) : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
}

export class LocalEventBus {
  private readonly http: HttpListener;
  private targets: BusTargets | undefined;
  private authorization: BusAuthorization | undefined;

  constructor(private readonly options: LocalEventBusOptions) {
    this.http = new HttpListener(options.port, 'bus');
  }

  /** The bound port once listening; 0 before. */
  get port(): number {
    return this.http.port;
  }

  get endpoint(): string {
    return this.http.endpoint;
  }

  /** The URL the functions are given for a local queue (SQS-style: account id, then name). */
  queueUrl(name: string): string {
    return `${this.endpoint}/${this.options.accountId}/${name}`;
  }

  listen(): Promise<void> {
    return this.http.listen((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.options.log('bus', `internal error: ${error instanceof Error ? error.name : 'Error'}`);
        if (!response.headersSent) sendJson(response, 500, { __type: 'InternalException', message: 'Internal error in the local bus.' });
      });
    });
  }

  /** Connects the bus to its queues; until then it answers 503, which the SDKs retry. */
  setTargets(targets: BusTargets): void {
    this.targets = targets;
  }

  /** Authorizes every entry from now on, as EventBridge does (the local stack's IAM switch turns it on). */
  setAuthorization(authorization: BusAuthorization | undefined): void {
    this.authorization = authorization;
  }

  stop(): Promise<void> {
    return this.http.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (request.method === 'GET' && path === '/dead-letters') {
      return sendJson(response, 200, { deadLetters: this.options.listDeadLetters() }, 'application/json');
    }
    if (request.method === 'POST' && path === '/dead-letters/redrive') return this.redrive(request, response);
    if (request.method === 'GET' && path === '/') return sendJson(response, 200, this.describe(), 'application/json');
    if (request.method === 'POST' && path === AWS_SERVICE_EVENTS_PATH) {
      // Local only: stands in for AWS services (SES's bounces) publishing `aws.*` events, which
      // PutEvents refuses from anyone else, here as in AWS.
      const input = JSON.parse((await readBody(request)) || '{}') as { Entries?: unknown };
      return sendJson(response, 200, await this.putEntries(Array.isArray(input.Entries) ? input.Entries : [], { asAwsService: true }));
    }
    const body = await readBody(request);
    if (body === undefined) return sendJson(response, 413, { __type: 'RequestEntityTooLarge', message: 'Request is too large.' });
    if (!this.targets) return sendJson(response, 503, { __type: 'ServiceUnavailable', message: 'The local stack is still starting.' });
    const target = headerValue(request, 'x-amz-target');
    if (!target) {
      for (const service of this.targets.restServices ?? []) if (await service(request, response, body)) return;
      // Paths of other services carry names and ids: show the first segment only.
      this.options.log('bus', `no local stand-in for ${request.method} ${maskPath(path)}`);
      return sendJson(response, 404, { __type: 'UnknownOperationException', message: `The local stack has no stand-in for ${request.method} ${maskPath(path)}.` });
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      return sendJson(response, 400, { __type: 'SerializationException', message: 'Request body is not valid JSON.' });
    }
    switch (target) {
      case 'AWSEvents.PutEvents':
        return this.putEvents(input, response, this.authorization?.callerOf(request.headers));
      case 'AmazonSQS.SendMessage':
        return this.sendMessage(input, response);
      default:
        for (const service of this.targets.jsonServices ?? []) {
          const answer = await service(target, input);
          if (answer) return sendJson(response, answer.status, answer.body);
        }
        this.options.log('bus', `no local stand-in for ${target}`);
        return sendJson(response, 400, { __type: 'UnknownOperationException', message: `The local stack has no stand-in for ${target}.` });
    }
  }

  /**
   * Accepts and routes entries that passed the request-level checks; also how in-process
   * producers (the scheduler stand-in, as `scheduler`) put events on the bus. Each valid entry is
   * then authorized for its caller (by default the integration: whoever is outside the stack); a
   * refused one fails on its own, as in EventBridge. AWS services' events are not authorized.
   */
  async putEntries(
    entries: readonly unknown[],
    options: { asAwsService?: boolean; caller?: BusCallerName } = {},
  ): Promise<{ FailedEntryCount: number; Entries: EntryResult[] }> {
    const now = this.options.clock.now();
    const results: EntryResult[] = [];
    for (const [index, entry] of entries.entries()) {
      const accepted = acceptEntry(entry, { busName: this.options.busName, region: this.options.region, accountId: this.options.accountId, now, asAwsService: options.asAwsService ?? false });
      if (!accepted.ok) {
        this.options.log('bus', `entry ${index + 1} rejected: ${accepted.error.ErrorCode} ${accepted.error.ErrorMessage}`);
        results.push(accepted.error);
        continue;
      }
      const refused =
        options.asAwsService || this.authorization === undefined
          ? undefined
          : await this.authorization.refuse(options.caller ?? 'integration', {
              busArn: `arn:aws:events:${this.options.region}:${this.options.accountId}:event-bus/${accepted.bus}`,
              source: accepted.event.source,
              detailType: accepted.event['detail-type'],
            });
      if (refused) {
        results.push(refused);
        continue;
      }
      this.options.onEvent?.(accepted.event, accepted.bus);
      this.route(accepted.bus, accepted.event);
      results.push({ EventId: accepted.event.id });
    }
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  private async putEvents(input: unknown, response: ServerResponse, caller: BusCallerName | undefined): Promise<void> {
    const entries = (input as { Entries?: unknown }).Entries;
    if (!Array.isArray(entries) || entries.length === 0) {
      return sendJson(response, 400, validationError("Value null at 'entries' failed to satisfy constraint: Member must not be null"));
    }
    if (entries.length > PUT_EVENTS_LIMITS.maxEntries) {
      return sendJson(response, 400, validationError(`Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${PUT_EVENTS_LIMITS.maxEntries}`));
    }
    const totalBytes = entries.reduce((sum: number, entry) => sum + entrySize(entry), 0);
    if (totalBytes > PUT_EVENTS_LIMITS.maxTotalBytes) {
      return sendJson(response, 400, { __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
    }
    sendJson(response, 200, await this.putEntries(entries, caller === undefined ? {} : { caller }));
  }

  private route(bus: string, event: EventEnvelope): void {
    const what = `${event['detail-type']} from ${event.source} (id ${event.id.slice(0, 8)})`;
    // Routes listen on the product's bus unless they say `default` (AWS services' events, e.g. SES's).
    const busOfRoute = (route: EventRoute) => (route.bus === 'default' ? 'default' : this.options.busName);
    const matched = (this.targets?.routes ?? []).filter(({ route }) => busOfRoute(route) === bus && matchesPattern(route.contract.pattern, event));
    const body = JSON.stringify(event);
    for (const { queue } of matched) queue.send(body, { detailType: event['detail-type'], eventId: event.id });
    this.options.log('bus', `${what} → ${matched.length > 0 ? matched.map(({ route }) => route.id).join(', ') : 'no rule matches'}`);
  }

  private sendMessage(input: unknown, response: ServerResponse): void {
    const { QueueUrl, MessageBody, MessageAttributes } = input as { QueueUrl?: unknown; MessageBody?: unknown; MessageAttributes?: Record<string, { StringValue?: unknown }> };
    const name = typeof QueueUrl === 'string' ? QueueUrl.replace(/\/+$/, '').split('/').pop() ?? '' : '';
    const dlq = this.targets?.deadLetterQueues.get(name);
    if (!dlq) {
      response.setHeader('x-amzn-query-error', 'AWS.SimpleQueueService.NonExistentQueue;Sender');
      return sendJson(response, 400, { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }, 'application/x-amz-json-1.0');
    }
    if (typeof MessageBody !== 'string' || MessageBody === '') {
      return sendJson(response, 400, { __type: 'com.amazonaws.sqs#MissingParameter', message: 'The request must contain the parameter MessageBody.' }, 'application/x-amz-json-1.0');
    }
    const reasonValue = MessageAttributes?.['reason']?.StringValue;
    const reason = typeof reasonValue === 'string' && reasonValue !== '' ? reasonValue : '(no reason attribute)';
    const messageId = randomUUID();
    const delivery = dlq.queue.markParkedByFunction(MessageBody);
    this.options.recordDeadLetter({
      messageId,
      queue: name,
      route: dlq.route.id,
      origin: 'function',
      reason,
      ...describeBody(MessageBody),
      ...(delivery ? { receiveCount: delivery.receiveCount } : {}),
      at: this.options.clock.now().toISOString(),
    }, MessageBody);
    // The SDK checks the body's MD5 on every SendMessage response.
    const md5 = createHash('md5').update(MessageBody, 'utf8').digest('hex');
    sendJson(response, 200, { MessageId: messageId, MD5OfMessageBody: md5 }, 'application/x-amz-json-1.0');
  }

  /**
   * The local stand-in for SQS's message move task (`npx alliance redrive`): body
   * `{ "queue"?: name or URL of a dead-letter queue, "dryRun"?: true }`; answers with what moved.
   */
  private async redrive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    let input: { queue?: unknown; dryRun?: unknown };
    try {
      input = body ? (JSON.parse(body) as typeof input) : {};
    } catch {
      return sendJson(response, 400, { message: 'Request body is not valid JSON.' }, 'application/json');
    }
    if (!this.options.redriveDeadLetters) return sendJson(response, 503, { message: 'The local stack is still starting.' }, 'application/json');
    const queue = typeof input.queue === 'string' && input.queue !== '' ? input.queue.replace(/\/+$/, '').split('/').pop() : undefined;
    sendJson(response, 200, this.options.redriveDeadLetters({ queue, dryRun: input.dryRun === true }), 'application/json');
  }

  private describe(): unknown {
    return {
      service: 'Local EventBridge endpoint (PutEvents) of the Alliance Feedback local stack',
      bus: this.options.busName,
      routes: (this.targets?.routes ?? []).map(({ route }) => ({
        id: route.id,
        pattern: route.contract.pattern,
        target: route.target.id,
        batchSize: route.batchSize,
        maxConcurrency: route.maxConcurrency,
        maxReceiveCount: route.maxReceiveCount,
      })),
      deadLetterQueues: [...(this.targets?.deadLetterQueues.keys() ?? [])].map((name) => this.queueUrl(name)),
      deadLetters: `${this.endpoint}/dead-letters`,
      redrive: `POST ${this.endpoint}/dead-letters/redrive {"queue"?: "<name or URL>", "dryRun"?: true}`,
    };
  }
}

function validationError(constraint: string) {
  return { __type: 'ValidationException', message: `1 validation error detected: ${constraint}` };
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(response: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.1'): void {
  const text = JSON.stringify(body, null, contentType === 'application/json' ? 2 : undefined);
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
  response.end(text);
}
