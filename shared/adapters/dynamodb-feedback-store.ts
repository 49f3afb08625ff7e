/**
 * FeedbackStore and OptOutStore on DynamoDB.
 *
 * A link is found by the SHA-256 of its token (only the hash is stored); the token item carries all
 * an answer's announcement needs, so a post reads nothing else before its one write. The answer
 * goes on the SESSION item, not the token item: a reminder sends a second link to the same
 * session, and the follow-ups read `answeredAt` there, so one conditional write on the session is
 * what makes "first valid answer wins" hold across both links, against a racing expiry, in one
 * write unit (more only with a long comment: ~1 KB each). The session item has no TTL unless the practice sets a retention
 * period (RETENTION_SETTINGS), which must exceed a link's life, so answers outlive the token.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_LOCALE, SUPPORTED_LOCALES, type Locale } from '../events/contracts.ts';
import type { OptOutLink, OptOutStore } from '../use-cases/opt-out.ts';
import type { AnswerState, FeedbackStore, FormLink, RecordAnswerResult, StoredAnswer } from '../use-cases/submit-feedback.ts';
import { getDocumentClient } from './dynamodb-session-store.ts';
import { FORM_TOKEN_PATTERN, hashToken } from './form-tokens.ts';
import { keys } from './table.ts';

interface TokenItem {
  type?: string;
  sessionId: string;
  clientId: string;
  therapistId: string;
  locale?: string;
  expiresAt: string;
  instrumentId?: string;
  sessionEndedAt?: string;
}

function toLocale(value: string | undefined): Locale {
  return (SUPPORTED_LOCALES as readonly string[]).includes(value ?? '') ? (value as Locale) : DEFAULT_LOCALE;
}

export class DynamoDbFeedbackStore implements FeedbackStore, OptOutStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async findLink(token: string): Promise<FormLink | undefined> {
    const found = await this.findToken(token);
    if (!found) return undefined;
    return {
      sessionId: found.sessionId,
      clientId: found.clientId,
      therapistId: found.therapistId,
      locale: toLocale(found.locale),
      expiresAt: found.expiresAt,
      instrumentId: found.instrumentId,
      sessionEndedAt: found.sessionEndedAt,
    };
  }

  async findAnswerState(sessionId: string, options: { consistent: boolean }): Promise<AnswerState | undefined> {
    const session = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.session(sessionId),
        // Only the answer state: the session's contact details have no business in this function.
        // Its status is not read: the request may call a session `requested` before its email is out,
        // and the form needs only "answered or not" and the token's expiry.
        ProjectionExpression: 'pk, answeredAt, expiredAt',
        ConsistentRead: options.consistent,
      }),
    );
    if (!session.Item) return undefined;
    return { answeredAt: session.Item['answeredAt'] as string | undefined, expiredAt: session.Item['expiredAt'] as string | undefined };
  }

  async recordAnswer(link: FormLink, answer: StoredAnswer, now: Date): Promise<RecordAnswerResult> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.session(link.sessionId),
          UpdateExpression: 'SET answeredAt = :answeredAt, answer = :answer',
          // Nothing was read from the session before: this condition is the whole check. The token's
          // own expiry was checked by the caller with the same `now`; the session carries the same
          // expiry once requested, and `expiredAt` once the expiry was announced. ALL_OLD on a failed
          // check (no extra read units) tells "already answered" (409) from "expired" and "gone".
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(answeredAt) AND attribute_not_exists(expiredAt) AND ' +
            '(attribute_not_exists(expiresAt) OR expiresAt > :now)',
          ExpressionAttributeValues: {
            ':answeredAt': answer.submittedAt,
            ':answer': { instrumentId: answer.instrumentId, items: answer.items, talk: answer.talk, comment: answer.comment },
            ':now': now.toISOString(),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { recorded: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (!error.Item) return { recorded: false, reason: 'not-found' };
      return { recorded: false, reason: error.Item['answeredAt'] ? 'answered' : 'expired' };
    }
  }

  async findOptOutLink(token: string): Promise<OptOutLink | undefined> {
    const found = await this.findToken(token);
    return found ? { clientId: found.clientId, locale: toLocale(found.locale) } : undefined;
  }

  async optOut(clientId: string, now: Date): Promise<{ optedOutAt: string; first: boolean }> {
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.client(clientId),
        // if_not_exists keeps the first date, so a repeated click or a scanner's replay changes nothing.
        UpdateExpression: 'SET optedOutAt = if_not_exists(optedOutAt, :now), #type = if_not_exists(#type, :type), clientId = :clientId',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':now': now.toISOString(), ':type': 'Client', ':clientId': clientId },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const earlier = result.Attributes?.['optedOutAt'] as string | undefined;
    return earlier ? { optedOutAt: earlier, first: false } : { optedOutAt: now.toISOString(), first: true };
  }

  private async findToken(token: string): Promise<TokenItem | undefined> {
    // A malformed token cannot exist: answer without a read.
    if (!FORM_TOKEN_PATTERN.test(token)) return undefined;
    // Eventually consistent (half a read unit on every page): a token item is written once, right
    // after SES accepts its email, and never changed; mail takes seconds to arrive, so by the time
    // anyone follows the link every copy has it.
    const result = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.formToken(hashToken(token)),
        ProjectionExpression: '#type, sessionId, clientId, therapistId, locale, expiresAt, instrumentId, sessionEndedAt',
        ExpressionAttributeNames: { '#type': 'type' },
      }),
    );
    const item = result.Item as TokenItem | undefined;
    return item?.type === 'FormToken' ? item : undefined;
  }
}
