/**
 * DynamoDbClientDataStore with a mocked client: how it finds a client's items (a paginated scan on
 * clientId, then partitions and links), and retries what DynamoDB left unprocessed.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbClientDataStore, UnprocessedItemsError } from '../../../shared/adapters/dynamodb-client-data-store.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const store = () => new DynamoDbClientDataStore('t', client, () => 0);
beforeEach(() => dynamo.reset());

const CARRYING_CLIENT_ID = [
  { pk: 'SESSION#s-1', sk: 'SESSION', clientId: 'c-1' },
  { pk: 'CLIENT#c-1', sk: 'PROFILE', clientId: 'c-1' },
  { pk: 'TOKEN#abc', sk: 'TOKEN', clientId: 'c-1' },
];

function partitions() {
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'SESSION#s-1' } }).resolves({
    Items: [
      { pk: 'SESSION#s-1', sk: 'SESSION', clientId: 'c-1', sessionId: 's-1', ttl: 1_800_000_000 },
      { pk: 'SESSION#s-1', sk: 'EVALUATION', kind: 'answered' },
      { pk: 'SESSION#s-1', sk: 'ALERT#rupture', kind: 'rupture' },
    ],
  });
  dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'CLIENT#c-1' } }).resolves({
    Items: [
      { pk: 'CLIENT#c-1', sk: 'PROFILE', clientId: 'c-1' },
      { pk: 'CLIENT#c-1', sk: 'DETECTOR#alliance-check-v1', clientId: 'c-1' },
    ],
  });
  dynamo.on(BatchGetCommand).resolves({ Responses: { t: [{ pk: 'TOKEN#abc', sk: 'TOKEN', clientId: 'c-1', sessionId: 's-1' }] } });
}

describe('DynamoDbClientDataStore.findClientItems', () => {
  it('scans every page of the table for items carrying the clientId, then follows them to the sessions, the client partition and the links', async () => {
    dynamo.on(ScanCommand).resolvesOnce({ Items: CARRYING_CLIENT_ID.slice(0, 1), LastEvaluatedKey: { pk: 'x', sk: 'y' } }).resolvesOnce({ Items: CARRYING_CLIENT_ID.slice(1) });
    partitions();

    const items = await store().findClientItems('c-1');

    expect(items.map((item) => [item.kind, item.sessionId ?? item.instrumentId ?? null])).toEqual([
      ['profile', null],
      ['detector', 'alliance-check-v1'],
      ['session', 's-1'],
      ['evaluation', 's-1'],
      ['alert-claim', 's-1'],
      ['form-link', 's-1'],
    ]);
    expect(items.find((item) => item.kind === 'session')).toMatchObject({ key: { pk: 'SESSION#s-1', sk: 'SESSION' }, deleteAfter: new Date(1_800_000_000_000) });
  });

  it('scans consistently with a filter on clientId, keys only, from where the last page ended', async () => {
    dynamo.on(ScanCommand).resolvesOnce({ Items: CARRYING_CLIENT_ID.slice(0, 1), LastEvaluatedKey: { pk: 'x', sk: 'y' } }).resolvesOnce({ Items: CARRYING_CLIENT_ID.slice(1) });
    partitions();

    await store().findClientItems('c-1');

    const scans = dynamo.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans).toHaveLength(2);
    expect(scans[0]).toMatchObject({
      TableName: 't',
      FilterExpression: '#client = :client',
      ProjectionExpression: '#pk, #sk',
      ExpressionAttributeNames: { '#client': 'clientId', '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':client': 'c-1' },
      ConsistentRead: true,
    });
    expect(scans[0]).not.toHaveProperty('IndexName');
    expect(scans[0]!.ExclusiveStartKey).toBeUndefined();
    expect(scans[1]!.ExclusiveStartKey).toEqual({ pk: 'x', sk: 'y' });
    expect(dynamo.commandCalls(QueryCommand).every((call) => call.args[0].input.IndexName === undefined)).toBe(true);
  });

  it('lets errors through', async () => {
    dynamo.on(ScanCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));

    await expect(store().findClientItems('c-1')).rejects.toThrow('Requested resource not found');
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
