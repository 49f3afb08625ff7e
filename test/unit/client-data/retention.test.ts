/**
 * Retention: the setting, and the TTL it puts on the writes that create session records and
 * evaluations (export reads an item past its TTL as gone: test/unit/client-data/client-data.test.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbDetectorStore } from '../../../shared/adapters/dynamodb-detector-store.ts';
import { DynamoDbSessionStore } from '../../../shared/adapters/dynamodb-session-store.ts';
import { retentionTtl, TTL_ATTRIBUTE } from '../../../shared/adapters/table.ts';
import { ConfigurationError, readSettingsFromEnv, RETENTION_SETTINGS } from '../../../shared/config.ts';
import type { StoredEvaluation } from '../../../shared/use-cases/ports.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
beforeEach(() => dynamo.reset());

const SESSION = {
  sessionId: 's-1',
  clientId: 'c-1',
  therapistId: 't-1',
  endedAt: '2026-01-10T15:00:00.000Z',
  client: { email: 'ana@example.com', locale: 'en' as const },
  therapist: { email: 'lee@practice.example' },
};
/** 2026-01-10T15:00Z plus 365 days, in epoch seconds. */
const A_YEAR_AFTER = Date.parse('2027-01-10T15:00:00.000Z') / 1000;

function putItem(): Record<string, unknown> {
  return dynamo.commandCalls(PutCommand)[0]!.args[0].input.Item as Record<string, unknown>;
}

describe('the retention setting', () => {
  it('keeps everything by default', () => {
    expect(readSettingsFromEnv(RETENTION_SETTINGS, {})).toEqual({ retentionDays: 'keep' });
  });

  it('reads a number of days', () => {
    expect(readSettingsFromEnv(RETENTION_SETTINGS, { RETENTION_DAYS: '2190' })).toEqual({ retentionDays: 2190 });
  });

  it.each(['29', 'forever', '365.5', '-1'])('refuses %s, saying what is allowed', (value) => {
    expect(() => readSettingsFromEnv(RETENTION_SETTINGS, { RETENTION_DAYS: value })).toThrow(ConfigurationError);
    expect(() => readSettingsFromEnv(RETENTION_SETTINGS, { RETENTION_DAYS: value })).toThrow(/RETENTION_DAYS must be .*from 30 to 36500/);
  });
});

describe('retentionTtl', () => {
  it('counts the period from the end of the session', () => {
    expect(retentionTtl(SESSION.endedAt, 365)).toEqual({ [TTL_ATTRIBUTE]: A_YEAR_AFTER });
  });

  it('adds no TTL when the practice keeps everything', () => {
    expect(retentionTtl(SESSION.endedAt, 'keep')).toEqual({});
  });
});

describe('TTL on the writes that happen anyway', () => {
  it('puts the retention TTL on the session record when the session is claimed', async () => {
    dynamo.on(PutCommand).resolves({});

    await new DynamoDbSessionStore('t', client, 365).claimSession(SESSION, { tokenHash: 'h', requestedAt: '2026-11-25T21:00:00.000Z', expiresAt: '2026-11-28T21:00:00.000Z' }, new Date('2026-01-10T16:00:00Z'), 60);

    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
    expect(putItem()[TTL_ATTRIBUTE]).toBe(A_YEAR_AFTER);
  });

  it('puts it on a skipped session record too', async () => {
    dynamo.on(PutCommand).resolves({});

    await new DynamoDbSessionStore('t', client, 365).recordSkipped(SESSION, 'stale', new Date('2026-03-10T16:00:00Z'));

    expect(putItem()[TTL_ATTRIBUTE]).toBe(A_YEAR_AFTER);
  });

  it('writes no TTL on session records by default', async () => {
    dynamo.on(PutCommand).resolves({});

    await new DynamoDbSessionStore('t', client).claimSession(SESSION, { tokenHash: 'h', requestedAt: '2026-11-25T21:00:00.000Z', expiresAt: '2026-11-28T21:00:00.000Z' }, new Date('2026-01-10T16:00:00Z'), 60);

    expect(putItem()).not.toHaveProperty(TTL_ATTRIBUTE);
  });

  it('gives an evaluation the TTL of its session, answered or expired', async () => {
    dynamo.on(PutCommand).resolves({});
    const store = new DynamoDbDetectorStore('t', client, 365);
    const expired: StoredEvaluation = { kind: 'expired', instrumentId: 'i', outcome: { sessionId: 's-1', endedAt: SESSION.endedAt, expiredInARow: 1, alerts: [], reason: '' } };

    await store.saveEvaluation('s-1', 'c-1', expired);
    await store.saveEvaluation('s-1', 'c-1', { kind: 'answered', instrumentId: 'i', evaluation: { endedAt: SESSION.endedAt } as never });

    for (const call of dynamo.commandCalls(PutCommand)) expect(call.args[0].input.Item?.[TTL_ATTRIBUTE]).toBe(A_YEAR_AFTER);
  });
});
