/**
 * The queue handler keeps each invocation's batch to itself: the local stack runs a route's
 * concurrent invocations in one module instance (as Lambda's multi-concurrency modes do), and a
 * batch processor shared between them once acked a failed record of one batch as done.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { expect, it, vi } from 'vitest';
import { queueHandler } from '../../../shared/adapters/sqs-batch.ts';
import { FollowUpDueDetailSchema, PRODUCT_SOURCE, type EventContract } from '../../../shared/events/contracts.ts';
import { on, UnprocessableEventError } from '../../../shared/events/dispatch.ts';

const Due: EventContract<typeof FollowUpDueDetailSchema> = {
  detailType: 'Due',
  publisher: 'product',
  schema: FollowUpDueDetailSchema,
  pattern: { source: [PRODUCT_SOURCE], 'detail-type': ['Due'] },
};

const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function batch(prefix: string, sessionIds: readonly string[]): SQSEvent {
  return {
    Records: sessionIds.map(
      (sessionId, index) =>
        ({ messageId: `${prefix}-${index}`, body: JSON.stringify({ id: `${prefix}-${index}`, source: PRODUCT_SOURCE, 'detail-type': 'Due', detail: { sessionId } }) }) as SQSRecord,
    ),
  };
}

it('reports each invocation’s own failed records when two batches are handled at once', async () => {
  let releaseFirst: () => void = () => undefined;
  const firstMayFinish = new Promise<void>((resolve) => (releaseFirst = resolve));
  const handler = queueHandler({
    logger: new Logger({ logLevel: 'SILENT' }),
    deadLetters: { deadLetter: async () => undefined },
    handlers: [
      on(Due, async ({ sessionId }) => {
        if (sessionId === 'fails') throw new Error('SES throttled');
        if (sessionId === 'slow') await firstMayFinish;
      }),
    ],
  });

  // The first batch has a failed record and one still running when the second batch starts.
  const first = handler(batch('a', ['fails', 'slow']), context);
  await new Promise((resolve) => setImmediate(resolve));
  const second = await handler(batch('b', ['ok-1', 'ok-2']), context);
  releaseFirst();

  expect(await first).toEqual({ batchItemFailures: [{ itemIdentifier: 'a-0' }] });
  expect(second).toEqual({ batchItemFailures: [] });
});

it('logs a failed record’s message id and error name, never the error’s message', async () => {
  const lines: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    }),
  );
  const handler = queueHandler({
    logger: new Logger({ serviceName: 'test' }),
    deadLetters: { deadLetter: async () => undefined },
    handlers: [
      on(Due, async () => {
        throw Object.assign(new Error('Email address is not verified: ana@example.com'), { name: 'MessageRejected' });
      }),
    ],
  });

  const response = await handler(batch('c', ['refused']), context).catch((error: Error) => error);
  for (const spy of spies) spy.mockRestore();

  expect(response).toBeInstanceOf(Error);
  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line['message'] === 'Record failed; the queue retries it');
  expect(logged).toMatchObject({ messageId: 'c-0', error: 'MessageRejected' });
  expect(lines.join('')).not.toContain('ana@example.com');
});

it('parks a record its use case can never process at once, with the use case’s reason, and does not fail it', async () => {
  const parked: { body: string; reason: string }[] = [];
  const handler = queueHandler({
    logger: new Logger({ logLevel: 'SILENT' }),
    deadLetters: { deadLetter: async (body, reason) => void parked.push({ body, reason }) },
    handlers: [
      on(Due, async () => {
        throw new UnprocessableEventError('unknown instrument retired-v0: the instrument catalogue does not define it');
      }),
    ],
  });

  const response = await handler(batch('d', ['s-1']), context);

  expect(response).toEqual({ batchItemFailures: [] });
  expect(parked).toEqual([{ body: batch('d', ['s-1']).Records[0]!.body, reason: 'unknown instrument retired-v0: the instrument catalogue does not define it' }]);
});
