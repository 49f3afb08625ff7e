/**
 * The bus is a trust boundary (issue 12): a caller from outside the stack is the practice's EHR
 * integration, held to the integration policy and the bus's policy, so it cannot speak for the
 * product. Tried as the attacker did, with exactly the permission an integration has:
 * forged product events are refused at the bus with a failed entry, and nothing downstream runs.
 */
import { EventBridgeClient, type PutEventsResponse } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { LOCAL_ADMINISTRATOR_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DEFAULT_BUS_NAME, INBOUND_SOURCE, PRODUCT_SOURCE, SessionCompleted } from '../../shared/events/contracts.ts';
import { mailbox, mailTo, putEntries, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const local = useLocalStack({ clock, iam: true, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000, timeoutMs: 60_000 });
/** Every event the bus accepted. */
const accepted = local.published;

const REFUSALS = ['AccessDeniedException', 'NotAuthorizedForSourceException', 'NotAuthorizedForDetailTypeException'];

/** A product event put by the integration, with the product's source. */
async function forge(detailType: string, detail: Record<string, unknown>): Promise<PutEventsResponse> {
  return putEntries(local.events, [{ EventBusName: DEFAULT_BUS_NAME, Source: PRODUCT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }]);
}

function expectRefused(result: PutEventsResponse): void {
  expect(result.FailedEntryCount).toBe(1);
  expect(result.Entries?.[0]?.EventId).toBeUndefined();
  expect(REFUSALS).toContain(result.Entries?.[0]?.ErrorCode);
  expect(result.Entries?.[0]?.ErrorMessage).toEqual(expect.any(String));
}

describe('an outside caller putting product events', () => {
  it('is refused a forged FeedbackSubmitted, and nothing is evaluated', async () => {
    const mailBefore = (await mailbox(local.stack)).length;
    const forged = {
      sessionId: 's-forged-answer',
      clientId: 'c-victim',
      therapistId: 't-7',
      instrumentId: 'alliance-check-v1',
      items: { relationship: 0, goals: 0, approach: 0, overall: 0 },
      talk: true,
      hasComment: false,
      submittedAt: clock.now().toISOString(),
      sessionEndedAt: clock.now().toISOString(),
    };

    const result = await forge('FeedbackSubmitted', forged);
    await local.stack.waitForIdle();

    expectRefused(result);
    expect(accepted.filter((event) => event.detail['sessionId'] === forged.sessionId)).toEqual([]);
    expect(await mailbox(local.stack)).toHaveLength(mailBefore);
    expect(local.stack.iamDenials()).toContainEqual(expect.objectContaining({ functionId: 'integration', action: 'events:PutEvents', detail: expect.stringContaining('FeedbackSubmitted') }));
  });

  it('is refused a forged AllianceRuptureDetected carrying a link, and no therapist is mailed', async () => {
    const therapist = 'lee@practice.example';
    const before = (await mailTo(local.stack, therapist)).length;

    const result = await forge('AllianceRuptureDetected', {
      sessionId: 's-forged-alert',
      clientId: 'c-victim',
      therapistId: 't-7',
      kind: 'rupture',
      alsoFired: [],
      reason: 'Your account needs attention: https://phish.example/login',
      score: { p: 10, total: 4, max: 40 },
      baseline: null,
    });
    await local.stack.waitForIdle();

    expectRefused(result);
    expect(await mailTo(local.stack, therapist)).toHaveLength(before);
    expect(accepted.filter((event) => event['detail-type'] === 'AllianceRuptureDetected')).toEqual([]);
  });

  it('is refused a forged FeedbackReminderTimeReached', async () => {
    const result = await forge('FeedbackReminderTimeReached', { sessionId: 's-forged-reminder' });
    await local.stack.waitForIdle();

    expectRefused(result);
    expect(accepted.filter((event) => event['detail-type'] === 'FeedbackReminderTimeReached')).toEqual([]);
  });

  it('is refused any detail-type but SessionCompleted, from its own source too', async () => {
    const result = await putEntries(local.events, [{ EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: 'FeedbackSubmitted', Detail: '{}' }]);

    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForDetailTypeException');
  });
});

describe('an outside caller putting SessionCompleted', () => {
  for (const source of ['ehr.example', INBOUND_SOURCE]) {
    it(`is accepted from ${source}, and the client is mailed`, async () => {
      const detail = sessionDetail(clock.now());

      const result = await putEntries(local.events, [{ EventBusName: DEFAULT_BUS_NAME, Source: source, DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }]);
      await waitFor(async () => (await mailTo(local.stack, detail.client.email)).length > 0, { description: 'the feedback email' });

      expect(result.FailedEntryCount).toBe(0);
      expect(result.Entries?.[0]?.EventId).toEqual(expect.any(String));
    });
  }

  it('is refused with the product’s own source', async () => {
    const detail = sessionDetail(clock.now());

    const result = await putEntries(local.events, [{ EventBusName: DEFAULT_BUS_NAME, Source: PRODUCT_SOURCE, DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }]);
    await local.stack.waitForIdle();

    expectRefused(result);
    expect(await mailTo(local.stack, detail.client.email)).toEqual([]);
  });
});

describe('the administrator', () => {
  const admin = () => new EventBridgeClient({ endpoint: local.stack.endpoints.bus, region: local.stack.region, credentials: LOCAL_ADMINISTRATOR_CREDENTIALS });

  it('may put ClientErased (npx alliance erase announces it), and no other product event', async () => {
    const client = admin();
    const erased = await putEntries(client, [{ EventBusName: DEFAULT_BUS_NAME, Source: PRODUCT_SOURCE, DetailType: 'ClientErased', Detail: JSON.stringify({ clientId: 'c-1', erasedAt: clock.now().toISOString(), itemsDeleted: 0 }) }]);
    const forged = await putEntries(client, [{ EventBusName: DEFAULT_BUS_NAME, Source: PRODUCT_SOURCE, DetailType: 'FeedbackExpired', Detail: JSON.stringify({ sessionId: 's-x' }) }]);
    client.destroy();

    expect(erased.FailedEntryCount).toBe(0);
    expect(forged.FailedEntryCount).toBe(1);
    // An explicit deny in the bus policy, whatever the administrator's own policy allows.
    expect(forged.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
  });
});

describe('the product’s own roles', () => {
  it('still put product events (the test seam puts them as the role that publishes each)', async () => {
    const result = await local.stack.putEventsAsProduct([{ Source: PRODUCT_SOURCE, DetailType: 'FeedbackReminderTimeReached', Detail: JSON.stringify({ sessionId: 's-unknown' }) }]);
    await local.stack.waitForIdle();

    expect(result.FailedEntryCount).toBe(0);
    expect(accepted.filter((event) => event['detail-type'] === 'FeedbackReminderTimeReached')).toHaveLength(1);
  });
});
