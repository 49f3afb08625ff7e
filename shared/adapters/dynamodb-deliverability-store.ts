/**
 * DeliverabilityStore on DynamoDB: the block lives on the client's profile item, where the request
 * and follow-up functions already look before emailing.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliverabilityStore } from '../use-cases/deliverability.ts';
import { getDocumentClient } from './dynamodb-session-store.ts';
import { keys } from './table.ts';

export class DynamoDbDeliverabilityStore implements DeliverabilityStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async markUndeliverable(clientId: string, reason: 'bounce' | 'complaint', now: Date): Promise<boolean> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.client(clientId),
        // if_not_exists keeps the first report: SES may report the same address many times.
        UpdateExpression: 'SET undeliverableAt = if_not_exists(undeliverableAt, :now), undeliverableReason = if_not_exists(undeliverableReason, :reason), #type = if_not_exists(#type, :type), clientId = :clientId',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason, ':type': 'Client', ':clientId': clientId },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    return result.Attributes?.['undeliverableAt'] === undefined;
  }
}
