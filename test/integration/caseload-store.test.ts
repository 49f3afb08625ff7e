/**
 * The caseload, response counters and digest stores against DynamoDB Local: the evaluation's one
 * conditional write (a newer detector version wins; a stale one adds only its marks), the sets
 * that make redeliveries and repeated clicks count once, the digest's one query (entry, caseload,
 * response weeks; not the waiting alerts), the once-only claim, and the directory's index.
 */
import { spawnSync } from 'node:child_process';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCaseloadStore, DynamoDbResponseCounter } from '../../shared/adapters/dynamodb-caseload-store.ts';
import { DynamoDbDigestRoster, DynamoDbDigestStore } from '../../shared/adapters/dynamodb-digest-store.ts';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import * as waitingAlertItem from '../../shared/adapters/items/waiting-alert.ts';
import type { CaseloadWrite } from '../../shared/use-cases/ports.ts';
import { startTestTable, type TestTable } from '../support/dynamodb-table.ts';

const HAS_JAVA = spawnSync('java', ['-version']).status === 0;
const NOW = new Date('2026-12-07T13:00:00.000Z');
let table: TestTable | undefined;
const reads: number[] = [];

beforeAll(async () => {
  if (HAS_JAVA) table = await startTestTable('alliance-feedback-caseload-test', (record) => record.command === 'QueryCommand' && reads.push(record.consumed.CapacityUnits ?? 0));
}, 60_000);
afterAll(async () => table?.stop());

function write(version: number, overrides: Partial<CaseloadWrite> = {}): CaseloadWrite {
  return {
    therapistId: 't-1',
    clientId: 'c-1',
    instrumentId: 'srs',
    detectorVersion: version,
    lastSessionAt: `2026-12-0${version}T10:00:00.000Z`,
    lastScore: { total: 30 + version, endedAt: `2026-12-0${version}T10:00:00.000Z` },
    max: 40,
    totals: [30, 30 + version],
    repairOpen: false,
    expiredInARow: 0,
    quietAfterExpired: 2,
    ...overrides,
  };
}

