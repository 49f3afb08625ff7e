import { describe, expect, it } from 'vitest';
import * as clientHistoryItem from '../../../shared/adapters/items/client-history.ts';
import * as clientProfileItem from '../../../shared/adapters/items/client-profile.ts';
import * as detectorStateItem from '../../../shared/adapters/items/detector-state.ts';
import { kindOfKey, keys } from '../../../shared/adapters/items/index.ts';
import * as trendLinkItem from '../../../shared/adapters/items/trend-link.ts';
import type { HistoryEntry } from '../../../shared/use-cases/ports.ts';

const REF = { clientId: 'c-1042', sessionId: 's-9', endedAt: '2026-11-24T15:50:00.000Z' };

describe('the trend items', () => {
  it('keep history rows out of the detector’s query of the same partition (DETECTOR#… BETWEEN PROFILE)', () => {
    const { KeyConditionExpression, ExpressionAttributeValues } = detectorStateItem.queryWithProfile('c-1042', 'alliance-4', clientProfileItem.key('c-1042').sk);
    expect(KeyConditionExpression).toContain('BETWEEN');
    const [low, high] = [String(ExpressionAttributeValues![':record']), String(ExpressionAttributeValues![':profile'])];
    const row = clientHistoryItem.key(REF);
    expect(row.pk).toBe(clientProfileItem.key('c-1042').pk);
    expect(row.sk >= low && row.sk <= high).toBe(false);
  });

  it('are told apart by their keys for export and erase', () => {
    expect(kindOfKey(keys.clientHistory('c-1042', REF.endedAt, 's-9'))?.kind).toBe('client-history');
    expect(kindOfKey(keys.trendLink('abc'))?.kind).toBe('trend-link');
    expect(kindOfKey(keys.trendRevocation('t-7'))?.kind).toBe('trend-revocation');
    expect(kindOfKey(keys.trendRevocation('t-7', 'c-1042'))?.kind).toBe('trend-revocation');
    expect(kindOfKey(keys.client('c-1042'))?.kind).toBe('profile');
  });

  it('sort a client’s rows by the session’s end, and read the newest 26 with one query', () => {
    const older = clientHistoryItem.key({ ...REF, endedAt: '2026-11-17T15:50:00.000Z', sessionId: 's-zzz' });
    expect(older.sk < clientHistoryItem.key(REF).sk).toBe(true);
    expect(clientHistoryItem.queryRecent('c-1042')).toMatchObject({ ScanIndexForward: false, Limit: 26, ExpressionAttributeValues: { ':pk': 'CLIENT#c-1042', ':prefix': 'TREND#' } });
  });

  it('expire a row with its session under a retention period, and keep alert marks when the evaluation rewrites it', () => {
    const entry: HistoryEntry = { ...REF, therapistId: 't-7', instrumentId: 'alliance-4', kind: 'expired', alerts: [] };
    const request = clientHistoryItem.record(entry, 30);
    const values = Object.values(request.ExpressionAttributeValues ?? {});
    expect(values).toContain(Math.floor((Date.parse(REF.endedAt) + 30 * 86_400_000) / 1000));
    expect(request.UpdateExpression).toContain('alertsSent = if_not_exists(alertsSent, :empty)');
    expect(request.UpdateExpression).toContain('alertsInDigest = if_not_exists(alertsInDigest, :empty)');
    expect(JSON.stringify(clientHistoryItem.record(entry, 'keep'))).not.toContain('"ttl"');
    // A mark never creates a row (an erased client's stays gone).
    expect(clientHistoryItem.markAlertSent(REF, 'rupture', REF.endedAt).ConditionExpression).toContain('attribute_exists(pk)');
    expect(clientHistoryItem.markAlertInDigest(REF, 'unrepaired', REF.endedAt)).toMatchObject({ ConditionExpression: expect.stringContaining('attribute_exists(pk)'), ExpressionAttributeNames: { '#map': 'alertsInDigest', '#kind': 'unrepaired' } });
    // A row from before the mark existed reads as one without it.
    expect(clientHistoryItem.fromItem({ ...REF, therapistId: 't-7', instrumentId: 'alliance-4', kind: 'expired', alerts: ['unrepaired'], alertsSent: {}, acknowledged: {} }).alertsInDigest).toEqual({});
  });

  it('store a trend link by the hash only, gone a day after it expires', () => {
    const { Item } = trendLinkItem.put('h'.repeat(64), { therapistId: 't-7', clientId: 'c-1042', recipientRole: 'therapist', issuedAt: '2026-12-01T00:00:00.000Z', expiresAt: '2026-12-08T00:00:00.000Z' });
    expect(Item).toMatchObject({ pk: `TOKEN#${'h'.repeat(64)}`, sk: 'TREND', clientId: 'c-1042', ttl: Date.parse('2026-12-09T00:00:00.000Z') / 1000 });
  });
});
