/**
 * The README's local tour and integrate.md's examples, run the way a reader runs them: the same
 * npm scripts and snippets, as child processes, against a local stack on free ports (the test's
 * own, so a developer's `npm start` is left alone). Each test checks what the docs promise.
 */
import { execFile, spawnSync } from 'node:child_process';
import { localAlertSubject } from '../support/alert-subject.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { waitFor } from '../../infra/local/wait.ts';
import { DEFAULT_BUS_NAME, SessionCompleted } from '../../shared/events/contracts.ts';
import { codeBlock, codeBlocks, readDoc } from './markdown.ts';
import { ROOT } from './render.ts';

const run = promisify(execFile);
const DEFAULT_BUS_PORT = '4010';

interface StoredMail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

// The reader's shell: the environment before the stack put its functions' settings in it.
const shellEnv = { ...process.env };
let stack: LocalStack;
let env: NodeJS.ProcessEnv;
let workDir: string;

beforeAll(async () => {
  stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
  env = {
    ...shellEnv,
    BUS_PORT: String(stack.ports.bus),
    WEB_PORT: String(stack.ports.web),
    SES_PORT: String(stack.ports.ses),
    DYNAMODB_PORT: String(stack.ports.dynamodb),
  };
  // Inside the repository, so an example's imports resolve from its node_modules.
  workDir = join(ROOT, 'test/docs/.work');
  mkdirSync(workDir, { recursive: true });
  workDir = mkdtempSync(join(workDir, 'run-'));
}, 60_000);

afterAll(async () => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await stack?.stop();
});

