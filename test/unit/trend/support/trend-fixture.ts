/** In-memory trend links and history for the trend page's unit tests and bench: a client with `n` weekly sessions. */
import { hashToken, randomTokens } from '../../../../shared/adapters/form-tokens.ts';
import { trendFixture } from '../../../../bench/trend/fixture.ts';
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

/** The bench's 26-session client (bench/trend/fixture.ts), in memory. */
export function clientWithSessions(store: FakeTrendStore, now: Date, n = 26): void {
  const { rows, words } = trendFixture(now, n);
  store.rows.push(...rows);
  for (const [sessionId, said] of words) store.words.set(sessionId, said);
}

/** Issues a link for t-7 to c-1042 and returns its token. */
export function linkFor(store: FakeTrendStore, now: Date, linkDays = 7): Promise<string> {
  return issueTrendLink({ therapistId: 't-7', clientId: 'c-1042', now }, { links: store, tokens: randomTokens, linkDays });
}