describe.skipIf(!HAS_JAVA)('caseload and digest stores on DynamoDB Local', () => {
  it('keeps the newest summary and every session’s marks once', async () => {
    const { tableName, documentClient } = table!;
    const caseload = new DynamoDbCaseloadStore(tableName, documentClient, 365);
    const digest = new DynamoDbDigestStore(tableName, documentClient);
    await caseload.record(write(2, { comment: 's-2', unrepaired: 's-2' }), NOW, { addMarksIfStale: true });
    // An older evaluation finishing late: its summary is not taken, its marks are.
    await caseload.record(write(1, { openAlert: 's-1', comment: 's-1' }), NOW, { addMarksIfStale: true });
    // A redelivery of the newest one: nothing changes (sets).
    await caseload.record(write(2, { comment: 's-2' }), NOW, { addMarksIfStale: false });
    let [entry] = (await digest.read('t-1')).caseload;
    expect(entry).toMatchObject({ detectorVersion: 2, lastScore: { total: 32 }, openAlerts: ['s-1'], commentSessions: ['s-1', 's-2'], unrepairedSessions: ['s-2'] });
    const stored = (await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.caseload('t-1', 'c-1') }))).Item!;
    expect(stored['clientId']).toBe('c-1');
    expect(stored['ttl']).toBe(Math.floor(Date.parse('2026-12-02T10:00:00.000Z') / 1000) + 365 * 86_400);

    await caseload.closeAlert('t-1', 'c-1', 's-1');
    await caseload.closeAlert('t-1', 'c-1', 's-1');
    // A redelivered evaluation of a version already written does not reopen the acknowledged alert.
    await caseload.record(write(1, { openAlert: 's-1' }), NOW, { addMarksIfStale: false });
    await caseload.record(write(2, { openAlert: 's-1' }), NOW, { addMarksIfStale: false });
    expect((await digest.read('t-1')).caseload[0]!.openAlerts).toEqual([]);
    await caseload.markTrendViewed('t-1', 'c-1', NOW);
    [entry] = (await digest.read('t-1')).caseload;
    expect(entry).toMatchObject({ openAlerts: [], commentSessions: [], unrepairedSessions: [] });
    // A newer version without marks keeps the set empty; gone summaries are not recreated by acks.
    await caseload.closeAlert('t-1', 'c-missing', 's-9');
    expect((await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.caseload('t-1', 'c-missing') }))).Item).toBeUndefined();
    await caseload.remove('t-1', 'c-1');
    expect((await digest.read('t-1')).caseload).toEqual([]);
  });

  it('reads the digest in one query: entry, caseload and response weeks, not the waiting alerts', async () => {
    const { tableName, documentClient } = table!;
    const directory = new DynamoDbTherapistDirectory(tableName, documentClient);
    await directory.save({ therapistId: 't-2', email: 'lee@practice.example', timeZone: 'America/Chicago', digest: 'off' }, NOW.toISOString());
    const caseload = new DynamoDbCaseloadStore(tableName, documentClient);
    for (let index = 0; index < 30; index++) await caseload.record(write(3, { therapistId: 't-2', clientId: `c-${index}` }), NOW, { addMarksIfStale: true });
    await documentClient.send(new PutCommand({ TableName: tableName, ...waitingAlertItem.put({ therapistId: 't-2', clientId: 'c-1', sessionId: 's-1', kind: 'rupture', waitingSince: NOW.toISOString() }) }));
    const responses = new DynamoDbResponseCounter(tableName, documentClient);
    const alert = { sessionId: 's-5', kind: 'rupture', sentAt: NOW.toISOString() };
    await responses.alertSent('t-2', alert);
    await responses.alertSent('t-2', alert);
    await responses.alertSent('t-2', { ...alert, sessionId: 's-6' });
    await responses.alertAcknowledged('t-2', alert);
    await responses.alertAcknowledged('t-2', alert);

    reads.length = 0;
    const read = await new DynamoDbDigestStore(tableName, documentClient).read('t-2');
    expect(reads).toHaveLength(1);
    expect(read.therapist).toMatchObject({ therapistId: 't-2', email: 'lee@practice.example', digest: 'off' });
    expect(read.caseload).toHaveLength(30);
    expect(read.responseWeeks).toEqual([{ week: '2026-W50', sent: 2, acknowledged: 1 }]);
    expect(read.readUnits).toBeGreaterThan(0);
    expect(read.readUnits).toBeLessThanOrEqual(4);
  });

  it('claims a digest once: sent stays sent, a released claim can be taken again', async () => {
    const store = new DynamoDbDigestStore(table!.tableName, table!.documentClient);
    expect(await store.claim('t-3', 'week-2026-W50', NOW, 60)).toBe('claimed');
    expect(await store.claim('t-3', 'week-2026-W50', NOW, 60)).toBe('in-progress');
    await store.release('t-3', 'week-2026-W50');
    expect(await store.claim('t-3', 'week-2026-W50', NOW, 60)).toBe('claimed');
    await store.markSent('t-3', 'week-2026-W50', NOW);
    expect(await store.claim('t-3', 'week-2026-W50', new Date(NOW.getTime() + 3_600_000), 60)).toBe('sent');
    // A lease that ran out without a send is taken over.
    expect(await store.claim('t-3', 'manual-1', NOW, 60)).toBe('claimed');
    expect(await store.claim('t-3', 'manual-1', new Date(NOW.getTime() + 61_000), 60)).toBe('claimed');
  });

  it('lists the directory from its index: ids, zones and switches, nothing else', async () => {
    const { tableName, documentClient } = table!;
    const directory = new DynamoDbTherapistDirectory(tableName, documentClient);
    await directory.save({ therapistId: 't-4', email: 'four@practice.example' }, NOW.toISOString());
    await directory.registerIfAbsent({ therapistId: 't-5', email: 'five@practice.example', timeZone: 'Europe/Berlin' }, NOW.toISOString(), 'practice-domain');
    const listed = await new DynamoDbDigestRoster(tableName, documentClient).list();
    expect(listed).toEqual(expect.arrayContaining([{ therapistId: 't-4' }, { therapistId: 't-5', timeZone: 'Europe/Berlin' }, { therapistId: 't-2', timeZone: 'America/Chicago', digest: 'off' }]));
    expect(listed.every((entry) => !('email' in entry))).toBe(true);
    // Caseload summaries (which also carry therapistId) are not in the index.
    expect(listed.map((entry) => entry.therapistId).sort()).toEqual(['t-2', 't-4', 't-5']);
  });
});
