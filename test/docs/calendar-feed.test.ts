/**
 * docs/integrate.md, "Calendar feed": the secret's JSON is what the poller reads, and the feed the
 * reader copies and polls with `npx alliance feeds poll` emails the client once per ended instance
 * and never for the cancelled one. The CLI runs in this process against a local stack on free
 * ports, with a ManualClock (the example's cancelled instance has a date); the client is on the
 * stack's roster and the therapist in its directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../../bin/alliance.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbClientRoster } from '../../shared/adapters/dynamodb-client-roster.ts';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import { parseCalendarFeedList } from '../../shared/domain/calendar/feed-list.ts';
import { documentClient, mailTo } from '../integration/support/local-stack.ts';
import { codeBlock, readDoc } from './markdown.ts';

const doc = readDoc('docs/integrate.md');
const CLIENT = 'c1042@client.example';
// Thursday 3 December 2026: Monday 30 November's session is the last one that ended.
const clock = new ManualClock(new Date('2026-12-03T12:00:00Z'));
let stack: LocalStack;
let dir: string;

beforeAll(async () => {
  stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, clock, schedulerIntervalMs: 3_600_000 });
  const table = documentClient(stack);
  await new DynamoDbClientRoster(stack.tableName, table).put([{ clientId: 'C-1042', email: CLIENT, locale: 'en', therapistId: 't-1', active: true, importedAt: clock.now().toISOString() }]);
  await new DynamoDbTherapistDirectory(stack.tableName, table).save({ therapistId: 't-1', email: 'dana@practice.example' }, clock.now().toISOString());
  table.destroy();
  dir = mkdtempSync(join(tmpdir(), 'alliance-docs-feed-'));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `npx alliance feeds poll` as the example runs it, pointed at this test's stack; its output. */
async function poll(feeds: string): Promise<string> {
  let output = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((output += String(chunk)), true));
  try {
    const status = await main(['feeds', 'poll', '--feeds', feeds, '--endpoint', stack.endpoints.dynamodb, '--bus-endpoint', stack.endpoints.bus]);
    expect(status, output).toBe(0);
  } finally {
    write.mockRestore();
  }
  await stack.waitForIdle();
  return output;
}

it('shows a feed list the poller reads', () => {
  const list = parseCalendarFeedList(codeBlock(doc, 'Setting the feeds', 'json'));

  expect(list.feeds.map((feed) => feed.id)).toEqual(['owl', 'dana']);
});

it('has a copy-paste feed that emails once per ended session and never for the cancelled one', async () => {
  const script = codeBlock(doc, 'Trying a feed on your machine', 'sh');
  expect(script).toContain('npx alliance feeds poll --feeds owl=./calendar.ics');
  execFileSync('bash', ['-c', script.slice(0, script.indexOf('\nEOF') + 4)], { cwd: dir });
  const feeds = `owl=${join(dir, 'calendar.ics')}`;

  expect(await poll(feeds)).toMatch(/^feed owl: 1 announced/m);
  expect(await mailTo(stack, CLIENT)).toHaveLength(1);

  // Monday 7 December, after the cancelled session's end; then the same poll again.
  clock.set(new Date('2026-12-07T18:00:00Z'));
  expect(await poll(feeds)).toMatch(/^feed owl: 0 announced, 1 cancelled/m);
  expect(await poll(feeds)).toMatch(/^feed owl: 0 announced/m);
  expect(await mailTo(stack, CLIENT)).toHaveLength(1);
});
