/**
 * DeliverabilityStore on DynamoDB: the block lives on the client's profile item, where the request
 * and follow-up functions already look before emailing.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliverabilityStore } from '../use-cases/ports.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import * as clientProfileItem from './items/client-profile.ts';

export class DynamoDbDeliverabilityStore implements DeliverabilityStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async markUndeliverable(clientId: string, reason: 'bounce' | 'complaint', now: Date): Promise<boolean> {
    const result = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...clientProfileItem.markUndeliverable(clientId, reason, now) }));
    return clientProfileItem.firstUndeliverable(result.Attributes);
  }
}
