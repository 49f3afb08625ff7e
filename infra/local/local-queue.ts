/**
 * A stand-in for a route's SQS queue and its Lambda event source mapping: it hands the function
 * SQS-shaped batches (up to the route's batch size, at most its maximum concurrency in flight),
 * honours `batchItemFailures`, makes failed messages visible again after a backoff, and after the
 * route's `maxReceiveCount` moves them to the dead-letter queue — the same contract the CDK
 * stack's queue gives the same handler code.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { EventRoute, FunctionDefinition } from '../routes.ts';
import type { Clock } from '../../shared/use-cases/ports.ts';
import type { LogLine } from './log.ts';

/** A function module's handler, as an SQS event source mapping calls it. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined>;

/**
 * How long a failed message stays invisible. In AWS that is the visibility timeout (minutes);
 * locally it is short and doubles per attempt, so a developer sees the retries play out.
 */
export interface RetryPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelayMs: 500, maxDelayMs: 10_000 };

export interface LocalQueueOptions {
  name: string;
  route: EventRoute;
  handler: SqsHandler;
  region: string;
  accountId: string;
  /** The clock the functions see; message timestamps come from it. Scheduling uses real time. */
  clock: Clock;
  retry: RetryPolicy;
  log: LogLine;
  /** Receives a message that failed `maxReceiveCount` times. */
  moveToDeadLetterQueue: (message: { body: string; reason: string; receiveCount: number }) => void;
}

export interface QueueStats {
  sent: number;
  invocations: number;
  succeeded: number;
  retried: number;
  deadLettered: number;
  waiting: number;
  inFlight: number;
}

interface QueueMessage {
  messageId: string;
  body: string;
  detailType: string;
  eventId: string;
  receiveCount: number;
  sentAt: number;
  firstReceivedAt: number | undefined;
  /** Real time (ms) at which the message may be received again. */
  visibleAt: number;
  /** Set when the function itself parked the message in the dead-letter queue during this delivery. */
  parkedByFunction: boolean;
}

export class LocalQueue {
  readonly arn: string;
  private readonly waiting: QueueMessage[] = [];
  private readonly inFlight = new Map<string, QueueMessage>();
  private readonly invocations = new Set<Promise<void>>();
  private readonly counters = { sent: 0, invocations: 0, succeeded: 0, retried: 0, deadLettered: 0 };
  private pumpScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = false;

  constructor(private readonly options: LocalQueueOptions) {
    this.arn = `arn:aws:sqs:${options.region}:${options.accountId}:${options.name}`;
  }

  get name(): string {
    return this.options.name;
  }

  /** Enqueues an EventBridge event (its JSON as the body); returns the message id, or undefined once stopped. */
  send(body: string, meta: { detailType: string; eventId: string }): string | undefined {
    if (this.stopped) {
      // While the stack shuts down a function may still publish; nothing will handle it any more.
      this.options.log(this.options.name, `${meta.detailType} ${meta.eventId.slice(0, 8)} dropped: the stack is stopping`);
      return undefined;
    }
    const message: QueueMessage = {
      messageId: randomUUID(),
      body,
      ...meta,
      receiveCount: 0,
      sentAt: this.options.clock.now().getTime(),
      firstReceivedAt: undefined,
      visibleAt: Date.now(),
      parkedByFunction: false,
    };
    this.waiting.push(message);
    this.counters.sent += 1;
    this.schedulePump();
    return message.messageId;
  }

  /**
   * Notes that the function sent this in-flight message's body to the dead-letter queue itself;
   * returns the message's delivery count, or undefined when no in-flight message has that body.
   */
  markParkedByFunction(body: string): { receiveCount: number } | undefined {
    for (const message of this.inFlight.values()) {
      if (message.body === body) {
        message.parkedByFunction = true;
        return { receiveCount: message.receiveCount };
      }
    }
    return undefined;
  }

  stats(): QueueStats {
    return { ...this.counters, waiting: this.waiting.length, inFlight: this.inFlight.size };
  }

  /** Nothing waiting (visible or not) and nothing being handled. */
  isIdle(): boolean {
    return this.waiting.length === 0 && this.inFlight.size === 0;
  }

