import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebApp, type WebLogger } from '../../../functions/web/app.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import { FakeAlertStore } from '../../support/fakes.ts';
import { FakeFeedbackStore, httpEvent, RecordingPublisher } from './support/fake-feedback-store.ts';

type Response = APIGatewayProxyStructuredResultV2 & { headers: Record<string, string>; body: string };

const NOW = new Date('2026-11-25T21:00:00Z');
const DAY = 86_400_000;
let alerts: FakeAlertStore;
let publisher: RecordingPublisher;
let clock: ManualClock;
let app: ReturnType<typeof createWebApp>;
let deps: Parameters<typeof createWebApp>[0];

beforeEach(() => {
  alerts = new FakeAlertStore();
  alerts.links.set('hash-of-ack-1', { sessionId: 's-6', clientId: 'c-1042', therapistId: 't-7', kind: 'rupture', sentAt: '2026-11-24T16:00:00.000Z' });
  publisher = new RecordingPublisher();
  clock = new ManualClock(NOW);
  const feedback = new FakeFeedbackStore();
  deps = {
    feedback: { store: feedback, publisher, clock, instruments: { active: DEFAULT_INSTRUMENT, find: () => DEFAULT_INSTRUMENT } },
    optOut: { store: feedback, publisher, clock },
    acknowledge: { store: alerts, publisher, clock, linkDays: 30 },
    practiceName: 'Riverside Practice',
    practiceTimeZone: 'UTC',
    logger: { info: vi.fn(), error: vi.fn() } as unknown as WebLogger,
  };
  app = createWebApp(deps);
});

const send = async (method: string, path: string) => (await app(httpEvent(method, path, method === 'POST' ? { body: '', contentType: 'application/x-www-form-urlencoded' } : {}))) as Response;

