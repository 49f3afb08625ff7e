/**
 * FeedStateStore on DynamoDB: one item per feed (items/calendar-feed-state.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FeedState, FeedStateStore } from '../use-cases/ports.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import * as feedStateItem from './items/calendar-feed-state.ts';

export class DynamoDbFeedStateStore implements FeedStateStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async get(feedId: string): Promise<FeedState | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...feedStateItem.get(feedId) }));
    return feedStateItem.fromItem(result.Item);
  }

  async save(feedId: string, state: FeedState, readLastPollAt: string | undefined): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, ...feedStateItem.put(feedId, state, readLastPollAt) }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
