/**
 * Faults: the rates the issue names, and the targeted faults that show each window where a failure
 * after SES accepted a message can still produce a second email.
 */
import type { FaultRule, SdkCall } from '../../../infra/local/faults.ts';
import { SessionCompleted } from '../../../shared/events/contracts.ts';
import { allMail, putOnBus, snapshot, type ReliabilityStack } from './harness.ts';
import type { Figure } from './report.ts';

/** Where a call sends mail to. */
export function recipients(call: SdkCall): string[] {
  return (call.input['Destination'] as { ToAddresses?: string[] } | undefined)?.ToAddresses ?? [];
}

/**
 * SES: 20 % of calls fail — 15 % throttled (`TooManyRequestsException` or `Throttling`), 5 %
 * transient (500, 503 or a reset connection); DynamoDB: 5 % throttled (`ThrottlingException` or
 * `ProvisionedThroughputExceededException`). Addresses starting with `reject-` are refused for good
 * (`MessageRejected`), so their sessions can only end in the dead-letter queue.
 */
export const ISSUE_FAULTS: FaultRule[] = [
  { service: 'ses', kind: 'reject', rate: 1, match: (call) => recipients(call).some((to) => to.startsWith('reject-')) },
  { service: 'ses', kind: 'throttle', rate: 0.15 },
  { service: 'ses', kind: 'transient', rate: 0.05 },
  { service: 'dynamodb', kind: 'throttle', rate: 0.05 },
];

const HOUR = 3_600_000;

function sessionCompleted(prefix: string, index: number, endedAt: Date) {
  const clientId = `${prefix}-c${index}`;
  return {
    sessionId: `${clientId}-s1`,
    clientId,
    therapistId: `t-${clientId}`,
    endedAt: endedAt.toISOString(),
    client: { email: `${clientId}@example.com`, firstName: 'Sam', locale: 'en' },
    therapist: { email: `t-${clientId}@practice.example`, name: 'Dr. Reyes' },
  };
}

async function send(harness: ReliabilityStack, details: readonly object[]): Promise<void> {
  await putOnBus(
    harness.events,
    details.map((detail) => ({ Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) })),
  );
  await harness.stack.waitForIdle(120_000);
}

async function mailCount(harness: ReliabilityStack, address: string): Promise<number> {
  return (await allMail(harness.stack)).filter((mail) => mail.destination.to.includes(address)).length;
}

/**
 * The windows, each shown with targeted faults on `count` sessions (random faults off):
 * - SES's reply lost after it accepted (timeout, reset): the SDK sends again at once;
 * - the write that marks the email sent (its form token) fails for good after SES accepted: a
 *   delivery after the claim's lease (60 s) takes the session over and sends again, and both links
 *   work (locally, a retry inside the lease finds the claim and stops; in AWS the retry comes after
 *   the 180 s visibility timeout); a throttling burst on that write is ridden out by the store's
 *   extra rounds (after-send.ts);
 * - FeedbackRequested fails to publish after the token write: the retry must announce it again, or
 *   the session never gets its reminder and expiry.
 */
