/**
 * DeliverabilityStore on DynamoDB: the block lives on the client's profile item, where the request
 * and follow-up functions already look before emailing; an erased client's address goes on the
 * do-not-contact list instead (their tombstone takes nothing more).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliverabilityStore, DoNotContactEntry } from '../use-cases/ports.ts';
import { addToDoNotContactList } from './dynamodb-do-not-contact-list.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import * as clientProfileItem from './items/client-profile.ts';

export class DynamoDbDeliverabilityStore implements DeliverabilityStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async markUndeliverable(clientId: string, reason: 'bounce' | 'complaint', now: Date): ReturnType<DeliverabilityStore['markUndeliverable']> {
    try {
      const result = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...clientProfileItem.markUndeliverable(clientId, reason, now) }));
      return clientProfileItem.firstUndeliverable(result.Attributes) ? 'marked' : 'already-marked';
    } catch (error) {
      // The only condition is "not a tombstone".
      if (error instanceof ConditionalCheckFailedException) return 'erased';
      throw error;
    }
  }

  async addDoNotContact(addressHash: string, entry: DoNotContactEntry): Promise<void> {
    await addToDoNotContactList(this.client, this.tableName, addressHash, entry);
  }
}
