import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InboundEventPublisher, ProductEventPublisher, PublishError, WrongPublisherError } from '../../../shared/adapters/eventbridge-publisher.ts';
import { matchesPattern } from '../../../infra/local/event-pattern.ts';
import { FeedbackRequested, INBOUND_SOURCE, PRODUCT_SOURCE, SesDeliveryProblem, SessionCompleted, sourceOf } from '../../../shared/events/contracts.ts';

const eventBridge = mockClient(EventBridgeClient);

beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const REQUESTED = {
  sessionId: 's-1',
  clientId: 'c-1',
  therapistId: 't-1',
  requestedAt: '2026-11-25T21:00:00.000Z',
  expiresAt: '2026-11-28T21:00:00.000Z',
};

const COMPLETED = {
  sessionId: 's-1',
  clientId: 'c-1',
  therapistId: 't-1',
  endedAt: '2026-11-25T20:00:00.000Z',
  client: { email: 'ana@example.com', firstName: 'Ana', locale: 'en' as const },
  therapist: { email: 'lee@practice.example' },
};

const product = () => new ProductEventPublisher('alliance-feedback', new EventBridgeClient({}));
const inbound = () => new InboundEventPublisher('alliance-feedback', new EventBridgeClient({}));

/** The one entry put on the bus, as a rule sees it. */
function putEvent() {
  const [entry] = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
  return { source: entry!.Source, 'detail-type': entry!.DetailType, detail: JSON.parse(entry!.Detail!) };
}

describe('ProductEventPublisher', () => {
  it('publishes the detail under the product source on the configured bus', async () => {
    await product().publish(FeedbackRequested, REQUESTED);

    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [{ EventBusName: 'alliance-feedback', Source: 'alliance-feedback', DetailType: 'FeedbackRequested', Detail: JSON.stringify(REQUESTED) }],
    });
  });

  it('refuses SessionCompleted, which its rule would drop under the product source, and puts nothing on the bus', async () => {
    // @ts-expect-error: an integration contract is refused by type as well.
    const publishing = product().publish(SessionCompleted, COMPLETED);

    await expect(publishing).rejects.toThrow(WrongPublisherError);
    await expect(publishing).rejects.toThrow('SessionCompleted is an integration event, not for ProductEventPublisher: publish it with InboundEventPublisher');
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('refuses to publish a detail that breaks its own contract', async () => {
    await expect(product().publish(FeedbackRequested, { ...REQUESTED, expiresAt: 'soon' })).rejects.toThrow(PublishError);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('fails when EventBridge reports a failed entry, so the caller retries', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    await expect(product().publish(FeedbackRequested, REQUESTED)).rejects.toThrow('FeedbackRequested was not accepted: InternalFailure try again');
  });
});

describe('InboundEventPublisher', () => {
  it('publishes SessionCompleted under the inbound source, which the SessionCompleted rule accepts', async () => {
    await inbound().publish(SessionCompleted, COMPLETED);

    const event = putEvent();
    expect(event).toEqual({ source: 'alliance-feedback.inbound', 'detail-type': 'SessionCompleted', detail: COMPLETED });
    expect(matchesPattern(SessionCompleted.pattern, event)).toBe(true);
  });

  it('refuses a product event, which would reach no consumer under the inbound source, and puts nothing on the bus', async () => {
    // @ts-expect-error: a product contract is refused by type as well.
    const publishing = inbound().publish(FeedbackRequested, REQUESTED);

    await expect(publishing).rejects.toThrow(WrongPublisherError);
    await expect(publishing).rejects.toThrow('FeedbackRequested is a product event, not for InboundEventPublisher: publish it with ProductEventPublisher');
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('refuses an AWS event', async () => {
    // @ts-expect-error: AWS's events are nobody's in the product to publish.
    await expect(inbound().publish(SesDeliveryProblem, { eventType: 'Bounce', mail: {} })).rejects.toThrow('is an AWS event, not for InboundEventPublisher: the product never publishes it');
  });

  it('refuses a SessionCompleted that breaks its contract, naming the field', async () => {
    await expect(inbound().publish(SessionCompleted, { ...COMPLETED, client: { ...COMPLETED.client, email: 'not-an-email' } })).rejects.toThrow(
      'SessionCompleted does not match its contract: client.email',
    );
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('sourceOf', () => {
  it('names the source each kind of contract is published with', () => {
    expect(sourceOf(FeedbackRequested)).toBe(PRODUCT_SOURCE);
    expect(sourceOf(SessionCompleted)).toBe(INBOUND_SOURCE);
  });

  it('gives SessionCompleted a source its own rule accepts, and product events one their rules accept', () => {
    expect(matchesPattern(SessionCompleted.pattern, { source: sourceOf(SessionCompleted), 'detail-type': 'SessionCompleted' })).toBe(true);
    expect(matchesPattern(FeedbackRequested.pattern, { source: sourceOf(FeedbackRequested), 'detail-type': 'FeedbackRequested' })).toBe(true);
  });
});
