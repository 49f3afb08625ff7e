/**
 * FeedStateStore on DynamoDB, for each poller: one item per source, a cursor and the announced ids,
 * written only if nobody else moved the cursor since it was read. The item module says which
 * source's item it is: a calendar feed (items/calendar-feed-state.ts) or a FHIR source
 * (items/fhir-poll-state.ts).
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FeedState, FeedStateStore } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as calendarFeedStateItem from './items/calendar-feed-state.ts';
import * as fhirPollStateItem from './items/fhir-poll-state.ts';
import type { GetRequest, PutRequest } from './items/item.ts';

/** What a poll-state item module builds and reads. */
interface PollStateItem {
  get(sourceId: string): GetRequest;
  fromItem(item: Record<string, unknown> | undefined): FeedState | undefined;
  put(sourceId: string, state: FeedState, readLastPollAt: string | undefined): PutRequest;
}

export class DynamoDbPollStateStore implements FeedStateStore {
  constructor(
    private readonly tableName: string,
    private readonly item: PollStateItem,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async get(sourceId: string): Promise<FeedState | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...this.item.get(sourceId) }));
    return this.item.fromItem(result.Item);
  }

  async save(sourceId: string, state: FeedState, readLastPollAt: string | undefined): Promise<boolean> {
    return sendUnlessConditionFails(this.client, new PutCommand({ TableName: this.tableName, ...this.item.put(sourceId, state, readLastPollAt) }));
  }
}

/** The calendar feed poller's state, one item per feed. */
export function calendarFeedStates(tableName: string, client?: DynamoDBDocumentClient): DynamoDbPollStateStore {
  return new DynamoDbPollStateStore(tableName, calendarFeedStateItem, client);
}

/** The FHIR poller's state, one item per FHIR source. */
export function fhirPollStates(tableName: string, client?: DynamoDBDocumentClient): DynamoDbPollStateStore {
  return new DynamoDbPollStateStore(tableName, fhirPollStateItem, client);
}
