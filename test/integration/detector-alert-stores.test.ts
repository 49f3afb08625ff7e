/**
 * The detector and alert stores against DynamoDB Local: what each call costs in capacity units
 * (the same at every answer whatever the client's history, one small read for the alert), the
 * plain attributes export reads, and the once-only alert claim.
 */
import { spawnSync } from 'node:child_process';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbAlertStore } from '../../shared/adapters/dynamodb-alert-store.ts';
import { DynamoDbClientDataStore } from '../../shared/adapters/dynamodb-client-data-store.ts';
import { DynamoDbDetectorStore } from '../../shared/adapters/dynamodb-detector-store.ts';
import { DynamoDbSessionStore } from '../../shared/adapters/dynamodb-session-store.ts';
import { hashToken, randomTokens } from '../../shared/adapters/form-tokens.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import * as sessionItem from '../../shared/adapters/items/session.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import type { FeedbackSubmittedDetail } from '../../shared/events/contracts.ts';
import { evaluateAnswer, REMEMBERED_SESSIONS, type EvaluateDeps } from '../../shared/use-cases/evaluate-feedback.ts';
import { startTestTable, type TestTable } from '../support/dynamodb-table.ts';
import { FakePublisher } from '../support/fakes.ts';

const HAS_JAVA = spawnSync('java', ['-version']).status === 0;
const NOW = new Date('2026-11-25T21:00:00.000Z');

let table: TestTable | undefined;
let documentClient: DynamoDBDocumentClient;
let capacity: { command: string; units: number }[];
const tableName = 'alliance-feedback-stores-test';
let detector: DynamoDbDetectorStore;
let alerts: DynamoDbAlertStore;
let sessions: DynamoDbSessionStore;

/** A 128-character id (the longest the contracts allow). */
function longId(prefix: string): string {
  return `${prefix}${randomTokens.create().token}${randomTokens.create().token}${randomTokens.create().token}`.replace(/[^A-Za-z0-9]/g, 'x').slice(0, 128);
}

function answer(sessionId: string, clientId: string, items: Record<string, number>, endedAt: string, talk = false): FeedbackSubmittedDetail {
  return { sessionId, clientId, therapistId: 't-1', instrumentId: DEFAULT_INSTRUMENT.id, items, talk, hasComment: false, submittedAt: new Date(Date.parse(endedAt) + 3_600_000).toISOString() };
}

/** Stores the session, requested and then answered as `detail` says, as the request and web functions do. */
async function answered(detail: FeedbackSubmittedDetail, endedAt: string): Promise<FeedbackSubmittedDetail> {
  const { sessionId, clientId, therapistId } = detail;
  await sessions.claimSession(
    { sessionId, clientId, therapistId, endedAt, client: { email: 'ana@example.com', firstName: 'Ana', locale: 'en' }, therapist: { email: 'lee@practice.example', name: 'Dr. Lee' } },
    { tokenHash: `hash-of-${sessionId}`.slice(0, 200), requestedAt: endedAt, expiresAt: new Date(Date.parse(endedAt) + 72 * 3_600_000).toISOString() },
    new Date(endedAt),
    60,
  );
  const stored = { instrumentId: detail.instrumentId, items: detail.items, talk: detail.talk, submittedAt: detail.submittedAt };
  await documentClient.send(new UpdateCommand({ TableName: tableName, ...sessionItem.recordAnswer(sessionId, stored, new Date(endedAt)) }));
  return detail;
}

const READS = new Set(['GetItemCommand', 'QueryCommand']);

function units(kind: 'read' | 'write'): number {
  return capacity.filter((entry) => READS.has(entry.command) === (kind === 'read')).reduce((sum, entry) => sum + entry.units, 0);
}

