/**
 * DetectorStore on DynamoDB: one small record per client and instrument, written with optimistic
 * concurrency on its version; evaluations in their own item beside the session.
 *
 * Both items are kept under 1 KB, so each write costs one write unit whatever the client's history
 * or the length of the ids: the detector state and the evaluation are stored as deflated JSON in one
 * binary attribute (`packed`, see packed-json.ts), the remembered sessions as 8-character digests (appliedKey), and no
 * id is repeated that the item's key already holds. Items written before this format (a `state`
 * map, raw session ids in `applied`, a plain evaluation) are still read.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { appliedKey, ConcurrentUpdateError, type DetectorRecord, type DetectorStore, type StoredEvaluation } from '../use-cases/evaluate-feedback.ts';
import { getDocumentClient } from './dynamodb-session-store.ts';
import { evaluationItem, readEvaluationItem } from './evaluation-item.ts';
import { pack, unpack } from './packed-json.ts';
import { keys, type RetentionDays } from './table.ts';

/** The stored detector item of a record (exported for the item-size tests). */
export function detectorItem(clientId: string, instrumentId: string, record: DetectorRecord): Record<string, unknown> {
  // No clientId attribute: the key holds it, and export/erase read the whole CLIENT# partition.
  return { ...keys.detector(clientId, instrumentId), type: 'DetectorState', version: record.state.version, packed: pack(record) };
}

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
    const item = result.Item;
    if (!item) return undefined;
    if (item['packed'] instanceof Uint8Array) return unpack<DetectorRecord>(item['packed']);
    // Written before the packed format: raw session ids, remembered from now on by their keys.
    return { state: item['state'] as DetectorRecord['state'], applied: ((item['applied'] as string[] | undefined) ?? []).map(appliedKey) };
  }

  async putRecord(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: detectorItem(clientId, instrumentId, record),
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
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: evaluationItem(sessionId, evaluation, this.retentionDays) }));
  }

  async getEvaluation(sessionId: string): Promise<StoredEvaluation | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.evaluation(sessionId) }));
    return result.Item ? readEvaluationItem(sessionId, result.Item) : undefined;
  }
}
