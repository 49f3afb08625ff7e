/**
 * FeedbackStore and OptOutStore on DynamoDB.
 *
 * Two kinds of link, each with a token of its own: the form link answers the form, the opt-out
 * link (items/opt-out-link.ts) opts out; neither token does the other's work.
 *
 * A link is found by the SHA-256 of its token (only the hash is stored); the form-link item carries
 * all an answer's announcement needs, so a post reads nothing else before its one write. The answer
 * goes on the SESSION item, not the link: a reminder sends a second link to the same session, and
 * the follow-ups read `answeredAt` there, so one conditional write on the session is what makes
 * "first valid answer wins" hold across both links, against a racing expiry. The session item has
 * no TTL unless the practice sets a retention period (RETENTION_SETTINGS), which must exceed a
 * link's life, so answers outlive the link.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AnswerState, FeedbackStore, FormLink, OptOutLink, OptOutStore, RecordAnswerResult, StoredAnswer } from '../use-cases/ports.ts';
import { getDocumentClient } from './dynamodb-table.ts';
import { FORM_TOKEN_PATTERN, hashToken } from './form-tokens.ts';
import * as clientProfileItem from './items/client-profile.ts';
import * as formLinkItem from './items/form-link.ts';
import * as optOutLinkItem from './items/opt-out-link.ts';
import * as sessionItem from './items/session.ts';

export class DynamoDbFeedbackStore implements FeedbackStore, OptOutStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async findLink(token: string): Promise<FormLink | undefined> {
    return this.findFormLink(token);
  }

  async findAnswerState(sessionId: string, options: { consistent: boolean }): Promise<AnswerState | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...sessionItem.getAnswerState(sessionId, options.consistent) }));
    return result.Item ? sessionItem.answerState(result.Item) : undefined;
  }

  async recordAnswer(link: FormLink, answer: StoredAnswer, now: Date): Promise<RecordAnswerResult> {
    try {
      await this.client.send(new UpdateCommand({ TableName: this.tableName, ...sessionItem.recordAnswer(link.sessionId, answer, now) }));
      return { recorded: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { recorded: false, reason: sessionItem.answerRefusal(error.Item) };
    }
  }

  async findOptOutLink(token: string): Promise<OptOutLink | undefined> {
    // Only the opt-out link's own item: a form token's hash addresses a form link, never this one.
    if (!FORM_TOKEN_PATTERN.test(token)) return undefined;
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...optOutLinkItem.get(hashToken(token)) }));
    return optOutLinkItem.fromItem(result.Item);
  }

  async optOut(clientId: string, now: Date): Promise<{ optedOutAt: string; first: boolean }> {
    const result = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...clientProfileItem.optOut(clientId, now) }));
    const earlier = clientProfileItem.earlierOptOut(result.Attributes);
    return earlier ? { optedOutAt: earlier, first: false } : { optedOutAt: now.toISOString(), first: true };
  }

  private async findFormLink(token: string): Promise<formLinkItem.StoredFormLink | undefined> {
    // A malformed token cannot exist: answer without a read.
    if (!FORM_TOKEN_PATTERN.test(token)) return undefined;
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...formLinkItem.get(hashToken(token)) }));
    return formLinkItem.fromItem(result.Item);
  }
}
