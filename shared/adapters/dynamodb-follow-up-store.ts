/**
 * FollowUpStore on DynamoDB: the reminder and the expiry are guarded by conditional updates on
 * the session item, so a duplicate schedule firing changes nothing.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FollowUpStore, FormTokenRecord, RequestedSession } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as clientProfileItem from './items/client-profile.ts';
import * as evaluationItem from './items/evaluation.ts';
import * as formLinkItem from './items/form-link.ts';
import * as sessionItem from './items/session.ts';

export class DynamoDbFollowUpStore implements FollowUpStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async getSession(sessionId: string): Promise<RequestedSession | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...sessionItem.getRequested(sessionId) }));
    return result.Item ? sessionItem.requestedSession(result.Item) : undefined;
  }

  async canEmailClient(clientId: string): Promise<boolean> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...clientProfileItem.getMailability(clientId) }));
    return clientProfileItem.canEmail(result.Item);
  }

  async claimReminder(sessionId: string, now: Date): Promise<boolean> {
    return sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...sessionItem.claimReminder(sessionId, now) }));
  }

  async releaseReminder(sessionId: string): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, ...sessionItem.releaseReminder(sessionId) }));
  }

  async saveFormToken(token: FormTokenRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, ...formLinkItem.put(token) }));
  }

  async markExpired(sessionId: string, now: Date): Promise<'marked' | 'answered' | 'already-published'> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, ...sessionItem.markExpired(sessionId, now) }));
      return 'marked';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return sessionItem.expiryRefusal(error.Item);
    }
  }

  async markExpiryPublished(sessionId: string, now: Date): Promise<void> {
    // Not written: the session was erased meanwhile, and there is nothing left to mark.
    await sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...sessionItem.markExpiryPublished(sessionId, now) }));
  }

  async hasEvaluation(sessionId: string): Promise<boolean> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...evaluationItem.getExistence(sessionId) }));
    return result.Item !== undefined;
  }
}
