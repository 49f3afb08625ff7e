/**
 * Use cases: a client's right of access and right to erasure. Export gathers everything stored
 * about one client into one JSON document; erase deletes all of it, leaves a tombstone so that no
 * late or redelivered event can bring any of it back, keeps an opt-out or a delivery block as a
 * keyed hash of the address only, and announces the erasure with ids and counts only.
 */
import { ClientErased } from '../events/contracts.ts';
import type { AddressHasher, ClientDataStore, ClientItem, Clock, DoNotContactEntry, EventPublisher, ItemKind } from './ports.ts';

/**
 * Bookkeeping that means nothing to the client, link hashes that would only let someone match a
 * leaked link, and the keyed hash of the address (the request's do-not-contact bookkeeping).
 */
const INTERNAL_ATTRIBUTES = new Set(['type', 'clientId', 'tokenHash', 'ackTokenHash', 'claimExpiresAt', 'leaseUntil', 'version', 'appliedSessionIds', 'addressHash']);

function withoutInternal(attributes: Record<string, unknown>): Record<string, unknown> {
  // A string set (the caseload's open alerts and comment sessions) as a list: JSON has no sets.
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => !INTERNAL_ATTRIBUTES.has(name)).map(([name, value]) => [name, value instanceof Set ? [...value].sort() : value]));
}

export interface ExportedAlert {
  kind: string;
  sentAt?: string;
  acknowledgedAt?: string;
  /** Set while the alert waits for its therapist to be registered (`alliance therapists add`). */
  waitingForTherapistSince?: string;
}

/** A session record (contact details, answer, status and times), its evaluation and its alerts. */
export type ExportedSession = Record<string, unknown> & { sessionId: string; evaluation: Record<string, unknown> | null; alerts: ExportedAlert[] };

export interface ClientExport {
  clientId: string;
  exportedAt: string;
  /** When the client was erased (their tombstone is all that is left), or null. */
  erasedAt: string | null;
  /** Opt-out, delivery problems and the last request, or null when the client has no profile. */
  profile: Record<string, unknown> | null;
  /** The client's entry on the practice's roster (address, first name, language, therapist, active), or null. */
  roster: Record<string, unknown> | null;
  /** The detector's running summary of the client's answers, per instrument. */
  detectors: Record<string, unknown>[];
  /** Oldest first: contact details, answer, evaluation and alerts of each session. */
  sessions: ExportedSession[];
  /** The client's summary in their therapist's caseload (the weekly digest's: last score, recent totals, status facts). */
  caseload: Record<string, unknown>[];
  /** The trend page's rows (newest last): a copy of each session's scores, usual range and alert marks. */
  trendHistory: Record<string, unknown>[];
  /** Items of a kind this version does not know, so that nothing stored is left out. */
  other: Record<string, unknown>[];
  /**
   * Left out on purpose: form, opt-out and trend links (only hashes of secrets; a trend link's
   * revocation marks say only when), and records past their retention that DynamoDB has yet to delete.
   */
  omitted: { formLinks: number; optOutLinks: number; trendLinks?: number; pastRetention: number };
}

/** Gathers everything stored about a client into one document (items past their retention are left out: they are deleted in effect). */
export async function exportClientData(clientId: string, deps: { store: ClientDataStore; clock: Clock }): Promise<{ document: ClientExport }> {
  const now = deps.clock.now();
  const items = await deps.store.findClientItems(clientId);
  const live = items.filter((item) => !(item.deleteAfter && item.deleteAfter <= now));
  const of = (kind: ItemKind) => live.filter((item) => item.kind === kind);

  const evaluations = new Map(of('evaluation').map((item) => [item.sessionId, withoutInternal(item.attributes)]));
  const alerts = new Map<string, Map<string, ExportedAlert>>();
  const alertOf = (sessionId: string | undefined, kind: unknown): ExportedAlert | undefined => {
    if (sessionId === undefined || typeof kind !== 'string') return undefined;
    const bySession = alerts.get(sessionId) ?? new Map<string, ExportedAlert>();
    alerts.set(sessionId, bySession);
    const alert = bySession.get(kind) ?? { kind };
    bySession.set(kind, alert);
    return alert;
  };
  for (const claim of of('alert-claim')) alertOf(claim.sessionId, claim.attributes['kind']);
  for (const link of of('alert-link')) {
    const alert = alertOf(link.sessionId, link.attributes['kind']);
    if (!alert) continue;
    if (typeof link.attributes['sentAt'] === 'string') alert.sentAt = link.attributes['sentAt'];
    if (typeof link.attributes['acknowledgedAt'] === 'string') alert.acknowledgedAt = link.attributes['acknowledgedAt'];
  }
  for (const waiting of of('waiting-alert')) {
    const alert = alertOf(waiting.sessionId, waiting.attributes['kind']);
    if (alert && typeof waiting.attributes['waitingSince'] === 'string') alert.waitingForTherapistSince = waiting.attributes['waitingSince'];
  }

  const sessions = of('session')
    .map((item): ExportedSession => ({
      ...withoutInternal(item.attributes),
      sessionId: item.sessionId ?? '',
      evaluation: evaluations.get(item.sessionId) ?? null,
      alerts: [...(alerts.get(item.sessionId ?? '')?.values() ?? [])],
    }))
    .sort((a, b) => String(a['endedAt'] ?? '').localeCompare(String(b['endedAt'] ?? '')) || a.sessionId.localeCompare(b.sessionId));
  const profile = of('profile')[0];
  const tombstone = profile && isTombstone(profile) ? profile : undefined;

  return {
    document: {
      clientId,
      exportedAt: now.toISOString(),
      erasedAt: tombstone ? String(tombstone.attributes['erasedAt']) : null,
      profile: profile && !tombstone ? withoutInternal(profile.attributes) : null,
      roster: of('roster-client')[0] ? withoutInternal(of('roster-client')[0]!.attributes) : null,
      detectors: of('detector').map((item) => ({ instrumentId: item.instrumentId, ...withoutInternal(item.attributes) })),
      sessions,
      caseload: of('caseload').map((item) => withoutInternal(item.attributes)),
      trendHistory: of('client-history')
        .map((item) => withoutInternal(item.attributes))
        .sort((a, b) => String(a['endedAt'] ?? '').localeCompare(String(b['endedAt'] ?? ''))),
      other: of('other').map((item) => withoutInternal(item.attributes)),
      omitted: {
        formLinks: of('form-link').length,
        optOutLinks: of('opt-out-link').length,
        ...(of('trend-link').length + of('trend-revocation').length > 0 ? { trendLinks: of('trend-link').length + of('trend-revocation').length } : {}),
        pastRetention: items.length - live.length,
      },
    },
  };
}

