/**
 * DynamoDbSessionStore against DynamoDB Local: the conditional writes that make requests
 * idempotent, throttled and respectful of opt-outs, with the real service's condition semantics.
 */
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, localDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { findFreePort } from '../../infra/local/ports.ts';
import { DynamoDbSessionStore } from '../../shared/adapters/dynamodb-session-store.ts';
import { keys } from '../../shared/adapters/table.ts';
import { throttleWindow } from '../../shared/domain/request-policy.ts';
import type { SessionRecord } from '../../shared/use-cases/ports.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-25T21:00:00.000Z');
const TABLE = 'session-store-test';
const POLICY = { throttleHours: 12, tokenExpiryHours: 72, maxSessionAgeHours: 168, maxSessionLeadMinutes: 60 };

let dynamo: DynamoDbLocal;
let documentClient: DynamoDBDocumentClient;
let store: DynamoDbSessionStore;
let counter = 0;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal({ port: await findFreePort(), inMemory: true });
  await createTable(dynamo.endpoint, TABLE);
  documentClient = DynamoDBDocumentClient.from(localDynamoDbClient(dynamo.endpoint), { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoDbSessionStore(TABLE, documentClient);
});

afterAll(async () => {
  documentClient?.destroy();
  await dynamo?.stop();
});

function session(overrides: Partial<SessionRecord> = {}): SessionRecord {
  counter += 1;
  return {
    sessionId: `s-${counter}`,
    clientId: `c-${counter}`,
    therapistId: 't-7',
    endedAt: new Date(NOW.getTime() - HOUR).toISOString(),
    client: { email: `client${counter}@example.com`, firstName: 'Ana', locale: 'en' },
    therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
    ...overrides,
  };
}

function reserve(record: SessionRecord) {
  return store.reserveClientRequest({
    clientId: record.clientId,
    sessionId: record.sessionId,
    endedAt: record.endedAt,
    window: throttleWindow(new Date(record.endedAt), POLICY),
  });
}

async function item(key: { pk: string; sk: string }) {
  return (await documentClient.send(new GetCommand({ TableName: TABLE, Key: key }))).Item;
}

describe('claimSession', () => {
  it('claims a new session once; a second claim within the lease sees it claimed', async () => {
    const record = session();

    expect(await store.claimSession(record, NOW, 60)).toEqual({ claimed: true });
    expect(await store.claimSession(record, new Date(NOW.getTime() + 30_000), 60)).toEqual({ claimed: false, status: 'claimed' });
  });

  it('lets a retry re-claim a session whose lease expired (the earlier attempt died)', async () => {
    const record = session();
    await store.claimSession(record, NOW, 60);

    expect(await store.claimSession(record, new Date(NOW.getTime() + 61_000), 60)).toEqual({ claimed: true });
  });

  it('never re-claims a requested session, however late', async () => {
    const record = session();
    await store.claimSession(record, NOW, 60);
    await store.markRequested(record.sessionId, { requestedAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 72 * HOUR).toISOString(), tokenHash: 'h'.repeat(64) });

    expect(await store.claimSession(record, new Date(NOW.getTime() + 24 * HOUR), 60)).toEqual({
      claimed: false,
      status: 'requested',
      // What FeedbackRequested announced, so a redelivery can announce it again.
      request: { clientId: record.clientId, therapistId: record.therapistId, requestedAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 72 * HOUR).toISOString() },
    });
    expect(await item(keys.session(record.sessionId))).not.toHaveProperty('claimExpiresAt');
  });

  it('never takes over a lapsed claim the client already answered, so a retry cannot wipe the answer', async () => {
    const record = session();
    await store.claimSession(record, NOW, 60);
    // The email went out but marking it requested failed; the client answered from the link.
    await documentClient.send(
      new UpdateCommand({ TableName: TABLE, Key: keys.session(record.sessionId), UpdateExpression: 'SET answeredAt = :at, answer = :answer', ExpressionAttributeValues: { ':at': NOW.toISOString(), ':answer': { items: { goals: 9 } } } }),
    );

    expect(await store.claimSession(record, new Date(NOW.getTime() + HOUR), 60)).toEqual({ claimed: false, status: 'claimed' });
    await store.recordSkipped(record, 'throttled', new Date(NOW.getTime() + HOUR));
    expect(await item(keys.session(record.sessionId))).toMatchObject({ answeredAt: NOW.toISOString(), answer: { items: { goals: 9 } } });
  });

  it('gives a released claim back, so the next delivery can claim it', async () => {
    const record = session();
    await store.claimSession(record, NOW, 60);

    await store.releaseClaim(record.sessionId);

    expect(await store.claimSession(record, NOW, 60)).toEqual({ claimed: true });
  });

  it('never claims a session recorded as skipped', async () => {
    const record = session();
    await store.recordSkipped(record, 'stale', NOW);

    expect(await store.claimSession(record, NOW, 60)).toEqual({ claimed: false, status: 'skipped' });
  });
});

