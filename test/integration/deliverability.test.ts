/**
 * Bounces and complaints on the local stack: the event SES would publish on the default bus blocks
 * the client's address, and the administrator gets a notice naming the client by id only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { mailTo, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const run = promisify(execFile);
const local = useLocalStack({ retry: { baseDelayMs: 20, maxDelayMs: 100 } });

it('stops emailing a client whose address bounced, and tells the administrator', async () => {
  const first = sessionDetail(new Date(Date.now() - 20 * 3_600_000));
  await sendSession(local.events, first);
  await waitFor(async () => (await mailTo(local.stack, first.client.email)).length === 1, { description: 'the first feedback email' });

  // As a user would: the npm script puts the SES-shaped event on the local default bus.
  await run('node_modules/.bin/tsx', ['infra/local/simulate-bounce.ts', '--client', first.clientId], { env: { ...process.env, BUS_PORT: String(local.stack.ports.bus) } });
  await waitFor(async () => (await mailTo(local.stack, 'admin@practice.example')).some((mail) => mail.subject.includes(first.clientId)), { description: 'the notice' });
  await local.stack.waitForIdle();

  const next = { ...first, sessionId: `${first.sessionId}-next`, endedAt: new Date().toISOString() };
  await sendSession(local.events, next);
  await local.stack.waitForIdle();

  expect(await mailTo(local.stack, first.client.email)).toHaveLength(1);
  const notice = (await mailTo(local.stack, 'admin@practice.example')).find((mail) => mail.subject.includes(first.clientId))!;
  expect(notice.subject).toBe(`Feedback emails stopped for client ${first.clientId}`);
  expect(JSON.stringify(notice)).not.toContain(first.client.email);
}, 60_000);
