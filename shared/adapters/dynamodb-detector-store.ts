/**
 * DetectorStore on DynamoDB: one small record per client and instrument, written with optimistic
 * concurrency on its version; evaluations in their own item beside the session.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, type DetectorRecord, type DetectorStore, type StoredEvaluation } from '../use-cases/evaluate-feedback.ts';
import { getDocumentClient } from './dynamodb-session-store.ts';
import { keys, retentionTtl, TTL_ATTRIBUTE, type RetentionDays } from './table.ts';

export class DynamoDbDetectorStore implements DetectorStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** Evaluations expire with their session: this long after it ended. */
    private readonly retentionDays: RetentionDays = 'keep',
  ) {}

  async getRecord(clientId: string, instrumentId: string): Promise<DetectorRecord | undefined> {
    // Eventually consistent is enough: a stale read loses the version race and is retried.
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.detector(clientId, instrumentId) }));
    if (!result.Item) return undefined;
    return { state: result.Item['state'] as DetectorRecord['state'], applied: (result.Item['applied'] as string[] | undefined) ?? [] };
  }

  async putRecord(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.detector(clientId, instrumentId), type: 'DetectorState', clientId, version: record.state.version, state: record.state, applied: record.applied },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConcurrentUpdateError(`detector record of client ${clientId} changed since version ${expectedVersion}`);
      }
      throw error;
    }
  }

  async getSessionEndedAt(sessionId: string): Promise<string | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.session(sessionId), ProjectionExpression: 'endedAt' }),
    );
    return result.Item?.['endedAt'] as string | undefined;
  }

  async saveEvaluation(sessionId: string, evaluation: StoredEvaluation): Promise<void> {
    const endedAt = evaluation.kind === 'answered' ? evaluation.evaluation.endedAt : evaluation.outcome.endedAt;
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { ...keys.evaluation(sessionId), type: 'Evaluation', ...evaluation, ...retentionTtl(endedAt, this.retentionDays) } }),
    );
  }

  async getEvaluation(sessionId: string): Promise<StoredEvaluation | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.evaluation(sessionId) }));
    if (!result.Item) return undefined;
    const { pk: _pk, sk: _sk, type: _type, [TTL_ATTRIBUTE]: _ttl, ...stored } = result.Item;
    return stored as StoredEvaluation;
  }
}
