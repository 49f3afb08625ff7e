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

/**
 * What a claim records up front: the session is written as requested, with the link about to be
 * sent. The form-token item written after SES accepts the email is what proves it went out.
 */
export interface PlannedRequest {
  /** Hash of the link's token; it also identifies this attempt's claim. */
  tokenHash: string;
  requestedAt: string;
  expiresAt: string;
}

/**
 * Result of trying to take ownership of a session's request. `claimed: false` with `status`
 * `claimed` means another attempt holds a live claim and has not sent yet; `request` is there when
 * the email is known to have gone out (so FeedbackRequested can be announced again). A claim taken
 * over from an attempt that died may carry that attempt's link (`earlier`): its email may have gone
 * out, so its token is written too and that link keeps working.
 */
export type ClaimResult =
  | { claimed: true; earlier?: { tokenHash: string; expiresAt: string } | undefined }
  | { claimed: false; status: string; request?: RequestedAnnouncement | undefined };

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
   * Creates the session record, already `requested` with the planned link and a lease, unless it
   * exists. A conditional write: the business-key idempotency guard. An existing request whose
   * link's token item exists was sent (the answer carries `request`); one without it whose lease
   * has run out died before its email was known to be out, and is taken over.
   */
  claimSession(session: SessionRecord, plan: PlannedRequest, now: Date, leaseSeconds: number): Promise<ClaimResult>;
  /** Records a session that will not be asked about, with why (only if it is new, or this attempt's claim: `claimTokenHash`). */
  recordSkipped(session: SessionRecord, reason: SkipReason, now: Date, claimTokenHash?: string): Promise<void>;
  /**
   * Reserves the client's request slot for this session unless the client opted out, cannot be
   * mailed, or was asked about a session that ended within the throttle window.
   */
  reserveClientRequest(input: { clientId: string; sessionId: string; endedAt: string; window: { after: string; before: string } }): Promise<ReserveResult>;
  /**
   * Writes the form token of an email SES has accepted: its existence is the record that the email
   * went out, so this write gets extra rounds against transient failures (after-send.ts).
   */
  saveSentFormToken(token: FormTokenRecord): Promise<void>;
  /** Gives this attempt's claim back after a failure that happened before any email went out. */
  releaseClaim(sessionId: string, claimTokenHash: string): Promise<void>;
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

/**
 * Puts events on the bus. The use cases publish the product's own events (the default); the
 * product's inbound adapters publish integration events (`EventPublisher<'integrator'>`). Each
 * kind has its own source, which decides which rules see the event.
 */
export interface EventPublisher<Publisher extends 'product' | 'integrator' = 'product'> {
  publish<Schema extends z.ZodMiniType>(contract: EventContract<Schema, Publisher>, detail: z.infer<Schema>): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** A new form token: the secret goes into the link, only the hash is stored. */
export interface TokenFactory {
  create(): { token: string; hash: string };
}
