/**
 * Use cases: a client's right of access and right to erasure. Export gathers everything stored
 * about one client into one JSON document; erase deletes all of it and announces the erasure with
 * ids and counts only.
 */
import { ClientErased } from '../events/contracts.ts';
import type { ClientDataStore, ClientItem, Clock, EventPublisher, ItemKind } from './ports.ts';

/** Bookkeeping that means nothing to the client, and link hashes that would only let someone match a leaked link. */
const INTERNAL_ATTRIBUTES = new Set(['type', 'clientId', 'tokenHash', 'ackTokenHash', 'claimExpiresAt', 'leaseUntil', 'version', 'appliedSessionIds']);

function withoutInternal(attributes: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => !INTERNAL_ATTRIBUTES.has(name)));
}

export interface ExportedAlert {
  kind: string;
  sentAt?: string;
  acknowledgedAt?: string;
}

/** A session record (contact details, answer, status and times), its evaluation and its alerts. */
export type ExportedSession = Record<string, unknown> & { sessionId: string; evaluation: Record<string, unknown> | null; alerts: ExportedAlert[] };

export interface ClientExport {
  clientId: string;
  exportedAt: string;
  /** Opt-out, delivery problems and the last request, or null when the client has no profile. */
  profile: Record<string, unknown> | null;
  /** The detector's running summary of the client's answers, per instrument. */
  detectors: Record<string, unknown>[];
  /** Oldest first: contact details, answer, evaluation and alerts of each session. */
  sessions: ExportedSession[];
  /** Items of a kind this version does not know, so that nothing stored is left out. */
  other: Record<string, unknown>[];
  /** Left out on purpose: form and opt-out links (only hashes of secrets), and records past their retention that DynamoDB has yet to delete. */
  omitted: { formLinks: number; optOutLinks: number; pastRetention: number };
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

  const sessions = of('session')
    .map((item): ExportedSession => ({
      ...withoutInternal(item.attributes),
      sessionId: item.sessionId ?? '',
      evaluation: evaluations.get(item.sessionId) ?? null,
      alerts: [...(alerts.get(item.sessionId ?? '')?.values() ?? [])],
    }))
    .sort((a, b) => String(a['endedAt'] ?? '').localeCompare(String(b['endedAt'] ?? '')) || a.sessionId.localeCompare(b.sessionId));
  const profile = of('profile')[0];

  return {
    document: {
      clientId,
      exportedAt: now.toISOString(),
      profile: profile ? withoutInternal(profile.attributes) : null,
      detectors: of('detector').map((item) => ({ instrumentId: item.instrumentId, ...withoutInternal(item.attributes) })),
      sessions,
      other: of('other').map((item) => withoutInternal(item.attributes)),
      omitted: { formLinks: of('form-link').length, optOutLinks: of('opt-out-link').length, pastRetention: items.length - live.length },
    },
  };
}

export type ItemCounts = Record<ItemKind, number>;

export function countItems(items: readonly ClientItem[]): ItemCounts {
  const counts: ItemCounts = { session: 0, evaluation: 0, 'alert-claim': 0, profile: 0, detector: 0, 'form-link': 0, 'alert-link': 0, 'opt-out-link': 0, other: 0 };
  for (const item of items) counts[item.kind] += 1;
  return counts;
}

export type EraseOutcome =
  | { erased: true; itemsDeleted: number; counts: ItemCounts; erasedAt: string }
  | { erased: false; counts: ItemCounts };

/** The items that lead erase back to everything else: deleted last, so that a run cut short can be repeated. */
const ANCHORS: ReadonlySet<ItemKind> = new Set(['session', 'profile', 'detector']);

/**
 * Deletes every item stored about a client once `confirm` agrees, then publishes ClientErased.
 * Idempotent and resumable: links and the items only a session leads to go first, the sessions and
 * the client's own records last, and a repeated run deletes what is left and announces again.
 */
export async function eraseClientData(
  clientId: string,
  deps: { store: ClientDataStore; publisher: EventPublisher; clock: Clock },
  confirm: (counts: ItemCounts, total: number) => Promise<boolean>,
): Promise<EraseOutcome> {
  const items = await deps.store.findClientItems(clientId);
  const counts = countItems(items);
  if (!(await confirm(counts, items.length))) return { erased: false, counts };

  await deps.store.deleteItems(items.filter((item) => !ANCHORS.has(item.kind)).map((item) => item.key));
  await deps.store.deleteItems(items.filter((item) => ANCHORS.has(item.kind)).map((item) => item.key));
  const erasedAt = deps.clock.now().toISOString();
  await deps.publisher.publish(ClientErased, { clientId, erasedAt, itemsDeleted: items.length });
  return { erased: true, itemsDeleted: items.length, counts, erasedAt };
}
