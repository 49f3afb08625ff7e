import { describe, expect, it } from 'vitest';
import { DEFAULT_REFERENCE_PATTERN, referenceFinder } from '../../../shared/domain/calendar/client-reference.ts';
import { parseCalendarFeedList } from '../../../shared/domain/calendar/feed-list.ts';
import { calendarSessionId } from '../../../shared/domain/calendar/session-id.ts';
import { IdSchema } from '../../../shared/events/contracts.ts';

describe('the client reference', () => {
  const byDefault = referenceFinder({ pattern: DEFAULT_REFERENCE_PATTERN, searchDescription: false });

  it('is the first [...] of the summary by default', () => {
    expect(byDefault({ summary: 'Session [ C-1042 ] [other]', description: '' })).toBe('C-1042');
  });

  it('is missing without brackets, and the description is not read unless configured', () => {
    expect(byDefault({ summary: 'Notes and admin', description: '[C-1]' })).toBeUndefined();
    const withDescription = referenceFinder({ pattern: String.raw`Klient:\s*(\S+)`, searchDescription: true });
    expect(withDescription({ summary: 'Sitzung', description: 'Klient: K-77' })).toBe('K-77');
  });

  it('takes the whole match when the pattern has no group', () => {
    expect(referenceFinder({ pattern: String.raw`C-\d+`, searchDescription: false })({ summary: 'Appt C-55 (video)', description: '' })).toBe('C-55');
  });
});

describe('calendarSessionId', () => {
  const uid = '040000008200E00074C5B7101A82E00800000000B0E3C2@outlook.example' + 'x'.repeat(200);

  it('is stable for the same feed, UID and recurrence instant', () => {
    expect(calendarSessionId('main', uid, '2026-10-05T14:00:00.000Z')).toBe(calendarSessionId('main', uid, '2026-10-05T14:00:00.000Z'));
  });

  it('differs by feed, by UID and by instant', () => {
    const ids = new Set([
      calendarSessionId('main', uid, '2026-10-05T14:00:00.000Z'),
      calendarSessionId('other', uid, '2026-10-05T14:00:00.000Z'),
      calendarSessionId('main', `${uid}y`, '2026-10-05T14:00:00.000Z'),
      calendarSessionId('main', uid, '2026-10-12T14:00:00.000Z'),
    ]);
    expect(ids.size).toBe(4);
  });

  it("satisfies the contract's IdSchema even for a long UID and the longest feed id", () => {
    const id = calendarSessionId('f'.repeat(40), uid, '2026-10-05T14:00:00.000Z');
    expect(IdSchema.safeParse(id).success).toBe(true);
  });
});

describe('the feed list', () => {
  it('reads feeds with their options', () => {
    expect(parseCalendarFeedList('{"feeds":[{"id":"owl","url":"https://feeds.example/abc.ics","therapistId":"t-1"}]}').feeds[0]).toEqual({ id: 'owl', url: 'https://feeds.example/abc.ics', therapistId: 't-1' });
  });

  it('refuses duplicate ids and bad patterns, naming fields but never the URL', () => {
    const secretUrl = 'https://feeds.example/very-secret-token.ics';
    expect(() => parseCalendarFeedList(JSON.stringify({ feeds: [{ id: 'a', url: secretUrl }, { id: 'a', url: secretUrl }] }))).toThrow(/unique/);
    try {
      parseCalendarFeedList(JSON.stringify({ feeds: [{ id: 'a', url: secretUrl, pattern: '[' }] }));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/feeds\.0\.pattern/);
      expect((error as Error).message).not.toContain('very-secret-token');
    }
  });
});
