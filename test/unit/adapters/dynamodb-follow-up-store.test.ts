import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbFollowUpStore } from '../../../shared/adapters/dynamodb-follow-up-store.ts';
import { keys } from '../../../shared/adapters/items/index.ts';

const dynamo = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-11-27T10:00:00.000Z');

beforeEach(() => {
  dynamo.reset();
});

function followUpStore(): DynamoDbFollowUpStore {
  return new DynamoDbFollowUpStore('table', DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })));
}

describe('DynamoDbFollowUpStore', () => {
  it('reads the session with an eventually consistent read (half a read unit)', async () => {
    // Prepare
    dynamo.on(GetCommand).resolves({ Item: { sessionId: 's-1', status: 'requested' } });

    // Act
    const session = await followUpStore().getSession('s-1');

    // Assess
    expect(session).toEqual({ sessionId: 's-1', status: 'requested' });
    const input = dynamo.commandCalls(GetCommand)[0]!.args[0].input;
    expect(input).toEqual({ TableName: 'table', Key: keys.session('s-1') });
  });

  it('claims the reminder only while the session has no answer, so a stale read cannot send one', async () => {
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    const claimed = await followUpStore().claimReminder('s-1', NOW);

    expect(claimed).toBe(false);
    expect(dynamo.commandCalls(UpdateCommand)[0]!.args[0].input.ConditionExpression).toContain('attribute_not_exists(answeredAt)');
  });

  it('marks the expiry only while the session has no answer, so a stale read cannot announce one', async () => {
    dynamo.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: { answeredAt: { S: NOW.toISOString() } } }));

    await followUpStore().markExpired('s-1', NOW);

    expect(dynamo.commandCalls(UpdateCommand)[0]!.args[0].input.ConditionExpression).toContain('attribute_not_exists(answeredAt)');
  });
});
