/** In-memory trend links and history for the trend page's unit tests and bench: a client with `n` weekly sessions. */
import { hashToken, randomTokens } from '../../../../shared/adapters/form-tokens.ts';
import type { AlertKind } from '../../../../shared/events/contracts.ts';
import type { SessionWords, StoredHistoryEntry, TrendLink, TrendLinkStore, TrendPageStore } from '../../../../shared/use-cases/ports.ts';
import { issueTrendLink } from '../../../../shared/use-cases/trend-link.ts';

export class FakeTrendStore implements TrendLinkStore, TrendPageStore {
  links = new Map<string, TrendLink>();
  marks = new Map<string, string>();
  rows: StoredHistoryEntry[] = [];
  words = new Map<string, SessionWords>();
  timeZones = new Map<string, string>();
  /** The reads made, by method (the page's read budget). */
  reads: string[] = [];
  async saveTrendLink(hash: string, link: TrendLink) {
    this.links.set(hash, link);
  }
  async findTrendLink(token: string) {
    this.reads.push('findTrendLink');
    return this.links.get(hashToken(token));
  }
  async revokeTrendLink(token: string, now: Date) {
    const link = this.links.get(hashToken(token));
    if (!link) return false;
    link.revokedAt ??= now.toISOString();
    return true;
  }
  async revokeTrendLinksBefore(therapistId: string, clientId: string | undefined, now: Date) {
    this.marks.set(`${therapistId}#${clientId ?? '*'}`, now.toISOString());
  }
  async therapistContext(therapistId: string, clientId: string) {
    this.reads.push('therapistContext');
    const marks = [this.marks.get(`${therapistId}#*`), this.marks.get(`${therapistId}#${clientId}`)].filter((mark) => mark !== undefined).sort();
    const timeZone = this.timeZones.get(therapistId);
    return { ...(marks.length > 0 ? { revokedBefore: marks.at(-1) } : {}), ...(timeZone ? { timeZone } : {}) };
  }
  async recentHistory(clientId: string, limit: number) {
    this.reads.push('recentHistory');
    return this.rows.filter((row) => row.clientId === clientId).sort((a, b) => (a.endedAt < b.endedAt ? 1 : -1)).slice(0, limit);
  }
  async sessionWords(sessionIds: readonly string[]) {
    this.reads.push('sessionWords');
    return new Map(sessionIds.flatMap((id) => (this.words.has(id) ? [[id, this.words.get(id)!] as const] : [])));
  }
}

const DAY = 86_400_000;

/**
 * `n` weekly sessions of client c-1042 ending the day before `now`: mostly 35–39 of 40 with a usual
 * range, one rupture (acknowledged), one item drop (not acknowledged), an expired request every
 * ninth, a talk tick, and a comment on every fourth (one with markup in it).
 */
export function clientWithSessions(store: FakeTrendStore, now: Date, n = 26): void {
  for (let index = 0; index < n; index += 1) {
    const endedAt = new Date(now.getTime() - DAY - (n - 1 - index) * 7 * DAY).toISOString();
    const sessionId = `s-${index + 1}`;
    const base = { clientId: 'c-1042', therapistId: 't-7', sessionId, endedAt, instrumentId: 'alliance-4', alertsSent: {}, acknowledged: {} } as const;
    if (index % 9 === 8) {
      store.rows.push({ ...base, kind: 'expired', alerts: [], alertsSent: {}, acknowledged: {} });
      continue;
    }
    const rupture = index === n - 6;
    const drop = index === n - 2;
    const items = rupture ? { relationship: 6, goals: 5, approach: 7, overall: 6 } : drop ? { relationship: 9, goals: 3, approach: 9, overall: 9 } : { relationship: 9, goals: 9 + (index % 2), approach: 9, overall: 9 + ((index + 1) % 2) };
    const total = Object.values(items).reduce((sum, value) => sum + value, 0);
    const alerts: AlertKind[] = rupture ? ['rupture'] : drop ? ['item-drop'] : [];
    const sent = Object.fromEntries(alerts.map((kind) => [kind, new Date(Date.parse(endedAt) + 3_600_000).toISOString()]));
    store.rows.push({
      ...base,
      kind: 'answered',
      total,
      max: 40,
      items,
      ...(index >= 3 ? { band: { low: 34.6, high: 39.4 } } : {}),
      state: alerts.length > 0 ? 'alert' : index >= 3 ? 'normal' : 'insufficient-baseline',
      talk: index === n - 3,
      alerts,
      alertsSent: sent,
      acknowledged: rupture ? { rupture: new Date(Date.parse(endedAt) + DAY).toISOString() } : {},
    });
    store.words.set(sessionId, {
      talk: index === n - 3,
      firstName: 'Ana',
      ...(index % 4 === 3 || index === n - 6 ? { comment: index === n - 6 ? 'I felt rushed <b>today</b> & "unheard".\nNext time: more time for goals?' : `Session ${index + 1} was fine; we talked about work and sleep.` } : {}),
    });
  }
}

/** Issues a link for t-7 to c-1042 and returns its token. */
export function linkFor(store: FakeTrendStore, now: Date, linkDays = 7): Promise<string> {
  return issueTrendLink({ therapistId: 't-7', clientId: 'c-1042', now }, { links: store, tokens: randomTokens, linkDays });
}