describe('the acknowledge link of an alert', () => {
  it('shows what the alert was about and a button, and changes nothing when opened', async () => {
    const pages = [await send('GET', '/a/ack-1'), await send('GET', '/a/ack-1'), await send('GET', '/a/ack-1')];

    for (const page of pages) {
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<h1>Acknowledge this alert</h1>');
      expect(page.body).toContain('client c-1042: the alliance dropped well below this client’s usual level');
      expect(page.body).toContain('<form method="post">');
    }
    expect(alerts.links.get('hash-of-ack-1')!.acknowledgedAt).toBeUndefined();
    expect(publisher.published).toEqual([]);
  });

  it('dates the alert and its acknowledgement in the therapist’s zone kept on the link, with the zone’s name', async () => {
    // Sent at 8:00 PM on Nov 24 in Los Angeles (Nov 25, 04:00 UTC); acknowledged at 1:00 PM PST on Nov 25.
    alerts.links.set('hash-of-ack-1', { ...alerts.links.get('hash-of-ack-1')!, sentAt: '2026-11-25T04:00:00.000Z', timeZone: 'America/Los_Angeles' });
    const prompt = await send('GET', '/a/ack-1');
    expect(prompt.body).toMatch(/Alert of Nov 24, 2026, 8:00\sPM PST about client c-1042/);
    const done = await send('POST', '/a/ack-1');
    expect(done.body).toMatch(/acknowledged on Nov 25, 2026, 1:00\sPM PST\./);
  });

  it('dates an older link without a zone in the practice’s zone', async () => {
    app = createWebApp({ ...deps, practiceTimeZone: 'Europe/Berlin' });
    const prompt = await send('GET', '/a/ack-1');
    expect(prompt.body).toMatch(/Alert of Nov 24, 2026, 5:00\sPM GMT\+1 about client c-1042/);
  });

  it('records the acknowledgement once and publishes AlertAcknowledged once', async () => {
    const first = await send('POST', '/a/ack-1');
    clock.advance(60_000);
    const second = await send('POST', '/a/ack-1');
    const reopened = await send('GET', '/a/ack-1');

    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Alert acknowledged');
    expect(second.body).toContain('Already acknowledged');
    expect(reopened.body).toContain('Already acknowledged');
    expect(publisher.published).toEqual([
      expect.objectContaining({ detailType: 'AlertAcknowledged', detail: { sessionId: 's-6', clientId: 'c-1042', therapistId: 't-7', kind: 'rupture', acknowledgedAt: NOW.toISOString() } }),
    ]);
  });

  it('publishes AlertAcknowledged on the next POST when the first one’s publish failed, then never again', async () => {
    publisher.failNext = 1;
    const failed = await send('POST', '/a/ack-1');
    const reopened = await send('GET', '/a/ack-1');
    clock.advance(60_000);
    const retried = await send('POST', '/a/ack-1');
    const third = await send('POST', '/a/ack-1');

    expect(failed.statusCode).toBe(503);
    // The link still offers its button: the acknowledgement is recorded but still owes its announcement.
    expect(reopened.body).toContain('<form method="post">');
    expect(retried.statusCode).toBe(200);
    expect(third.statusCode).toBe(200);
    expect(publisher.published).toEqual([
      expect.objectContaining({ detailType: 'AlertAcknowledged', detail: expect.objectContaining({ sessionId: 's-6', kind: 'rupture', acknowledgedAt: NOW.toISOString() }) }),
    ]);
    expect(alerts.links.get('hash-of-ack-1')).toMatchObject({ acknowledgedAt: NOW.toISOString(), announcedAt: new Date(NOW.getTime() + 60_000).toISOString() });
    expect((await send('GET', '/a/ack-1')).body).toContain('Already acknowledged');
  });

  it('publishes AlertAcknowledged once when the button is posted three times at once', async () => {
    const pages = await Promise.all([send('POST', '/a/ack-1'), send('POST', '/a/ack-1'), send('POST', '/a/ack-1')]);

    expect(pages.map((page) => page.statusCode)).toEqual([200, 200, 200]);
    expect(publisher.published).toHaveLength(1);
  });

  it('answers an unknown link with a 404 page', async () => {
    const response = await send('GET', '/a/nope');
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('Alert not found');
    expect((await send('POST', '/a/nope')).statusCode).toBe(404);
  });

  it('acknowledges on the last moment of its 30 days', async () => {
    clock.set(new Date(Date.parse('2026-11-24T16:00:00.000Z') + 30 * DAY - 1));
    expect((await send('POST', '/a/ack-1')).statusCode).toBe(200);
    expect(alerts.links.get('hash-of-ack-1')!.acknowledgedAt).toBeDefined();
  });

  it('acknowledges nothing once the link is 30 days old: a clear 410 page, nothing written or announced', async () => {
    clock.set(new Date(Date.parse('2026-11-24T16:00:00.000Z') + 30 * DAY));

    const page = await send('GET', '/a/ack-1');
    const posted = await send('POST', '/a/ack-1');

    for (const response of [page, posted]) {
      expect(response.statusCode).toBe(410);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('<h1>This acknowledge link has expired</h1>');
      expect(response.body).toContain('work for 30 days');
      expect(response.body).not.toContain('c-1042');
      expect(response.body).not.toContain('<form');
    }
    expect(alerts.links.get('hash-of-ack-1')!.acknowledgedAt).toBeUndefined();
    expect(publisher.published).toEqual([]);
  });

  it('follows the practice’s setting for the link’s life', async () => {
    app = createWebApp({ ...deps, acknowledge: { ...deps.acknowledge, linkDays: 2 } });
    clock.set(new Date(Date.parse('2026-11-24T16:00:00.000Z') + 2 * DAY));
    expect((await send('POST', '/a/ack-1')).statusCode).toBe(410);
    expect(publisher.published).toEqual([]);
  });

  it('still says when it was acknowledged after it expired, and changes nothing', async () => {
    await send('POST', '/a/ack-1');
    clock.set(new Date(Date.parse('2026-11-24T16:00:00.000Z') + 90 * DAY));

    const page = await send('GET', '/a/ack-1');
    const posted = await send('POST', '/a/ack-1');

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Already acknowledged');
    expect(posted.body).toContain('Already acknowledged');
    expect(alerts.links.get('hash-of-ack-1')!.acknowledgedAt).toBe(NOW.toISOString());
    expect(publisher.published).toHaveLength(1);
  });

  it('refuses other methods', async () => {
    expect((await send('PUT', '/a/ack-1')).statusCode).toBe(405);
  });
});
