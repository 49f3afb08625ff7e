/**
 * integrate.md's "Signed webhook" examples, run as a reader runs them — the curl + openssl script
 * in bash, the Node example with node, the Python example and Zapier's code step with python3 —
 * against a local stack on free ports, each with WEBHOOK_URL and WEBHOOK_SECRET as the section's
 * first block exports them. Each must be accepted (202) and end as one email to its client.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { waitFor } from '../../infra/local/wait.ts';
import { codeBlock, codeBlocks, readDoc } from './markdown.ts';
import { ROOT } from './render.ts';

const run = promisify(execFile);
const doc = readDoc('docs/integrate.md');
let stack: LocalStack;
let env: NodeJS.ProcessEnv;
let workDir: string;

beforeAll(async () => {
  stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, retry: { baseDelayMs: 20, maxDelayMs: 100 } });
  env = { ...process.env, ...exportedVariables() };
  mkdirSync(join(ROOT, 'test/docs/.work'), { recursive: true });
  workDir = mkdtempSync(join(ROOT, 'test/docs/.work', 'webhook-'));
}, 60_000);

afterAll(async () => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await stack?.stop();
});

/** The section's `export` lines, with this stack's URL and secret in place of the documented ones. */
function exportedVariables(): Record<string, string> {
  const script = codeBlocks(doc).find((block) => block.heading === 'Signed webhook' && block.lang === 'sh')!.code;
  const values: Record<string, string> = {};
  for (const [, name, value] of script.matchAll(/^export (\w+)=(\S+)/gm)) values[name!] = value!;
  expect(values['WEBHOOK_URL']).toBe('http://127.0.0.1:3000/hooks/v1/sessions');
  expect(Object.keys(values).sort()).toEqual(['WEBHOOK_SECRET', 'WEBHOOK_URL']);
  return { WEBHOOK_URL: values['WEBHOOK_URL']!.replace(':3000', `:${stack.ports.web}`), WEBHOOK_SECRET: stack.webhook.secret };
}

async function mailTo(address: string): Promise<unknown[]> {
  const { emails } = (await (await fetch(stack.endpoints.mailStore)).json()) as { emails: { destination: { to: string[] } }[] };
  return emails.filter((mail) => mail.destination.to.includes(address));
}

/** The client address an example's body names. */
function clientOf(code: string): string {
  return /"?email"?\s*:\s*["']([a-z]+@example\.com)/.exec(code)![1]!;
}

async function expectOneEmail(address: string): Promise<void> {
  await waitFor(async () => (await mailTo(address)).length > 0, { timeoutMs: 15_000, description: `the email to ${address}` });
  await stack.waitForIdle();
  expect(await mailTo(address)).toHaveLength(1);
}

describe('docs/integrate.md: signed webhook examples', () => {
  it('curl and openssl: accepted, one email', async () => {
    const script = codeBlock(doc, 'curl and openssl', 'sh');

    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { env, encoding: 'utf8', timeout: 30_000 });

    expect(JSON.parse(stdout)).toEqual({ message: 'Accepted.', sessionId: 'appt-88240' });
    await expectOneEmail(clientOf(script));
  }, 60_000);

  it('Node: accepted, one email', async () => {
    const code = codeBlock(doc, 'Node (built-in `crypto` and `fetch`, Node 18+)', 'js');
    const file = join(workDir, 'send-webhook.mjs');
    writeFileSync(file, code);

    const { stdout } = await run(process.execPath, [file], { env, encoding: 'utf8', timeout: 30_000 });

    expect(stdout.trim()).toBe('202 {"message":"Accepted.","sessionId":"appt-88241"}');
    await expectOneEmail(clientOf(code));
  }, 60_000);

  it('Python: accepted, one email', async () => {
    const code = codeBlock(doc, 'Python (standard library)', 'python');
    const file = join(workDir, 'send_webhook.py');
    writeFileSync(file, code);

    const { stdout } = await run('python3', [file], { env, encoding: 'utf8', timeout: 30_000 });

    expect(stdout.trim()).toBe('202 {"message":"Accepted.","sessionId":"appt-88242"}');
    await expectOneEmail(clientOf(code));
  }, 60_000);

  it('Zapier: the code step’s output, sent as the Custom Request step says, is accepted', async () => {
    const code = codeBlocks(doc).find((block) => block.heading === 'No-code automation (Zapier)' && block.lang === 'python')!.code.replace(/^ {3}/gm, '');
    const body = JSON.stringify({
      sessionId: 'appt-zap-1',
      clientId: 'c-1053',
      therapistId: 't-7',
      endedAt: new Date().toISOString(),
      client: { email: 'zap@example.com', locale: 'en' },
      therapist: { email: 'lee@practice.example' },
    });
    // Zapier hands the step its Input Data as `input_data` and sends on what it assigns to `output`.
    const harness = `import json\ninput_data = ${JSON.stringify({ secret: stack.webhook.secret, body })}\n${code}\nprint(json.dumps(output))\n`;
    const file = join(workDir, 'zapier_step.py');
    writeFileSync(file, harness);
    const { stdout } = await run('python3', [file], { env, encoding: 'utf8', timeout: 30_000 });
    const output = JSON.parse(stdout) as Record<string, string>;

    const response = await fetch(env['WEBHOOK_URL']!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': output['webhook_id']!, 'webhook-timestamp': output['webhook_timestamp']!, 'webhook-signature': output['webhook_signature']! },
      body: output['body']!,
    });

    expect(response.status).toBe(202);
    await expectOneEmail('zap@example.com');
  }, 60_000);
});
