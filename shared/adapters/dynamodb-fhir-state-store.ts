/**
 * The FHIR poller's state on DynamoDB: one item per FHIR source (items/fhir-poll-state.ts), with the
 * calendar poller's port (a cursor and the announced ids).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FeedState, FeedStateStore } from '../use-cases/ports.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import * as fhirStateItem from './items/fhir-poll-state.ts';

export class DynamoDbFhirStateStore implements FeedStateStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async get(sourceId: string): Promise<FeedState | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...fhirStateItem.get(sourceId) }));
    return fhirStateItem.fromItem(result.Item);
  }

  async save(sourceId: string, state: FeedState, readLastPollAt: string | undefined): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, ...fhirStateItem.put(sourceId, state, readLastPollAt) }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
