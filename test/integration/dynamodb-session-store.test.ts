/**
 * DynamoDbSessionStore against DynamoDB Local: the conditional writes that make requests
 * idempotent, throttled and respectful of opt-outs, with the real service's condition semantics.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, LOCAL_JVM_OPTIONS, localDynamoDbClient, startDynamoDbLocal, type DynamoDbLocal } from '../../infra/local/dynamodb-local.ts';
import { findFreePort } from '../../infra/local/ports.ts';
import { DynamoDbSessionStore } from '../../shared/adapters/dynamodb-session-store.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { throttleWindow } from '../../shared/domain/request-policy.ts';
import type { SessionRecord } from '../../shared/use-cases/ports.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-25T21:00:00.000Z');
const TABLE = 'session-store-test';
const POLICY = { throttleHours: 12, tokenExpiryHours: 72, maxSessionAgeHours: 168, maxSessionLeadMinutes: 60 };

const javaOptionsBefore = process.env['JAVA_TOOL_OPTIONS'];
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

describe('DynamoDB Local process', () => {
  it('runs its JVM with the laptop options and leaves this process environment as it was', () => {
    const environ = readFileSync(`/proc/${dynamo.pid}/environ`, 'utf8').split('\0');
    const javaOptions = environ.find((entry) => entry.startsWith('JAVA_TOOL_OPTIONS='));
    for (const option of LOCAL_JVM_OPTIONS) expect(javaOptions).toContain(option);
    expect(process.env['JAVA_TOOL_OPTIONS']).toBe(javaOptionsBefore);
  });
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
    addressHash: `hash(${record.client.email})`,
  });
}

async function item(key: { pk: string; sk: string }) {
  return (await documentClient.send(new GetCommand({ TableName: TABLE, Key: key }))).Item;
}

function plan(tokenHash = `${'h'.repeat(60)}${String(counter).padStart(4, '0')}`, at = NOW) {
  return { tokenHash, requestedAt: at.toISOString(), expiresAt: new Date(at.getTime() + 72 * HOUR).toISOString() };
}

/** The form token an attempt writes once SES has accepted its email. */
function sent(record: SessionRecord, request: ReturnType<typeof plan>) {
  return store.saveSentFormToken({
    tokenHash: request.tokenHash,
    sessionId: record.sessionId,
    clientId: record.clientId,
    therapistId: record.therapistId,
    locale: record.client.locale,
    expiresAt: request.expiresAt,
    sessionEndedAt: record.endedAt,
  });
}