/** `npm run <script> [-- args]` in the repository, with the stack's ports. */
async function npmRun(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('npm', ['run', script, ...(args.length > 0 ? ['--', ...args] : [])], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return stdout;
}

async function mailTo(address: string): Promise<StoredMail[]> {
  const { emails } = (await (await fetch(stack.endpoints.mailStore)).json()) as { emails: StoredMail[] };
  return emails.filter((mail) => mail.destination.to.includes(address));
}

function formLink(mail: StoredMail): string {
  return /http:\/\/127\.0\.0\.1:\d+\/f\/[A-Za-z0-9_-]{43}/.exec(mail.body.text ?? '')![0];
}

/** The environment integrate.md's "Testing against the local stack" sets, pointed at this stack. */
function integrateLocalEnv(): NodeJS.ProcessEnv {
  const script = codeBlock(readDoc('docs/integrate.md'), 'Testing against the local stack', 'sh');
  const local: NodeJS.ProcessEnv = { ...shellEnv };
  for (const line of script.split('\n')) {
    const exported = /^export (.+)$/.exec(line.trim());
    if (exported) for (const pair of exported[1]!.split(/\s+/)) {
      const [name, value] = pair.split('=') as [string, string];
      local[name] = value.replace(`:${DEFAULT_BUS_PORT}`, `:${stack.ports.bus}`);
    }
    const unset = /^unset (.+)$/.exec(line.trim());
    if (unset) for (const name of unset[1]!.split(/\s+/)) delete local[name];
  }
  return local;
}

describe('README: a five-minute local tour', () => {
  it('steps 1–3: npm run send-session puts one email in the mail viewer, whose link opens and takes the form', async () => {
    const output = await npmRun('send-session');

    expect(output).toMatch(/SessionCompleted s-\d{14}-[0-9a-f]{6} accepted by the bus/);
    expect(output).toMatch(/Email sent for session s-/);
    const [mail] = await waitFor(async () => {
      const mails = await mailTo('ana@example.com');
      return mails.length > 0 && mails;
    }, { timeoutMs: 15_000, description: 'the feedback email' });
    expect(mail!.subject).toBe('A quick question from Your practice');
    const link = formLink(mail!);
    expect(link.startsWith(`${stack.endpoints.web}/f/`)).toBe(true);
    // The link's token is written just after SES accepted the email: let the request function finish.
    await stack.waitForIdle();
    expect((await fetch(link)).status).toBe(200);
    const posted = await fetch(link, {
      method: 'POST',
      body: new URLSearchParams({ relationship: '9', goals: '9', approach: '8', overall: '9' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(posted.status).toBe(303);

    // "Sending another session for c-1042 straight away does not help either."
    await npmRun('send-session', '--session', 's-straight-away');
    await stack.waitForIdle();
    expect(await mailTo('ana@example.com')).toHaveLength(1);
  }, 60_000);

  it('step 4: npm run tour ends with one alert to the therapist, with the numbers the README quotes', async () => {
    const output = await npmRun('tour');

    const clientId = /Client (c-tour-[0-9a-f]+)/.exec(output)![1]!;
    expect(output).toContain(`Subject:  ${localAlertSubject('rupture', clientId)}`);
    expect(output).toContain(stack.endpoints.mailViewer);
    const alerts = (await mailTo('lee@practice.example')).filter((mail) => mail.subject === localAlertSubject('rupture', clientId));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.body.text).toContain('Total 26 of 40 against a usual 38.4');
    expect(alerts[0]!.body.text).toContain("'Goals' 5 of 10 against a usual 9.4");
    expect(await mailTo(`${clientId}@example.com`)).toHaveLength(6);
  }, 60_000);

  it('step 5: npm run simulate-bounce blocks c-1042 and tells the administrator; deploy.md’s alliance clients unblock lifts the block', async () => {
    await npmRun('simulate-bounce');
    await waitFor(async () => (await mailTo('admin@practice.example')).some((mail) => mail.subject === 'Feedback emails stopped for client c-1042'), {
      timeoutMs: 15_000,
      description: 'the notice',
    });
    const thirteenHoursAgo = new Date(Date.now() - 13 * 3_600_000).toISOString();
    await npmRun('send-session', '--session', 's-while-blocked', '--ended-at', thirteenHoursAgo);
    await stack.waitForIdle();
    expect(await mailTo('ana@example.com')).toHaveLength(1);

    // deploy.md, Deliverability: the same command, without --table and --region (the local stack, as the guide says).
    const command = codeBlocks(readDoc('docs/deploy.md'))
      .find((block) => block.heading === 'Deliverability' && block.code.includes('alliance clients unblock'))!
      .code.trim()
      .replace(/ --table \S+ --region \S+$/, '');
    const [npx, ...args] = command.split(/\s+/);
    const { stdout } = await run(npx!, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(stdout).toContain('Lifted undeliverable for client c-1042');
    await npmRun('send-session', '--session', 's-after-clearing', '--ended-at', thirteenHoursAgo);

    await waitFor(async () => (await mailTo('ana@example.com')).length === 2, { timeoutMs: 15_000, description: 'an email after clearing the block' });
  }, 60_000);
});

describe('integrate.md, against the local stack', () => {
  const hasAwsCli = spawnSync('aws', ['--version']).status === 0;
  const hasBoto3 = spawnSync('python3', ['-c', 'import boto3']).status === 0;

  it.runIf(hasAwsCli)('the AWS CLI example emails the client', async () => {
    const script = codeBlock(readDoc('docs/integrate.md'), 'AWS CLI', 'sh');
    await run('bash', ['-e', '-c', script], { cwd: workDir, env: integrateLocalEnv() });

    await waitFor(async () => (await mailTo('ines@example.com')).length === 1, { timeoutMs: 15_000, description: 'the email from the CLI example' });
  }, 30_000);

  it('the TypeScript example emails the client', async () => {
    const file = join(workDir, 'send-session.ts');
    writeFileSync(file, codeBlock(readDoc('docs/integrate.md'), 'TypeScript (`@aws-sdk/client-eventbridge`)', 'ts'));
    const { stdout } = await run(resolve(ROOT, 'node_modules/.bin/tsx'), [file], { cwd: workDir, env: integrateLocalEnv() });

    expect(stdout).toContain('SessionCompleted appt-88231 accepted');
    await waitFor(async () => (await mailTo('sam@example.com')).length === 1, { timeoutMs: 15_000, description: 'the email from the TypeScript example' });
  }, 30_000);

  it.runIf(hasBoto3)('the Python example emails the client, in Spanish', async () => {
    const file = join(workDir, 'send_session.py');
    writeFileSync(file, codeBlock(readDoc('docs/integrate.md'), 'Python (boto3)', 'python'));
    const { stdout } = await run('python3', [file], { cwd: workDir, env: integrateLocalEnv() });

    expect(stdout).toContain('SessionCompleted appt-88232 accepted');
    const [mail] = await waitFor(async () => {
      const mails = await mailTo('maria@example.com');
      return mails.length === 1 && mails;
    }, { timeoutMs: 15_000, description: 'the email from the Python example' });
    expect(mail!.subject).toBe('Una pregunta rápida de Your practice');
  }, 30_000);

  it('lists a rejected event at /dead-letters with the field at fault', async () => {
    const events = new EventBridgeClient({ endpoint: stack.endpoints.bus, region: stack.region, credentials: LOCAL_CREDENTIALS });
    const detail = { sessionId: 'appt-broken', clientId: 'c-1045', therapistId: 't-7', client: { email: 'x@example.com' }, therapist: { email: 'lee@practice.example' } };
    await events.send(new PutEventsCommand({ Entries: [{ EventBusName: DEFAULT_BUS_NAME, Source: 'com.your-ehr', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }] }));
    events.destroy();

    const parked = await waitFor(async () => {
      const { deadLetters } = (await (await fetch(stack.endpoints.deadLetters)).json()) as { deadLetters: { reason: string; source?: string }[] };
      return deadLetters.find((letter) => letter.source === 'com.your-ehr');
    }, { timeoutMs: 15_000, description: 'the dead letter' });
    expect(parked.reason).toContain('endedAt');
    expect(JSON.stringify(parked)).not.toContain('x@example.com');
  }, 30_000);
});
