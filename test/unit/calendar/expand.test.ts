import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CalendarFormatError, expandFeed } from '../../../shared/domain/calendar/expand.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/calendar/${name}`, import.meta.url), 'utf8');
const AUTUMN = { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-12-31T00:00:00Z') };

describe('expandFeed', () => {
  it('expands a weekly session into its instances, without the EXDATE slot', async () => {
    const { instances } = await expandFeed(fixture('weekly-session.ics'), AUTUMN);
    expect(instances.map((instance) => instance.recurrenceInstant)).toEqual([
      '2026-10-05T14:00:00.000Z',
      '2026-10-12T14:00:00.000Z',
      // 2026-10-19 is an EXDATE
      '2026-10-26T14:00:00.000Z',
      '2026-11-02T15:00:00.000Z',
      '2026-11-09T15:00:00.000Z',
      '2026-11-16T15:00:00.000Z',
      '2026-11-23T15:00:00.000Z',
    ]);
  });

  it('keeps 10:00 New York time across the November DST change (14:00Z before, 15:00Z after)', async () => {
    const { instances } = await expandFeed(fixture('weekly-session.ics'), AUTUMN);
    const ends = instances.filter((instance) => instance.start === instance.recurrenceInstant).map((instance) => instance.end);
    expect(ends).toContain('2026-10-05T14:50:00.000Z');
    expect(ends).toContain('2026-11-02T15:50:00.000Z');
  });

  it('marks the instance an override cancelled, and only that one', async () => {
    const { instances } = await expandFeed(fixture('weekly-session.ics'), AUTUMN);
    expect(instances.filter((instance) => instance.cancelled).map((instance) => instance.recurrenceInstant)).toEqual(['2026-10-12T14:00:00.000Z']);
  });

  it('puts a moved instance at its new time, keeping its original slot as identity', async () => {
    const { instances } = await expandFeed(fixture('weekly-session.ics'), AUTUMN);
    const moved = instances.find((instance) => instance.recurrenceInstant === '2026-10-26T14:00:00.000Z');
    expect(moved).toMatchObject({ start: '2026-10-27T19:00:00.000Z', end: '2026-10-27T19:50:00.000Z', summary: 'Session [C-1042] (moved)', cancelled: false });
  });

  it('finds an instance moved to a later day, whose slot lies before the window', async () => {
    const { instances } = await expandFeed(fixture('weekly-session.ics'), { from: new Date('2026-10-27T00:00:00Z'), to: new Date('2026-10-28T00:00:00Z') });
    expect(instances.map((instance) => instance.end)).toEqual(['2026-10-27T19:50:00.000Z']);
  });

  it('finds an instance moved earlier, whose slot lies after the window', async () => {
    const movedEarlier = fixture('weekly-session.ics').replace(
      'END:VCALENDAR',
      ['BEGIN:VEVENT', 'UID:weekly-c1042@practice.test', 'RECURRENCE-ID;TZID=America/New_York:20261123T100000',
        'DTSTART;TZID=America/New_York:20261120T090000', 'DTEND;TZID=America/New_York:20261120T095000', 'SUMMARY:Session [C-1042]', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n'),
    );
    const { instances } = await expandFeed(movedEarlier, { from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-21T00:00:00Z') });
    expect(instances.map((instance) => [instance.recurrenceInstant, instance.end])).toEqual([['2026-11-23T15:00:00.000Z', '2026-11-20T14:50:00.000Z']]);
  });

  it('converts a TZID the feed does not define with the IANA zone, across the Berlin DST change', async () => {
    const { instances } = await expandFeed(fixture('berlin-dst.ics'), AUTUMN);
    expect(instances.map((instance) => instance.start)).toEqual([
      '2026-10-16T15:00:00.000Z', // 17:00 CEST
      '2026-10-23T15:00:00.000Z',
      '2026-10-30T16:00:00.000Z', // 17:00 CET after 25 Oct
      '2026-11-06T16:00:00.000Z',
    ]);
    expect(instances[0]?.end).toBe('2026-10-16T15:50:00.000Z'); // DURATION:PT50M
  });

  it('lists only instances that end inside the window (from exclusive, to inclusive)', async () => {
    const { instances } = await expandFeed(fixture('weekly-session.ics'), { from: new Date('2026-10-05T14:50:00Z'), to: new Date('2026-11-02T15:50:00Z') });
    expect(instances.map((instance) => instance.end)).toEqual(['2026-10-12T14:50:00.000Z', '2026-10-27T19:50:00.000Z', '2026-11-02T15:50:00.000Z']);
  });

  it('marks every instance of a cancelled event cancelled, counts all-day events apart', async () => {
    const { instances, allDayEvents } = await expandFeed(fixture('mixed-events.ics'), AUTUMN);
    const byUid = (uid: string) => instances.filter((instance) => instance.uid === uid);
    expect(byUid('cancelled-series-c2003@practice.test').map((instance) => instance.cancelled)).toEqual([true, true, true, true]);
    expect(byUid('cancelled-c2002@practice.test').map((instance) => instance.cancelled)).toEqual([true]);
    expect(byUid('single-c2001@practice.test').map((instance) => instance.cancelled)).toEqual([false]);
    expect(byUid('holiday@practice.test')).toEqual([]);
    expect(allDayEvents).toBe(1);
  });

  it('expands a series that began years before the window exactly (every other Monday since 2020, across DST)', async () => {
    const feed = fixture('weekly-session.ics')
      .replace('DTSTART;TZID=America/New_York:20261005T100000', 'DTSTART;TZID=America/New_York:20200106T100000')
      .replace('DTEND;TZID=America/New_York:20261005T105000', 'DTEND;TZID=America/New_York:20200106T105000')
      .replace('RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8', 'RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO');
    const window = { from: new Date('2026-10-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };
    // Every 14 days from 6 Jan 2020, as dates; 10:00 in New York is 14:00Z in EDT, 15:00Z in EST.
    const expected: string[] = [];
    for (let day = Date.UTC(2020, 0, 6); day < window.to.getTime(); day += 14 * 86_400_000) {
      const date = new Date(day).toISOString().slice(0, 10);
      const start = `${date}T${date < '2026-11-01' ? '14' : '15'}:00:00.000Z`;
      // The fixture's EXDATE (19 Oct) still removes its slot.
      if (Date.parse(start) + 50 * 60_000 > window.from.getTime() && date !== '2026-10-19') expected.push(start);
    }

    const { instances } = await expandFeed(feed, window);

    expect(instances.map((instance) => instance.recurrenceInstant)).toEqual(expected);
    expect(expected).toHaveLength(4);
  });

  it('refuses text that is not iCalendar', async () => {
    await expect(expandFeed('<html>Not found</html>', AUTUMN)).rejects.toThrow(CalendarFormatError);
  });
});