export async function runWindowScenarios(harness: ReliabilityStack, options: { count: number; item: string; prefix: string }): Promise<Figure[]> {
  const { count, item, prefix } = options;
  const figures: Figure[] = [];
  const now = () => harness.clock.now();

  // 1. SES accepted, its reply was lost.
  const lost = Array.from({ length: count }, (_, index) => sessionCompleted(`${prefix}-lost`, index, new Date(now().getTime() - HOUR)));
  // One lost reply per session (one rule each): a shared limit of `count` let the SDK's immediate
  // retry of the first session take the second loss under load (3 emails there, 1 in the other).
  harness.faults.setRules(lost.map((detail) => ({ service: 'ses' as const, kind: 'lost-response' as const, rate: 1, limit: 1, match: (call: Parameters<typeof recipients>[0]) => recipients(call).includes(detail.client.email) })));
  await send(harness, lost);
  const lostCounts = await Promise.all(lost.map((detail) => mailCount(harness, detail.client.email)));
  figures.push({
    item,
    check: 'window: SES reply lost after it accepted (documented)',
    figure: `${count} replies lost → emails per session ${summarise(lostCounts)} (the SDK retried SendEmail: SES has no idempotency key)`,
    pass: lostCounts.every((value) => value === 2),
  });

  // 2. SES accepted, then the write that marks the email sent (the form token) failed.
  const marked = Array.from({ length: count }, (_, index) => sessionCompleted(`${prefix}-mark`, index, new Date(now().getTime() - HOUR)));
  const markedIds = new Set(marked.map((detail) => detail.sessionId));
  harness.faults.setRules([
    {
      service: 'dynamodb',
      kind: 'reject',
      rate: 1,
      limit: count,
      operations: ['PutItem'],
      match: (call) => isFormTokenPut(call, markedIds),
    },
  ]);
  await send(harness, marked);
  const afterFailure = await Promise.all(marked.map((detail) => mailCount(harness, detail.client.email)));
  const statusAfterFailure = await sessionStatuses(harness, marked.map((detail) => detail.sessionId));
  harness.faults.setRules([]);
  harness.clock.advance(61_000);
  await send(harness, marked);
  const afterRedelivery = await Promise.all(marked.map((detail) => mailCount(harness, detail.client.email)));
  const statusAfterRedelivery = await sessionStatuses(harness, marked.map((detail) => detail.sessionId));
  const tokensAfterRedelivery = await tokenCounts(harness, marked.map((detail) => detail.sessionId));
  figures.push({
    item,
    check: 'window: mark after SES accepted failed (documented)',
    figure:
      `${count} token writes failed → emails ${summarise(afterFailure)}, sessions ${summarise(statusAfterFailure)}; ` +
      `redelivered after the 60 s lease → emails ${summarise(afterRedelivery)}, sessions ${summarise(statusAfterRedelivery)}, working links ${summarise(tokensAfterRedelivery)}`,
    pass:
      afterFailure.every((value) => value === 1) &&
      afterRedelivery.every((value) => value === 2) &&
      statusAfterRedelivery.every((status) => status === 'requested') &&
      tokensAfterRedelivery.every((value) => value === 2),
  });

  // 2b. The same write throttled for longer than the SDK's own retries: the store tries again (after-send.ts).
  const burst = Array.from({ length: count }, (_, index) => sessionCompleted(`${prefix}-burst`, index, new Date(now().getTime() - HOUR)));
  const burstIds = new Set(burst.map((detail) => detail.sessionId));
  const throttledSoFar = new Map<string, number>();
  harness.faults.setRules([
    {
      service: 'dynamodb',
      kind: 'throttle',
      rate: 1,
      operations: ['PutItem'],
      // The first four attempts of each token write: the SDK's three, and the first of the store's next round.
      match: (call) => {
        if (!isFormTokenPut(call, burstIds)) return false;
        const key = String((call.input['Item'] as any)?.sessionId?.S);
        throttledSoFar.set(key, (throttledSoFar.get(key) ?? 0) + 1);
        return throttledSoFar.get(key)! <= 4;
      },
    },
  ]);
  await send(harness, burst);
  harness.faults.setRules([]);
  const burstMail = await Promise.all(burst.map((detail) => mailCount(harness, detail.client.email)));
  const burstStatus = await sessionStatuses(harness, burst.map((detail) => detail.sessionId));
  const burstTokens = await tokenCounts(harness, burst.map((detail) => detail.sessionId));
  figures.push({
    item,
    check: 'mark after SES accepted throttled beyond the SDK retries',
    figure: `${count} token writes throttled 4× each → emails ${summarise(burstMail)}, sessions ${summarise(burstStatus)}, links ${summarise(burstTokens)}`,
    pass: burstMail.every((value) => value === 1) && burstStatus.every((status) => status === 'requested') && burstTokens.every((value) => value === 1),
  });

  // 3. Email sent and its token written, then FeedbackRequested failed to publish (EventBridge: a failed entry, which the SDK does not retry).
  const unannounced = Array.from({ length: count }, (_, index) => sessionCompleted(`${prefix}-announce`, index, new Date(now().getTime() - HOUR)));
  const unannouncedIds = new Set(unannounced.map((detail) => detail.sessionId));
  harness.faults.setRules([
    {
      service: 'eventbridge',
      kind: 'partial',
      rate: 1,
      limit: count,
      operations: ['PutEvents'],
      match: (call) =>
        ((call.input['Entries'] ?? []) as { DetailType?: string; Detail?: string }[]).some(
          (entry) => entry.DetailType === 'FeedbackRequested' && unannouncedIds.has(JSON.parse(entry.Detail ?? '{}').sessionId),
        ),
    },
  ]);
  await send(harness, unannounced);
  harness.faults.setRules([]);
  const scheduled = new Set(harness.stack.scheduler.list().map((schedule) => JSON.parse(schedule.target.input).sessionId as string));
  const withFollowUps = unannounced.filter((detail) => scheduled.has(detail.sessionId)).length;
  const unannouncedMail = await Promise.all(unannounced.map((detail) => mailCount(harness, detail.client.email)));
  figures.push({
    item,
    check: 'FeedbackRequested publish failed once',
    figure: `${count} sessions → emails ${summarise(unannouncedMail)}, with reminder and expiry scheduled ${withFollowUps} / ${count}`,
    pass: withFollowUps === count && unannouncedMail.every((value) => value === 1),
  });
  return figures;
}

/** The PutItem of a request's form token for one of `sessionIds` (written after SES accepted). */
function isFormTokenPut(call: SdkCall, sessionIds: ReadonlySet<string>): boolean {
  const stored = call.input['Item'] as Record<string, { S?: string }> | undefined;
  return stored?.['type']?.S === 'FormToken' && sessionIds.has(String(stored['sessionId']?.S));
}

/** How many form tokens (working links) each session has. */
async function tokenCounts(harness: ReliabilityStack, sessionIds: readonly string[]): Promise<number[]> {
  const table = await snapshot(harness);
  const tokens = [...table.tokens.values()];
  return sessionIds.map((sessionId) => tokens.filter((token) => token['sessionId'] === sessionId).length);
}

async function sessionStatuses(harness: ReliabilityStack, sessionIds: readonly string[]): Promise<string[]> {
  const table = await snapshot(harness);
  return sessionIds.map((sessionId) => String(table.sessions.get(sessionId)?.['status'] ?? 'none'));
}

/** `2×3` for three sessions with two each; `1×2, 2×1` when they differ. */
function summarise(values: readonly (number | string)[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(String(value), (counts.get(String(value)) ?? 0) + 1);
  return [...counts.entries()].map(([value, times]) => `${value}×${times}`).join(', ');
}
