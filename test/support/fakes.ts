/**
 * Plain in-memory fakes of the use-case ports, with the same guard semantics as the DynamoDB
 * adapter (conditional claims, the client's request slot), for fast use-case tests.
 */
import type { RecipientSlot } from '../../shared/domain/alert-recipients.ts';
import type { SkipReason } from '../../shared/domain/request-policy.ts';
import type { AlertKind } from '../../shared/events/contracts.ts';
import type { EventContract, FeedbackSubmittedDetail } from '../../shared/events/contracts.ts';
import type * as z from 'zod/mini';
import type {
  AddressHasher,
  RequestSlot,
  AlertLink,
  AlertSession,
  AlertStore,
  ClaimResult,
  EventPublisher,
  FormTokenRecord,
  Mailer,
  OptOutLinkRecord,
  OptOutLinkStore,
  OutgoingEmail,
  PlannedRequest,
  ReserveResult,
  SessionRecord,
  SessionStore,
  TokenFactory,
  DirectoryEntry,
  RegisteredTherapist,
  TherapistRegisteredBy,
  TherapistRegistry,
  WaitingAlert,
  WaitingAlertStore,
  ClientHistoryStore,
  HistoryEntry,
  HistoryRef,
  StoredHistoryEntry,
  DetectorRecord,
  DetectorStore,
  EvaluationSession,
  StoredEvaluation,
} from '../../shared/use-cases/ports.ts';
import { ConcurrentUpdateError } from '../../shared/use-cases/ports.ts';

interface StoredSession extends SessionRecord {
  status: string;
  skipReason?: SkipReason;
  claimExpiresAt?: string;
  requestedAt?: string;
  expiresAt?: string;
  tokenHash?: string;
}

export class FakeSessionStore implements SessionStore {
  sessions = new Map<string, StoredSession>();
  clients = new Map<string, { optedOutAt?: string; undeliverableAt?: string; erasedAt?: string; lastRequestSessionId?: string | undefined; lastRequestEndedAt?: string | undefined; addressHash?: string }>();
  tokens = new Map<string, FormTokenRecord>();
  /** Keyed hashes of addresses on the do-not-contact list. */
  doNotContact = new Set<string>();

  async claimSession(session: SessionRecord, plan: PlannedRequest, now: Date, leaseSeconds: number): Promise<ClaimResult> {
    const existing = this.sessions.get(session.sessionId);
    const claim = (): StoredSession => ({ ...session, ...plan, status: 'requested', claimExpiresAt: new Date(now.getTime() + leaseSeconds * 1000).toISOString() });
    if (!existing) {
      this.sessions.set(session.sessionId, claim());
      return { claimed: true };
    }
    if (existing.status !== 'requested') return { claimed: false, status: existing.status };
    const { clientId, therapistId, requestedAt, expiresAt, tokenHash } = existing;
    // Sent when its token item exists (written only after the email), as in the DynamoDB adapter.
    if (tokenHash && this.tokens.has(tokenHash) && requestedAt && expiresAt) {
      return { claimed: false, status: 'requested', request: { clientId, therapistId, requestedAt, expiresAt } };
    }
    if ((existing.claimExpiresAt ?? '') >= now.toISOString()) return { claimed: false, status: 'claimed' };
    this.sessions.set(session.sessionId, claim());
    return { claimed: true, ...(tokenHash && expiresAt ? { earlier: { tokenHash, expiresAt } } : {}) };
  }

  async recordSkipped(session: SessionRecord, reason: SkipReason, _now: Date, claimTokenHash?: string): Promise<void> {
    const existing = this.sessions.get(session.sessionId);
    if (existing && (claimTokenHash === undefined || existing.tokenHash !== claimTokenHash)) return;
    this.sessions.set(session.sessionId, { ...session, status: 'skipped', skipReason: reason });
  }

  async reserveClientRequest(input: { clientId: string; sessionId: string; endedAt: string; window: { after: string; before: string }; addressHash: string }): Promise<ReserveResult> {
    const client = this.clients.get(input.clientId) ?? {};
    if (client.erasedAt) return { reserved: false, reason: 'erased' };
    if (client.optedOutAt) return { reserved: false, reason: 'opted-out' };
    if (client.undeliverableAt) return { reserved: false, reason: 'undeliverable' };
    const last = client.lastRequestEndedAt;
    const free = last === undefined || client.lastRequestSessionId === input.sessionId || last <= input.window.after || last >= input.window.before;
    if (!free) return { reserved: false, reason: 'throttled' };
    this.clients.set(input.clientId, { ...client, lastRequestSessionId: input.sessionId, lastRequestEndedAt: input.endedAt, addressHash: input.addressHash });
    const previousSlot = client.lastRequestSessionId && client.lastRequestEndedAt ? { sessionId: client.lastRequestSessionId, endedAt: client.lastRequestEndedAt } : undefined;
    return { reserved: true, addressKnown: client.addressHash === input.addressHash, previousSlot };
  }

