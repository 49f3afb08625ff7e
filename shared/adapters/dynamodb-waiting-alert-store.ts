/**
 * Alerts waiting for their therapist, on DynamoDB: in the therapist's partition
 * (./items/waiting-alert.ts), beside the mark of the administrator's one notice
 * (./items/therapist-notice.ts).
 */
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WaitingAlert, WaitingAlertStore } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as therapistNoticeItem from './items/therapist-notice.ts';
import * as waitingAlertItem from './items/waiting-alert.ts';
import type { RetentionDays } from './table.ts';

export class DynamoDbWaitingAlertStore implements WaitingAlertStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    private readonly retentionDays: RetentionDays = 'keep',
  ) {}

  async wait(alert: WaitingAlert): Promise<void> {
    await sendUnlessConditionFails(this.client, new PutCommand({ TableName: this.tableName, ...waitingAlertItem.put(alert, this.retentionDays) }));
  }

  async claimNotice(therapistId: string, now: Date): Promise<boolean> {
    return sendUnlessConditionFails(this.client, new PutCommand({ TableName: this.tableName, ...therapistNoticeItem.claim(therapistId, now.toISOString()) }));
  }

  async releaseNotice(therapistId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, ...therapistNoticeItem.remove(therapistId) }));
  }

  async waitingFor(therapistId: string): Promise<WaitingAlert[]> {
    const alerts: WaitingAlert[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ TableName: this.tableName, ...waitingAlertItem.queryFor(therapistId), ExclusiveStartKey: startKey }));
      alerts.push(...(page.Items ?? []).map(waitingAlertItem.fromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return alerts;
  }

  async forget(alert: WaitingAlert): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, ...waitingAlertItem.remove(alert.therapistId, alert.sessionId, alert.kind) }));
  }
}
