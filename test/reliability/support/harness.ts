/**
 * The reliability runs' view of a local stack: the real EventBridge client to put events (and
 * copies of the product's own events) on the local bus, the functions' published events recorded
 * through the fault injector's observer, the SES emulator's mail, one scan of the table, and a
 * bounded pool for HTTP posts. Everything on 127.0.0.1.
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FaultInjector, seededRandom, type FaultRule, type SdkCall } from '../../../infra/local/faults.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../../infra/local/stack.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { hashToken } from '../../../shared/adapters/form-tokens.ts';
import { DEFAULT_BUS_NAME } from '../../../shared/events/contracts.ts';
import { documentClient, eventBridgeClient, type StoredMail } from '../../integration/support/local-stack.ts';

export { waitFor } from '../../../infra/local/wait.ts';

/** An event one of the functions put on the bus (as it reached the bus). */
export interface PublishedEvent {
  detailType: string;
  source: string;
  detail: string;
}

/** What one SDK call of a function ended as, after the SDK's retries. */
export interface CallOutcome {
  call: SdkCall;
  error: string | undefined;
}

export interface ReliabilityStack {
  stack: LocalStack;
  clock: ManualClock;
  events: EventBridgeClient;
  table: DynamoDBDocumentClient;
  faults: FaultInjector;
  /** Every product event the functions published, in order. */
  published: PublishedEvent[];
  /** Every SDK call the functions made that failed after the SDK's retries, and the SES sends whose reply was lost. */
  failedCalls: CallOutcome[];
  lostReplies: SdkCall[];
  stop(): Promise<void>;
}

export interface ReliabilityStackOptions extends Omit<LocalStackOptions, 'faults' | 'clock' | 'ports'> {
  faults?: FaultRule[];
  seed?: number;
  start?: Date;
}

/** Starts a local stack on free ports with a manual clock and an injector that records what the functions do. */
export async function startReliabilityStack(options: ReliabilityStackOptions = {}): Promise<ReliabilityStack> {
  const clock = new ManualClock(options.start ?? new Date());
  const published: PublishedEvent[] = [];
  const failedCalls: CallOutcome[] = [];
  const lostReplies: SdkCall[] = [];
  const record = (entries: readonly PutEventsRequestEntry[]) => {
    for (const entry of entries) published.push({ detailType: entry.DetailType ?? '', source: entry.Source ?? '', detail: entry.Detail ?? '{}' });
  };
  const faults = new FaultInjector(options.faults ?? [], {
    random: seededRandom(options.seed ?? 1),
    observe: (call, fault) => {
      if (!fault?.startsWith('lost-response')) return;
      // The service took the request; only its reply was lost.
      if (call.service === 'ses') lostReplies.push(call);
      if (call.service === 'eventbridge' && call.operation === 'PutEvents') record((call.input['Entries'] ?? []) as PutEventsRequestEntry[]);
    },
    outcome: (call, error, output) => {
      if (error) failedCalls.push({ call, error });
      else if (call.service === 'eventbridge' && call.operation === 'PutEvents') {
        // The entries the bus accepted (a failed entry has an error code and no event id).
        const results = (output as { Entries?: { EventId?: string }[] } | undefined)?.Entries ?? [];
        record(((call.input['Entries'] ?? []) as PutEventsRequestEntry[]).filter((_, index) => results[index]?.EventId));
      }
    },
  });
  const { faults: _rules, seed: _seed, start: _start, ...stackOptions } = options;
  const stack = await startLocalStack({
    quiet: true,
    retry: { baseDelayMs: 20, maxDelayMs: 200 },
    schedulerIntervalMs: 3_600_000,
    ...stackOptions,
    ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 },
    clock,
    faults,
  });
  const events = eventBridgeClient(stack);
  const table = documentClient(stack);
  return {
    stack,
    clock,
    events,
    table,
    faults,
    published,
    failedCalls,
    lostReplies,
    async stop() {
      events.destroy();
      table.destroy();
      await stack.stop();
    },
  };
}

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
export async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Puts entries on the product bus with the real EventBridge client, ten per request; returns each entry's event id or error code. */
export async function putOnBus(events: EventBridgeClient, entries: readonly PutEventsRequestEntry[], concurrency = 4): Promise<({ eventId: string } | { error: string })[]> {
  // EventBridge takes at most 10 entries and 256 KB per request.
  const chunks: PutEventsRequestEntry[][] = [];
  let chunk: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.Detail ?? '') + Buffer.byteLength(entry.DetailType ?? '') + Buffer.byteLength(entry.Source ?? '');
    if (chunk.length === 10 || (chunk.length > 0 && bytes + size > 200_000)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push({ EventBusName: DEFAULT_BUS_NAME, ...entry });
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  const results = await pool(chunks, concurrency, async (chunk) => {
    const response = await events.send(new PutEventsCommand({ Entries: chunk }));
    return (response.Entries ?? []).map((entry) => (entry.EventId ? { eventId: entry.EventId } : { error: `${entry.ErrorCode}: ${entry.ErrorMessage}` }));
  });
  return results.flat();
}

