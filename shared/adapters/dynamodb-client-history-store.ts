/**
 * ClientHistoryStore on DynamoDB (items/client-history.ts): one UpdateItem per evaluated session,
 * one per alert sent (or left to the digest) and one per acknowledgement, each on one known key (no read first).
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertKind } from '../events/contracts.ts';
import type { ClientHistoryStore, HistoryEntry, HistoryRef } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as clientHistoryItem from './items/client-history.ts';
import type { UpdateRequest } from './items/item.ts';
import type { RetentionDays } from './table.ts';

export class DynamoDbClientHistoryStore implements ClientHistoryStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** Rows expire with their session: this long after it ended. */
    private readonly retentionDays: RetentionDays = 'keep',
  ) {}

  async recordSession(entry: HistoryEntry): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, ...clientHistoryItem.record(entry, this.retentionDays) }));
  }

  async markAlertSent(ref: HistoryRef, kind: AlertKind, at: string): Promise<void> {
    await this.markIfPresent(clientHistoryItem.markAlertSent(ref, kind, at));
  }

  async markAlertInDigest(ref: HistoryRef, kind: AlertKind, at: string): Promise<void> {
    await this.markIfPresent(clientHistoryItem.markAlertInDigest(ref, kind, at));
  }

  async markAcknowledged(ref: HistoryRef, kind: AlertKind, at: string): Promise<void> {
    await this.markIfPresent(clientHistoryItem.markAcknowledged(ref, kind, at));
  }

  private async markIfPresent(request: UpdateRequest): Promise<void> {
    // Not written without a row: the client was erased, the row passed retention, or the session predates history.
    await sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...request }));
  }
}
