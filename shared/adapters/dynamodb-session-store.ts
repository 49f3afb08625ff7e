/**
 * SessionStore on DynamoDB: every guard is a conditional write, so duplicates and races are
 * settled by the table, not by reading first (only a duplicate reads, afterwards: whether the
 * earlier attempt's form token exists, which is the record that its email went out).
 *
 * A request costs three item writes: the claim (the session, already `requested`), the client's
 * request slot, and the form token once SES has accepted the email.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SkipReason } from '../domain/request-policy.ts';
import type { ClaimResult, FormTokenRecord, PlannedRequest, ReserveResult, SessionRecord, SessionStore } from '../use-cases/ports.ts';
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

  async claimSession(session: SessionRecord, plan: PlannedRequest, now: Date, leaseSeconds: number): Promise<ClaimResult> {
    const claim = await this.putClaim(session, plan, now, leaseSeconds, 'attribute_not_exists(pk)', {});
    if (claim.claimed) return { claimed: true };
    const old = claim.old;
    const value = (name: string) => old[name];
    const status = value('status') ?? 'unknown';
    // Only a request may be in flight (`claimed`: a claim of the previous version); a skipped
    // session stays skipped.
    if (status !== 'requested' && status !== 'claimed') return this.duplicate(old, status, false);

    const tokenHash = value('tokenHash');
    // The token item is written only after SES accepted the email: if it exists, the email went out
    // (and the attempt that sent it may have failed to announce it; the caller announces again).
    // An answered session was sent too, and so was a `requested` one without a lease (marked after
    // sending by the previous version).
    if (status === 'requested' && (value('answeredAt') || !value('claimExpiresAt') || (tokenHash && (await this.formTokenExists(tokenHash))))) {
      return this.duplicate(old, status, true);
    }
    if (value('answeredAt')) return this.duplicate(old, status, false);
    // No proof of sending: the claim's attempt is still running, or it died before (or while)
    // handing the email to SES. Only once its lease has run out is it taken over; this is the
    // documented window: an email SES accepted whose token write was lost gets a second email.
    const leaseEnd = value('claimExpiresAt');
    if (!leaseEnd || leaseEnd >= now.toISOString()) return { claimed: false, status: 'claimed' };
    const takeover = await this.putClaim(
      session,
      plan,
      now,
      leaseSeconds,
      // The same claim we saw (another retry may have taken it over first), still unanswered.
      'claimExpiresAt = :leaseEnd AND attribute_not_exists(answeredAt)',
      { ':leaseEnd': leaseEnd },
    );
    if (!takeover.claimed) return { claimed: false, status: 'claimed' };
    const earlierExpiresAt = value('expiresAt');
    return tokenHash && earlierExpiresAt ? { claimed: true, earlier: { tokenHash, expiresAt: earlierExpiresAt } } : { claimed: true };
  }

  private async putClaim(
    session: SessionRecord,
    plan: PlannedRequest,
    now: Date,
    leaseSeconds: number,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<{ claimed: true } | { claimed: false; old: Record<string, string | undefined> }> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.sessionItem(session, {
            // Requested from the claim on: there is no second write to the session after sending
            // (a session with no email sent has no token item, so no page or follow-up can reach it).
            status: 'requested',
            ...plan,
            claimedAt: now.toISOString(),
            claimExpiresAt: new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
          }),
          ConditionExpression: condition,
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The exception carries the old item in wire format; every attribute read from it is a string.
      const old = Object.fromEntries(Object.entries(error.Item ?? {}).map(([name, value]) => [name, (value as { S?: string }).S]));
      return { claimed: false, old };
    }
  }

  /** The session item as both of its writes (the claim, the skip) put it: the session, its TTL, then its state. */
  private sessionItem(session: SessionRecord, state: Record<string, unknown>): Record<string, unknown> {
    return { ...keys.session(session.sessionId), type: 'Session', ...session, ...retentionTtl(session.endedAt, this.retentionDays), ...state };
  }

  private duplicate(old: Record<string, string | undefined>, status: string, sent: boolean): ClaimResult {
    const [clientId, therapistId, requestedAt, expiresAt] = (['clientId', 'therapistId', 'requestedAt', 'expiresAt'] as const).map((name) => old[name]);
    const request = sent && clientId && therapistId && requestedAt && expiresAt ? { clientId, therapistId, requestedAt, expiresAt } : undefined;
    return { claimed: false, status, ...(request ? { request } : {}) };
  }

  private async formTokenExists(tokenHash: string): Promise<boolean> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.formToken(tokenHash), ProjectionExpression: 'pk', ConsistentRead: true }),
    );
    return result.Item !== undefined;
  }

  async recordSkipped(session: SessionRecord, reason: SkipReason, now: Date, claimTokenHash?: string): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.sessionItem(session, { status: 'skipped', skipReason: reason, skippedAt: now.toISOString() }),
          // Either a new session (stale ones are never claimed) or the one this attempt claimed.
          ...(claimTokenHash
            ? {
                ConditionExpression: 'attribute_not_exists(pk) OR (tokenHash = :tokenHash AND attribute_not_exists(answeredAt))',
                ExpressionAttributeValues: { ':tokenHash': claimTokenHash },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
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

  async saveSentFormToken(token: FormTokenRecord): Promise<void> {
    // Written after SES accepted the email: a failure here means a second email later (after-send.ts).
    await persistAfterSend(() => this.saveFormToken(token), this.afterSendDelaysMs);
  }

  async releaseClaim(sessionId: string, claimTokenHash: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.session(sessionId),
          // Only this attempt's claim: after its lease another attempt may have taken the session over.
          ConditionExpression: 'tokenHash = :tokenHash AND attribute_not_exists(answeredAt)',
          ExpressionAttributeValues: { ':tokenHash': claimTokenHash },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
