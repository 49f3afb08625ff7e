/**
 * AlertStore on DynamoDB. One small claim item per (session, kind, recipient slot) is the once-only guard; the
 * acknowledge link's item is written once the email is out and so doubles as the "sent" mark: a
 * claim whose lease ran out is only taken over when that link does not exist.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecipientSlot } from '../domain/alert-recipients.ts';
import type { AlertKind } from '../events/contracts.ts';
import type { AlertClaim, AlertLink, AlertSession, AlertStore } from '../use-cases/ports.ts';
import { AFTER_SEND_DELAYS_MS, persistAfterSend } from './after-send.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import { FORM_TOKEN_PATTERN, hashToken } from './form-tokens.ts';
import * as alertClaimItem from './items/alert-claim.ts';
import * as alertLinkItem from './items/alert-link.ts';
import * as evaluationItem from './items/evaluation.ts';
import * as sessionItem from './items/session.ts';
import type { RetentionDays } from './table.ts';

export class DynamoDbAlertStore implements AlertStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
    /** The claim and the acknowledge link expire this long after the alert (the TTL rides on the writes that create them). */
    private readonly retentionDays: RetentionDays = 'keep',
    /** Pauses before the extra rounds of the write after SES accepted (tests pass zeros). */
    private readonly afterSendDelaysMs: readonly number[] = AFTER_SEND_DELAYS_MS,
  ) {}

  async getSession(sessionId: string): Promise<AlertSession | undefined> {
    // One query reads the session and its evaluation together (they share the session's partition):
    // read units are counted on their summed size, so both cost about what one item costs.
    const session = sessionItem.key(sessionId);
    const evaluation = evaluationItem.key(sessionId);
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        // EVALUATION < SESSION: the range leaves out the alert claims (ALERT#…) of the partition.
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :evaluation AND :session',
        ProjectionExpression: ['sk', ...new Set([...sessionItem.ALERT_ATTRIBUTES, ...evaluationItem.ALERT_ATTRIBUTES])].join(', '),
        ExpressionAttributeValues: { ':pk': session.pk, ':evaluation': evaluation.sk, ':session': session.sk },
      }),
    );
    const items = result.Items ?? [];
    const found = items.find((item) => item['sk'] === session.sk);
    const evaluated = items.find((item) => item['sk'] === evaluation.sk);
    if (!found) return undefined;
    return { ...sessionItem.alertSession(found), evaluation: evaluated ? evaluationItem.fromItem(evaluated) : undefined };
  }

  async claimAlert(claim: { sessionId: string; clientId: string; kind: AlertKind; slot?: RecipientSlot | undefined; ackTokenHash: string; now: Date; leaseSeconds: number }): Promise<AlertClaim> {
    try {
      const result = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...alertClaimItem.claim(claim, this.retentionDays) }));
      const earlierHash = alertClaimItem.earlierAckTokenHash(result.Attributes);
      if (earlierHash && (await this.linkExists(earlierHash))) {
        // The earlier attempt's email went out; put its link back on the claim so the record stays true.
        await this.client.send(new UpdateCommand({ TableName: this.tableName, ...alertClaimItem.restore(claim.sessionId, claim.kind, earlierHash, claim.slot) }));
        return { claimed: false, reason: 'sent' };
      }
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { claimed: false, reason: 'in-progress' };
    }
  }

  async releaseAlert(sessionId: string, kind: AlertKind, slot?: RecipientSlot): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, ...alertClaimItem.release(sessionId, kind, slot) }));
  }

  async saveAlertLink(ackTokenHash: string, link: AlertLink): Promise<void> {
    // Written after SES accepted the alert, and its "sent" mark: a failure here means a second alert later (after-send.ts).
    await persistAfterSend(() => this.client.send(new PutCommand({ TableName: this.tableName, ...alertLinkItem.put(ackTokenHash, link, this.retentionDays) })), this.afterSendDelaysMs);
  }

  async findAlertLink(ackToken: string): Promise<AlertLink | undefined> {
    if (!FORM_TOKEN_PATTERN.test(ackToken)) return undefined;
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...alertLinkItem.get(hashToken(ackToken)) }));
    return alertLinkItem.isAlertLink(result.Item) ? alertLinkItem.fromItem(result.Item) : undefined;
  }

  async acknowledge(ackToken: string, now: Date): Promise<{ link: AlertLink; acknowledgedAt: string; first: boolean; announcement: 'claimed' | 'announced' | 'in-progress' } | undefined> {
    if (!FORM_TOKEN_PATTERN.test(ackToken)) return undefined;
    try {
      const result = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...alertLinkItem.acknowledge(hashToken(ackToken), now) }));
      const link = alertLinkItem.fromItem(result.Attributes ?? {});
      const earlier = link.acknowledgedAt;
      return { link, acknowledgedAt: earlier ?? now.toISOString(), first: !earlier, announcement: 'claimed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // No item: no such link. Otherwise it was acknowledged before and is announced, or being announced.
      if (!error.Item) return undefined;
      const link = alertLinkItem.fromWireItem(error.Item);
      return { link, acknowledgedAt: link.acknowledgedAt ?? now.toISOString(), first: false, announcement: link.announcedAt ? 'announced' : 'in-progress' };
    }
  }

  async markAcknowledgementAnnounced(ackToken: string, now: Date): Promise<void> {
    // Not written: the link was erased meanwhile, and there is nothing left to mark.
    await sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...alertLinkItem.markAnnounced(hashToken(ackToken), now) }));
  }

  async releaseAcknowledgementAnnouncement(ackToken: string, now: Date): Promise<void> {
    // Not written: not our claim any more (it ran out and another request took it), or the link is gone.
    await sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...alertLinkItem.releaseAnnouncement(hashToken(ackToken), now) }));
  }

  private async linkExists(ackTokenHash: string): Promise<boolean> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...alertLinkItem.getExistence(ackTokenHash) }));
    return result.Item !== undefined;
  }
}
