/**
 * The trend page's use case (GET /t/{token}): finds the link, refuses one unknown (404), expired
 * or revoked (410), reads the client's last 26 history rows and their sessions' words, and records
 * the view as an audit event (TrendPageViewed: ids and times only). Nothing else is written: a GET
 * changes nothing but the audit trail. The view is published before the page is answered, so
 * every page shown is recorded (a failed publish answers 503).
 */
import type { Instrument } from '../domain/instruments.ts';
import type { TrendPageInput, TrendRow } from '../domain/templates/trend-page.ts';
import { TrendPageViewed } from '../events/contracts.ts';
import type { Clock, EventPublisher, StoredHistoryEntry, TrendLink, TrendLinkStore, TrendPageStore, TrendViewListener } from './ports.ts';
import { trendLinkState } from './trend-link.ts';

/** Sessions a page shows (items/client-history.ts TREND_SESSIONS: about six months of weekly sessions). */
export const TREND_PAGE_SESSIONS = 26;

export interface TrendPageDeps {
  links: Pick<TrendLinkStore, 'findTrendLink'>;
  pages: TrendPageStore;
  publisher: EventPublisher;
  clock: Clock;
  /** The practice's zone: a therapist without one of their own reads dates in it. */
  practiceTimeZone: string;
  /** Whether the page shows the client's first name (ALERT_SETTINGS.trendShowsFirstName). */
  showsFirstName: boolean;
  instrument: (instrumentId: string) => Instrument | undefined;
  /** Told of every view after it is recorded (the weekly digest's "comments waiting"); its failure never fails the page. */
  onViewed?: TrendViewListener | undefined;
  /** Told when onViewed failed (ids only). */
  onViewedError?: ((error: unknown, view: { therapistId: string; clientId: string }) => void) | undefined;
}

/** What the page shows, as the template takes it (the practice's name and the link's expiry come from the link and the web app). */
export type TrendPageData = Omit<TrendPageInput, 'practiceName' | 'linkExpiresAt'> & { link: TrendLink };

export type TrendPageView = { kind: 'not-found' } | { kind: 'expired' } | { kind: 'revoked' } | { kind: 'page'; data: TrendPageData };

/**
 * Opens the page behind a token. `record` is false for a HEAD (nothing is shown, nothing is
 * recorded).
 */
export async function openTrendPage(token: string, deps: TrendPageDeps, options: { record: boolean } = { record: true }): Promise<TrendPageView> {
  const link = await deps.links.findTrendLink(token);
  if (!link) return { kind: 'not-found' };
  const now = deps.clock.now();
  // The marks and the therapist's zone (one batch read) beside the client's rows (one query).
  const [context, history] = await Promise.all([deps.pages.therapistContext(link.therapistId, link.clientId), deps.pages.recentHistory(link.clientId, TREND_PAGE_SESSIONS)]);
  const state = trendLinkState(link, context.revokedBefore, now);
  if (state !== 'open') return { kind: state };

  const answered = history.filter((row) => row.kind === 'answered').map((row) => row.sessionId);
  const words = answered.length > 0 ? await deps.pages.sessionWords(answered) : new Map();
  const instrument = history.map((row) => deps.instrument(row.instrumentId)).find((found) => found !== undefined);
  const firstName = deps.showsFirstName ? answered.map((sessionId) => words.get(sessionId)?.firstName).find((name) => typeof name === 'string' && name.trim() !== '') : undefined;

  if (options.record) {
    await deps.publisher.publish(TrendPageViewed, { therapistId: link.therapistId, clientId: link.clientId, recipientRole: link.recipientRole, linkIssuedAt: link.issuedAt, viewedAt: now.toISOString() });
    // Only the therapist's own link reads the comments for them: a supervisor's or a covering
    // clinician's view leaves them waiting in the therapist's digest.
    if (deps.onViewed && link.recipientRole === 'therapist') {
      await deps.onViewed.trendViewed({ therapistId: link.therapistId, clientId: link.clientId, viewedAt: now.toISOString() }).catch((error: unknown) => deps.onViewedError?.(error, link));
    }
  }

  return {
    kind: 'page',
    data: {
      link,
      clientId: link.clientId,
      ...(firstName ? { firstName } : {}),
      timeZone: context.timeZone ?? deps.practiceTimeZone,
      itemColumns: instrument ? instrument.items.map((item) => ({ id: item.id, label: item.shortLabel.en })) : itemIdsOf(history),
      itemRange: instrument ? { min: instrument.min, max: instrument.max } : { min: 0, max: 10 },
      rows: history.map((row) => toRow(row, words.get(row.sessionId))),
      now,
    },
  };
}

/** Without a known instrument, the columns are the item ids the rows carry. */
function itemIdsOf(history: readonly StoredHistoryEntry[]): { id: string; label: string }[] {
  const ids = new Set(history.flatMap((row) => (row.kind === 'answered' ? Object.keys(row.items) : [])));
  return [...ids].map((id) => ({ id, label: id }));
}

function toRow(row: StoredHistoryEntry, words: { comment?: string | undefined; talk: boolean } | undefined): TrendRow {
  const common = { sessionId: row.sessionId, endedAt: row.endedAt, alerts: row.alerts, alertsSent: row.alertsSent, alertsInDigest: row.alertsInDigest, acknowledged: row.acknowledged };
  if (row.kind === 'expired') return { ...common, kind: 'expired', talk: false };
  return {
    ...common,
    kind: 'answered',
    total: row.total,
    max: row.max,
    items: row.items,
    band: row.band,
    state: row.state,
    talk: row.talk || words?.talk === true,
    ...(words?.comment !== undefined ? { comment: words.comment } : {}),
  };
}
