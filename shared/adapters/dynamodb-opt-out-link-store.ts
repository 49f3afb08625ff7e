/**
 * OptOutLinkStore on DynamoDB: one conditional put per client email (items/opt-out-link.ts).
 */
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OptOutLinkRecord, OptOutLinkStore } from '../use-cases/ports.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import * as optOutLinkItem from './items/opt-out-link.ts';

export class DynamoDbOptOutLinkStore implements OptOutLinkStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async saveOptOutLink(link: OptOutLinkRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, ...optOutLinkItem.put(link) }));
  }
}
