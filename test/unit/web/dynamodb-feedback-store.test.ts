/**
 * The feedback store against DynamoDB Local (the real conditional-write semantics), seeded by the
 * request flow's own store, so the two agree on the table layout.
 */
import { spawnSync } from 'node:child_process';
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { GetCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbFeedbackStore } from '../../../shared/adapters/dynamodb-feedback-store.ts';
import { DynamoDbFollowUpStore } from '../../../shared/adapters/dynamodb-follow-up-store.ts';
import { DynamoDbOptOutLinkStore } from '../../../shared/adapters/dynamodb-opt-out-link-store.ts';
import { DynamoDbSessionStore } from '../../../shared/adapters/dynamodb-session-store.ts';
import { hashToken, randomTokens } from '../../../shared/adapters/form-tokens.ts';
import { keys } from '../../../shared/adapters/items/index.ts';
import type { FormLink, SessionRecord, StoredAnswer } from '../../../shared/use-cases/ports.ts';
import { startTestTable, type TestTable } from '../../support/dynamodb-table.ts';

const HOUR = 3_600_000;
const NOW = new Date('2026-11-25T21:00:00.000Z');
const EXPIRES_AT = new Date(NOW.getTime() + 72 * HOUR).toISOString();
const HAS_JAVA = spawnSync('java', ['-version']).status === 0;

let table: TestTable | undefined;
let documentClient: DynamoDBDocumentClient;
let capacity: ConsumedCapacity[];
let tableName: string;
let sessions: DynamoDbSessionStore;
let feedback: DynamoDbFeedbackStore;
let sessionCounter = 0;

/** Creates a requested session and its link the way the request function does; returns the token. */
async function requestedSession(locale: 'en' | 'es' = 'en'): Promise<{ token: string; session: SessionRecord }> {
  sessionCounter += 1;
  const session: SessionRecord = {
    sessionId: `s-${sessionCounter}`,
    clientId: `c-${sessionCounter}`,
    therapistId: 't-1',
    endedAt: new Date(NOW.getTime() - HOUR).toISOString(),
    client: { email: `client${sessionCounter}@example.com`, firstName: 'Ana María', locale },
    therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
  };
  const { token, hash } = randomTokens.create();
  await sessions.claimSession(session, { tokenHash: hash, requestedAt: NOW.toISOString(), expiresAt: EXPIRES_AT }, NOW, 60);
  await sessions.reserveClientRequest({ clientId: session.clientId, sessionId: session.sessionId, endedAt: session.endedAt, window: { after: '0', before: '1' }, addressHash: 'hash-of-address' });
  await sessions.saveFormToken({ tokenHash: hash, sessionId: session.sessionId, clientId: session.clientId, therapistId: 't-1', locale, expiresAt: EXPIRES_AT, instrumentId: 'alliance-check-v1', sessionEndedAt: session.endedAt });
  return { token, session };
}

function answer(overrides: Partial<StoredAnswer> = {}): StoredAnswer {
  return { instrumentId: 'alliance-check-v1', items: { relationship: 8, goals: 7, approach: 9, overall: 10 }, talk: false, comment: undefined, submittedAt: NOW.toISOString(), ...overrides };
}

async function link(token: string): Promise<FormLink> {
  const found = await feedback.findLink(token);
  if (!found) throw new Error('link not found');
  return found;
}

async function answeredAt(sessionId: string): Promise<string | undefined> {
  return (await feedback.findAnswerState(sessionId, { consistent: true }))?.answeredAt;
}

