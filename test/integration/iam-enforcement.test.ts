/**
 * IAM on the local stack: every function's SDK calls are checked against its policy, so a grant the
 * code needs but the policy lacks fails here as it would in AWS (issue 11: the alert function's
 * Query, missing from its role, dead-lettered every alert after deployment).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyDocumentJson } from '../../infra/policy-document.ts';
import { accessStatements, FUNCTION_ACCESS } from '../../infra/function-access.ts';
import { localAccessResources, localSenderAddress } from '../../infra/local/functions.ts';
import { LOCAL_ACCOUNT_ID, startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { FUNCTIONS } from '../../infra/routes.ts';
import { DEFAULT_TABLE_NAME } from '../../shared/adapters/table.ts';
import { DEFAULT_BUS_NAME } from '../../shared/events/contracts.ts';
import type { LocalPorts } from '../../infra/local/ports.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { awaitMail, eventBridgeClient, mailedLink, mailTo, postAnswers, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';

const DAY = 86_400_000;
const previousLogLevel = process.env['POWERTOOLS_LOG_LEVEL'];
const lines: string[] = [];
let stack: LocalStack | undefined;
let events: EventBridgeClient | undefined;
let ports: LocalPorts = { dynamodb: 0, ses: 0, bus: 0, web: 0 };
const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));

/**
 * The alert function's policy as it would be derived if its declaration (infra/function-access.ts)
 * did not list its Query: the mistake the deployed stack had.
 */
function alertPolicyWithoutQuery(): PolicyDocumentJson {
  const declared = FUNCTION_ACCESS.alert;
  // The local stack's defaults: region us-east-1, table and bus named alliance-feedback.
  const resources = localAccessResources({ region: 'us-east-1', accountId: LOCAL_ACCOUNT_ID, tableName: DEFAULT_TABLE_NAME, busName: DEFAULT_BUS_NAME }, localSenderAddress());
  return { Version: '2012-10-17', Statement: accessStatements({ ...declared, table: { ...declared.table, query: [] } }, resources, FUNCTIONS.alert.id) };
}

/** Every function's own policy, except the alert's, which lacks its Query. */
const alertCannotQuery = (functionId: string, defaults: (functionId: string) => PolicyDocumentJson | undefined) =>
  functionId === FUNCTIONS.alert.id ? alertPolicyWithoutQuery() : defaults(functionId);

/** (Re)starts the stack on the same ports: a process loads each function once, with one environment. */
async function start(options: Parameters<typeof startLocalStack>[0] = {}): Promise<LocalStack> {
  events?.destroy();
  await stack?.stop();
  lines.length = 0;
  stack = await startLocalStack({ ports, clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000, write: (line) => lines.push(line), ...options });
  ports = stack.ports;
  events = eventBridgeClient(stack);
  return stack;
}

/** A client's two sessions, each answered from the mailed link; in the second they ask to talk. */
async function sessionsEndingInATalkRequest(running: LocalStack): Promise<{ clientId: string; sessionIds: string[]; therapist: string }> {
  const base = sessionDetail(clock.now());
  const therapist = `t-${base.clientId}@practice.example`;
  // Its own therapist (registered on first sight at practice.example), under an id that is not the client's.
  const therapistId = `t-${Date.now().toString(36)}`;
  const sessionIds: string[] = [];
  for (const [index, talk] of [false, true].entries()) {
    const sessionId = `${base.clientId}-s${index + 1}`;
    sessionIds.push(sessionId);
    await sendSession(events!, { ...base, sessionId, endedAt: new Date(clock.now().getTime() - 3_600_000).toISOString(), therapistId, therapist: { email: therapist, name: 'Dr. Lee' } });
    const mail = await awaitMail(running, base.client.email, { nth: index + 1, description: `feedback email ${index + 1}` });
    await postAnswers(running, mailedLink(mail, 'f'), { relationship: 9, goals: 9, approach: 9, overall: 9, ...(talk ? { talk: 'yes' } : {}) });
    clock.advance(DAY);
  }
  return { clientId: base.clientId, sessionIds, therapist };
}

beforeAll(() => {
  // The stack's own lines are the subject here; the functions' JSON logs would only add noise.
  process.env['POWERTOOLS_LOG_LEVEL'] = 'SILENT';
});

afterAll(async () => {
  events?.destroy();
  await stack?.stop();
  if (previousLogLevel === undefined) delete process.env['POWERTOOLS_LOG_LEVEL'];
  else process.env['POWERTOOLS_LOG_LEVEL'] = previousLogLevel;
});

describe('IAM enforced on the local stack', () => {
  it('lets the whole loop run on the functions’ policies: request, form, evaluation, alert, with no call denied', async () => {
    const running = await start();

    const client = await sessionsEndingInATalkRequest(running);

    expect(running.iamDenials()).toEqual([]);
    expect(await mailTo(running, client.therapist)).toHaveLength(1);
    expect(running.iamStats()?.calls).toBeGreaterThan(10);
    expect(lines.some((line) => line.includes('IAM is enforced'))).toBe(true);
  }, 120_000);

  it('refuses the alert function’s Query when its declaration does not list it: the alert dead-letters and the console says why, without personal data', async () => {
    const running = await start({ functionPolicies: alertCannotQuery });

    const client = await sessionsEndingInATalkRequest(running);
    await waitFor(() => running.deadLetters.some((letter) => letter.route === 'alerts-to-therapists'), { description: 'the alert in its dead-letter queue', timeoutMs: 20_000 });

    expect(await mailTo(running, client.therapist)).toEqual([]);
    expect(running.iamDenials().map(({ functionId, action, resource }) => ({ functionId, action, resource }))).toContainEqual({
      functionId: 'alert',
      action: 'dynamodb:Query',
      resource: `arn:aws:dynamodb:${running.region}:000000000000:table/${running.tableName}`,
    });
    // Only the alert function was refused, and only its Query.
    expect(new Set(running.iamDenials().map(({ functionId, action }) => `${functionId} ${action}`))).toEqual(new Set(['alert dynamodb:Query']));
    // The session's Query (the alert) and, first perhaps, the therapist partition's (the release of what waited for the therapist registered on first sight).
    const denied = lines.filter((line) => line.includes('IAM denied') && line.includes('SESSION#'));
    expect(denied[0]).toMatch(/\[iam\]\s+IAM denied alert dynamodb:Query on arn:aws:dynamodb:us-east-1:000000000000:table\/alliance-feedback \(leading key SESSION#…\)$/);
    expect(lines.find((line) => line.includes('alerts-to-therapists-dlq'))).toContain('AccessDeniedException');
    for (const line of lines) {
      expect(line).not.toContain(client.clientId);
      for (const sessionId of client.sessionIds) expect(line).not.toContain(sessionId);
      expect(line).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
    }
  }, 120_000);

  it('enforces nothing with iam: false (ALLIANCE_IAM=off): the same missing Query goes unnoticed, as it did before', async () => {
    const running = await start({ iam: false, functionPolicies: alertCannotQuery });

    const client = await sessionsEndingInATalkRequest(running);

    expect(await mailTo(running, client.therapist)).toHaveLength(1);
    expect(running.iamDenials()).toEqual([]);
    expect(running.iamStats()).toBeUndefined();
    expect(lines.some((line) => line.includes('IAM is enforced'))).toBe(false);
  }, 120_000);
});