/** Copies of events the functions published, put on the bus again (as EventBridge's at-least-once delivery would). */
export function copiesOf(published: readonly PublishedEvent[], detailType: string, copies: number): PutEventsRequestEntry[] {
  // One copy per distinct event: a re-announcement by the product is already a second delivery.
  const distinct = [...new Map(published.filter((event) => event.detailType === detailType).map((event) => [event.detail, event])).values()];
  return distinct.flatMap((event) => Array.from({ length: copies }, () => ({ Source: event.source, DetailType: event.detailType, Detail: event.detail })));
}

export async function allMail(stack: LocalStack): Promise<StoredMail[]> {
  const response = await fetch(stack.endpoints.mailStore);
  return ((await response.json()) as { emails: StoredMail[] }).emails;
}

const FORM_LINK = /\/f\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
const OPT_OUT_LINK = /\/u\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
const ACK_LINK = /\/a\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;

/** The form token a client email links to (undefined for other mail). */
export function formToken(mail: StoredMail): string | undefined {
  return FORM_LINK.exec(mail.body.text ?? '')?.[1];
}

/** The opt-out token a client email links to (its own, not the form's). */
export function optOutToken(mail: StoredMail): string | undefined {
  return OPT_OUT_LINK.exec(mail.body.text ?? '')?.[1];
}

/** The acknowledge token an alert email links to. */
export function ackToken(mail: StoredMail): string | undefined {
  return ACK_LINK.exec(mail.body.text ?? '')?.[1];
}

/** Every item of the table, grouped by what it is. */
export interface TableSnapshot {
  sessions: Map<string, Record<string, any>>;
  /** Form tokens by hash. */
  tokens: Map<string, Record<string, any>>;
  /** Alert links by token hash. */
  alertLinks: Map<string, Record<string, any>>;
  /** Alert claims, `sessionId#kind`. */
  alertClaims: Map<string, Record<string, any>>;
  evaluations: Map<string, Record<string, any>>;
  clients: Map<string, Record<string, any>>;
  detectors: Record<string, any>[];
  other: Record<string, any>[];
}

export async function snapshot(harness: Pick<ReliabilityStack, 'table' | 'stack'>): Promise<TableSnapshot> {
  const result: TableSnapshot = { sessions: new Map(), tokens: new Map(), alertLinks: new Map(), alertClaims: new Map(), evaluations: new Map(), clients: new Map(), detectors: [], other: [] };
  let start: Record<string, any> | undefined;
  do {
    const page = await harness.table.send(new ScanCommand({ TableName: harness.stack.tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = String(item['pk']);
      const sk = String(item['sk']);
      if (pk.startsWith('SESSION#') && sk === 'SESSION') result.sessions.set(pk.slice('SESSION#'.length), item);
      else if (pk.startsWith('SESSION#') && sk === 'EVALUATION') result.evaluations.set(pk.slice('SESSION#'.length), item);
      else if (pk.startsWith('SESSION#') && sk.startsWith('ALERT#')) result.alertClaims.set(`${pk.slice('SESSION#'.length)}#${sk.slice('ALERT#'.length)}`, item);
      else if (pk.startsWith('TOKEN#') && sk === 'TOKEN') result.tokens.set(pk.slice('TOKEN#'.length), item);
      else if (pk.startsWith('TOKEN#') && sk === 'ALERT') result.alertLinks.set(pk.slice('TOKEN#'.length), item);
      else if (pk.startsWith('CLIENT#') && sk === 'PROFILE') result.clients.set(pk.slice('CLIENT#'.length), item);
      else if (pk.startsWith('CLIENT#') && sk.startsWith('DETECTOR#')) result.detectors.push(item);
      else result.other.push(item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return result;
}

/** The session a client email belongs to, by the hash of the token in its link. */
export function sessionOfMail(mail: StoredMail, table: TableSnapshot): string | undefined {
  const token = formToken(mail);
  return token ? table.tokens.get(hashToken(token))?.['sessionId'] : undefined;
}

export interface PostResult {
  status: number;
  body: string;
  headers: Headers;
  ms: number;
}

/** POSTs a form body (urlencoded unless told otherwise) to a path of the local web server. */
export async function post(
  stack: LocalStack,
  path: string,
  body: string | Uint8Array,
  options: { contentType?: string | undefined; method?: string; timeoutMs?: number } = {},
): Promise<PostResult> {
  const started = performance.now();
  const headers: Record<string, string> = {};
  const contentType = 'contentType' in options ? options.contentType : 'application/x-www-form-urlencoded';
  if (contentType !== undefined) headers['content-type'] = contentType;
  const method = options.method ?? 'POST';
  const response = await fetch(`${stack.endpoints.web}${path}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  });
  const text = await response.text();
  return { status: response.status, body: text, headers: response.headers, ms: performance.now() - started };
}