describe.skipIf(!HAS_JAVA && !process.env['CI'])('DynamoDbFeedbackStore on DynamoDB Local', () => {
  beforeAll(async () => {
    tableName = 'alliance-feedback-test';
    // Every call's consumed capacity, so the unit budgets can be checked.
    table = await startTestTable(tableName, ({ consumed }) => capacity.push(consumed));
    documentClient = table.documentClient;
    sessions = new DynamoDbSessionStore(tableName, documentClient);
    feedback = new DynamoDbFeedbackStore(tableName, documentClient);
  }, 60_000);

  afterAll(async () => {
    await table?.stop();
  });

  beforeEach(() => {
    capacity = [];
  });

  it('finds a link from the token item alone, in half a read unit', async () => {
    const { token, session } = await requestedSession('es');
    capacity = [];

    const found = await feedback.findLink(token);

    expect(found).toEqual({
      sessionId: session.sessionId,
      clientId: session.clientId,
      therapistId: 't-1',
      locale: 'es',
      expiresAt: EXPIRES_AT,
      instrumentId: 'alliance-check-v1',
      sessionEndedAt: session.endedAt,
    });
    expect(capacity.map((c) => c.CapacityUnits)).toEqual([0.5]);
  });

  it('finds a link made before tokens carried the session’s end, without it', async () => {
    const { token, hash } = randomTokens.create();
    await sessions.saveFormToken({ tokenHash: hash, sessionId: 's-old', clientId: 'c-old', therapistId: 't-1', locale: 'en', expiresAt: EXPIRES_AT });
    expect((await feedback.findLink(token))?.sessionEndedAt).toBeUndefined();
  });

  it('reads the session’s answer state in half a read unit, or one when asked to be consistent', async () => {
    const { session } = await requestedSession();
    capacity = [];

    const eventual = await feedback.findAnswerState(session.sessionId, { consistent: false });
    const consistent = await feedback.findAnswerState(session.sessionId, { consistent: true });

    expect(eventual).toEqual({ answeredAt: undefined, expiredAt: undefined });
    expect(consistent).toEqual({ answeredAt: undefined, expiredAt: undefined });
    expect(capacity.map((c) => c.CapacityUnits)).toEqual([0.5, 1]);
    expect(await feedback.findAnswerState('s-gone', { consistent: false })).toBeUndefined();
  });

  it('finds nothing for an unknown or malformed token, and reads nothing for a malformed one', async () => {
    expect(await feedback.findLink(randomTokens.create().token)).toBeUndefined();
    capacity = [];
    expect(await feedback.findLink('not-a-token')).toBeUndefined();
    expect(await feedback.findOptOutLink('../SESSION')).toBeUndefined();
    expect(capacity).toEqual([]);
  });

  it('never stores the token itself', async () => {
    const { token } = await requestedSession();
    const items = await documentClient.send(new ScanCommand({ TableName: tableName }));
    expect(JSON.stringify(items.Items)).not.toContain(token);
    expect(JSON.stringify(items.Items)).toContain(hashToken(token));
  });

  it('records the answer on the session, where the follow-ups and alerts read it, in one write unit', async () => {
    const { token, session } = await requestedSession();

    const found = await link(token);
    capacity = [];
    const result = await feedback.recordAnswer(found, answer({ talk: true, comment: 'Gracias' }), NOW);
    const calls = [...capacity];

    expect(result).toEqual({ recorded: true });
    const stored = await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.session(session.sessionId) }));
    expect(stored.Item).toMatchObject({
      status: 'requested',
      answeredAt: NOW.toISOString(),
      answer: { instrumentId: 'alliance-check-v1', items: { relationship: 8, goals: 7, approach: 9, overall: 10 }, talk: true, comment: 'Gracias' },
    });
    // The write alone: nothing read the session before it.
    expect(calls.map((c) => c.CapacityUnits)).toEqual([1]);
    expect(await answeredAt(session.sessionId)).toBe(NOW.toISOString());
  });

  it('keeps even a 2,000-character comment within three write units', async () => {
    const { token } = await requestedSession();
    const found = await link(token);
    capacity = [];
    await feedback.recordAnswer(found, answer({ comment: 'Lorem ipsum dolor sit amet. '.repeat(72).slice(0, 2000) }), NOW);
    expect(capacity[0]?.CapacityUnits).toBeLessThanOrEqual(3);
  });

  it('records only the first answer and leaves it unchanged', async () => {
    const { token, session } = await requestedSession();
    const found = await link(token);
    await feedback.recordAnswer(found, answer(), NOW);

    const second = await feedback.recordAnswer(found, answer({ items: { relationship: 0, goals: 0, approach: 0, overall: 0 }, submittedAt: '2026-11-25T21:05:00.000Z' }), NOW);

    expect(second).toEqual({ recorded: false, reason: 'answered' });
    const stored = await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.session(session.sessionId) }));
    expect(stored.Item?.['answer']?.items).toEqual({ relationship: 8, goals: 7, approach: 9, overall: 10 });
    expect(stored.Item?.['answeredAt']).toBe(NOW.toISOString());
  });

  it('lets exactly one of ten racing answers win', async () => {
    const { token } = await requestedSession();
    const found = await link(token);

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => feedback.recordAnswer(found, answer({ items: { relationship: i, goals: i, approach: i, overall: i } }), NOW)));

    expect(results.filter((r) => r.recorded)).toHaveLength(1);
    expect(results.filter((r) => !r.recorded && r.reason === 'answered')).toHaveLength(9);
  });

  it('takes one answer per session across the request’s and the reminder’s links', async () => {
    const { token, session } = await requestedSession();
    const reminder = randomTokens.create();
    await sessions.saveFormToken({ tokenHash: reminder.hash, sessionId: session.sessionId, clientId: session.clientId, therapistId: 't-1', locale: 'en', expiresAt: EXPIRES_AT });

    await feedback.recordAnswer(await link(reminder.token), answer(), NOW);

    expect(await answeredAt(session.sessionId)).toBe(NOW.toISOString());
    expect(await feedback.recordAnswer(await link(token), answer(), NOW)).toEqual({ recorded: false, reason: 'answered' });
  });

  it('refuses an answer at or after the expiry, and after the expiry was announced', async () => {
    const late = await requestedSession();
    expect(await feedback.recordAnswer(await link(late.token), answer(), new Date(EXPIRES_AT))).toEqual({ recorded: false, reason: 'expired' });

    const announced = await requestedSession();
    const followUps = new DynamoDbFollowUpStore(tableName, documentClient);
    expect(await followUps.markExpired(announced.session.sessionId, new Date(EXPIRES_AT))).toBe('marked');
    expect((await feedback.findAnswerState(announced.session.sessionId, { consistent: true }))?.expiredAt).toBeDefined();
    expect(await feedback.recordAnswer(await link(announced.token), answer(), NOW)).toEqual({ recorded: false, reason: 'expired' });
  });

  it('tells an answer to a session that is gone apart, without having read it', async () => {
    const { token, hash } = randomTokens.create();
    await sessions.saveFormToken({ tokenHash: hash, sessionId: 's-erased', clientId: 'c-erased', therapistId: 't-1', locale: 'en', expiresAt: EXPIRES_AT });
    capacity = [];

    const result = await feedback.recordAnswer(await link(token), answer(), NOW);

    expect(result).toEqual({ recorded: false, reason: 'not-found' });
    const stored = await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.session('s-erased') }));
    expect(stored.Item).toBeUndefined();
  });

  it('stops the reminder and the expiry announcement once answered', async () => {
    const { token, session } = await requestedSession();
    await feedback.recordAnswer(await link(token), answer(), NOW);

    const followUps = new DynamoDbFollowUpStore(tableName, documentClient);
    expect(await followUps.claimReminder(session.sessionId, NOW)).toBe(false);
    expect(await followUps.markExpired(session.sessionId, new Date(EXPIRES_AT))).toBe('answered');
  });

  it('finds an opt-out link by its own token only: a form token is not one, and an opt-out token opens no form', async () => {
    const { token, session } = await requestedSession('es');
    const optOut = randomTokens.create();
    await new DynamoDbOptOutLinkStore(tableName, documentClient).saveOptOutLink({ tokenHash: optOut.hash, clientId: session.clientId, locale: 'es', issuedAt: NOW.toISOString() });

    expect(await feedback.findOptOutLink(optOut.token)).toEqual({ clientId: session.clientId, locale: 'es' });
    expect(await feedback.findOptOutLink(token)).toBeUndefined();
    expect(await feedback.findLink(optOut.token)).toBeUndefined();
    const stored = await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.optOutLink(optOut.hash) }));
    expect(stored.Item).toMatchObject({ type: 'OptOutLink', clientId: session.clientId, ttl: Math.floor(NOW.getTime() / 1000) + 365 * 86_400 });
    expect(JSON.stringify(stored.Item)).not.toContain(optOut.token);
  });

  it('opts a client out once, keeps the first date, and the request flow then refuses them', async () => {
    const { session } = await requestedSession('es');

    const first = await feedback.optOut(session.clientId, NOW);
    const again = await feedback.optOut(session.clientId, new Date(NOW.getTime() + HOUR));

    expect(first).toEqual({ optedOutAt: NOW.toISOString(), first: true });
    expect(again).toEqual({ optedOutAt: NOW.toISOString(), first: false });
    const next = await sessions.reserveClientRequest({ clientId: session.clientId, sessionId: 's-next', endedAt: NOW.toISOString(), window: { after: '0', before: '1' }, addressHash: 'hash-of-address' });
    expect(next).toEqual({ reserved: false, reason: 'opted-out' });
  });

  it('opts out a client the table has no profile for yet', async () => {
    expect(await feedback.optOut('c-unknown', NOW)).toEqual({ optedOutAt: NOW.toISOString(), first: true });
  });
});
