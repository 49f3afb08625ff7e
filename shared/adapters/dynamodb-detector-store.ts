/**
 * DetectorStore on DynamoDB: one bounded record per client and instrument (items/detector-state.ts),
 * written with optimistic concurrency on its version, read with the client's profile in one Query
 * (an erased client's profile is their tombstone: no event brings their record back); evaluations
 * in their own item beside the session (items/evaluation.ts); the session itself (items/session.ts),
 * read for what it stores.
 */
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, type DetectorRecord, type DetectorStore, type EvaluationSession, type StoredEvaluation } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as clientProfileItem from './items/client-profile.ts';
import * as detectorStateItem from './items/detector-state.ts';
import * as evaluationItem from './items/evaluation.ts';
import * as sessionItem from './items/session.ts';
import type { RetentionDays } from './table.ts';

export class DynamoDbDetectorStore implements DetectorStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** Evaluations expire with their session: this long after it ended. */
    private readonly retentionDays: RetentionDays = 'keep',
  ) {}

  async getRecord(clientId: string, instrumentId: string): Promise<DetectorRecord | 'client-erased' | undefined> {
    const result = await this.client.send(
      new QueryCommand({ TableName: this.tableName, ...detectorStateItem.queryWithProfile(clientId, instrumentId, clientProfileItem.key(clientId).sk) }),
    );
    const items = result.Items ?? [];
    if (items.some((item) => item['sk'] === clientProfileItem.key(clientId).sk && clientProfileItem.isErased(item))) return 'client-erased';
    const found = items.find((item) => detectorStateItem.isRecordOf(item, instrumentId));
    return found ? detectorStateItem.fromItem(found) : undefined;
  }

  async putRecord(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number): Promise<void> {
    if (!(await sendUnlessConditionFails(this.client, new PutCommand({ TableName: this.tableName, ...detectorStateItem.put(clientId, instrumentId, record, expectedVersion) })))) {
      throw new ConcurrentUpdateError(`detector record of client ${clientId} changed since version ${expectedVersion}`);
    }
  }

  async getSession(sessionId: string, options: { consistent: boolean }): Promise<EvaluationSession | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...sessionItem.getForEvaluation(sessionId, options.consistent) }));
    return result.Item ? sessionItem.evaluationSession(result.Item) : undefined;
  }

  async saveEvaluation(sessionId: string, clientId: string, evaluation: StoredEvaluation): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, ...evaluationItem.put(sessionId, clientId, evaluation, this.retentionDays) }));
  }

  async getEvaluation(sessionId: string): Promise<StoredEvaluation | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...evaluationItem.get(sessionId) }));
    return result.Item ? evaluationItem.fromItem(result.Item) : undefined;
  }
}
