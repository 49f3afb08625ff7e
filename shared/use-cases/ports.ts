/**
 * The small interfaces the use cases depend on, all of them, with the data they carry. Adapters in
 * `shared/adapters` implement them with DynamoDB, SES, EventBridge, the Scheduler and SQS; unit
 * tests implement them with plain fakes.
 */
import type { Evaluation, ExpiredOutcome } from '../domain/detector/evaluate.ts';
import type { ClientState } from '../domain/detector/state.ts';
import type { Instrument } from '../domain/instruments.ts';
import type { CalendarFeed } from '../domain/calendar/feed-list.ts';
import type { SkipReason } from '../domain/request-policy.ts';
import type { AlertKind, EventContract, Locale } from '../events/contracts.ts';
import type { RecipientRole, RecipientSlot, TherapistRouting } from '../domain/alert-recipients.ts';
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
export type ReserveResult =
  | {
      reserved: true;
      /** Whether this client id was sent to this very address before (its profile keeps the address's keyed hash). */
      addressKnown: boolean;
      /** The slot as it was before this reservation, to give it back (releaseClientRequest). */
      previousSlot: RequestSlot | undefined;
    }
  | { reserved: false; reason: Exclude<SkipReason, 'stale'> };

/** The session a client was last asked about: the throttle counts from it. */
export interface RequestSlot {
  sessionId: string;
  endedAt: string;
}

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
  /** When the session ended (UTC): the web function passes it on in FeedbackSubmitted, for consumers outside the product (the evaluation reads the stored session). */
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
  reserveClientRequest(input: { clientId: string; sessionId: string; endedAt: string; window: { after: string; before: string }; addressHash: string }): Promise<ReserveResult>;
  /** Gives a reserved slot back as it was (a session skipped after reserving must not throttle the next one), and forgets the address. */
  releaseClientRequest(clientId: string, sessionId: string, previousSlot: RequestSlot | undefined): Promise<void>;
  /**
   * Writes the form token of an email SES has accepted: its existence is the record that the email
   * went out, so this write gets extra rounds against transient failures (after-send.ts).
   */
  saveSentFormToken(token: FormTokenRecord): Promise<void>;
  /** Gives this attempt's claim back after a failure that happened before any email went out. */
  releaseClaim(sessionId: string, claimTokenHash: string): Promise<void>;
  /**
   * Whether the client was erased. Only asked before writing a skipped session that no later
   * conditional write would stop (the stale path): the request slot's condition checks it anyway.
   */
  isClientErased(clientId: string): Promise<boolean>;
  /** Whether this address (by its keyed hash) is on the do-not-contact list. */
  isDoNotContact(addressHash: string): Promise<boolean>;
}

/**
 * The keyed hash of an email address that the do-not-contact list stores (HMAC-SHA256 of the
 * address, trimmed and lower-cased, under the deployment's own key): the same address always
 * gives the same hash, and nobody without the key can test a guessed address against the list.
 */
export interface AddressHasher {
  hash(address: string): Promise<string>;
}

