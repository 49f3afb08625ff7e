import { describe, expect, it } from 'vitest';
import { measureIcsParse, syntheticFeed } from '../../bench/ics/parse.ts';
import { expandFeed } from '../../shared/domain/calendar/expand.ts';

describe('the ICS benchmark', () => {
  it('builds a feed of exactly the asked number of events, with series, moved and cancelled instances', async () => {
    const feed = syntheticFeed(200);

    expect(feed.match(/^BEGIN:VEVENT/gm)).toHaveLength(200);
    expect(feed).toContain('RRULE:FREQ=WEEKLY');
    expect(feed).toContain('STATUS:CANCELLED');
    const { instances } = await expandFeed(feed, { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') });
    expect(instances.some((instance) => instance.cancelled)).toBe(true);
    expect(instances.some((instance) => instance.start !== instance.recurrenceInstant)).toBe(true);
  });

  it('measures a poll and a first poll at a small scale', async () => {
    const result = await measureIcsParse({ events: 200, runs: 1 });

    expect(result.firstPollInstances).toBeGreaterThan(0);
    expect(result.pollCpuMs).toBeGreaterThan(0);
    expect(result.firstPollMs).toBeGreaterThan(0);
  });
});