export type ItemCounts = Record<ItemKind, number>;

export function countItems(items: readonly ClientItem[]): ItemCounts {
  const counts: ItemCounts = { session: 0, evaluation: 0, 'alert-claim': 0, profile: 0, detector: 0, 'form-link': 0, 'alert-link': 0, 'opt-out-link': 0, 'do-not-contact': 0, 'feed-state': 0, 'fhir-state': 0, 'webhook-delivery': 0, 'roster-client': 0, therapist: 0, 'waiting-alert': 0, 'therapist-notice': 0, 'client-history': 0, 'trend-link': 0, 'trend-revocation': 0, caseload: 0, 'response-week': 0, 'digest-claim': 0, other: 0 };
  for (const item of items) counts[item.kind] += 1;
  return counts;
}

export type EraseOutcome =
  | { erased: true; itemsDeleted: number; counts: ItemCounts; erasedAt: string; doNotContact: number }
  | { erased: false; counts: ItemCounts };

/** The items that lead erase back to everything else: deleted last, so that a run cut short can be repeated. */
const ANCHORS: ReadonlySet<ItemKind> = new Set(['session', 'detector']);

/** The profile of an erased client: their tombstone (shared/adapters/items/client-profile.ts). */
function isTombstone(item: ClientItem): boolean {
  return item.kind === 'profile' && typeof item.attributes['erasedAt'] === 'string';
}

/**
 * What must keep being honoured after the client is gone: an opt-out, or an address that bounced
 * or complained. Undefined when the client could be emailed.
 */
function blockOf(profile: ClientItem | undefined): DoNotContactEntry['reason'] | undefined {
  if (!profile || isTombstone(profile)) return undefined;
  if (typeof profile.attributes['optedOutAt'] === 'string') return 'opted-out';
  if (typeof profile.attributes['undeliverableAt'] === 'string') return profile.attributes['undeliverableReason'] === 'complaint' ? 'complaint' : 'bounce';
  return undefined;
}

/** Every address the client's sessions were (or would have been) emailed at. */
function addressesOf(items: readonly ClientItem[]): string[] {
  const addresses = items
    .filter((item) => item.kind === 'session')
    .map((item) => (item.attributes['client'] as { email?: unknown } | undefined)?.email)
    .filter((email): email is string => typeof email === 'string' && email.trim() !== '');
  return [...new Set(addresses)];
}

/**
 * Deletes every item stored about a client once `confirm` agrees, then publishes ClientErased.
 *
 * In this order, each step safe to repeat:
 * 1. an opted-out or blocked client's addresses go on the do-not-contact list, as keyed hashes
 *    (first: the next step removes the opt-out from the profile);
 * 2. the profile becomes the tombstone, before anything is deleted, so that an event arriving
 *    during the erase already finds it and does nothing (the request's slot and the evaluation's
 *    read check it);
 * 3. links and the items only a session leads to, then the sessions and detector records.
 * A repeated run finds only the tombstone (kept, with the first erasure's time) and whatever an
 * event in flight during the first run left, deletes that and announces again.
 */
export async function eraseClientData(
  clientId: string,
  deps: { store: ClientDataStore; publisher: EventPublisher; clock: Clock; addresses: AddressHasher },
  confirm: (counts: ItemCounts, total: number) => Promise<boolean>,
): Promise<EraseOutcome> {
  const found = await deps.store.findClientItems(clientId);
  const profile = found.find((item) => item.kind === 'profile');
  // A living profile is erased too (the tombstone replaces it); a tombstone is not counted as data.
  const items = found.filter((item) => !isTombstone(item));
  const counts = countItems(items);
  if (!(await confirm(counts, items.length))) return { erased: false, counts };

  const now = deps.clock.now().toISOString();
  const erasedAt = profile && isTombstone(profile) ? String(profile.attributes['erasedAt']) : now;
  const reason = blockOf(profile);
  const addresses = reason ? addressesOf(items) : [];
  for (const address of addresses) await deps.store.addDoNotContact(await deps.addresses.hash(address), { reason: reason!, recordedAt: now });

  await deps.store.writeTombstone(clientId, erasedAt);
  const deletable = items.filter((item) => item.kind !== 'profile');
  await deps.store.deleteItems(deletable.filter((item) => !ANCHORS.has(item.kind)).map((item) => item.key));
  await deps.store.deleteItems(deletable.filter((item) => ANCHORS.has(item.kind)).map((item) => item.key));
  await deps.publisher.publish(ClientErased, { clientId, erasedAt: now, itemsDeleted: items.length });
  return { erased: true, itemsDeleted: items.length, counts, erasedAt: now, doNotContact: addresses.length };
}