  async releaseClientRequest(clientId: string, sessionId: string, previousSlot: RequestSlot | undefined): Promise<void> {
    const client = this.clients.get(clientId);
    if (client?.lastRequestSessionId !== sessionId) return;
    const { addressHash: _forgotten, ...rest } = client;
    this.clients.set(clientId, { ...rest, lastRequestSessionId: previousSlot?.sessionId, lastRequestEndedAt: previousSlot?.endedAt });
  }

  async saveSentFormToken(token: FormTokenRecord): Promise<void> {
    this.tokens.set(token.tokenHash, token);
  }

  async releaseClaim(sessionId: string, claimTokenHash: string): Promise<void> {
    if (this.sessions.get(sessionId)?.tokenHash === claimTokenHash) this.sessions.delete(sessionId);
  }

  async isClientErased(clientId: string): Promise<boolean> {
    return this.clients.get(clientId)?.erasedAt !== undefined;
  }

  async isDoNotContact(addressHash: string): Promise<boolean> {
    return this.doNotContact.has(addressHash);
  }
}

/** Hashes as `hash(<normalised address>)`: readable in assertions; the real key is the adapter's business. */
export const plainAddressHasher: AddressHasher = {
  async hash(address: string) {
    return `hash(${address.trim().toLowerCase()})`;
  },
};

export class FakeMailer implements Mailer {
  sent: OutgoingEmail[] = [];
  failNext = 0;
  async send(email: OutgoingEmail): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'TooManyRequestsException' });
    }
    this.sent.push(email);
  }
}

export class FakePublisher implements EventPublisher {
  published: { detailType: string; detail: unknown }[] = [];
  async publish(contract: EventContract<z.ZodMiniType>, detail: unknown): Promise<void> {
    const parsed = contract.schema.safeParse(detail);
    if (!parsed.success) throw new Error(`detail does not match ${contract.detailType}`);
    this.published.push({ detailType: contract.detailType, detail });
  }
}

/** The opt-out links the client emails made, by hash. */
export class FakeOptOutLinkStore implements OptOutLinkStore {
  links = new Map<string, OptOutLinkRecord>();
  async saveOptOutLink(link: OptOutLinkRecord): Promise<void> {
    this.links.set(link.tokenHash, link);
  }
}

/** Deterministic tokens: token-1, token-2, ... with a visible fake hash. */
export function sequentialTokens(): TokenFactory {
  let counter = 0;
  return {
    create() {
      counter += 1;
      return { token: `token-${counter}`, hash: `hash-of-token-${counter}` };
    },
  };
}

/** AlertStore fake: claims with leases, links keyed by `hash-of-<token>` (as sequentialTokens hashes). */
export class FakeAlertStore implements AlertStore {
  claims = new Map<string, { hash: string; leaseUntil: string }>();
  links = new Map<string, AlertLink>();
  session: AlertSession | undefined;
  async getSession() {
    return this.session;
  }
  async claimAlert({ sessionId, kind, slot, ackTokenHash: hash, now, leaseSeconds: lease }: { sessionId: string; kind: AlertKind; slot?: RecipientSlot | undefined; ackTokenHash: string; now: Date; leaseSeconds: number }) {
    const key = `${sessionId}#${kind}${slot === 'supervisor' ? '#supervisor' : ''}`;
    const existing = this.claims.get(key);
    if (existing && existing.leaseUntil >= now.toISOString()) return { claimed: false as const, reason: 'in-progress' as const };
    if (existing && this.links.has(existing.hash)) return { claimed: false as const, reason: 'sent' as const };
    this.claims.set(key, { hash, leaseUntil: new Date(now.getTime() + lease * 1000).toISOString() });
    return { claimed: true as const };
  }
  async releaseAlert(sessionId: string, kind: AlertKind, slot?: RecipientSlot) {
    this.claims.delete(`${sessionId}#${kind}${slot === 'supervisor' ? '#supervisor' : ''}`);
  }
  async saveAlertLink(hash: string, link: AlertLink) {
    this.links.set(hash, link);
  }
  async findAlertLink(token: string) {
    return this.links.get(`hash-of-${token}`);
  }
  /** Tokens whose announcement a request is making (the stored `announcingUntil`). */
  announcing = new Set<string>();
  async acknowledge(token: string, now: Date) {
    const link = this.links.get(`hash-of-${token}`);
    if (!link) return undefined;
    const before = { ...link };
    if (link.announcedAt || this.announcing.has(token)) {
      return { link: before, acknowledgedAt: link.acknowledgedAt!, first: false, announcement: link.announcedAt ? ('announced' as const) : ('in-progress' as const) };
    }
    link.acknowledgedAt ??= now.toISOString();
    this.announcing.add(token);
    return { link: before, acknowledgedAt: link.acknowledgedAt, first: !before.acknowledgedAt, announcement: 'claimed' as const };
  }
  async releaseAcknowledgementAnnouncement(token: string) {
    this.announcing.delete(token);
  }
  async markAcknowledgementAnnounced(token: string, now: Date) {
    const link = this.links.get(`hash-of-${token}`);
    if (link?.acknowledgedAt) link.announcedAt ??= now.toISOString();
    this.announcing.delete(token);
  }
}