describe('reserveClientRequest', () => {
  it('reserves the first request of a client and records which session it was for', async () => {
    const record = session();

    expect(await reserve(record)).toEqual({ reserved: true });
    expect(await item(keys.client(record.clientId))).toMatchObject({ lastRequestSessionId: record.sessionId, lastRequestEndedAt: record.endedAt });
  });

  it('refuses a session that ended within the window after the last one', async () => {
    const first = session();
    await reserve(first);
    const later = session({ clientId: first.clientId, endedAt: new Date(new Date(first.endedAt).getTime() + 2 * HOUR).toISOString() });

    expect(await reserve(later)).toEqual({ reserved: false, reason: 'throttled' });
  });

  it('refuses a session that ended within the window before the last one (a delayed event)', async () => {
    const first = session();
    await reserve(first);
    const earlier = session({ clientId: first.clientId, endedAt: new Date(new Date(first.endedAt).getTime() - 2 * HOUR).toISOString() });

    expect(await reserve(earlier)).toEqual({ reserved: false, reason: 'throttled' });
  });

  it('reserves a session that ended outside the window, in either direction', async () => {
    const first = session();
    await reserve(first);
    const after = session({ clientId: first.clientId, endedAt: new Date(new Date(first.endedAt).getTime() + 13 * HOUR).toISOString() });
    const before = session({ clientId: first.clientId, endedAt: new Date(new Date(first.endedAt).getTime() - 13 * HOUR).toISOString() });

    expect(await reserve(after)).toEqual({ reserved: true });
    expect(await reserve(before)).toEqual({ reserved: true });
  });

  it('reserves the same session again (a retry of the same request)', async () => {
    const record = session();
    await reserve(record);

    expect(await reserve(record)).toEqual({ reserved: true });
  });

  it('refuses a client who opted out', async () => {
    const record = session();
    await documentClient.send(
      new UpdateCommand({ TableName: TABLE, Key: keys.client(record.clientId), UpdateExpression: 'SET optedOutAt = :at', ExpressionAttributeValues: { ':at': NOW.toISOString() } }),
    );

    expect(await reserve(record)).toEqual({ reserved: false, reason: 'opted-out' });
  });
});

describe('recordSkipped', () => {
  it('records why a session was not asked about', async () => {
    const record = session();

    await store.recordSkipped(record, 'throttled', NOW);

    expect(await item(keys.session(record.sessionId))).toMatchObject({ status: 'skipped', skipReason: 'throttled' });
  });

  it('never overwrites a session that was already requested', async () => {
    const record = session();
    await store.claimSession(record, NOW, 60);
    await store.markRequested(record.sessionId, { requestedAt: NOW.toISOString(), expiresAt: NOW.toISOString(), tokenHash: 'h'.repeat(64) });

    await store.recordSkipped(record, 'stale', NOW);

    expect(await item(keys.session(record.sessionId))).toMatchObject({ status: 'requested' });
  });
});