describe('claimSession', () => {
  it('claims a new session once, recording it as requested with the planned link; a second claim within the lease sees it claimed', async () => {
    const record = session();
    const request = plan();

    expect(await store.claimSession(record, request, NOW, 60)).toEqual({ claimed: true });
    expect(await store.claimSession(record, plan('x'.repeat(64)), new Date(NOW.getTime() + 30_000), 60)).toEqual({ claimed: false, status: 'claimed' });
    expect(await item(keys.session(record.sessionId))).toMatchObject({
      status: 'requested',
      tokenHash: request.tokenHash,
      requestedAt: request.requestedAt,
      expiresAt: request.expiresAt,
      claimExpiresAt: new Date(NOW.getTime() + 60_000).toISOString(),
    });
  });

  it('lets a retry take over a claim whose lease expired without a token (the earlier attempt died), keeping its link for the email it may have sent', async () => {
    const record = session();
    const first = plan('a'.repeat(64));
    await store.claimSession(record, first, NOW, 60);
    const later = new Date(NOW.getTime() + 61_000);
    const second = plan('b'.repeat(64), later);

    expect(await store.claimSession(record, second, later, 60)).toEqual({ claimed: true, earlier: { tokenHash: first.tokenHash, expiresAt: first.expiresAt } });
    expect(await item(keys.session(record.sessionId))).toMatchObject({ tokenHash: second.tokenHash, requestedAt: later.toISOString() });
  });

  it('lets only one of two retries take over a lapsed claim', async () => {
    const record = session();
    await store.claimSession(record, plan('a'.repeat(64)), NOW, 60);
    const later = new Date(NOW.getTime() + 61_000);

    const results = await Promise.all([store.claimSession(record, plan('b'.repeat(64), later), later, 60), store.claimSession(record, plan('c'.repeat(64), later), later, 60)]);

    expect(results.filter((result) => result.claimed)).toHaveLength(1);
  });

  it('never re-claims a session whose token was written (its email went out), however late, and tells what was announced', async () => {
    const record = session();
    const request = plan();
    await store.claimSession(record, request, NOW, 60);
    await sent(record, request);

    expect(await store.claimSession(record, plan('x'.repeat(64)), new Date(NOW.getTime() + 24 * HOUR), 60)).toEqual({
      claimed: false,
      status: 'requested',
      // What FeedbackRequested announced, so a redelivery can announce it again.
      request: { clientId: record.clientId, therapistId: record.therapistId, requestedAt: request.requestedAt, expiresAt: request.expiresAt },
    });
    expect(await item(keys.session(record.sessionId))).toMatchObject({ tokenHash: request.tokenHash });
  });

  it('tells a duplicate within the lease that the email went out once the token exists, so a failed announcement is repeated at once', async () => {
    const record = session();
    const request = plan();
    await store.claimSession(record, request, NOW, 60);
    await sent(record, request);

    expect(await store.claimSession(record, plan('x'.repeat(64)), new Date(NOW.getTime() + 1_000), 60)).toMatchObject({ claimed: false, status: 'requested', request: { requestedAt: request.requestedAt } });
  });

  it('treats a session marked requested by the previous version (no lease) as sent', async () => {
    const record = session();
    await documentClient.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...keys.session(record.sessionId), type: 'Session', ...record, status: 'requested', requestedAt: NOW.toISOString(), expiresAt: NOW.toISOString(), tokenHash: 'h'.repeat(64) },
      }),
    );

    expect(await store.claimSession(record, plan(), new Date(NOW.getTime() + HOUR), 60)).toMatchObject({ claimed: false, status: 'requested', request: { requestedAt: NOW.toISOString() } });
  });

  it('takes over a lapsed claim of the previous version (status claimed)', async () => {
    const record = session();
    await documentClient.send(
      new PutCommand({
        TableName: TABLE,
        Item: { ...keys.session(record.sessionId), type: 'Session', ...record, status: 'claimed', claimedAt: NOW.toISOString(), claimExpiresAt: new Date(NOW.getTime() + 60_000).toISOString() },
      }),
    );

    expect(await store.claimSession(record, plan(), new Date(NOW.getTime() + HOUR), 60)).toEqual({ claimed: true });
  });

  it('never takes over a lapsed claim the client already answered, so a retry cannot wipe the answer', async () => {
    const record = session();
    await store.claimSession(record, plan(), NOW, 60);
    await documentClient.send(
      new UpdateCommand({ TableName: TABLE, Key: keys.session(record.sessionId), UpdateExpression: 'SET answeredAt = :at, answer = :answer', ExpressionAttributeValues: { ':at': NOW.toISOString(), ':answer': { items: { goals: 9 } } } }),
    );

    expect(await store.claimSession(record, plan('x'.repeat(64)), new Date(NOW.getTime() + HOUR), 60)).toMatchObject({ claimed: false, status: 'requested', request: { clientId: record.clientId } });
    await store.recordSkipped(record, 'throttled', new Date(NOW.getTime() + HOUR));
    expect(await item(keys.session(record.sessionId))).toMatchObject({ answeredAt: NOW.toISOString(), answer: { items: { goals: 9 } } });
  });

  it('gives a released claim back, so the next delivery can claim it', async () => {
    const record = session();
    const request = plan();
    await store.claimSession(record, request, NOW, 60);

    await store.releaseClaim(record.sessionId, request.tokenHash);

    expect(await store.claimSession(record, plan(), NOW, 60)).toEqual({ claimed: true });
  });

  it('releases only its own claim, never one another attempt took over', async () => {
    const record = session();
    await store.claimSession(record, plan('a'.repeat(64)), NOW, 60);
    const later = new Date(NOW.getTime() + 61_000);
    await store.claimSession(record, plan('b'.repeat(64), later), later, 60);

    await store.releaseClaim(record.sessionId, 'a'.repeat(64));

    expect(await item(keys.session(record.sessionId))).toMatchObject({ tokenHash: 'b'.repeat(64) });
  });

  it('never claims a session recorded as skipped', async () => {
    const record = session();
    await store.recordSkipped(record, 'stale', NOW);

    expect(await store.claimSession(record, plan(), NOW, 60)).toEqual({ claimed: false, status: 'skipped' });
  });
});

