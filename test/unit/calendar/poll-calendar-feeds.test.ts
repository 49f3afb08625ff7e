import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import type { CalendarFeed } from '../../../shared/domain/calendar/feed-list.ts';
import { calendarSessionId } from '../../../shared/domain/calendar/session-id.ts';
import type { SessionCompletedDetail } from '../../../shared/events/contracts.ts';
import { pollCalendarFeeds, type PollCalendarFeedsDeps } from '../../../shared/use-cases/poll-calendar-feeds.ts';
import type { FeedState, FeedStateStore, RosterClient } from '../../../shared/use-cases/ports.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/calendar/${name}`, import.meta.url), 'utf8');
const UID = 'weekly-c1042@practice.test';
const idOf = (instant: string) => calendarSessionId('owl', UID, instant);

class MemoryFeedState implements FeedStateStore {
  readonly states = new Map<string, FeedState>();
  async get(feedId: string) {
    return this.states.get(feedId);
  }
  async save(feedId: string, state: FeedState, readLastPollAt: string | undefined) {
    if (this.states.get(feedId)?.lastPollAt !== readLastPollAt) return false;
    this.states.set(feedId, structuredClone(state));
    return true;
  }
}

function world(options: { text?: () => string; failRead?: boolean; feed?: Partial<CalendarFeed>; roster?: RosterClient[] } = {}) {
  const published: SessionCompletedDetail[] = [];
  const state = new MemoryFeedState();
  const clock = new ManualClock(new Date('2026-10-05T15:00:00Z'));
  const feed: CalendarFeed = { id: 'owl', url: 'https://feeds.example/secret-token.ics', ...options.feed };
  const roster = options.roster ?? [{ clientId: 'C-1042', email: 'c1042@client.example', firstName: 'Sam', locale: 'en', therapistId: 't-1', active: true }];
  const deps: PollCalendarFeedsDeps = {
    sources: {
      list: async () => [feed],
      read: async () => {
        if (options.failRead) throw new Error(`GET ${feed.url} failed`);
        return options.text?.() ?? fixture('weekly-session.ics');
      },
    },
    state,
    roster: { find: async (id) => roster.find((entry) => entry.clientId === id) },
    therapists: { find: async (id) => (id === 't-1' ? { therapistId: 't-1', email: 'dana@practice.example', name: 'Dana' } : undefined) },
    publisher: { publish: async (_contract, detail) => void published.push(detail as SessionCompletedDetail) },
    clock,
    maxSessionAgeHours: 168,
  };
  return { deps, published, state, clock };
}

