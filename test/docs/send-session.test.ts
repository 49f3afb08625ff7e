/**
 * `npm run send-session` says what the stack made of the event, not only that the bus took it: the
 * email sent, a skip and its reason, a duplicate, a dead letter and its reason. Run as the README's
 * reader runs it, against a local stack on free ports.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { ROOT } from './render.ts';

const run = promisify(execFile);
const shellEnv = { ...process.env };
let stack: LocalStack;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
  env = { ...shellEnv, BUS_PORT: String(stack.ports.bus), WEB_PORT: String(stack.ports.web), SES_PORT: String(stack.ports.ses), DYNAMODB_PORT: String(stack.ports.dynamodb) };
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** `npm run send-session -- args`: its output and exit status (a failing run does not throw). */
async function sendSession(...args: string[]): Promise<{ output: string; status: number }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'send-session', '--', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    return { output: stdout + stderr, status: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { output: (failed.stdout ?? '') + (failed.stderr ?? ''), status: failed.code ?? 1 };
  }
}

const newClient = () => {
  const clientId = `c-${randomUUID().slice(0, 8)}`;
  return ['--client', clientId, '--email', `${clientId}@example.com`];
};

it('says the email was sent', async () => {
  const { output, status } = await sendSession(...newClient());

  expect(output).toMatch(/SessionCompleted s-\d{14}-[0-9a-f]{6} accepted by the bus/);
  expect(output).toMatch(/Email sent for session s-\d{14}-[0-9a-f]{6}\./);
  expect(status).toBe(0);
}, 60_000);

it('gives two runs in the same second two sessions, and says the second one is throttled', async () => {
  const client = newClient();
  const runs = await Promise.all([sendSession(...client), sendSession(...client)]);

  const ids = runs.map(({ output }) => /SessionCompleted (s-[0-9a-f-]+) accepted/.exec(output)?.[1]);
  expect(new Set(ids).size).toBe(2);
  const outcomes = runs.map(({ output }) => (output.includes('Email sent') ? 'sent' : /Skipped, no email: throttled/.test(output) ? 'throttled' : output)).sort();
  expect(outcomes).toEqual(['sent', 'throttled']);
}, 60_000);

it('says a session sent again is a duplicate', async () => {
  const client = newClient();
  const session = `s-again-${randomUUID().slice(0, 8)}`;
  await sendSession(...client, '--session', session);

  const { output, status } = await sendSession(...client, '--session', session);

  expect(output).toContain(`Duplicate, no email: session ${session} was already requested`);
  expect(status).toBe(0);
}, 60_000);

it('says the event was dead-lettered, and why', async () => {
  const { output, status } = await sendSession(...newClient(), '--ended-at', 'yesterday');

  expect(output).toMatch(/Dead-lettered, no email: .*endedAt/);
  expect(output).toContain(`${stack.endpoints.bus}/dead-letters`);
  expect(status).toBe(1);
}, 60_000);