describe.skipIf(!HAS_JAVA && !process.env['CI'])('detector and alert stores on DynamoDB Local', () => {
  beforeAll(async () => {
    // Every call's consumed capacity, so the unit budgets can be checked.
    table = await startTestTable(tableName, ({ command, consumed }) => capacity.push({ command, units: consumed.CapacityUnits ?? 0 }));
    documentClient = table.documentClient;
    detector = new DynamoDbDetectorStore(tableName, documentClient, 365);
    alerts = new DynamoDbAlertStore(tableName, documentClient, 'keep', [0, 0]);
    sessions = new DynamoDbSessionStore(tableName, documentClient);
  }, 60_000);

  afterAll(async () => {
    await table?.stop();
  });

  beforeEach(() => {
    capacity = [];
  });

  it('evaluates an answer at one cost once the client’s record is full, over 40 sessions with 128-character ids', async () => {
    const clientId = longId('c-');
    const publisher = new FakePublisher();
    const deps: EvaluateDeps = { store: detector, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT };
    const perAnswer: { reads: number; writes: number; alerted: boolean }[] = [];
    for (let index = 0; index < 40; index++) {
      const endedAt = new Date(Date.UTC(2026, 0, 1 + index, 15, 50)).toISOString();
      const low = index % 13 === 12;
      const items = low ? { relationship: 1, goals: 0, approach: 2, overall: 1 } : { relationship: 10, goals: 9, approach: 10, overall: index % 2 === 0 ? 10 : 9 };
      const detail = await answered(answer(longId(`s${index}-`), clientId, items, endedAt, low), endedAt);
      capacity = [];
      const outcome = await evaluateAnswer(detail, deps);
      perAnswer.push({ reads: units('read'), writes: units('write'), alerted: outcome.alerts.length > 0 });
    }

    expect(publisher.published.length).toBeGreaterThan(0);
    // The record grows while its windows fill (baseline, trend, the last 24 session ids), then
    // stays: one cost for a session with an alert (its evaluation keeps the email's chart), one without.
    const costs = (alerted: boolean) => new Set(perAnswer.slice(REMEMBERED_SESSIONS).filter((cost) => cost.alerted === alerted).map((cost) => `${cost.writes} WRU, ${cost.reads} RRU`));
    expect(costs(true)).toHaveProperty('size', 1);
    expect(costs(false)).toHaveProperty('size', 1);
    // With the longest ids the contracts allow: the worst case of a full record and its evaluation.
    expect(Math.max(...perAnswer.map((cost) => cost.writes))).toBeLessThanOrEqual(7);
    // The session (its answer is what is scored: half a unit) and the record (up to one with the
    // longest ids), each eventually consistent.
    expect(Math.max(...perAnswer.map((cost) => cost.reads))).toBeLessThanOrEqual(1.5);
  });

  it('gives the alert its session and evaluation in one read of half a unit, without the client’s address', async () => {
    const sessionId = longId('s-alert-');
    const clientId = longId('c-alert-');
    const deps: EvaluateDeps = { store: detector, publisher: new FakePublisher(), settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT };
    await evaluateAnswer(await answered(answer(sessionId, clientId, { relationship: 8, goals: 8, approach: 8, overall: 8 }, '2026-11-24T15:50:00.000Z', true), '2026-11-24T15:50:00.000Z'), deps);
    await alerts.claimAlert({ sessionId, clientId, kind: 'client-asked', ackTokenHash: 'hash', now: NOW, leaseSeconds: 60 });
    capacity = [];

    const session = await alerts.getSession(sessionId);

    expect(units('read')).toBe(0.5);
    expect(capacity).toHaveLength(1);
    expect(session).toMatchObject({ sessionId, clientId, therapistId: 't-1', endedAt: '2026-11-24T15:50:00.000Z', client: { firstName: 'Ana' } });
    expect(JSON.stringify(session)).not.toContain('ana@example.com');
    expect(session?.evaluation).toMatchObject({ kind: 'answered', instrumentId: DEFAULT_INSTRUMENT.id, evaluation: { sessionId, p: 80 }, chart: { trend: [{ endedAt: '2026-11-24T15:50:00.000Z', p: 80 }] } });
    expect(await alerts.getSession('s-none')).toBeUndefined();
  });

  it('exports the detector record and the evaluation as the plain attributes they are stored as', async () => {
    const clientId = 'c-export';
    const deps: EvaluateDeps = { store: detector, publisher: new FakePublisher(), settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT };
    await evaluateAnswer(await answered(answer('s-export', clientId, { relationship: 8, goals: 8, approach: 8, overall: 8 }, '2026-11-24T15:50:00.000Z'), '2026-11-24T15:50:00.000Z'), deps);

    const items = await new DynamoDbClientDataStore(tableName, documentClient).findClientItems(clientId);

    const record = items.find((item) => item.kind === 'detector');
    expect(record?.attributes).toMatchObject({ clientId, version: 1, trend: [{ endedAt: '2026-11-24T15:50:00.000Z', p: 80 }], appliedSessionIds: ['s-export'] });
    expect(items.find((item) => item.kind === 'evaluation')?.attributes).toMatchObject({ clientId, kind: 'answered', evaluation: { p: 80 } });
  });

  it('claims an alert once when the same event arrives three times at once, and sends it once', async () => {
    const sessionId = longId('s-claim-');

    const claims = await Promise.all([0, 1, 2].map((attempt) => alerts.claimAlert({ sessionId, clientId: 'c-claim', kind: 'rupture', ackTokenHash: `hash-${attempt}`, now: NOW, leaseSeconds: 60 })));

    expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
  });

  it('acknowledges with one write unit and no read, once', async () => {
    const { token, hash } = randomTokens.create();
    await alerts.saveAlertLink(hash, { sessionId: 's-ack', clientId: 'c-ack', therapistId: 't-1', kind: 'rupture', sentAt: NOW.toISOString() });
    capacity = [];

    const first = await alerts.acknowledge(token, NOW);
    // The acknowledgement and the claim to announce it: one write.
    expect(units('read')).toBe(0);
    expect(units('write')).toBe(1);
    const second = await alerts.acknowledge(token, new Date(NOW.getTime() + 1_000));

    expect(first).toEqual({
      link: { sessionId: 's-ack', clientId: 'c-ack', therapistId: 't-1', kind: 'rupture', sentAt: NOW.toISOString() },
      acknowledgedAt: NOW.toISOString(),
      first: true,
      announcement: 'claimed',
    });
    expect(second).toMatchObject({ acknowledgedAt: NOW.toISOString(), first: false, announcement: 'in-progress', link: { sessionId: 's-ack' } });
    expect(await alerts.acknowledge(randomTokens.create().token, NOW)).toBeUndefined();
    expect((await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.alertLink(hashToken(token)) }))).Item?.['acknowledgedAt']).toBe(NOW.toISOString());
  });

  it('claims the announcement of an acknowledgement once for clicks at once, again after a failed publish gives it back, and never once announced', async () => {
    const { token, hash } = randomTokens.create();
    await alerts.saveAlertLink(hash, { sessionId: 's-announce', clientId: 'c-ack', therapistId: 't-1', kind: 'rupture', sentAt: NOW.toISOString() });

    const clicks = await Promise.all([0, 1, 2].map(() => alerts.acknowledge(token, NOW)));
    expect(clicks.map((click) => click!.announcement).sort()).toEqual(['claimed', 'in-progress', 'in-progress']);

    // The publish failed: the claim goes back, and the next click takes it.
    await alerts.releaseAcknowledgementAnnouncement(token, NOW);
    const retry = await alerts.acknowledge(token, new Date(NOW.getTime() + 5_000));
    expect(retry).toMatchObject({ announcement: 'claimed', first: false, acknowledgedAt: NOW.toISOString() });

    await alerts.markAcknowledgementAnnounced(token, new Date(NOW.getTime() + 5_000));
    const later = await alerts.acknowledge(token, new Date(NOW.getTime() + 3_600_000));
    expect(later).toMatchObject({ announcement: 'announced', first: false, link: { announcedAt: new Date(NOW.getTime() + 5_000).toISOString() } });
  });
});
