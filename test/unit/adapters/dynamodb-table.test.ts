import { ConditionalCheckFailedException, DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbDetectorStore } from '../../../shared/adapters/dynamodb-detector-store.ts';
import { sendUnlessConditionFails } from '../../../shared/adapters/dynamodb-table.ts';
import { initialClientState } from '../../../shared/domain/detector/state.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import { ConcurrentUpdateError } from '../../../shared/use-cases/ports.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const failedCondition = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  dynamo.reset();
});

describe('sendUnlessConditionFails', () => {
  it('sends the write as given and answers true when it was written', async () => {
    dynamo.on(UpdateCommand).resolves({});
    const command = new UpdateCommand({ TableName: 'table', Key: { pk: 'A', sk: 'B' }, UpdateExpression: 'SET x = :x', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':x': 1 } });

    expect(await sendUnlessConditionFails(client, command)).toBe(true);
    expect(dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input)).toEqual([command.input]);
  });

  it('answers false when the condition failed, for a put, an update and a delete', async () => {
    dynamo.on(PutCommand).rejects(failedCondition());
    dynamo.on(UpdateCommand).rejects(failedCondition());
    dynamo.on(DeleteCommand).rejects(failedCondition());

    expect(await sendUnlessConditionFails(client, new PutCommand({ TableName: 'table', Item: { pk: 'A', sk: 'B' }, ConditionExpression: 'attribute_not_exists(pk)' }))).toBe(false);
    expect(await sendUnlessConditionFails(client, new UpdateCommand({ TableName: 'table', Key: { pk: 'A', sk: 'B' }, UpdateExpression: 'REMOVE x', ConditionExpression: 'attribute_exists(pk)' }))).toBe(false);
    expect(await sendUnlessConditionFails(client, new DeleteCommand({ TableName: 'table', Key: { pk: 'A', sk: 'B' }, ConditionExpression: 'attribute_exists(pk)' }))).toBe(false);
  });

  it('knows a failed condition by its name too (an exception class from another copy of the SDK)', async () => {
    dynamo.on(PutCommand).rejects(Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' }));

    expect(await sendUnlessConditionFails(client, new PutCommand({ TableName: 'table', Item: { pk: 'A', sk: 'B' }, ConditionExpression: 'attribute_not_exists(pk)' }))).toBe(false);
  });

  it('throws any other error as it came', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } });
    dynamo.on(UpdateCommand).rejects(throttled);
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    dynamo.on(DeleteCommand).rejects(denied);

    await expect(sendUnlessConditionFails(client, new UpdateCommand({ TableName: 'table', Key: { pk: 'A', sk: 'B' }, UpdateExpression: 'REMOVE x' }))).rejects.toBe(throttled);
    await expect(sendUnlessConditionFails(client, new DeleteCommand({ TableName: 'table', Key: { pk: 'A', sk: 'B' } }))).rejects.toBe(denied);
  });
});

describe('a store that makes its own error of a failed condition', () => {
  it('the detector record: a version written meanwhile is a ConcurrentUpdateError (the evaluation retries), anything else is thrown as it came', async () => {
    const store = new DynamoDbDetectorStore('table', client);
    const record = { state: { ...initialClientState(DEFAULT_INSTRUMENT), version: 3 }, applied: [] };
    dynamo.on(PutCommand).rejects(failedCondition());
    await expect(store.putRecord('c-1', DEFAULT_INSTRUMENT.id, record, 2)).rejects.toBeInstanceOf(ConcurrentUpdateError);

    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } });
    dynamo.on(PutCommand).rejects(throttled);
    await expect(store.putRecord('c-1', DEFAULT_INSTRUMENT.id, record, 2)).rejects.toBe(throttled);

    dynamo.on(PutCommand).resolves({});
    await expect(store.putRecord('c-1', DEFAULT_INSTRUMENT.id, record, 2)).resolves.toBeUndefined();
  });
});
