/**
 * docs/integrate.md, "FHIR R4": the encounter the reader PUTs into the local FHIR stand-in (as
 * `npm start` runs it: fixtures loaded, their Practitioner registered) becomes one email on the first
 * `npx alliance fhir poll` and nothing on the second; the Subscription example is a backport
 * rest-hook Subscription aimed at the notification route with the header secret. The CLI runs in
 * this process against a local stack on free ports.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../../bin/alliance.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { FUNCTIONS, HTTP_ROUTES } from '../../infra/routes.ts';
import { mailTo } from '../integration/support/local-stack.ts';
import { codeBlock, readDoc } from './markdown.ts';

const doc = readDoc('docs/integrate.md');
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, quiet: true, schedulerIntervalMs: 3_600_000, fhir: { port: 0, fixtures: 'rebase', registerFixtureTherapists: true } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function poll(): Promise<string> {
  let output = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((output += String(chunk)), true));
  try {
    const status = await main(['fhir', 'poll', '--base-url', stack.fhir!.baseUrl, '--endpoint', stack.endpoints.dynamodb, '--bus-endpoint', stack.endpoints.bus]);
    expect(status, output).toBe(0);
  } finally {
    write.mockRestore();
  }
  await stack.waitForIdle();
  return output;
}

it('has a copy-paste encounter that emails its patient once, in Spanish, and nothing on the second poll', async () => {
  const script = codeBlock(doc, 'Trying it on your machine', 'sh');
  expect(script).toContain('BASE=http://127.0.0.1:4020/fhir/r4');
  expect(script.match(/^npx alliance fhir poll\b/gm)).toHaveLength(2);
  // The JSON the curl PUTs, with the shell's end time filled in as `date` would.
  const body = /-d '(\{[\s\S]*?\})'\n/.exec(script)![1]!.replace(`'"$END"'`, new Date(Date.now() - 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
  const encounter = JSON.parse(body) as { id: string };
  const put = await fetch(`${stack.fhir!.baseUrl}/Encounter/${encounter.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body });
  expect(put.status).toBe(201);

  // The fixture encounter (ended 30 minutes before the start) and the reader's.
  expect(await poll()).toMatch(/^FHIR source default: 2 announced/m);
  const mails = await mailTo(stack, 'c2077@client.example');
  expect(mails).toHaveLength(1);
  expect(mails[0]!.subject).toMatch(/^Una pregunta/);
  expect(await poll()).toMatch(/^FHIR source default: 0 announced, 2 already announced/m);
  expect(await mailTo(stack, 'c2077@client.example')).toHaveLength(1);
});

it('shows a backport rest-hook Subscription aimed at the notification route, with the header secret', () => {
  const subscription = JSON.parse(codeBlock(doc, 'Subscription mode', 'json')) as { channel: { type: string; endpoint: string; header: string[] } };
  const route = HTTP_ROUTES.find((candidate) => candidate.target === FUNCTIONS.fhir)!;

  expect(subscription.channel.type).toBe('rest-hook');
  expect(subscription.channel.endpoint.endsWith(route.path.slice(1))).toBe(true);
  expect(subscription.channel.header).toEqual(['Authorization: Bearer <notification secret>']);
});
