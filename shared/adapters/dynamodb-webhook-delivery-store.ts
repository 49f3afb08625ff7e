/**
 * WebhookDeliveryStore on DynamoDB: one conditional put per delivery id, deleted again only when
 * its event could not be published (items/webhook-delivery.ts).
 */
import { DeleteCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WebhookDeliveryStore } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as webhookDeliveryItem from './items/webhook-delivery.ts';

export class DynamoDbWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async claim(delivery: { webhookId: string; sessionId: string; receivedAt: Date }): Promise<'new' | 'seen'> {
    return (await sendUnlessConditionFails(this.client, new PutCommand({ TableName: this.tableName, ...webhookDeliveryItem.put(delivery) }))) ? 'new' : 'seen';
  }

  async release(webhookId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, ...webhookDeliveryItem.remove(webhookId) }));
  }
}