describe('pollCalendarFeeds', () => {
  it('announces an instance that ended since the last poll, completed from the roster', async () => {
    const { deps, published } = world();
    const report = await pollCalendarFeeds(deps);
    expect(published).toEqual([
      {
        sessionId: idOf('2026-10-05T14:00:00.000Z'),
        clientId: 'C-1042',
        therapistId: 't-1',
        endedAt: '2026-10-05T14:50:00.000Z',
        client: { email: 'c1042@client.example', firstName: 'Sam', locale: 'en' },
        therapist: { email: 'dana@practice.example', name: 'Dana' },
      },
    ]);
    expect(report.feeds[0]).toMatchObject({ feedId: 'owl', status: 'polled', announced: [idOf('2026-10-05T14:00:00.000Z')] });
  });

  it('does not announce an instance that has not ended yet', async () => {
    const { deps, published, clock } = world();
    clock.set(new Date('2026-10-05T14:49:59Z'));
    await pollCalendarFeeds(deps);
    expect(published).toEqual([]);
  });

  it('never announces the same instance twice, over later polls', async () => {
    const { deps, published, clock } = world();
    await pollCalendarFeeds(deps);
    clock.advance(15 * 60_000);
    await pollCalendarFeeds(deps);
    clock.set(new Date('2026-10-13T00:00:00Z'));
    await pollCalendarFeeds(deps);
    expect(published.map((detail) => detail.sessionId)).toEqual([idOf('2026-10-05T14:00:00.000Z')]);
  });

  it('never announces a cancelled instance, and counts it', async () => {
    const { deps, published, clock } = world();
    await pollCalendarFeeds(deps);
    clock.set(new Date('2026-10-13T00:00:00Z'));
    const report = await pollCalendarFeeds(deps);
    expect(published).toHaveLength(1);
    expect(report.feeds[0]).toMatchObject({ announced: [], cancelled: 1 });
  });

  it('announces a moved instance once, at its new end, under its original slot', async () => {
    const { deps, published, clock } = world();
    clock.set(new Date('2026-10-26T15:00:00Z')); // after the old slot's end: nothing there any more
    await pollCalendarFeeds(deps);
    expect(published.filter((detail) => detail.endedAt.startsWith('2026-10-2'))).toEqual([]);
    clock.set(new Date('2026-10-27T20:00:00Z'));
    await pollCalendarFeeds(deps);
    expect(published.at(-1)).toMatchObject({ sessionId: idOf('2026-10-26T14:00:00.000Z'), endedAt: '2026-10-27T19:50:00.000Z' });
  });

  it('never announces an instance that vanished from the feed before it ended', async () => {
    let text = fixture('weekly-session.ics');
    const { deps, published, clock } = world({ text: () => text });
    await pollCalendarFeeds(deps);
    // Before the 2 Nov session ends, the practice deletes the series from the calendar.
    clock.set(new Date('2026-11-02T15:30:00Z'));
    await pollCalendarFeeds(deps);
    text = fixture('mixed-events.ics');
    clock.set(new Date('2026-11-02T16:00:00Z'));
    await pollCalendarFeeds(deps);
    expect(published.map((detail) => detail.sessionId)).not.toContain(idOf('2026-11-02T15:00:00.000Z'));
  });

  it('skips and counts an event with no client reference, and one whose client is not on the roster', async () => {
    const { deps, published, clock } = world({ text: () => fixture('mixed-events.ics'), roster: [] });
    clock.set(new Date('2026-11-03T19:00:00Z'));
    const report = await pollCalendarFeeds(deps);
    expect(published).toEqual([]);
    expect(report.feeds[0]?.skipped).toEqual({
      'client-not-on-roster': [calendarSessionId('owl', 'single-c2001@practice.test', '2026-11-03T14:00:00.000Z')],
      'no-client-reference': [calendarSessionId('owl', 'admin-block@practice.test', '2026-11-03T17:00:00.000Z')],
    });
    // In the window (the week before): the cancelled single event and the cancelled series' 3 Nov instance.
    expect(report.feeds[0]).toMatchObject({ cancelled: 2, allDayEvents: 1 });
  });

  it('looks only at what ended since the last poll: a skipped instance is not retried later', async () => {
    const roster: RosterClient[] = [];
    const { deps, published, clock } = world({ roster });
    const first = await pollCalendarFeeds(deps);
    expect(first.feeds[0]?.skipped).toEqual({ 'client-not-on-roster': [idOf('2026-10-05T14:00:00.000Z')] });
    roster.push({ clientId: 'C-1042', email: 'c1042@client.example', therapistId: 't-1', active: true });
    clock.advance(15 * 60_000);
    const second = await pollCalendarFeeds(deps);
    expect(second.feeds[0]?.window).toEqual({ from: '2026-10-05T15:00:00.000Z', to: '2026-10-05T15:15:00.000Z' });
    expect(published).toEqual([]);
  });

  it("uses the feed's therapist over the roster's", async () => {
    const { deps, published } = world({ feed: { therapistId: 't-2' } });
    const report = await pollCalendarFeeds(deps);
    expect(published).toEqual([]);
    expect(report.feeds[0]?.skipped).toEqual({ 'therapist-unknown': [idOf('2026-10-05T14:00:00.000Z')] });
  });

  it('keeps the cursor of a feed that fails to load, reports it without the URL, and catches up next poll', async () => {
    const failing = world({ failRead: true });
    const report = await pollCalendarFeeds(failing.deps);
    expect(report.feeds[0]).toMatchObject({ status: 'failed', failure: 'unreadable' });
    expect(JSON.stringify(report)).not.toContain('secret-token');
    expect(failing.state.states.size).toBe(0);

    const { deps, published, clock, state } = world();
    await pollCalendarFeeds(deps);
    state.states.set('owl', { lastPollAt: '2026-10-05T15:00:00.000Z', announced: state.states.get('owl')!.announced });
    clock.set(new Date('2026-10-27T20:00:00Z'));
    await pollCalendarFeeds(deps);
    expect(published.map((detail) => detail.endedAt)).toEqual(['2026-10-05T14:50:00.000Z', '2026-10-27T19:50:00.000Z']);
  });

  it('does not announce what ended before the stale limit, even on a first poll', async () => {
    const { deps, published, clock } = world();
    clock.set(new Date('2026-11-03T00:00:00Z'));
    deps.maxSessionAgeHours = 48;
    await pollCalendarFeeds(deps);
    expect(published.map((detail) => detail.endedAt)).toEqual(['2026-11-02T15:50:00.000Z']);
  });

  it('keeps only the announced ids within the request window', async () => {
    const { deps, state, clock } = world();
    deps.maxSessionAgeHours = 48;
    await pollCalendarFeeds(deps);
    clock.set(new Date('2026-11-02T16:00:00Z'));
    await pollCalendarFeeds(deps);
    expect(state.states.get('owl')?.announced.map((entry) => entry.endedAt)).toEqual(['2026-11-02T15:50:00.000Z']);
  });

  it('keeps the cursor when publishing fails, and the next poll sends only what did not go out', async () => {
    const { deps, published, clock } = world();
    clock.set(new Date('2026-11-03T00:00:00Z'));
    const publish = deps.publisher.publish;
    let calls = 0;
    deps.publisher = { publish: async (contract, detail) => (++calls === 2 ? Promise.reject(new Error('bus down')) : publish(contract, detail)) };
    const report = await pollCalendarFeeds(deps);
    expect(report.feeds[0]).toMatchObject({ status: 'failed', failure: 'publish-failed' });
    expect(published.map((detail) => detail.endedAt)).toEqual(['2026-10-27T19:50:00.000Z']);
    deps.publisher = { publish };
    clock.advance(15 * 60_000);
    await pollCalendarFeeds(deps);
    expect(published.map((detail) => detail.endedAt)).toEqual(['2026-10-27T19:50:00.000Z', '2026-11-02T15:50:00.000Z']);
  });
});