/** The therapist directory in memory (entries by therapistId), with the adapter's never-overwrite registration. */
export class FakeTherapistDirectory implements TherapistRegistry {
  entries = new Map<string, DirectoryEntry>();
  constructor(initial: readonly RegisteredTherapist[] = []) {
    for (const therapist of initial) this.entries.set(therapist.therapistId, { ...therapist, registeredAt: '2026-01-01T00:00:00.000Z', registeredBy: 'administrator' });
  }
  async find(therapistId: string): Promise<DirectoryEntry | undefined> {
    return this.entries.get(therapistId);
  }
  async registerIfAbsent(therapist: RegisteredTherapist, registeredAt: string, registeredBy: TherapistRegisteredBy): Promise<boolean> {
    if (this.entries.has(therapist.therapistId)) return false;
    this.entries.set(therapist.therapistId, { ...therapist, registeredAt, registeredBy });
    return true;
  }
  async save(therapist: RegisteredTherapist, now: string): Promise<void> {
    const current = this.entries.get(therapist.therapistId);
    // Like the adapter, keeps what save does not name (supervisor, cover).
    const routing = current === undefined ? {} : { supervisorId: current.supervisorId, superviseKinds: current.superviseKinds, covering: current.covering };
    const kept = Object.fromEntries(Object.entries(routing).filter(([, value]) => value !== undefined));
    this.entries.set(therapist.therapistId, { ...kept, ...therapist, registeredAt: current?.registeredAt ?? now, registeredBy: 'administrator', updatedAt: now });
  }
  async list(): Promise<DirectoryEntry[]> {
    return [...this.entries.values()].sort((a, b) => a.therapistId.localeCompare(b.therapistId));
  }
  async remove(therapistId: string): Promise<boolean> {
    return this.entries.delete(therapistId);
  }
  async setSupervisor(therapistId: string, supervisor: { supervisorId: string; superviseKinds?: readonly AlertKind[] | undefined } | undefined, now: string): Promise<boolean> {
    const current = this.entries.get(therapistId);
    if (current === undefined) return false;
    const { supervisorId: _id, superviseKinds: _kinds, ...rest } = current;
    this.entries.set(therapistId, { ...rest, updatedAt: now, ...(supervisor === undefined ? {} : { supervisorId: supervisor.supervisorId, ...(supervisor.superviseKinds ? { superviseKinds: [...supervisor.superviseKinds] } : {}) }) });
    return true;
  }
  async setCovering(therapistId: string, covering: { therapistId: string; from: string; until: string } | undefined, now: string): Promise<boolean> {
    const current = this.entries.get(therapistId);
    if (current === undefined) return false;
    const { covering: _covering, ...rest } = current;
    this.entries.set(therapistId, { ...rest, updatedAt: now, ...(covering === undefined ? {} : { covering }) });
    return true;
  }
}

