/**
 * AlertStore on DynamoDB. One small guard item per (session, kind) holds the claim; the acknowledge
 * link's item is written once the email is out and so doubles as the "sent" mark: a claim whose
 * lease ran out is only taken over when that link does not exist.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClientState } from '../domain/detector/state.ts';
import type { AlertKind } from '../events/contracts.ts';
import type { AlertClaim, AlertLink, AlertSession, AlertStore } from '../use-cases/send-alert.ts';
import { getDocumentClient } from './dynamodb-session-store.ts';
import { FORM_TOKEN_PATTERN, hashToken } from './form-tokens.ts';
import { AFTER_SEND_DELAYS_MS, persistAfterSend } from './after-send.ts';
import { keys } from './table.ts';

export class DynamoDbAlertStore implements AlertStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** Pauses before the extra rounds of the write after SES accepted (tests pass zeros). */
    private readonly afterSendDelaysMs: readonly number[] = AFTER_SEND_DELAYS_MS,
  ) {}

  async getSession(sessionId: string): Promise<AlertSession | undefined> {
    const [session, evaluation] = await Promise.all([
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.session(sessionId),
          // Never the client's email address: the alert has no use for it.
          ProjectionExpression: 'sessionId, clientId, therapistId, endedAt, client.firstName, therapist, answer',
        }),
      ),
      this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.evaluation(sessionId) })),
    ]);
    if (!session.Item) return undefined;
    return { ...(session.Item as AlertSession), client: (session.Item['client'] as AlertSession['client'] | undefined) ?? {}, evaluation: evaluation.Item as AlertSession['evaluation'] };
  }

  async getClientState(clientId: string, instrumentId: string): Promise<ClientState | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.detector(clientId, instrumentId), ProjectionExpression: '#state', ExpressionAttributeNames: { '#state': 'state' } }));
    return result.Item?.['state'] as ClientState | undefined;
  }

  async claimAlert(sessionId: string, kind: AlertKind, ackTokenHash: string, now: Date, leaseSeconds: number): Promise<AlertClaim> {
    const leaseUntil = new Date(now.getTime() + leaseSeconds * 1000).toISOString();
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.alert(sessionId, kind),
          UpdateExpression: 'SET #type = :type, kind = :kind, ackTokenHash = :hash, leaseUntil = :leaseUntil',
          ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':type': 'AlertClaim', ':kind': kind, ':hash': ackTokenHash, ':leaseUntil': leaseUntil, ':now': now.toISOString() },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const earlierHash = result.Attributes?.['ackTokenHash'] as string | undefined;
      if (earlierHash && (await this.linkExists(earlierHash))) {
        // The earlier attempt's email went out; put its claim back so the record stays true.
        await this.client.send(
          new UpdateCommand({ TableName: this.tableName, Key: keys.alert(sessionId, kind), UpdateExpression: 'SET ackTokenHash = :hash', ExpressionAttributeValues: { ':hash': earlierHash } }),
        );
        return { claimed: false, reason: 'sent' };
      }
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { claimed: false, reason: 'in-progress' };
    }
  }

  async releaseAlert(sessionId: string, kind: AlertKind): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.alert(sessionId, kind) }));
  }

  async saveAlertLink(ackTokenHash: string, link: AlertLink): Promise<void> {
    // Written after SES accepted the alert, and its "sent" mark: a failure here means a second alert later (after-send.ts).
    await persistAfterSend(
      () =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.alertLink(ackTokenHash), type: 'AlertLink', ...link },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      this.afterSendDelaysMs,
    );
  }

  async findAlertLink(ackToken: string): Promise<AlertLink | undefined> {
    if (!FORM_TOKEN_PATTERN.test(ackToken)) return undefined;
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.alertLink(hashToken(ackToken)) }));
    if (result.Item?.['type'] !== 'AlertLink') return undefined;
    const { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt } = result.Item as AlertLink;
    return { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt };
  }

  async acknowledge(ackToken: string, now: Date): Promise<{ acknowledgedAt: string; first: boolean } | undefined> {
    if (!FORM_TOKEN_PATTERN.test(ackToken)) return undefined;
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.alertLink(hashToken(ackToken)),
          // if_not_exists keeps the first time: a second click (or a scanner replaying the POST) changes nothing.
          UpdateExpression: 'SET acknowledgedAt = if_not_exists(acknowledgedAt, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': now.toISOString() },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const earlier = result.Attributes?.['acknowledgedAt'] as string | undefined;
      return earlier ? { acknowledgedAt: earlier, first: false } : { acknowledgedAt: now.toISOString(), first: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async linkExists(ackTokenHash: string): Promise<boolean> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.alertLink(ackTokenHash), ProjectionExpression: 'pk' }));
    return result.Item !== undefined;
  }
}
