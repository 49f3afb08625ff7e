/**
 * The small interfaces the use cases depend on. Adapters in `shared/adapters` implement them
 * with DynamoDB, SES, EventBridge and SQS; unit tests implement them with plain fakes.
 */
import type { EventContract, Locale } from '../events/contracts.ts';
import type { SkipReason } from '../domain/request-policy.ts';
import type * as z from 'zod/mini';

/** What the product keeps about a completed session (never the unknown extra fields of the event). */
export interface SessionRecord {
  sessionId: string;
  clientId: string;
  therapistId: string;
  /** The session's end, normalised to UTC ISO-8601 so that stored values compare as strings. */
  endedAt: string;
  client: { email: string; firstName?: string | undefined; locale: Locale };
  therapist: { email: string; name?: string | undefined };
}

/** Result of trying to take ownership of a session's request. */
export type ClaimResult = { claimed: true } | { claimed: false; status: string; request?: RequestedAnnouncement | undefined };

/** What a requested session's FeedbackRequested announced, from the stored session. */
export interface RequestedAnnouncement {
  clientId: string;
  therapistId: string;
  requestedAt: string;
  expiresAt: string;
}

/** Result of reserving the client's next request slot. */
export type ReserveResult = { reserved: true } | { reserved: false; reason: Exclude<SkipReason, 'stale'> };

/** The stored form token: only its hash is ever written. */
export interface FormTokenRecord {
  tokenHash: string;
  sessionId: string;
  clientId: string;
  therapistId: string;
  locale: Locale;
  expiresAt: string;
  /** The instrument the form shows: pinned when the link is made, so a config change cannot switch it mid-request. */
  instrumentId?: string | undefined;
  /** When the session ended (UTC): the web function passes it on in FeedbackSubmitted, so nothing reads the session back for it. */
  sessionEndedAt?: string | undefined;
}

export interface SessionStore {
  /**
   * Creates the session record in `claimed` state unless it exists (or an earlier claim's lease
   * has run out, meaning that attempt died). Conditional write: the business-key idempotency guard.
   */
  claimSession(session: SessionRecord, now: Date, leaseSeconds: number): Promise<ClaimResult>;
  /** Records a session that will not be asked about, with why (only if it is new or ours). */
  recordSkipped(session: SessionRecord, reason: SkipReason, now: Date): Promise<void>;
  /**
   * Reserves the client's request slot for this session unless the client opted out, cannot be
   * mailed, or was asked about a session that ended within the throttle window.
   */
  reserveClientRequest(input: { clientId: string; sessionId: string; endedAt: string; window: { after: string; before: string } }): Promise<ReserveResult>;
  saveFormToken(token: FormTokenRecord): Promise<void>;
  /** Moves a claimed session to `requested` once its email has been handed to SES. */
  markRequested(sessionId: string, input: { requestedAt: string; expiresAt: string; tokenHash: string }): Promise<void>;
  /** Gives a claim back after a failure that happened before any email went out. */
  releaseClaim(sessionId: string): Promise<void>;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
  /** SES message tags (see shared/domain/mail-tags.ts): how a bounce finds its way back to the client. */
  tags?: Record<string, string>;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}

export interface EventPublisher {
  publish<Schema extends z.ZodMiniType>(contract: EventContract<Schema>, detail: z.infer<Schema>): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** A new form token: the secret goes into the link, only the hash is stored. */
export interface TokenFactory {
  create(): { token: string; hash: string };
}
