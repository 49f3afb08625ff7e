/**
 * DynamoDbClientRoster with a mocked client: the items it writes and reads (items/roster-client.ts),
 * a paginated listing of the one roster partition, and the erasure check over the profiles.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { accessStatements } from '../../../infra/function-access.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { clientRosterFrom, DynamoDbClientRoster } from '../../../shared/adapters/dynamodb-client-roster.ts';
import { kindOfKey, keys } from '../../../shared/adapters/items/index.ts';
import { ROSTER_CLIENT_ITEM } from '../../../shared/adapters/items/roster-client.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const roster = () => new DynamoDbClientRoster('t', client, () => 0);
beforeEach(() => dynamo.reset());

const ENTRY = { clientId: 'c-1', email: 'ana@example.com', firstName: 'Ana', locale: 'es', therapistId: 't-1', active: true, importedAt: '2026-12-06T09:00:00.000Z' };

describe('the roster-client item', () => {
  it('lives in the ROSTER partition, apart from the clients’ profiles, and is a kind of its own', () => {
    expect(keys.rosterClient('c-1')).toEqual({ pk: 'ROSTER', sk: 'CLIENT#c-1' });
    expect(kindOfKey(keys.rosterClient('c-1'))).toBe(ROSTER_CLIENT_ITEM);
    expect(kindOfKey(keys.client('c-1'))).not.toBe(ROSTER_CLIENT_ITEM);
  });
});

describe('the roster in an inbound function’s access declaration', () => {
  it('grants reading the roster partition and nothing under CLIENT# (profiles, detector records)', () => {
    const [statement] = accessStatements({ table: { get: ['roster-client'] } }, {
      region: 'eu-west-1', tableArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/t', keyArn: 'k', busArn: 'b', sesIdentitiesArn: 's', sesConfigurationSetArn: undefined,
      senderAddress: 'a@b.example', followUpSchedulesArn: 'f', schedulerRoleArn: 'r', schedulerDeadLetterQueueArn: 'q', deadLetterQueueArns: {}, secretArns: { webhook: 'w' },
    });

    expect(statement).toMatchObject({ Action: ['dynamodb:GetItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ROSTER*'] } } });
  });
});

describe('DynamoDbClientRoster', () => {
  it('writes plain attributes with the clientId every client item carries, leaving out what the file left empty', async () => {
    dynamo.on(PutCommand).resolves({});
    const { firstName: _, ...withoutName } = ENTRY;

    await roster().put([ENTRY, { ...withoutName, clientId: 'c-2' }]);

    const items = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(items).toEqual([
      { pk: 'ROSTER', sk: 'CLIENT#c-1', type: 'RosterClient', ...ENTRY },
      { pk: 'ROSTER', sk: 'CLIENT#c-2', type: 'RosterClient', ...withoutName, clientId: 'c-2' },
    ]);
  });

  it('finds one client for the inbound paths, without importedAt, and undefined for one not on the roster', async () => {
    dynamo.on(GetCommand, { Key: keys.rosterClient('c-1') }).resolves({ Item: { ...ENTRY, active: false } });
    dynamo.on(GetCommand, { Key: keys.rosterClient('c-9') }).resolves({});

    await expect(clientRosterFrom('t', client).find('c-1')).resolves.toEqual({ clientId: 'c-1', email: 'ana@example.com', firstName: 'Ana', locale: 'es', therapistId: 't-1', active: false });
    await expect(roster().find('c-9')).resolves.toBeUndefined();
  });

  it('lists every page of the roster partition, consistently', async () => {
    dynamo.on(QueryCommand).resolvesOnce({ Items: [ENTRY], LastEvaluatedKey: { pk: 'ROSTER', sk: 'CLIENT#c-1' } }).resolvesOnce({ Items: [{ ...ENTRY, clientId: 'c-2' }] });

    const entries = await roster().list();

    expect(entries.map((entry) => entry.clientId)).toEqual(['c-1', 'c-2']);
    const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(queries[0]).toMatchObject({ TableName: 't', ExpressionAttributeValues: { ':pk': 'ROSTER', ':prefix': 'CLIENT#' }, ConsistentRead: true });
    expect(queries[1]!.ExclusiveStartKey).toEqual({ pk: 'ROSTER', sk: 'CLIENT#c-1' });
  });

  it('says whether there was an entry to remove', async () => {
    dynamo.on(DeleteCommand, { Key: keys.rosterClient('c-1') }).resolves({ Attributes: ENTRY });
    dynamo.on(DeleteCommand, { Key: keys.rosterClient('c-9') }).resolves({});

    await expect(roster().remove('c-1')).resolves.toBe(true);
    await expect(roster().remove('c-9')).resolves.toBe(false);
  });

  it('tells erased clients by their tombstone, 100 profiles a batch, retrying what DynamoDB left unread', async () => {
    const ids = Array.from({ length: 150 }, (_, index) => `c-${index}`);
    dynamo
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { t: [{ clientId: 'c-3', erasedAt: '2026-01-01T00:00:00Z' }, { clientId: 'c-4' }] }, UnprocessedKeys: { t: { Keys: [keys.client('c-7')] } } })
      .resolvesOnce({ Responses: { t: [{ clientId: 'c-7', erasedAt: '2026-01-01T00:00:00Z' }] } })
      .resolvesOnce({ Responses: { t: [{ clientId: 'c-120', erasedAt: '2026-01-01T00:00:00Z' }] } });

    const erased = await roster().erasedAmong(ids);

    expect([...erased].sort()).toEqual(['c-120', 'c-3', 'c-7']);
    const batches = dynamo.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems!['t']!.Keys!.length);
    expect(batches).toEqual([100, 1, 50]);
  });
});
