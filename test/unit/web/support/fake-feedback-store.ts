/**
 * An in-memory FeedbackStore and OptOutStore with the DynamoDB adapter's guard semantics: the answer
 * is written once per session, never after the link expired; opt-out keeps the first date.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { EventContract, Locale } from '../../../../shared/events/contracts.ts';
import type { AnswerState, EventPublisher, FeedbackStore, FormLink, OptOutLink, OptOutStore, RecordAnswerResult, StoredAnswer } from '../../../../shared/use-cases/ports.ts';

interface FakeToken {
  sessionId: string;
  clientId: string;
  therapistId: string;
  locale: Locale;
  expiresAt: string;
  instrumentId?: string;
  sessionEndedAt?: string;
}

interface FakeSession {
  expiresAt?: string;
  answeredAt?: string;
  expiredAt?: string;
  answer?: Omit<StoredAnswer, 'submittedAt'>;
}

export class FakeFeedbackStore implements FeedbackStore, OptOutStore {
  tokens = new Map<string, FakeToken>();
  /** Opt-out links, by their own token: a form token is not one. */
  optOutLinks = new Map<string, OptOutLink>();
  sessions = new Map<string, FakeSession>();
  clients = new Map<string, { optedOutAt?: string }>();
  writes = 0;
  /** Every read, by item and consistency, so tests can hold the pages to their read budget. */
  reads: ('token' | 'session' | 'session (consistent)')[] = [];
  failReads = false;

  /** Adds a link as the request (or the reminder) would have created it. */
  addLink(token: string, link: FakeToken): void {
    this.tokens.set(token, link);
    if (!this.sessions.has(link.sessionId)) this.sessions.set(link.sessionId, { expiresAt: link.expiresAt });
  }

  /** Adds the opt-out link of a client email, as the request (or the reminder) would have created it. */
  addOptOutLink(token: string, link: OptOutLink): void {
    this.optOutLinks.set(token, link);
  }

  async findLink(token: string): Promise<FormLink | undefined> {
    if (this.failReads) throw Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' });
    this.reads.push('token');
    const found = this.tokens.get(token);
    return found && { ...found };
  }

  async findAnswerState(sessionId: string, options: { consistent: boolean }): Promise<AnswerState | undefined> {
    if (this.failReads) throw Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' });
    this.reads.push(options.consistent ? 'session (consistent)' : 'session');
    const session = this.sessions.get(sessionId);
    return session && { answeredAt: session.answeredAt, expiredAt: session.expiredAt };
  }

  async recordAnswer(link: FormLink, answer: StoredAnswer, now: Date): Promise<RecordAnswerResult> {
    this.writes += 1;
    const session = this.sessions.get(link.sessionId);
    if (!session) return { recorded: false, reason: 'not-found' };
    if (session.answeredAt) return { recorded: false, reason: 'answered' };
    if (session.expiredAt || (session.expiresAt !== undefined && !(session.expiresAt > now.toISOString()))) return { recorded: false, reason: 'expired' };
    const { submittedAt, ...stored } = answer;
    session.answeredAt = submittedAt;
    session.answer = stored;
    return { recorded: true };
  }

  async findOptOutLink(token: string): Promise<OptOutLink | undefined> {
    if (this.failReads) throw Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' });
    const found = this.optOutLinks.get(token);
    return found && { ...found };
  }

  async optOut(clientId: string, now: Date): Promise<{ optedOutAt: string; first: boolean }> {
    this.writes += 1;
    const client = this.clients.get(clientId) ?? {};
    if (client.optedOutAt) return { optedOutAt: client.optedOutAt, first: false };
    this.clients.set(clientId, { ...client, optedOutAt: now.toISOString() });
    return { optedOutAt: now.toISOString(), first: true };
  }
}

/** Records what would have been published, after checking it against the contract like the real adapter. */
export class RecordingPublisher implements EventPublisher {
  published: { detailType: string; detail: Record<string, unknown> }[] = [];
  failNext = 0;
  async publish<Schema extends z.ZodMiniType>(contract: EventContract<Schema>, detail: z.infer<Schema>): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
    const parsed = contract.schema.safeParse(detail);
    if (!parsed.success) throw new Error(`detail does not match ${contract.detailType}`);
    this.published.push({ detailType: contract.detailType, detail: parsed.data as Record<string, unknown> });
  }
}

/** An API Gateway HTTP API (payload 2.0) request, as AWS or the local web server builds it. */
export function httpEvent(
  method: string,
  path: string,
  init: { body?: string; contentType?: string; acceptLanguage?: string; base64?: boolean; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { ...init.headers };
  if (init.contentType) headers['content-type'] = init.contentType;
  if (init.acceptLanguage) headers['accept-language'] = init.acceptLanguage;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers,
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'vitest' },
    } as APIGatewayProxyEventV2['requestContext'],
    body: init.body === undefined ? undefined : init.base64 ? Buffer.from(init.body, 'utf8').toString('base64') : init.body,
    isBase64Encoded: init.base64 ?? false,
  };
}