describe('saveSentFormToken', () => {
  it('stores the token with what the web pages need, the session end included', async () => {
    const record = session();
    const request = plan();

    await sent(record, request);

    expect(await item(keys.formToken(request.tokenHash))).toMatchObject({ type: 'FormToken', sessionId: record.sessionId, clientId: record.clientId, sessionEndedAt: record.endedAt, expiresAt: request.expiresAt });
  });
});

describe('reserveClientRequest', () => {
  it('reserves the first request of a client and records which session it was for', async () => {
    const record = session();

    // A new client: the address is new to it, so the request asks the do-not-contact list.
    expect(await reserve(record)).toEqual({ reserved: true, addressKnown: false, previousSlot: undefined });
    expect(await item(keys.client(record.clientId))).toMatchObject({ lastRequestSessionId: record.sessionId, lastRequestEndedAt: record.endedAt, addressHash: `hash(${record.client.email})` });
  });

  it('knows an address the client was already sent to, and a changed one, and gives a slot back as it was', async () => {
    const first = session();
    await reserve(first);
    const next = session({ clientId: first.clientId, client: first.client, endedAt: new Date(new Date(first.endedAt).getTime() + 13 * HOUR).toISOString() });
    const moved = session({ clientId: first.clientId, endedAt: new Date(new Date(first.endedAt).getTime() + 26 * HOUR).toISOString(), client: { ...first.client, email: 'new@example.com' } });

    expect(await reserve(next)).toEqual({ reserved: true, addressKnown: true, previousSlot: { sessionId: first.sessionId, endedAt: first.endedAt } });
    const changed = await reserve(moved);
    expect(changed).toMatchObject({ reserved: true, addressKnown: false });
    await store.releaseClientRequest(first.clientId, moved.sessionId, changed.reserved ? changed.previousSlot : undefined);

    // The slot is next's again, and the address is forgotten: the list is asked again next time.
    const profile = await item(keys.client(first.clientId));
    expect(profile).toMatchObject({ lastRequestSessionId: next.sessionId, lastRequestEndedAt: next.endedAt });
    expect(profile?.['addressHash']).toBeUndefined();
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

    expect(await reserve(after)).toMatchObject({ reserved: true });
    expect(await reserve(before)).toMatchObject({ reserved: true });
  });

  it('reserves the same session again (a retry of the same request)', async () => {
    const record = session();
    await reserve(record);

    expect(await reserve(record)).toMatchObject({ reserved: true, addressKnown: true });
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

  it('records a skip over its own claim', async () => {
    const record = session();
    const request = plan();
    await store.claimSession(record, request, NOW, 60);

    await store.recordSkipped(record, 'throttled', NOW, request.tokenHash);

    const stored = await item(keys.session(record.sessionId));
    expect(stored).toMatchObject({ status: 'skipped', skipReason: 'throttled' });
    expect(stored).not.toHaveProperty('tokenHash');
  });

  it('never overwrites a session that was requested, by another attempt or with no claim of its own', async () => {
    const record = session();
    const request = plan();
    await store.claimSession(record, request, NOW, 60);
    await sent(record, request);

    await store.recordSkipped(record, 'stale', NOW);
    await store.recordSkipped(record, 'throttled', NOW, 'x'.repeat(64));

    expect(await item(keys.session(record.sessionId))).toMatchObject({ status: 'requested', tokenHash: request.tokenHash });
  });
});
