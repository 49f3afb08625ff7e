/**
 * AlertStore on DynamoDB. One small guard item per (session, kind) holds the claim; the acknowledge
 * link's item is written once the email is out and so doubles as the "sent" mark: a claim whose
 * lease ran out is only taken over when that link does not exist.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertKind } from '../events/contracts.ts';
import type { AlertClaim, AlertLink, AlertSession, AlertStore } from '../use-cases/send-alert.ts';
import { readEvaluationItem } from './evaluation-item.ts';
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
    // One query reads the session and its evaluation together (they share the session's partition):
    // read units are counted on their summed size, so both cost what one small item costs.
    const { pk, sk: sessionSk } = keys.session(sessionId);
    const evaluationSk = keys.evaluation(sessionId).sk;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        // EVALUATION < SESSION: the range leaves out the alert claims (ALERT#…) of the partition.
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :evaluation AND :session',
        // Never the client's email address: the alert has no use for it.
        ProjectionExpression: 'sk, sessionId, clientId, therapistId, endedAt, client.firstName, therapist, answer, kind, instrumentId, packed, evaluation',
        ExpressionAttributeValues: { ':pk': pk, ':evaluation': evaluationSk, ':session': sessionSk },
      }),
    );
    const items = result.Items ?? [];
    const session = items.find((item) => item['sk'] === sessionSk);
    const evaluation = items.find((item) => item['sk'] === evaluationSk);
    if (!session) return undefined;
    const { sk: _sk, ...fields } = session;
    return {
      ...(fields as unknown as AlertSession),
      client: (session['client'] as AlertSession['client'] | undefined) ?? {},
      evaluation: evaluation ? (readEvaluationItem(sessionId, evaluation) as AlertSession['evaluation']) : undefined,
    };
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

  async acknowledge(ackToken: string, now: Date): Promise<{ link: AlertLink; acknowledgedAt: string; first: boolean } | undefined> {
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
          // The item as it was: the link for the page and the event, and any earlier acknowledgement.
          ReturnValues: 'ALL_OLD',
        }),
      );
      const { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt: earlier } = (result.Attributes ?? {}) as AlertLink;
      const link: AlertLink = { sessionId, clientId, therapistId, kind, sentAt, acknowledgedAt: earlier };
      return earlier ? { link, acknowledgedAt: earlier, first: false } : { link, acknowledgedAt: now.toISOString(), first: true };
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
