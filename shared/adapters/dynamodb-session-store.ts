/**
 * SessionStore on DynamoDB: every guard is a conditional write, so duplicates and races are
 * settled by the table, not by reading first (only a duplicate reads, afterwards: whether the
 * earlier attempt's form link exists, which is the record that its email went out).
 *
 * A request costs three item writes: the claim (the session, already `requested`), the client's
 * request slot, and the form link once SES has accepted the email; and one read: whether the
 * address is on the do-not-contact list. The slot's condition also refuses an erased client (the
 * profile is then their tombstone), so that check costs nothing.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SkipReason } from '../domain/request-policy.ts';
import type { ClaimResult, FormTokenRecord, PlannedRequest, RequestSlot, ReserveResult, SessionRecord, SessionStore } from '../use-cases/ports.ts';
import { AFTER_SEND_DELAYS_MS, persistAfterSend } from './after-send.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as clientProfileItem from './items/client-profile.ts';
import * as doNotContactItem from './items/do-not-contact.ts';
import * as formLinkItem from './items/form-link.ts';
import * as sessionItem from './items/session.ts';
import type { RetentionDays } from './table.ts';

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
    const claim = await this.putClaim(session, plan, now, leaseSeconds, { replaces: 'nothing' });
    if (claim.claimed) return { claimed: true };
    const old = claim.old;
    // Only a request may be in flight (`claimed`: a claim of the previous version); a skipped
    // session stays skipped.
    if (old.status !== 'requested' && old.status !== 'claimed') return duplicate(old, false);

    // The form link is written only after SES accepted the email: if it exists, the email went out
    // (and the attempt that sent it may have failed to announce it; the caller announces again).
    // An answered session was sent too, and so was a `requested` one without a lease.
    if (old.status === 'requested' && (old.answeredAt || !old.claimExpiresAt || (old.tokenHash && (await this.formLinkExists(old.tokenHash))))) {
      return duplicate(old, true);
    }
    if (old.answeredAt) return duplicate(old, false);
    // No proof of sending: the claim's attempt is still running, or it died before (or while)
    // handing the email to SES. Only once its lease has run out is it taken over; this is the
    // documented window: an email SES accepted whose link write was lost gets a second email.
    const leaseEnd = old.claimExpiresAt;
    if (!leaseEnd || leaseEnd >= now.toISOString()) return { claimed: false, status: 'claimed' };
    const takeover = await this.putClaim(session, plan, now, leaseSeconds, { replaces: 'expired-lease', leaseEnd });
    if (!takeover.claimed) return { claimed: false, status: 'claimed' };
    return old.tokenHash && old.expiresAt ? { claimed: true, earlier: { tokenHash: old.tokenHash, expiresAt: old.expiresAt } } : { claimed: true };
  }

  private async putClaim(
    session: SessionRecord,
    plan: PlannedRequest,
    now: Date,
    leaseSeconds: number,
    guard: sessionItem.ClaimGuard,
  ): Promise<{ claimed: true } | { claimed: false; old: sessionItem.ExistingClaim }> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, ...sessionItem.claim(session, plan, now, leaseSeconds, this.retentionDays, guard) }));
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { claimed: false, old: sessionItem.existingClaim(error.Item) };
    }
  }

  private async formLinkExists(tokenHash: string): Promise<boolean> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...formLinkItem.getExistence(tokenHash) }));
    return result.Item !== undefined;
  }

  async recordSkipped(session: SessionRecord, reason: SkipReason, now: Date, claimTokenHash?: string): Promise<void> {
    // Not written when already recorded by an earlier delivery of the same session: nothing to do.
    await sendUnlessConditionFails(this.client, new PutCommand({ TableName: this.tableName, ...sessionItem.skip(session, reason, now, this.retentionDays, claimTokenHash) }));
  }

  async reserveClientRequest(input: { clientId: string; sessionId: string; endedAt: string; window: { after: string; before: string }; addressHash: string }): Promise<ReserveResult> {
    try {
      const result = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...clientProfileItem.reserveRequest(input) }));
      return clientProfileItem.reserved(result.Attributes, input.addressHash);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return clientProfileItem.reserveRefusal(error.Item);
    }
  }

  async releaseClientRequest(clientId: string, sessionId: string, previousSlot: RequestSlot | undefined): Promise<void> {
    // Not written when a later session holds the slot now: nothing of this one is left to give back.
    await sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...clientProfileItem.releaseRequest(clientId, sessionId, previousSlot) }));
  }

  async saveFormToken(token: FormTokenRecord): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.tableName, ...formLinkItem.put(token) }));
  }

  async saveSentFormToken(token: FormTokenRecord): Promise<void> {
    // Written after SES accepted the email: a failure here means a second email later (after-send.ts).
    await persistAfterSend(() => this.saveFormToken(token), this.afterSendDelaysMs);
  }

  async releaseClaim(sessionId: string, claimTokenHash: string): Promise<void> {
    await sendUnlessConditionFails(this.client, new DeleteCommand({ TableName: this.tableName, ...sessionItem.releaseClaim(sessionId, claimTokenHash) }));
  }

  async isClientErased(clientId: string): Promise<boolean> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...clientProfileItem.getErasure(clientId) }));
    return clientProfileItem.isErased(result.Item);
  }

  async isDoNotContact(addressHash: string): Promise<boolean> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...doNotContactItem.getExistence(addressHash) }));
    return result.Item !== undefined;
  }
}

function duplicate(old: sessionItem.ExistingClaim, sent: boolean): ClaimResult {
  return { claimed: false, status: old.status, ...(sent && old.request ? { request: old.request } : {}) };
}
