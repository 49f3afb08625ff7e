/**
 * SessionStore on DynamoDB: every guard is a conditional write, so duplicates and races are
 * settled by the table, not by reading first.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SkipReason } from '../domain/request-policy.ts';
import type { ClaimResult, FormTokenRecord, ReserveResult, SessionRecord, SessionStore } from '../use-cases/ports.ts';
import { AFTER_SEND_DELAYS_MS, persistAfterSend } from './after-send.ts';
import { keys, retentionTtl, toTtl, TTL_ATTRIBUTE, type RetentionDays } from './table.ts';

/** A form token's record outlives the form: its opt-out link must keep working after the form expires. */
const TOKEN_RECORD_RETENTION_DAYS = 90;

let sharedDocumentClient: DynamoDBDocumentClient | undefined;

/** The container-wide document client (endpoint from `AWS_ENDPOINT_URL_DYNAMODB` when set). */
export function getDocumentClient(): DynamoDBDocumentClient {
  sharedDocumentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return sharedDocumentClient;
}

export class DynamoDbSessionStore implements SessionStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** Session records expire this long after the session ended (the TTL rides on the writes that create them). */
    private readonly retentionDays: RetentionDays = 'keep',
    /** Pauses before the extra rounds of the write after SES accepted (tests pass zeros). */
    private readonly afterSendDelaysMs: readonly number[] = AFTER_SEND_DELAYS_MS,
  ) {}

  async claimSession(session: SessionRecord, now: Date, leaseSeconds: number): Promise<ClaimResult> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.session(session.sessionId),
            type: 'Session',
            ...session,
            ...retentionTtl(session.endedAt, this.retentionDays),
            status: 'claimed',
            claimedAt: now.toISOString(),
            claimExpiresAt: new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
          },
          // A claim whose lease ran out may be taken over, unless the client answered meanwhile
          // (the earlier attempt's email went out even though it was never marked requested).
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :claimed AND claimExpiresAt < :now AND attribute_not_exists(answeredAt))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now.toISOString() },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const value = (name: string) => (error.Item?.[name] as { S?: string } | undefined)?.S;
        const status = value('status') ?? 'unknown';
        const [clientId, therapistId, requestedAt, expiresAt] = [value('clientId'), value('therapistId'), value('requestedAt'), value('expiresAt')];
        const request = status === 'requested' && clientId && therapistId && requestedAt && expiresAt ? { clientId, therapistId, requestedAt, expiresAt } : undefined;
        return { claimed: false, status, ...(request ? { request } : {}) };
      }
      throw error;
    }
  }

  async recordSkipped(session: SessionRecord, reason: SkipReason, now: Date): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.session(session.sessionId),
            type: 'Session',
            ...session,
            ...retentionTtl(session.endedAt, this.retentionDays),
            status: 'skipped',
            skipReason: reason,
            skippedAt: now.toISOString(),
          },
          // Either a new session (stale ones are never claimed) or the one this attempt claimed.
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :claimed AND attribute_not_exists(answeredAt))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      // Already recorded by an earlier delivery of the same session: nothing to do.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async reserveClientRequest(input: {
    clientId: string;
    sessionId: string;
    endedAt: string;
    window: { after: string; before: string };
  }): Promise<ReserveResult> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.client(input.clientId),
          UpdateExpression: 'SET #type = :type, clientId = :clientId, lastRequestSessionId = :sessionId, lastRequestEndedAt = :endedAt',
          ConditionExpression:
            'attribute_not_exists(optedOutAt) AND attribute_not_exists(undeliverableAt) AND ' +
            '(attribute_not_exists(lastRequestEndedAt) OR lastRequestSessionId = :sessionId OR ' +
            'lastRequestEndedAt <= :after OR lastRequestEndedAt >= :before)',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: {
            ':type': 'Client',
            ':clientId': input.clientId,
            ':sessionId': input.sessionId,
            ':endedAt': input.endedAt,
            ':after': input.window.after,
            ':before': input.window.before,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { reserved: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const item = error.Item ?? {};
      if (item['optedOutAt']) return { reserved: false, reason: 'opted-out' };
      if (item['undeliverableAt']) return { reserved: false, reason: 'undeliverable' };
      return { reserved: false, reason: 'throttled' };
    }
  }

  async saveFormToken(token: FormTokenRecord): Promise<void> {
    const retainUntil = new Date(new Date(token.expiresAt).getTime() + TOKEN_RECORD_RETENTION_DAYS * 86_400_000);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.formToken(token.tokenHash), type: 'FormToken', ...token, [TTL_ATTRIBUTE]: toTtl(retainUntil) },
        // 256 random bits never collide; the condition makes sure an answer is never overwritten.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async markRequested(sessionId: string, input: { requestedAt: string; expiresAt: string; tokenHash: string }): Promise<void> {
    // Written after SES accepted the email: a failure here means a second email later (after-send.ts).
    await persistAfterSend(() =>
      this.client.send(
        new UpdateCommand({
        TableName: this.tableName,
        Key: keys.session(sessionId),
        UpdateExpression: 'SET #status = :requested, requestedAt = :requestedAt, expiresAt = :expiresAt, tokenHash = :tokenHash REMOVE claimExpiresAt',
        ConditionExpression: '#status = :claimed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':requested': 'requested',
          ':claimed': 'claimed',
          ':requestedAt': input.requestedAt,
          ':expiresAt': input.expiresAt,
          ':tokenHash': input.tokenHash,
        },
      }),
      ),
      this.afterSendDelaysMs,
    );
  }

  async releaseClaim(sessionId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.session(sessionId),
          ConditionExpression: '#status = :claimed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
