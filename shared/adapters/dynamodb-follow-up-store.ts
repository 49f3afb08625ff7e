/**
 * FollowUpStore on DynamoDB: the reminder and the expiry are guarded by conditional updates on
 * the session record, so a duplicate schedule firing changes nothing.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FollowUpStore, RequestedSession } from '../use-cases/follow-up.ts';
import type { FormTokenRecord } from '../use-cases/ports.ts';
import { DynamoDbSessionStore, getDocumentClient } from './dynamodb-session-store.ts';
import { keys } from './table.ts';

export class DynamoDbFollowUpStore implements FollowUpStore {
  private readonly sessions: DynamoDbSessionStore;

  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {
    this.sessions = new DynamoDbSessionStore(tableName, client);
  }

  async getSession(sessionId: string): Promise<RequestedSession | undefined> {
    // Eventually consistent (half the read units): the reminder and the expiry fire hours after the
    // request was recorded, and an answer that lands in the same second is still caught, because
    // claimReminder and markExpired are conditional on `answeredAt` being absent.
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.session(sessionId) }));
    return result.Item as RequestedSession | undefined;
  }

  async canEmailClient(clientId: string): Promise<boolean> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.client(clientId), ProjectionExpression: 'optedOutAt, undeliverableAt', ConsistentRead: true }),
    );
    return !result.Item?.['optedOutAt'] && !result.Item?.['undeliverableAt'];
  }

  async claimReminder(sessionId: string, now: Date): Promise<boolean> {
    return this.conditionalSet(sessionId, 'remindedAt', now, 'attribute_not_exists(remindedAt) AND attribute_not_exists(answeredAt)');
  }

  async releaseReminder(sessionId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({ TableName: this.tableName, Key: keys.session(sessionId), UpdateExpression: 'REMOVE remindedAt', ConditionExpression: 'attribute_exists(pk)' }),
    );
  }

  saveFormToken(token: FormTokenRecord): Promise<void> {
    return this.sessions.saveFormToken(token);
  }

  async markExpired(sessionId: string, now: Date): Promise<'marked' | 'answered' | 'already-published'> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.session(sessionId),
          UpdateExpression: 'SET expiredAt = if_not_exists(expiredAt, :now)',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(answeredAt) AND attribute_not_exists(expiryPublishedAt)',
          ExpressionAttributeValues: { ':now': now.toISOString() },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'marked';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item?.['answeredAt'] ? 'answered' : 'already-published';
    }
  }

  async markExpiryPublished(sessionId: string, now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.session(sessionId),
        UpdateExpression: 'SET expiryPublishedAt = :now',
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
  }

  async hasEvaluation(sessionId: string): Promise<boolean> {
    // Eventually consistent: asked only when an answered session's schedule fires, hours or days
    // after the answer; an evaluation written a moment ago and missed costs one extra announcement.
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.evaluation(sessionId), ProjectionExpression: 'sk' }));
    return result.Item !== undefined;
  }

  private async conditionalSet(sessionId: string, attribute: string, now: Date, condition: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.session(sessionId),
          UpdateExpression: `SET ${attribute} = :now`,
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
