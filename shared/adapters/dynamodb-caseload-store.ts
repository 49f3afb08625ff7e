/**
 * The caseload on DynamoDB: per-therapist summaries (items/caseload.ts) written by the evaluation
 * with one UpdateItem per answer or expiry, closed by acknowledgements and read by the trend page;
 * the therapist's per-week alert counters (items/response-week.ts).
 */
import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CaseloadStore, CaseloadWrite, ResponseCounter } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as caseloadItem from './items/caseload.ts';
import * as responseWeekItem from './items/response-week.ts';
import type { RetentionDays } from './table.ts';

export class DynamoDbCaseloadStore implements CaseloadStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** A summary expires this long after the client's last session. */
    private readonly retentionDays: RetentionDays = 'keep',
  ) {}

  async record(write: CaseloadWrite, now: Date, options: { addMarksIfStale: boolean }): Promise<void> {
    if (await sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...caseloadItem.record(write, now, this.retentionDays) }))) return;
    // A newer evaluation of this client wrote the summary first (or this one was written before).
    const marks = options.addMarksIfStale ? caseloadItem.addMarks(write) : undefined;
    if (marks) await this.ignoreMissing(new UpdateCommand({ TableName: this.tableName, ...marks }));
  }

  async remove(therapistId: string, clientId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, ...caseloadItem.remove(therapistId, clientId) }));
  }

  async closeAlert(therapistId: string, clientId: string, sessionId: string): Promise<void> {
    await this.ignoreMissing(new UpdateCommand({ TableName: this.tableName, ...caseloadItem.closeAlert(therapistId, clientId, sessionId) }));
  }

  async markTrendViewed(therapistId: string, clientId: string, now: Date): Promise<void> {
    await this.ignoreMissing(new UpdateCommand({ TableName: this.tableName, ...caseloadItem.markTrendViewed(therapistId, clientId, now) }));
  }

  /** A summary that is gone (erased, moved, expired) has nothing left to change. */
  private async ignoreMissing(command: UpdateCommand): Promise<void> {
    await sendUnlessConditionFails(this.client, command);
  }
}

export class DynamoDbResponseCounter implements ResponseCounter {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async alertSent(therapistId: string, alert: { sessionId: string; kind: string; sentAt: string }): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, ...responseWeekItem.count(therapistId, 'sent', alert) }));
  }

  async alertAcknowledged(therapistId: string, alert: { sessionId: string; kind: string; sentAt: string }): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, ...responseWeekItem.count(therapistId, 'acknowledged', alert) }));
  }
}
