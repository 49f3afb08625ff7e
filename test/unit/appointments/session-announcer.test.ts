import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeSessionAnnouncer } from '../../../shared/adapters/eventbridge-session-announcer.ts';
import { PublishError } from '../../../shared/adapters/eventbridge-publisher.ts';
import { INBOUND_SOURCE } from '../../../shared/events/contracts.ts';

const eventBridge = mockClient(EventBridgeClient);
beforeEach(() => eventBridge.reset());

const detail = (n: number) => ({
  sessionId: `a-${n}`, clientId: `c-${n}`, therapistId: 't-1', endedAt: '2026-12-05T14:50:00.000Z',
  client: { email: `client${n}@client.example`, locale: 'en' as const }, therapist: { email: 'dana@practice.example' },
});
const delays: number[] = [];
const announcer = () => new EventBridgeSessionAnnouncer('bus', new EventBridgeClient({}), { attempts: 3, baseDelayMs: 10 }, async (ms) => void delays.push(ms));
const ids = (call: number) => eventBridge.commandCalls(PutEventsCommand)[call]!.args[0].input.Entries!.map((entry) => JSON.parse(entry.Detail!).sessionId);

describe('EventBridgeSessionAnnouncer', () => {
  it('puts up to 10 entries per call, with the inbound source', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }));

    await expect(announcer().announce(Array.from({ length: 23 }, (_, n) => detail(n)))).resolves.toEqual([]);

    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]).toMatchObject({ EventBusName: 'bus', Source: INBOUND_SOURCE, DetailType: 'SessionCompleted' });
  });

  it('sends refused entries again, with a growing pause, and returns those still refused', async () => {
    delays.length = 0;
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 2, Entries: [{ EventId: 'e' }, { ErrorCode: 'ThrottlingException' }, { ErrorCode: 'InternalFailure' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'e' }, { ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    const refused = await announcer().announce([detail(1), detail(2), detail(3)]);

    expect(ids(1)).toEqual(['a-2', 'a-3']);
    expect(ids(2)).toEqual(['a-3']);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(delays).toEqual([10, 20]);
    expect(refused).toEqual([{ sessionId: 'a-3', errorCode: 'InternalFailure' }]);
  });

  it('counts a call that fails outright against every entry of the batch', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
    await expect(announcer().announce([detail(1), detail(2)])).resolves.toEqual([
      { sessionId: 'a-1', errorCode: 'ServiceUnavailable' },
      { sessionId: 'a-2', errorCode: 'ServiceUnavailable' },
    ]);
  });

  it('refuses a detail that breaks the contract before anything is put', async () => {
    await expect(announcer().announce([{ ...detail(1), endedAt: 'yesterday' }])).rejects.toThrow(PublishError);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});