  /** Stops receiving and waits for the invocations in flight; messages still waiting are dropped. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      if (this.waiting.length > 0) this.options.log(this.options.name, `stopping: ${this.waiting.length} message(s) not yet handled are dropped`);
    }
    await Promise.allSettled([...this.invocations]);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopped) return;
    this.pumpScheduled = true;
    // Defer to the next turn so that the entries of one PutEvents call share a batch, as they
    // would when the event source mapping polls.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped) return;
    const { batchSize, maxConcurrency } = this.options.route;
    while (this.invocations.size < maxConcurrency) {
      const now = Date.now();
      const batch = this.waiting.filter((message) => message.visibleAt <= now).slice(0, batchSize);
      if (batch.length === 0) break;
      for (const message of batch) this.waiting.splice(this.waiting.indexOf(message), 1);
      const invocation = this.invoke(batch).finally(() => {
        this.invocations.delete(invocation);
        this.schedulePump();
      });
      this.invocations.add(invocation);
    }
    this.armTimerForNextVisible();
  }

  private armTimerForNextVisible(): void {
    const now = Date.now();
    const next = Math.min(...this.waiting.filter((message) => message.visibleAt > now).map((message) => message.visibleAt));
    if (!Number.isFinite(next) || next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.schedulePump();
    }, next - now);
  }

  private async invoke(batch: QueueMessage[]): Promise<void> {
    const { route, handler } = this.options;
    const receivedAt = this.options.clock.now().getTime();
    for (const message of batch) {
      message.receiveCount += 1;
      message.firstReceivedAt ??= receivedAt;
      message.parkedByFunction = false;
      this.inFlight.set(message.messageId, message);
    }
    this.counters.invocations += 1;
    const started = performance.now();
    let failed: Set<string>;
    let errorName: string | undefined;
    try {
      const result = await handler({ Records: batch.map((message) => this.toRecord(message)) }, lambdaContext(route.target, this.options));
      failed = this.failedIds(batch, result);
    } catch (error) {
      // A thrown error fails the whole batch, as with Lambda. Only the error's name is kept:
      // messages of errors can carry values from the event.
      errorName = describeError(error);
      failed = new Set(batch.map((message) => message.messageId));
    }
    const elapsedMs = Math.round(performance.now() - started);
    if (elapsedMs > route.target.timeoutSeconds * 1000) {
      this.options.log(route.id, `warning: ${route.target.id} ran ${elapsedMs} ms, longer than its ${route.target.timeoutSeconds} s timeout (Lambda would have stopped it)`);
    }
    for (const message of batch) {
      this.inFlight.delete(message.messageId);
      this.settle(message, failed.has(message.messageId), errorName, elapsedMs);
    }
  }

  /**
   * Reads `batchItemFailures` like the event source mapping: an item that names no message of the
   * batch makes Lambda treat the whole batch as failed.
   */
  private failedIds(batch: QueueMessage[], result: SQSBatchResponse | void | undefined): Set<string> {
    const ids = new Set(batch.map((message) => message.messageId));
    const failures = result?.batchItemFailures ?? [];
    if (failures.some((failure) => !ids.has(failure.itemIdentifier))) return ids;
    return new Set(failures.map((failure) => failure.itemIdentifier));
  }

  private settle(message: QueueMessage, failed: boolean, errorName: string | undefined, elapsedMs: number): void {
    const { route } = this.options;
    const what = `${message.detailType} ${message.eventId.slice(0, 8)} → ${route.target.id}`;
    const attempt = `attempt ${message.receiveCount}/${route.maxReceiveCount}, ${elapsedMs} ms`;
    if (!failed) {
      this.counters.succeeded += 1;
      const outcome = message.parkedByFunction ? 'rejected, sent to the dead-letter queue by the function' : 'ok';
      this.options.log(route.id, `${what}: ${outcome} (${attempt})`);
      return;
    }
    const cause = errorName ? `threw ${errorName}` : 'reported the record as failed';
    if (message.receiveCount >= route.maxReceiveCount) {
      this.counters.deadLettered += 1;
      this.options.log(route.id, `${what}: ${cause} (${attempt}); giving up`);
      this.options.moveToDeadLetterQueue({
        body: message.body,
        reason: `failed ${message.receiveCount} times (maxReceiveCount ${route.maxReceiveCount}); last attempt ${cause}`,
        receiveCount: message.receiveCount,
      });
      return;
    }
    this.counters.retried += 1;
    const delayMs = Math.min(this.options.retry.baseDelayMs * 2 ** (message.receiveCount - 1), this.options.retry.maxDelayMs);
    message.visibleAt = Date.now() + delayMs;
    this.waiting.push(message);
    this.options.log(route.id, `${what}: ${cause} (${attempt}); retrying in ${formatDelay(delayMs)}`);
  }

  private toRecord(message: QueueMessage): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: `${message.messageId}#${message.receiveCount}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'AIDALOCALSTACK',
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body, 'utf8').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: this.options.region,
    };
  }
}

/** The Lambda context a handler (and Powertools' logger) reads: names, request id, time left. */
export function lambdaContext(fn: FunctionDefinition, options: { region: string; accountId: string }): Context {
  const functionName = `local-${fn.id}`;
  const deadline = Date.now() + fn.timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${options.accountId}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The error's name, and for Powertools' FullBatchFailureError the first record's, which says
 * what actually went wrong.
 */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'Error';
  const first = (error as { recordErrors?: unknown[] }).recordErrors?.[0];
  return first instanceof Error ? `${error.name} (first record: ${first.name})` : error.name;
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
