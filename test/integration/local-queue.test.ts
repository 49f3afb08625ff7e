/**
 * The queue stand-in with a recording handler: batching, concurrency, partial batch failures,
 * retries and the move to the dead-letter queue, as the SQS event source mapping behaves.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalQueue, type SqsHandler } from '../../infra/local/local-queue.ts';
import { silentLog } from '../../infra/local/log.ts';
import { waitFor } from '../../infra/local/wait.ts';
import type { EventRoute } from '../../infra/routes.ts';
import { systemClock } from '../../shared/adapters/clock.ts';
import { SessionCompleted } from '../../shared/events/contracts.ts';

function route(overrides: Partial<EventRoute> = {}): EventRoute {
  return {
    id: 'test-route',
    contract: SessionCompleted,
    target: { id: 'test', entry: 'none', description: 'test', timeoutSeconds: 5 },
    maxConcurrency: 2,
    batchSize: 5,
    maxReceiveCount: 3,
    ...overrides,
  };
}

function queue(handler: SqsHandler, overrides: Partial<EventRoute> = {}) {
  const deadLettered: { body: string; reason: string; receiveCount: number }[] = [];
  const local = new LocalQueue({
    name: 'test-route',
    route: route(overrides),
    handler,
    region: 'us-east-1',
    accountId: '000000000000',
    clock: systemClock,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    log: silentLog,
    moveToDeadLetterQueue: (message) => deadLettered.push(message),
  });
  const send = (body: string) => local.send(body, { detailType: 'Test', eventId: body })!;
  return { local, send, deadLettered, idle: () => waitFor(() => local.isIdle(), { description: 'the queue to drain' }) };
}

describe('the local queue', () => {
  it('hands out batches of at most batchSize with at most maxConcurrency invocations in flight', async () => {
    let running = 0;
    let mostRunning = 0;
    const batchSizes: number[] = [];
    const { send, idle } = queue(
      async (event) => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        batchSizes.push(event.Records.length);
        await new Promise((resolve) => setTimeout(resolve, 10));
        running -= 1;
      },
      { batchSize: 2, maxConcurrency: 2 },
    );

    for (let index = 0; index < 7; index += 1) send(`m${index}`);
    await idle();

    expect(mostRunning).toBe(2);
    expect(Math.max(...batchSizes)).toBe(2);
    expect(batchSizes.reduce((sum, size) => sum + size, 0)).toBe(7);
  });

  it('delivers SQS-shaped records with the event as the body and the receive count', async () => {
    const events: SQSEvent[] = [];
    const { send, idle } = queue(async (event) => void events.push(event));

    send('{"detail-type":"Test"}');
    await idle();

    expect(events[0]!.Records[0]).toMatchObject({
      body: '{"detail-type":"Test"}',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:test-route',
      attributes: { ApproximateReceiveCount: '1' },
    });
  });

  it('retries only the records reported in batchItemFailures and parks them after maxReceiveCount', async () => {
    const receives: Record<string, string[]> = {};
    const { send, idle, deadLettered } = queue(async (event): Promise<SQSBatchResponse> => {
      for (const record of event.Records) (receives[record.body] ??= []).push(record.attributes.ApproximateReceiveCount);
      return { batchItemFailures: event.Records.filter((record) => record.body === 'bad').map((record) => ({ itemIdentifier: record.messageId })) };
    });

    send('good');
    send('bad');
    await idle();

    expect(receives['good']).toEqual(['1']);
    expect(receives['bad']).toEqual(['1', '2', '3']);
    expect(deadLettered).toEqual([{ body: 'bad', receiveCount: 3, reason: expect.stringContaining('failed 3 times') }]);
  });

  it('treats a thrown error as the failure of the whole batch', async () => {
    let calls = 0;
    const { send, idle, deadLettered } = queue(async () => {
      calls += 1;
      if (calls === 1) throw new TypeError('first attempt fails');
    });

    send('a');
    send('b');
    await idle();

    expect(calls).toBe(2);
    expect(deadLettered).toEqual([]);
  });

  it('treats an itemIdentifier that names no record as the failure of the whole batch', async () => {
    const { send, idle, deadLettered } = queue(async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-message-id' }] }), { maxReceiveCount: 2 });

    send('a');
    await idle();

    expect(deadLettered.map((message) => message.receiveCount)).toEqual([2]);
  });
});