/** Why an address is on the do-not-contact list, and since when. */
export interface DoNotContactEntry {
  reason: 'opted-out' | 'bounce' | 'complaint';
  recordedAt: string;
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

// ── the form (web) ──────────────────────────────────────────────────────────────────────────────────

/** A form link as the web function sees it: the token item alone (one half read unit, never the session). */
export type FormLink = Omit<FormTokenRecord, 'tokenHash'>;

/** The session's answer state, shared by every link to the session (the request's and the reminder's). */
export interface AnswerState {
  /** Set once the session has its answer (from this link or another link to the same session). */
  answeredAt?: string | undefined;
  /** Set once the session's expiry has been announced. */
  expiredAt?: string | undefined;
}

/** The answer as stored with the session. */
export interface StoredAnswer {
  instrumentId: string;
  items: Record<string, number>;
  talk: boolean;
  comment?: string | undefined;
  submittedAt: string;
}

export type RecordAnswerResult = { recorded: true } | { recorded: false; reason: 'answered' | 'expired' | 'not-found' };

export interface FeedbackStore {
  /** The token's link, from the token item only; undefined for a malformed or unknown token. Reads only. */
  findLink(token: string): Promise<FormLink | undefined>;
  /**
   * The session's answer state; undefined when the session is gone. `consistent` costs twice the
   * read units and is for the rare paths that must tell "answered" from the rest exactly.
   */
  findAnswerState(sessionId: string, options: { consistent: boolean }): Promise<AnswerState | undefined>;
  /**
   * Records the session's one answer in one conditional write, without reading the session first:
   * only while the session has no answer and the link has not expired, so of two racing posts (or
   * two links) exactly one wins; a refusal says why (answered, expired, session gone).
   */
  recordAnswer(link: FormLink, answer: StoredAnswer, now: Date): Promise<RecordAnswerResult>;
}

/** The instruments the form knows: the practice's current one and any an older link may name. */
export interface InstrumentCatalogue {
  active: Instrument;
  find(id: string): Instrument | undefined;
}

// ── opting out (web) ────────────────────────────────────────────────────────────────────────────────

/** What the opt-out needs from a token: whose it is and the language they read. */
export interface OptOutLink {
  clientId: string;
  locale: Locale;
}

/** The stored opt-out link of one client email: only the hash of its token is ever written. */
export interface OptOutLinkRecord {
  tokenHash: string;
  clientId: string;
  locale: Locale;
  /** When the link was made (just before its email was sent): its life is counted from here. */
  issuedAt: string;
}

/** Where the client email's opt-out links are kept (the request and the reminder write them). */
export interface OptOutLinkStore {
  saveOptOutLink(link: OptOutLinkRecord): Promise<void>;
}

export interface OptOutStore {
  /**
   * The client of an opt-out token, whether or not the form has expired; undefined for a malformed
   * or unknown token, and for a form token: only an opt-out link's own token opts out.
   */
  findOptOutLink(token: string): Promise<OptOutLink | undefined>;
  /** Marks the client opted out (keeping the first date); says whether this call was the first. */
  optOut(clientId: string, now: Date): Promise<{ optedOutAt: string; first: boolean }>;
}

// ── follow-ups ──────────────────────────────────────────────────────────────────────────────────────

/** A one-time schedule that puts a product event on the bus at a given time. */
export interface OneTimeSchedule {
  /** Deterministic, so a duplicate request creates nothing new. */
  name: string;
  at: Date;
  /** Only product events: the schedule puts them on the bus as the product. */
  contract: EventContract<z.ZodMiniType, 'product'>;
  detail: unknown;
}

export interface FollowUpScheduler {
  /** Creates the schedule unless one of that name exists already. */
  scheduleOnce(schedule: OneTimeSchedule): Promise<void>;
  /** Deletes the schedule of that name; one that does not exist (fired, never made, deleted before) counts as deleted. */
  deleteSchedule(name: string): Promise<void>;
}

/** What a follow-up needs to know about a requested session. */
export interface RequestedSession {
  sessionId: string;
  clientId: string;
  therapistId: string;
  status: string;
  client: { email: string; firstName?: string | undefined; locale: Locale };
  /** When the session ended (UTC): passed on in the events the follow-up announces, for consumers outside the product. */
  endedAt?: string | undefined;
  /** When the request was sent: the reminder is due `reminderHours` after it. */
  requestedAt?: string | undefined;
  expiresAt?: string | undefined;
  answeredAt?: string | undefined;
  remindedAt?: string | undefined;
  expiredAt?: string | undefined;
  expiryPublishedAt?: string | undefined;
  /** The stored answer (the comment's text is never announced, only whether there is one). */
  answer?: { instrumentId?: string; items?: Record<string, number>; talk?: boolean; comment?: string } | undefined;
}

export interface FollowUpStore {
  getSession(sessionId: string): Promise<RequestedSession | undefined>;
  /** False once the client opted out or their address bounced: no reminder then. */
  canEmailClient(clientId: string): Promise<boolean>;
  /** Marks the reminder as being sent unless it was already, or the client answered: the once-only guard. */
  claimReminder(sessionId: string, now: Date): Promise<boolean>;
  /** Gives the reminder claim back after a failure before the email went out. */
  releaseReminder(sessionId: string): Promise<void>;
  saveFormToken(token: FormTokenRecord): Promise<void>;
  /** Marks the request expired unless it was answered or its expiry was already announced. */
  markExpired(sessionId: string, now: Date): Promise<'marked' | 'answered' | 'already-published'>;
  markExpiryPublished(sessionId: string, now: Date): Promise<void>;
  /** Whether the session's answer (or its expiry) has been evaluated: its evaluation is stored. */
  hasEvaluation(sessionId: string): Promise<boolean>;
}

// ── evaluation ──────────────────────────────────────────────────────────────────────────────────────

/** The detector's stored record for one client and instrument. */
export interface DetectorRecord {
  state: ClientState;
  /**
   * Ids of the last sessions applied to `state` (at most REMEMBERED_SESSIONS), newest last: a
   * redelivered event must not count twice.
   */
  applied: string[];
  /** The therapist whose caseload the client was last summarised in (a change moves the summary). */
  therapistId?: string | undefined;
}

/**
 * What the alert email's chart needs, frozen when the session was evaluated: the client's trend
 * including this session, and the per-item means of the baseline (POMP, instrument item order;
 * null without a baseline). Kept with the evaluation so the alert never reads the detector record;
 * only with an evaluation that raised an alert, since only the alert email draws it.
 */
export interface ChartSnapshot {
  trend: { endedAt: string; p: number }[];
  itemMeans: number[] | null;
}

/** What is kept with the session: the evaluation, or the expiry outcome. */
export type StoredEvaluation =
  | { kind: 'answered'; evaluation: Evaluation; instrumentId: string; chart?: ChartSnapshot | undefined }
  | { kind: 'expired'; outcome: ExpiredOutcome; instrumentId: string };

/** What the evaluation reads of a stored session: never the client's address or comment. */
export interface EvaluationSession {
  sessionId: string;
  clientId: string;
  therapistId: string;
  /** When the session ended (answers can arrive in any order; the trend is by session). */
  endedAt: string;
  /** The client's answer, once stored (`submittedAt` is when it was recorded: the session's `answeredAt`). */
  answer?: { instrumentId: string; items: Record<string, number>; talk: boolean; submittedAt: string; commented?: boolean | undefined } | undefined;
  /** Set once the follow-up recorded the request's expiry (before it announces FeedbackExpired). */
  expiredAt?: string | undefined;
}

export interface DetectorStore {
  /**
   * The client's record for this instrument, undefined for a client not evaluated yet, or
   * `client-erased` for an erased client (whose tombstone shares the record's partition).
   */
  getRecord(clientId: string, instrumentId: string): Promise<DetectorRecord | 'client-erased' | undefined>;
  /**
   * Writes the record only if nobody else wrote it since `expectedVersion` was read (optimistic
   * concurrency); throws ConcurrentUpdateError otherwise, and the queue retries.
   */
  putRecord(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number): Promise<void>;
  /**
   * The stored session as the evaluation scores it (undefined when it is not stored): the record of
   * truth the event is checked against. Eventually consistent unless `consistent` (twice the read
   * units: for the second look, when the first found no match).
   */
  getSession(sessionId: string, options: { consistent: boolean }): Promise<EvaluationSession | undefined>;
  /** Keeps the evaluation with the session (the client's id with it, so export and erase find it). */
  saveEvaluation(sessionId: string, clientId: string, evaluation: StoredEvaluation): Promise<void>;
  getEvaluation(sessionId: string): Promise<StoredEvaluation | undefined>;
}

/** What the evaluation writes into the therapist's caseload (shared/domain/caseload.ts) after each evaluated session. */
export type CaseloadWrite = Omit<import('../domain/caseload.ts').CaseloadEntry, 'openAlerts' | 'commentSessions' | 'unrepairedSessions'> & {
  /** This session raised an alert emailed to the therapist: open until acknowledged. */
  openAlert?: string | undefined;
  /** This session's answer carried a comment or a talk tick. */
  comment?: string | undefined;
  /** This session raised an unrepaired escalation the therapist is not emailed: shown until they open the trend page. */
  unrepaired?: string | undefined;
};

/** The per-therapist caseload summaries the weekly digest reads (one item per therapist and client). */
export interface CaseloadStore {
  /**
   * One write: the summary, unless a newer detector version wrote it already (then only this
   * session's alert and comment marks are added, and only when `addMarksIfStale`).
   */
  record(write: CaseloadWrite, now: Date, options: { addMarksIfStale: boolean }): Promise<void>;
  /** The client moved to another therapist: their summary leaves the old therapist's caseload. */
  remove(therapistId: string, clientId: string): Promise<void>;
  /** The therapist (or their covering clinician) acknowledged the session's alert. */
  closeAlert(therapistId: string, clientId: string, sessionId: string): Promise<void>;
  /**
   * The therapist opened the client's trend page (the trend page calls this on view): the comments
   * waiting are read, and the unrepaired escalations shown there are seen.
   */
  markTrendViewed(therapistId: string, clientId: string, now: Date): Promise<void>;
}

/** The therapist's alert counters, per week of sending (their response rate). */
export interface ResponseCounter {
  /** An alert went to the therapist themselves (not a supervisor's or covering clinician's copy). */
  alertSent(therapistId: string, alert: { sessionId: string; kind: string; sentAt: string }): Promise<void>;
  /** The therapist acknowledged an alert sent to them (counted in the week it was sent). */
  alertAcknowledged(therapistId: string, alert: { sessionId: string; kind: string; sentAt: string }): Promise<void>;
}

/** What the digest reads: the directory entry, and the caseload in one query of its partition. */
export interface DigestRead {
  /** The directory entry, undefined for a therapist not registered. */
  therapist: DirectoryEntry | undefined;
  caseload: import('../domain/caseload.ts').CaseloadEntry[];
  responseWeeks: import('../domain/caseload.ts').ResponseWeek[];
  /** Read units the two reads consumed (for the log and the bench). */
  readUnits?: number | undefined;
}

/** The weekly digest's storage: one read per digest, and its once-only claim. */
export interface DigestStore {
  /** The therapist's directory entry (one GetItem) and their caseload and response counters (one Query). */
  read(therapistId: string): Promise<DigestRead>;
  /** Claims (therapist, digestId): `sent` once it went out, `in-progress` while another attempt's lease lives. */
  claim(therapistId: string, digestId: string, now: Date, leaseSeconds: number): Promise<'claimed' | 'sent' | 'in-progress'>;
  markSent(therapistId: string, digestId: string, now: Date): Promise<void>;
  /** Gives the claim back after a failure before the email went out. */
  release(therapistId: string, digestId: string): Promise<void>;
}

/** The directory as the hourly dispatch lists it: ids, zones and digest switches only. */
export interface DigestRoster {
  list(): Promise<{ therapistId: string; timeZone?: string | undefined; digest?: 'off' | undefined }[]>;
}

// ── the client's history and trend page ────────────────────────────────────────────────────────────

/** Where one session's row of a client's history is: the client, and the session in time order. */
export interface HistoryRef {
  clientId: string;
  sessionId: string;
  /** The session's end (UTC ISO): rows sort by it. */
  endedAt: string;
}

/** One evaluated session as the trend page shows it (never the comment: see items/client-history.ts). */
export type HistoryEntry = HistoryRef & {
  therapistId: string;
  instrumentId: string;
  /** The alert kinds the evaluation raised. */
  alerts: AlertKind[];
} & (
    | {
        kind: 'answered';
        /** Total and its maximum on the instrument's raw scale. */
        total: number;
        max: number;
        /** The client's raw answers by item id. */
        items: Record<string, number>;
        /** The client's usual range (raw total) the session was judged against; absent before a baseline. */
        band?: { low: number; high: number } | undefined;
        /** The evaluation's state (normal, watch, alert…). */
        state: string;
        talk: boolean;
      }
    | { kind: 'expired' }
  );

/** A history row as stored, with when each raised alert was sent (or left to the weekly digest) and acknowledged. */
export type StoredHistoryEntry = HistoryEntry & {
  alertsSent: Partial<Record<AlertKind, string>>;
  /** Kinds routed to the therapist's weekly digest instead of an email to them (none on rows from before it was recorded). */
  alertsInDigest?: Partial<Record<AlertKind, string>> | undefined;
  acknowledged: Partial<Record<AlertKind, string>>;
};

/** Keeps the client's history: one row per evaluated session, marked O(1) as its alerts go out and are acknowledged. */
export interface ClientHistoryStore {
  /** Writes the session's row (rewrites the evaluation's fields on a retry, keeps the alert marks). */
  recordSession(entry: HistoryEntry): Promise<void>;
  /** Marks the kind sent on the session's row; a missing row (erased, or from before history) is left alone. */
  markAlertSent(ref: HistoryRef, kind: AlertKind, at: string): Promise<void>;
  /** Marks the kind as left to the therapist's weekly digest (nobody in their place emailed); a missing row is left alone. */
  markAlertInDigest(ref: HistoryRef, kind: AlertKind, at: string): Promise<void>;
  /** Marks the kind acknowledged on the session's row; a missing row is left alone. */
  markAcknowledged(ref: HistoryRef, kind: AlertKind, at: string): Promise<void>;
}

/** A link to one client's trend page, for one therapist (only the hash of its token is stored). */
export interface TrendLink {
  therapistId: string;
  clientId: string;
  /** Whose copy it was issued for: the therapist's own, a supervisor's or a covering clinician's. */
  recipientRole: RecipientRole;
  issuedAt: string;
  expiresAt: string;
  /** Set once this one link was revoked. */
  revokedAt?: string | undefined;
}

/** Where trend links are issued, found and revoked. */
export interface TrendLinkStore {
  saveTrendLink(tokenHash: string, link: TrendLink): Promise<void>;
  /** The link of a token (undefined for a malformed or unknown token, or another kind of link). */
  findTrendLink(token: string): Promise<TrendLink | undefined>;
  /** Revokes one link by its token; false when there is no such trend link. */
  revokeTrendLink(token: string, now: Date): Promise<boolean>;
  /** Revokes every link of the therapist (for one client, or all of theirs) issued up to now. */
  revokeTrendLinksBefore(therapistId: string, clientId: string | undefined, now: Date): Promise<void>;
}

/** One session's client-written part, read from the session item for the page only. */
export interface SessionWords {
  comment?: string | undefined;
  talk: boolean;
  firstName?: string | undefined;
}

/** What the trend page reads besides the link: all bounded, no scan. */
export interface TrendPageStore {
  /**
   * In one read: the newest revocation mark covering the link's therapist and client (the
   * per-client or the all-clients one), and the therapist's own zone from the directory, if any.
   */
  therapistContext(therapistId: string, clientId: string): Promise<{ revokedBefore?: string | undefined; timeZone?: string | undefined }>;
  /** The client's last `limit` history rows, newest first (one query). */
  recentHistory(clientId: string, limit: number): Promise<StoredHistoryEntry[]>;
  /** The comment, talk tick and first name of these sessions (one batch read, projected). */
  sessionWords(sessionIds: readonly string[]): Promise<Map<string, SessionWords>>;
}

/**
 * Told when a trend page is viewed (after it rendered): the weekly digest resets its "comments
 * waiting" count here. Ids only.
 */
export interface TrendViewListener {
  trendViewed(view: { therapistId: string; clientId: string; viewedAt: string }): Promise<void>;
}

/** Another evaluation of the same client won the race; retrying reads its result. */
export class ConcurrentUpdateError extends Error {
  override name = 'ConcurrentUpdateError';
}

// ── alerts ──────────────────────────────────────────────────────────────────────────────────────────

/** What the alert needs from the stored session. */
export interface AlertSession {
  sessionId: string;
  clientId: string;
  therapistId: string;
  endedAt: string;
  client: { firstName?: string | undefined };
  therapist: { email: string; name?: string | undefined };
  answer?: { instrumentId: string; items: Record<string, number>; talk: boolean; comment?: string | undefined } | undefined;
  /** The stored evaluation (with the chart it froze) or expiry outcome: the only source of what the alert says. */
  evaluation?: StoredEvaluation | undefined;
}

/** Result of claiming the right to send one alert. */
export type AlertClaim = { claimed: true } | { claimed: false; reason: 'sent' | 'in-progress' };

/** The stored record behind an acknowledge link. */
export interface AlertLink {
  sessionId: string;
  clientId: string;
  therapistId: string;
  kind: AlertKind;
  sentAt: string;
  /** When the alert's session ended: where its history row is (links from before the trend page lack it). */
  sessionEndedAt?: string | undefined;
  /** The zone the alert's therapist read it in: the acknowledge page dates in it too (older links: the practice's). */
  timeZone?: string | undefined;
  /** Whose copy the link is: unset for the therapist's own (and links from before routing). */
  recipientRole?: RecipientRole | undefined;
  acknowledgedAt?: string | undefined;
  /**
   * When AlertAcknowledged went out for it: the acknowledgement's outbox mark. Acknowledged but not
   * announced means the publish failed, and the next click or retried POST publishes it again.
   */
  announcedAt?: string | undefined;
}

export interface AlertStore {
  /** The session with its evaluation: everything the alert email shows (never the client's address). */
  getSession(sessionId: string): Promise<AlertSession | undefined>;
  /**
   * Claims (session, kind) for this attempt: a conditional write that fails while another attempt
   * holds a live lease or once the alert was sent (its acknowledge link exists).
   */
  /** One claim per (session, kind, slot): the primary recipient (therapist or covering clinician) and the supervisor's copy. */
  claimAlert(claim: { sessionId: string; clientId: string; kind: AlertKind; slot?: RecipientSlot | undefined; ackTokenHash: string; now: Date; leaseSeconds: number }): Promise<AlertClaim>;
  releaseAlert(sessionId: string, kind: AlertKind, slot?: RecipientSlot): Promise<void>;
  /** Stores the acknowledge link: written once the email is out, so it also marks the alert sent. */
  saveAlertLink(ackTokenHash: string, link: AlertLink): Promise<void>;
  findAlertLink(ackToken: string): Promise<AlertLink | undefined>;
  /**
   * Records the first acknowledgement; returns the link, the first one's time and whether this was
   * it (undefined for an unknown token). One write that answers with the link: no read before it.
   * The same write claims the announcement when it is owed and nobody else is making it
   * (`announcement: 'claimed'`): several clicks at once publish once.
   */
  acknowledge(
    ackToken: string,
    now: Date,
  ): Promise<{ link: AlertLink; acknowledgedAt: string; first: boolean; announcement: 'claimed' | 'announced' | 'in-progress' } | undefined>;
  /** Marks the acknowledgement as announced (AlertAcknowledged published), ending the claim; keeps the first mark. */
  markAcknowledgementAnnounced(ackToken: string, now: Date): Promise<void>;
  /** Gives back the claim `acknowledge(ackToken, now)` took, after its publish failed. */
  releaseAcknowledgementAnnouncement(ackToken: string, now: Date): Promise<void>;
}

// ── deliverability ──────────────────────────────────────────────────────────────────────────────────

export interface DeliverabilityStore {
  /**
   * Marks the client undeliverable: `marked` the first time, `already-marked` after (nothing
   * changes), `erased` when the profile is the client's tombstone (nothing is written to it).
   */
  markUndeliverable(clientId: string, reason: 'bounce' | 'complaint', now: Date): Promise<'marked' | 'already-marked' | 'erased'>;
  /** Puts an address on the do-not-contact list (an entry already there is kept). */
  addDoNotContact(addressHash: string, entry: DoNotContactEntry): Promise<void>;
}

// ── export and erase ────────────────────────────────────────────────────────────────────────────────

/** What an item is, as far as export and erase care. */
export type ItemKind =
  | 'session'
  | 'evaluation'
  | 'alert-claim'
  | 'profile'
  | 'detector'
  | 'form-link'
  | 'alert-link'
  | 'opt-out-link'
  | 'do-not-contact'
  | 'feed-state'
  | 'fhir-state'
  | 'webhook-delivery'
  | 'roster-client'
  | 'therapist'
  | 'waiting-alert'
  | 'therapist-notice'
  | 'client-history'
  | 'trend-link'
  | 'trend-revocation'
  | 'caseload'
  | 'response-week'
  | 'digest-claim'
  | 'other';

/** One stored item of a client, as the store found it. */
export interface ClientItem {
  kind: ItemKind;
  /** The item's table key: what erase deletes by (opaque here). */
  key: Readonly<Record<string, string>>;
  /** The session the item belongs to (session, evaluation and alert items). */
  sessionId?: string | undefined;
  /** The instrument of a detector record. */
  instrumentId?: string | undefined;
  /** When DynamoDB TTL may delete the item; it stays readable for up to ~48 h after. */
  deleteAfter?: Date | undefined;
  /** Every other attribute, as stored. */
  attributes: Record<string, unknown>;
}

export interface ClientDataStore {
  /** Every item stored about the client. */
  findClientItems(clientId: string): Promise<ClientItem[]>;
  /** Deletes the items; one that is gone already is not an error. */
  deleteItems(keys: readonly ClientItem['key'][]): Promise<void>;
  /** Replaces the client's profile with their tombstone: clientId and erasedAt only. */
  writeTombstone(clientId: string, erasedAt: string): Promise<void>;
  /** Puts an address on the do-not-contact list (an entry already there is kept). */
  addDoNotContact(addressHash: string, entry: DoNotContactEntry): Promise<void>;
}

/** What `alliance clients` changes: the administrator lifting a block or an opt-out. */
export interface ClientContactStore {
  /** Removes the client's opt-out and delivery block; says what there was, or that the client is unknown or erased. */
  liftClientBlock(clientId: string): Promise<{ found: 'profile'; lifted: ('opted-out' | 'undeliverable')[] } | { found: 'nothing' | 'erased' }>;
  /** Takes an address off the do-not-contact list; false when it was not on it. */
  removeDoNotContact(addressHash: string): Promise<boolean>;
}

/**
 * A therapist the practice registered (`alliance therapists`): the only addresses alerts and
 * anything carrying a client's history are mailed to.
 */
export interface RegisteredTherapist {
  therapistId: string;
  email: string;
  name?: string | undefined;
  /** The IANA zone the therapist reads dates in (alerts, acknowledge pages); unset: the practice's. */
  timeZone?: string | undefined;
  /** `off`: the therapist gets no weekly digest (unset: they do). */
  digest?: 'off' | undefined;
}

/** The practice's therapist directory, as the inbound adapters and the alert read it. */
export interface TherapistDirectory {
  /** The registered therapist with this id (with their supervisor and covering clinician, if any), or undefined. */
  find(therapistId: string): Promise<(RegisteredTherapist & TherapistRouting) | undefined>;
}

/** A client on the practice's roster (`alliance clients import`): what an appointment alone does not say. */
export interface RosterClient {
  clientId: string;
  email: string;
  firstName?: string | undefined;
  /** As the practice wrote it; the SessionCompleted contract maps unsupported locales to English. */
  locale?: string | undefined;
  therapistId: string;
  /** False: the client left the practice or paused feedback; their appointments send nothing. */
  active: boolean;
}

/** The client roster, as the inbound adapters read it. */
export interface ClientRoster {
  /** The roster entry for this client id, or undefined. */
  find(clientId: string): Promise<RosterClient | undefined>;
}

/** A roster entry as stored: when the import last added or changed it. */
export interface StoredRosterClient extends RosterClient {
  importedAt: string;
}

/** What `alliance clients import|list|remove` reads and changes on the roster. */
export interface ClientRosterStore extends ClientRoster {
  /** Every roster entry, in clientId order. */
  list(): Promise<StoredRosterClient[]>;
  /** Writes the entries (each one replaces the client's entry, if any). */
  put(entries: readonly StoredRosterClient[]): Promise<void>;
  /** Deletes the client's entry; false when there was none. */
  remove(clientId: string): Promise<boolean>;
  /** Which of these clients were erased (their profile is a tombstone): their entries must not come back. */
  erasedAmong(clientIds: readonly string[]): Promise<Set<string>>;
}

/** How a therapist came into the directory: `alliance therapists add|import`, or first sight at a practice domain. */
export type TherapistRegisteredBy = 'administrator' | 'practice-domain';

/** A directory entry as stored, with how and when it was made, and whom their alerts also or instead go to. */
export interface DirectoryEntry extends RegisteredTherapist, TherapistRouting {
  registeredAt: string;
  registeredBy: TherapistRegisteredBy;
  /** The administrator's last change. */
  updatedAt?: string | undefined;
}

/** The directory as the request function and `alliance therapists` change it. */
export interface TherapistRegistry extends TherapistDirectory {
  /** The entry, with how and when it was registered. */
  find(therapistId: string): Promise<DirectoryEntry | undefined>;
  /** Registers a therapist only if nobody did: false when an entry exists (it is never overwritten this way). */
  registerIfAbsent(therapist: RegisteredTherapist, registeredAt: string, registeredBy: TherapistRegisteredBy): Promise<boolean>;
  /** The administrator's entry: adds it, or changes address and name (the first registration's time is kept). */
  save(therapist: RegisteredTherapist, now: string): Promise<void>;
  /** Every entry, by therapistId. */
  list(): Promise<DirectoryEntry[]>;
  /** Deletes the entry; false when there was none. */
  remove(therapistId: string): Promise<boolean>;
  /** Sets (or with undefined, removes) the therapist's supervisor and the kinds they are copied on; false when the therapist is not registered. */
  setSupervisor(therapistId: string, supervisor: { supervisorId: string; superviseKinds?: readonly AlertKind[] | undefined } | undefined, now: string): Promise<boolean>;
  /** Sets (or with undefined, removes) the therapist's covering clinician and ISO date range; false when the therapist is not registered. */
  setCovering(therapistId: string, covering: { therapistId: string; from: string; until: string } | undefined, now: string): Promise<boolean>;
}

/** An alert raised for a therapist the directory does not know: it waits (ids only) until they are registered. */
export interface WaitingAlert {
  therapistId: string;
  clientId: string;
  sessionId: string;
  kind: AlertKind;
  waitingSince: string;
}

/** Where alerts wait for their therapist, with the mark of the administrator's one notice. */
export interface WaitingAlertStore {
  /** Keeps the alert until its therapist is registered (a second call for the same alert changes nothing). */
  wait(alert: WaitingAlert): Promise<void>;
  /** Takes the therapist's notice mark; true when this call took it (and so sends the one notice). */
  claimNotice(therapistId: string, now: Date): Promise<boolean>;
  /** Gives the mark back: after the notice failed to send, or once the therapist's alerts are released. */
  releaseNotice(therapistId: string): Promise<void>;
  /** Every alert waiting for this therapist. */
  waitingFor(therapistId: string): Promise<WaitingAlert[]>;
  /** Forgets a waiting alert (sent, or nothing left to send). */
  forget(alert: WaitingAlert): Promise<void>;
}

// ── signed webhook ──────────────────────────────────────────────────────────────────────────────────

/** The webhook deliveries already acted on, by their `webhook-id`: a sender's retry changes nothing. */
export interface WebhookDeliveryStore {
  /** Records the delivery unless its id is already recorded: `new` the first time, `seen` after. */
  claim(delivery: { webhookId: string; sessionId: string; receivedAt: Date }): Promise<'new' | 'seen'>;
  /** Forgets a claimed delivery whose event could not be published, so the sender's retry is acted on. */
  release(webhookId: string): Promise<void>;
}

/** Checks a webhook's Standard Webhooks signature against the active secrets. */
export interface WebhookSignatureVerifier {
  /** True when one of the active secrets signed this body with these headers within ±5 minutes. */
  verify(body: string, headers: Readonly<Record<string, string | undefined>>): Promise<boolean>;
}

/** A SessionCompleted the bus did not take, after the publisher's own retries. */
export interface UnannouncedSession {
  sessionId: string;
  /** The bus's error code (e.g. ThrottlingException), never the detail. */
  errorCode: string;
}

/**
 * Announces many SessionCompleted at once for a bulk inbound path (the appointment import): up
 * to 10 per PutEvents call, the bus's per-call limit. Entries the bus refuses are retried by the
 * adapter; those still refused come back, for the import's report.
 */
export interface SessionAnnouncer {
  announce(details: readonly import('../events/contracts.ts').SessionCompletedDetail[]): Promise<UnannouncedSession[]>;
}

// ── calendar feeds ──────────────────────────────────────────────────────────────────────────────────

/**
 * Where the practice's calendar feeds come from: the secret on AWS, ICS_FEEDS locally. A feed's URL
 * is a secret: adapters never put it in an error or a log line.
 */
export interface FeedSources {
  /** The configured feeds. */
  list(): Promise<CalendarFeed[]>;
  /** The feed's iCalendar text. */
  read(feed: CalendarFeed): Promise<string>;
}

/** What the poller keeps per feed: its cursor and the instances it announced in the current window. */
export interface FeedState {
  /** The end of the last successful poll's window: the next poll announces what ended after it. */
  lastPollAt: string;
  /** Announced instances that ended within the request window (older ones cannot come back). */
  announced: { sessionId: string; endedAt: string }[];
  /** FHIR subscriptions only: the last `events-since-subscription-start` seen, per Subscription, to find missed notifications. */
  notifications?: Record<string, number> | undefined;
}

export interface FeedStateStore {
  get(feedId: string): Promise<FeedState | undefined>;
  /**
   * Saves the feed's state, unless another poll saved since this one read it (`readLastPollAt`,
   * undefined for a first poll): false then, and nothing is written.
   */
  save(feedId: string, state: FeedState, readLastPollAt: string | undefined): Promise<boolean>;
}

/** The FHIR R4 resource types the FHIR inbound path reads. */
export type FhirResourceType = 'Patient' | 'Practitioner' | 'Encounter';

/**
 * A practice's FHIR R4 server as the FHIR inbound path reads it (shared/adapters/fhir-client.ts).
 * Resources come back as untyped JSON: the use case validates them at this edge.
 */
export interface FhirServer {
  /** Encounters with status `finished` last updated in (from, to], page by page (the adapter follows `next` links). */
  finishedEncounters(window: { from: string; to: string }): AsyncIterable<unknown[]>;
  /** One resource; undefined when the server does not have it (404, 410). */
  read(type: FhirResourceType, id: string): Promise<unknown>;
}
