import { describe, expect, it } from 'vitest';
import { hashToken, randomTokens } from '../../../shared/adapters/form-tokens.ts';
import { issueTrendLink, trendLinkPath, trendLinkState, trendTokenOf } from '../../../shared/use-cases/trend-link.ts';
import type { TrendLink } from '../../../shared/use-cases/ports.ts';

const NOW = new Date('2026-12-01T09:00:00.000Z');
const DAY = 86_400_000;

async function issued(linkDays = 7): Promise<{ token: string; hash: string; link: TrendLink }> {
  const saved: { hash: string; link: TrendLink }[] = [];
  const token = await issueTrendLink({ therapistId: 't-7', clientId: 'c-1042', now: NOW }, { links: { saveTrendLink: async (hash, link) => void saved.push({ hash, link }) }, tokens: randomTokens, linkDays });
  return { token, ...saved[0]! };
}

describe('trend links', () => {
  it('are opaque random tokens of which only the SHA-256 is stored, scoped to one therapist and client', async () => {
    const first = await issued();
    const second = await issued();
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.token).not.toBe(second.token);
    expect(first.hash).toBe(hashToken(first.token));
    expect(JSON.stringify(first.link)).not.toContain(first.token);
    expect(first.link).toEqual({ therapistId: 't-7', clientId: 'c-1042', recipientRole: 'therapist', issuedAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 7 * DAY).toISOString() });
    expect(trendLinkPath(first.token)).toBe(`/t/${first.token}`);
  });

  it('open the page until they expire (7 days by default, the setting otherwise)', async () => {
    const { link } = await issued();
    expect(trendLinkState(link, undefined, new Date(NOW.getTime() + 7 * DAY - 1))).toBe('open');
    expect(trendLinkState(link, undefined, new Date(NOW.getTime() + 7 * DAY))).toBe('expired');
    const short = (await issued(1)).link;
    expect(trendLinkState(short, undefined, new Date(NOW.getTime() + 2 * DAY))).toBe('expired');
  });

  it('are revoked one by one, or by a mark that covers every link issued up to it (not those after)', async () => {
    const { link } = await issued();
    const later = new Date(NOW.getTime() + DAY);
    expect(trendLinkState({ ...link, revokedAt: later.toISOString() }, undefined, later)).toBe('revoked');
    expect(trendLinkState(link, later.toISOString(), later)).toBe('revoked');
    expect(trendLinkState(link, NOW.toISOString(), later)).toBe('revoked');
    expect(trendLinkState(link, new Date(NOW.getTime() - 1).toISOString(), later)).toBe('open');
  });

  it('are found by their URL (any base path) or their bare token', () => {
    const token = 'A'.repeat(43);
    expect(trendTokenOf(`https://forms.practice.example/t/${token}`)).toBe(token);
    expect(trendTokenOf(`https://practice.example/feedback/t/${token}?x=1`)).toBe(token);
    expect(trendTokenOf(` ${token} `)).toBe(token);
    expect(trendTokenOf(`https://forms.practice.example/a/${token}`)).toBe('');
  });
});