/** Alerts waiting for their therapist, and the notice marks, in memory. */
export class FakeWaitingAlertStore implements WaitingAlertStore {
  alerts = new Map<string, WaitingAlert>();
  notices = new Set<string>();
  async wait(alert: WaitingAlert): Promise<void> {
    const key = `${alert.therapistId}#${alert.sessionId}#${alert.kind}`;
    if (!this.alerts.has(key)) this.alerts.set(key, alert);
  }
  async claimNotice(therapistId: string): Promise<boolean> {
    if (this.notices.has(therapistId)) return false;
    this.notices.add(therapistId);
    return true;
  }
  async releaseNotice(therapistId: string): Promise<void> {
    this.notices.delete(therapistId);
  }
  async waitingFor(therapistId: string): Promise<WaitingAlert[]> {
    return [...this.alerts.values()].filter((alert) => alert.therapistId === therapistId);
  }
  async forget(alert: WaitingAlert): Promise<void> {
    this.alerts.delete(`${alert.therapistId}#${alert.sessionId}#${alert.kind}`);
  }
}

/** ClientHistoryStore in memory: rows by `clientId#endedAt#sessionId`, marks only on rows that exist (like the adapter's condition). */
export class FakeClientHistoryStore implements ClientHistoryStore {
  rows = new Map<string, StoredHistoryEntry>();
  private static key(ref: HistoryRef): string {
    return `${ref.clientId}#${ref.endedAt}#${ref.sessionId}`;
  }
  async recordSession(entry: HistoryEntry) {
    const existing = this.rows.get(FakeClientHistoryStore.key(entry));
    this.rows.set(FakeClientHistoryStore.key(entry), { ...structuredClone(entry), alertsSent: existing?.alertsSent ?? {}, alertsInDigest: existing?.alertsInDigest ?? {}, acknowledged: existing?.acknowledged ?? {} });
  }
  async markAlertSent(ref: HistoryRef, kind: AlertKind, at: string) {
    const row = this.rows.get(FakeClientHistoryStore.key(ref));
    if (row) row.alertsSent[kind] ??= at;
  }
  async markAlertInDigest(ref: HistoryRef, kind: AlertKind, at: string) {
    const row = this.rows.get(FakeClientHistoryStore.key(ref));
    if (row) (row.alertsInDigest ??= {})[kind] ??= at;
  }
  async markAcknowledged(ref: HistoryRef, kind: AlertKind, at: string) {
    const row = this.rows.get(FakeClientHistoryStore.key(ref));
    if (row) row.acknowledged[kind] ??= at;
  }
  /** The client's rows, newest first (what the adapter's query returns). */
  recent(clientId: string, limit = 26): StoredHistoryEntry[] {
    return [...this.rows.values()].filter((row) => row.clientId === clientId).sort((a, b) => (a.endedAt < b.endedAt ? 1 : -1)).slice(0, limit);
  }
}

/** The detector's store in memory: records with the version check, sessions (with their reads), evaluations. */
export class FakeDetectorStore implements DetectorStore {
  records = new Map<string, DetectorRecord>();
  evaluations = new Map<string, StoredEvaluation>();
  sessions = new Map<string, EvaluationSession>();
  /** Every session read, with whether it was consistent. */
  sessionReads: { sessionId: string; consistent: boolean }[] = [];
  async getRecord(clientId: string) {
    const record = this.records.get(clientId);
    return record && structuredClone(record);
  }
  async putRecord(clientId: string, _instrumentId: string, record: DetectorRecord, expectedVersion: number) {
    if ((this.records.get(clientId)?.state.version ?? 0) !== expectedVersion) throw new ConcurrentUpdateError('raced');
    this.records.set(clientId, structuredClone(record));
  }
  async getSession(sessionId: string, options: { consistent: boolean }) {
    this.sessionReads.push({ sessionId, ...options });
    const session = this.sessions.get(sessionId);
    return session && structuredClone(session);
  }
  /** Stores the answer with its session, as the web function does before it announces it. */
  answered(detail: FeedbackSubmittedDetail, endedAt: string): FeedbackSubmittedDetail {
    const { sessionId, clientId, therapistId, instrumentId, items, talk, submittedAt } = detail;
    this.sessions.set(sessionId, { sessionId, clientId, therapistId, endedAt, answer: { instrumentId, items, talk, submittedAt } });
    return detail;
  }
  /** Stores the session as expired unanswered, as the follow-up does before it announces FeedbackExpired. */
  expired(ids: { sessionId: string; clientId: string; therapistId: string }, endedAt: string): typeof ids {
    this.sessions.set(ids.sessionId, { ...ids, endedAt, expiredAt: '2026-12-01T00:00:00.000Z' });
    return ids;
  }
  async saveEvaluation(sessionId: string, _clientId: string, evaluation: StoredEvaluation) {
    this.evaluations.set(sessionId, structuredClone(evaluation));
  }
  async getEvaluation(sessionId: string) {
    return this.evaluations.get(sessionId);
  }
}
