/**
 * The weekly digest on DynamoDB: the hourly dispatch lists the directory from its sparse index
 * (items/therapist.ts THERAPIST_INDEX: ids, zones and switches, a few read units for thousands of
 * therapists); each digest reads the therapist's directory entry (GetItem, as the alert does: the
 * only address it may mail) and their whole caseload in ONE Query (items/caseload.ts queryDigest:
 * summaries and response weeks), and is sent once per digestId (items/digest-claim.ts).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DigestRead, DigestRoster, DigestStore } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as caseloadItem from './items/caseload.ts';
import * as digestClaimItem from './items/digest-claim.ts';
import * as responseWeekItem from './items/response-week.ts';
import * as therapistItem from './items/therapist.ts';

export class DynamoDbDigestStore implements DigestStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async read(therapistId: string): Promise<DigestRead> {
    const result: DigestRead = { therapist: undefined, caseload: [], responseWeeks: [], readUnits: 0 };
    const entry = this.client.send(new GetCommand({ TableName: this.tableName, ...therapistItem.get(therapistId), ReturnConsumedCapacity: 'TOTAL' }));
    let startKey: Record<string, unknown> | undefined;
    do {
      // One query: a page holds 1 MB, a few thousand clients' summaries.
      const page = await this.client.send(new QueryCommand({ TableName: this.tableName, ...caseloadItem.queryDigest(therapistId), ExclusiveStartKey: startKey, ReturnConsumedCapacity: 'TOTAL' }));
      result.readUnits = (result.readUnits ?? 0) + (page.ConsumedCapacity?.CapacityUnits ?? 0);
      for (const item of page.Items ?? []) {
        if (caseloadItem.isCaseloadItem(item)) result.caseload.push(caseloadItem.fromItem(item));
        else if (responseWeekItem.isResponseWeekItem(item)) result.responseWeeks.push(responseWeekItem.fromItem(item));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const found = await entry;
    result.therapist = therapistItem.fromItem(found.Item);
    result.readUnits = (result.readUnits ?? 0) + (found.ConsumedCapacity?.CapacityUnits ?? 0);
    return result;
  }

  async claim(therapistId: string, digestId: string, now: Date, leaseSeconds: number): Promise<'claimed' | 'sent' | 'in-progress'> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, ...digestClaimItem.claim(therapistId, digestId, now, leaseSeconds) }));
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return error.Item?.['sentAt'] ? 'sent' : 'in-progress';
    }
  }

  async markSent(therapistId: string, digestId: string, now: Date): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, ...digestClaimItem.markSent(therapistId, digestId, now) }));
  }

  async release(therapistId: string, digestId: string): Promise<void> {
    await sendUnlessConditionFails(this.client, new DeleteCommand({ TableName: this.tableName, ...digestClaimItem.release(therapistId, digestId) }));
  }
}

export class DynamoDbDigestRoster implements DigestRoster {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async list(): Promise<{ therapistId: string; timeZone?: string; digest?: 'off' }[]> {
    const found: { therapistId: string; timeZone?: string; digest?: 'off' }[] = [];
    for (const query of therapistItem.queryDirectoryIndex()) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(new QueryCommand({ TableName: this.tableName, ...query, ExclusiveStartKey: startKey }));
        for (const item of page.Items ?? []) {
          const entry = therapistItem.fromIndexItem(item);
          if (entry) found.push(entry);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return found;
  }
}
