import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { isTransientFailure, persistAfterSend } from '../../../shared/adapters/after-send.ts';
import { DynamoDbAlertStore } from '../../../shared/adapters/dynamodb-alert-store.ts';
import { DynamoDbSessionStore } from '../../../shared/adapters/dynamodb-session-store.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const throttled = () => new ProvisionedThroughputExceededException({ message: 'Throughput exceeds the current capacity', $metadata: { httpStatusCode: 400 } });
const NO_WAIT = [0, 0, 0];

beforeEach(() => dynamo.reset());

describe('persistAfterSend', () => {
  it('tries a throttled write again and returns its result', async () => {
    let calls = 0;
    const result = await persistAfterSend(async () => {
      calls += 1;
      if (calls < 3) throw throttled();
      return 'written';
    }, NO_WAIT);

    expect(result).toBe('written');
    expect(calls).toBe(3);
  });

  it('gives up at once on a failed condition, which no retry can change', async () => {
    let calls = 0;
    const failed = persistAfterSend(async () => {
      calls += 1;
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
    }, NO_WAIT);

    await expect(failed).rejects.toThrow('The conditional request failed');
    expect(calls).toBe(1);
  });

  it('gives up after its last round', async () => {
    let calls = 0;
    const failed = persistAfterSend(async () => {
      calls += 1;
      throw throttled();
    }, NO_WAIT);

    await expect(failed).rejects.toThrow('Throughput exceeds');
    expect(calls).toBe(4);
  });

  it('counts throttling, 5xx and dropped connections as transient, and nothing else', () => {
    expect(isTransientFailure(throttled())).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('InternalServerError'), { $metadata: { httpStatusCode: 500 } }))).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientFailure(Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
  });
});

describe('the writes after SES accepted', () => {
  it('saves a sent request’s form token (its sent mark) through a throttling burst longer than the SDK’s own retries', async () => {
    dynamo.on(PutCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const store = new DynamoDbSessionStore('table', DynamoDBDocumentClient.from(new DynamoDBClient({})), 'keep', NO_WAIT);

    await store.saveSentFormToken({ tokenHash: 'h', sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', locale: 'en', expiresAt: '2026-11-28T21:00:00.000Z' });

    expect(dynamo.commandCalls(PutCommand)).toHaveLength(3);
  });

  it('saves an alert’s acknowledge link (its sent mark) through a throttling burst', async () => {
    dynamo.on(PutCommand).rejectsOnce(throttled()).resolves({});
    const store = new DynamoDbAlertStore('table', DynamoDBDocumentClient.from(new DynamoDBClient({})), 'keep', NO_WAIT);

    await store.saveAlertLink('h', { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', kind: 'rupture', sentAt: '2026-11-25T21:00:00.000Z' });

    expect(dynamo.commandCalls(PutCommand)).toHaveLength(2);
  });
});
