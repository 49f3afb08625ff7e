import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { EventBridgeScheduler } from '../../../shared/adapters/eventbridge-scheduler.ts';
import { FeedbackExpiryTimeReached, FeedbackReminderTimeReached } from '../../../shared/events/contracts.ts';
import { LocalScheduler, parseAtExpression } from '../../../infra/local/scheduler.ts';
import { FakePublisher } from '../../support/fakes.ts';

const START = new Date('2026-11-25T21:00:00Z');
const HOUR = 3_600_000;

describe('local scheduler, driven by the real Scheduler client', () => {
  const clock = new ManualClock(START);
  const put: { EventBusName: string; Source: string; DetailType: string; Detail: string }[] = [];
  const local = new LocalScheduler(clock, async (entry) => void put.push(entry));
  let server: Server;
  let adapter: EventBridgeScheduler;
  let client: SchedulerClient;
  const direct = new FakePublisher();

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => void local.handle(request, response, body).then((handled) => handled || response.writeHead(404).end()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new SchedulerClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    adapter = new EventBridgeScheduler(
      { groupName: 'follow-ups', busArn: 'arn:aws:events:us-east-1:000000000000:event-bus/alliance-feedback', roleArn: 'arn:aws:iam::000000000000:role/scheduler', deadLetterQueueArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
      direct,
      () => clock.now(),
      client,
    );
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('parses only UTC at() expressions', () => {
    expect(parseAtExpression('at(2026-11-27T21:00:00)')).toEqual(new Date('2026-11-27T21:00:00Z'));
    expect(parseAtExpression('rate(5 minutes)')).toBeUndefined();
    expect(parseAtExpression('at(2026-11-27T21:00:00)', 'Europe/Madrid')).toBeUndefined();
  });

  it('fires a schedule when the clock reaches it, once, and deletes it', async () => {
    await adapter.scheduleOnce({ name: 'reminder-a', at: new Date(START.getTime() + 48 * HOUR), contract: FeedbackReminderTimeReached, detail: { sessionId: 's-1' } });

    clock.advance(47 * HOUR);
    expect(await local.fireDue()).toBe(0);
    clock.advance(HOUR);
    expect(await local.fireDue()).toBe(1);
    expect(await local.fireDue()).toBe(0);

    expect(put).toEqual([
      { EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/alliance-feedback', Source: 'alliance-feedback', DetailType: 'FeedbackReminderTimeReached', Detail: '{"sessionId":"s-1"}' },
    ]);
    expect(local.list()).toEqual([]);
  });

  it('treats a second schedule of the same name as already there', async () => {
    const schedule = { name: 'expiry-b', at: new Date(clock.now().getTime() + 24 * HOUR), contract: FeedbackExpiryTimeReached, detail: { sessionId: 's-2' } };
    await adapter.scheduleOnce(schedule);
    await adapter.scheduleOnce(schedule);

    expect(local.list().map((s) => s.name)).toEqual(['expiry-b']);
  });

  it('publishes at once instead of scheduling what is already due', async () => {
    await adapter.scheduleOnce({ name: 'expiry-c', at: new Date(clock.now().getTime() - 1000), contract: FeedbackExpiryTimeReached, detail: { sessionId: 's-3' } });

    expect(direct.published).toEqual([{ detailType: 'FeedbackExpiryTimeReached', detail: { sessionId: 's-3' } }]);
    expect(local.list().map((s) => s.name)).not.toContain('expiry-c');
  });

  it('schedules a follow-up due in under a minute instead of publishing it ahead of its time', async () => {
    const due = new Date(clock.now().getTime() + 1_800);
    direct.published.length = 0;

    await adapter.scheduleOnce({ name: 'expiry-soon', at: due, contract: FeedbackExpiryTimeReached, detail: { sessionId: 's-6' } });

    expect(direct.published).toEqual([]);
    expect(local.list().map((s) => s.name)).toContain('expiry-soon');
  });

  it('never fires a schedule before its due instant, milliseconds included', async () => {
    const due = new Date(Math.floor(clock.now().getTime() / 1000) * 1000 + 10 * HOUR + 400);
    await adapter.scheduleOnce({ name: 'expiry-ms', at: due, contract: FeedbackExpiryTimeReached, detail: { sessionId: 's-7' } });
    put.length = 0;

    // The whole second the due instant falls in: a schedule without its milliseconds fired here.
    clock.set(new Date(due.getTime() - 400));
    await local.fireDue();
    expect(put.map((entry) => entry.Detail)).not.toContain('{"sessionId":"s-7"}');

    clock.set(new Date(due.getTime() + 600));
    await local.fireDue();
    expect(put.map((entry) => entry.Detail)).toContain('{"sessionId":"s-7"}');
  });

  it('deletes a schedule before it fires, and treats deleting a missing one as done', async () => {
    await adapter.scheduleOnce({ name: 'reminder-d', at: new Date(clock.now().getTime() + 48 * HOUR), contract: FeedbackReminderTimeReached, detail: { sessionId: 's-4' } });
    put.length = 0;

    await adapter.deleteSchedule('reminder-d');
    await adapter.deleteSchedule('reminder-d');
    await adapter.deleteSchedule('never-made');
    clock.advance(49 * HOUR);

    expect(local.list().map((s) => s.name)).not.toContain('reminder-d');
    await local.fireDue();
    expect(put.map((entry) => entry.Detail)).not.toContain('{"sessionId":"s-4"}');
  });

  it('deletes only in the adapter’s own group', async () => {
    await adapter.scheduleOnce({ name: 'expiry-e', at: new Date(clock.now().getTime() + 24 * HOUR), contract: FeedbackExpiryTimeReached, detail: { sessionId: 's-5' } });
    const other = new EventBridgeScheduler({ groupName: 'other', busArn: 'arn:x', roleArn: 'arn:y', deadLetterQueueArn: 'arn:z' }, direct, () => clock.now(), client);

    await other.deleteSchedule('expiry-e');

    expect(local.list().map((s) => s.name)).toContain('expiry-e');
  });
});
