/**
 * DynamoDbClientDataStore with a mocked client: how it finds a client's items (a paginated scan on
 * clientId), and retries what DynamoDB left unprocessed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbClientDataStore, UnprocessedItemsError } from '../../../shared/adapters/dynamodb-client-data-store.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const store = () => new DynamoDbClientDataStore('t', client, () => 0);
beforeEach(() => dynamo.reset());

/** Every item of a client carries its clientId: the scan alone finds them all. */
const CLIENT_ITEMS = [
  { pk: 'SESSION#s-1', sk: 'SESSION', clientId: 'c-1', sessionId: 's-1', ttl: 1_800_000_000 },
  { pk: 'SESSION#s-1', sk: 'EVALUATION', clientId: 'c-1', kind: 'answered' },
  { pk: 'SESSION#s-1', sk: 'ALERT#rupture', clientId: 'c-1', kind: 'rupture' },
  { pk: 'CLIENT#c-1', sk: 'PROFILE', clientId: 'c-1' },
  { pk: 'CLIENT#c-1', sk: 'DETECTOR#alliance-check-v1', clientId: 'c-1' },
  { pk: 'TOKEN#abc', sk: 'TOKEN', clientId: 'c-1', sessionId: 's-1' },
  { pk: 'TOKEN#def', sk: 'ALERT', clientId: 'c-1', sessionId: 's-1' },
  { pk: 'TOKEN#ghi', sk: 'OPTOUT', clientId: 'c-1', ttl: 1_800_000_000 },
  { pk: 'THERAPIST#t-9', sk: 'WAITING#s-1#client-asked', clientId: 'c-1', sessionId: 's-1', kind: 'client-asked' },
  { pk: 'SOMETHING#new', sk: 'ELSE', clientId: 'c-1' },
];

describe('DynamoDbClientDataStore.findClientItems', () => {
  it('scans every page of the table for the items carrying the clientId, and tells each kind by its key', async () => {
    dynamo.on(ScanCommand).resolvesOnce({ Items: CLIENT_ITEMS.slice(0, 3), LastEvaluatedKey: { pk: 'x', sk: 'y' } }).resolvesOnce({ Items: CLIENT_ITEMS.slice(3) });

    const items = await store().findClientItems('c-1');

    expect(items.map((item) => [item.kind, item.sessionId ?? item.instrumentId ?? null])).toEqual([
      ['session', 's-1'],
      ['evaluation', 's-1'],
      ['alert-claim', 's-1'],
      ['profile', null],
      ['detector', 'alliance-check-v1'],
      ['form-link', 's-1'],
      ['alert-link', 's-1'],
      ['opt-out-link', null],
      ['waiting-alert', 's-1'],
      ['other', null],
    ]);
    expect(items[0]).toMatchObject({ key: { pk: 'SESSION#s-1', sk: 'SESSION' }, deleteAfter: new Date(1_800_000_000_000) });
    expect(items[0]!.attributes).not.toHaveProperty('pk');
  });

  it('scans consistently with a filter on clientId, from where the last page ended, and reads nothing else', async () => {
    dynamo.on(ScanCommand).resolvesOnce({ Items: CLIENT_ITEMS.slice(0, 1), LastEvaluatedKey: { pk: 'x', sk: 'y' } }).resolvesOnce({ Items: CLIENT_ITEMS.slice(1) });

    await store().findClientItems('c-1');

    const scans = dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans).toHaveLength(2);
    expect(scans[0]).toMatchObject({
      TableName: 't',
      FilterExpression: '#client = :client',
      ExpressionAttributeNames: { '#client': 'clientId' },
      ExpressionAttributeValues: { ':client': 'c-1' },
      ConsistentRead: true,
    });
    expect(scans[0]).not.toHaveProperty('IndexName');
    expect(scans[0]!.ExclusiveStartKey).toBeUndefined();
    expect(scans[1]!.ExclusiveStartKey).toEqual({ pk: 'x', sk: 'y' });
    expect(dynamo.calls()).toHaveLength(2);
  });

  it('lets errors through', async () => {
    dynamo.on(ScanCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));

    await expect(store().findClientItems('c-1')).rejects.toThrow('Requested resource not found');
  });
});

describe('DynamoDbClientDataStore.findClientItems and the roster', () => {
  it('tells the client’s roster entry by its key, so export shows it and erase deletes it', async () => {
    dynamo.on(ScanCommand).resolvesOnce({ Items: [{ pk: 'ROSTER', sk: 'CLIENT#c-1', clientId: 'c-1', email: 'ana@example.com' }] });

    const [entry] = await store().findClientItems('c-1');

    expect(entry).toMatchObject({ kind: 'roster-client', key: { pk: 'ROSTER', sk: 'CLIENT#c-1' }, attributes: { clientId: 'c-1', email: 'ana@example.com' } });
  });
});

describe('DynamoDbClientDataStore.deleteItems', () => {
  const keys = Array.from({ length: 30 }, (_, index) => ({ pk: `SESSION#s-${index}`, sk: 'SESSION' }));

  it('deletes in batches of 25 and retries what DynamoDB left unprocessed', async () => {
    dynamo
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: [{ DeleteRequest: { Key: keys[0]! } }] } })
      .resolves({});

    await store().deleteItems(keys);

    const calls = dynamo.commandCalls(BatchWriteCommand).map((call) => call.args[0].input.RequestItems!['t']!.length);
    expect(calls).toEqual([25, 1, 5]);
  });

  it('gives up after repeated unprocessed items, so that the operator runs it again', async () => {
    dynamo.on(BatchWriteCommand).resolves({ UnprocessedItems: { t: [{ DeleteRequest: { Key: keys[0]! } }] } });

    await expect(store().deleteItems(keys.slice(0, 1))).rejects.toThrow(UnprocessedItemsError);
  });
});
