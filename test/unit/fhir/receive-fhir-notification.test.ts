/**
 * Subscription mode (shared/use-cases/receive-fhir-notification.ts, shared/domain/fhir/notification.ts):
 * backport IG notification bundles → SessionCompleted at once; handshake and heartbeat do nothing
 * unless events went missing, which runs a poll; a notification repeated or polled later sends nothing twice.
 */
import { describe, expect, it } from 'vitest';
import type { Encounter, Patient } from '@medplum/fhirtypes';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { parseNotification } from '../../../shared/domain/fhir/notification.ts';
import type { SessionCompletedDetail } from '../../../shared/events/contracts.ts';
import { pollFhirEncounters, type PollFhirEncountersDeps } from '../../../shared/use-cases/poll-fhir-encounters.ts';
import type { FeedState, FeedStateStore, FhirServer } from '../../../shared/use-cases/ports.ts';
import { missedEvents, receiveFhirNotification } from '../../../shared/use-cases/receive-fhir-notification.ts';
import { notificationBundle, SUBSCRIPTION } from '../../support/fhir-notifications.ts';

const NOW = new Date('2026-10-12T12:00:00Z');

const encounter = (id: string, patientId = 'pt-1'): Encounter => ({
  resourceType: 'Encounter',
  id,
  status: 'finished',
  class: { code: 'AMB' },
  subject: { reference: `Patient/${patientId}` },
  participant: [{ individual: { reference: 'Practitioner/pr-1' } }],
  period: { end: '2026-10-12T11:50:00Z' },
});
const patient = (id: string, email: string): Patient => ({ resourceType: 'Patient', id, telecom: [{ system: 'email', value: email }] });

class MemoryState implements FeedStateStore {
  state: FeedState | undefined;
  async get() {
    return this.state && structuredClone(this.state);
  }
  async save(_id: string, state: FeedState, read: string | undefined) {
    if (this.state?.lastPollAt !== read) return false;
    this.state = structuredClone(state);
    return true;
  }
}

function world() {
  const resources = new Map<string, unknown>([['Patient/pt-1', patient('pt-1', 'c1@client.example')]]);
  const reads: string[] = [];
  const searches: { from: string; to: string }[] = [];
  const fhir: FhirServer = {
    async *finishedEncounters(window) {
      searches.push(window);
      yield [...resources.values()].filter((resource) => (resource as { resourceType: string }).resourceType === 'Encounter');
    },
    async read(type, id) {
      reads.push(`${type}/${id}`);
      return resources.get(`${type}/${id}`);
    },
  };
  const state = new MemoryState();
  const published: SessionCompletedDetail[] = [];
  const deps: PollFhirEncountersDeps = {
    sourceId: 'default',
    fhir,
    state,
    roster: { find: async () => undefined },
    therapists: { find: async (id) => (id === 'pr-1' ? { therapistId: 'pr-1', email: 'dana@practice.example' } : undefined) },
    publisher: { publish: async (_contract, detail) => void published.push(detail as SessionCompletedDetail) },
    clock: new ManualClock(NOW),
    maxSessionAgeHours: 72,
  };
  return { deps, resources, reads, searches, state, published };
}

describe('parseNotification', () => {
  it('reads the R4 status Parameters: type, subscription, count and the events’ focus', () => {
    const parsed = parseNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 7, events: [{ number: 7, encounterId: 'e7' }] }));
    expect(parsed).toMatchObject({ ok: true, notification: { type: 'event-notification', subscription: SUBSCRIPTION, eventsSinceSubscriptionStart: 7, events: [{ eventNumber: 7, focus: 'https://ehr.example.org/fhir/Encounter/e7' }] } });
  });

  it('reads an R4B SubscriptionStatus too, and refuses what is not a notification', () => {
    const r4b = { resourceType: 'Bundle', type: 'history', entry: [{ resource: { resourceType: 'SubscriptionStatus', type: 'heartbeat', eventsSinceSubscriptionStart: '2', subscription: { reference: SUBSCRIPTION } } }] };
    expect(parseNotification(r4b)).toMatchObject({ ok: true, notification: { type: 'heartbeat', eventsSinceSubscriptionStart: 2 } });
    expect(parseNotification({ resourceType: 'Bundle', type: 'searchset', entry: [] })).toMatchObject({ ok: false });
    expect(parseNotification({ resourceType: 'Bundle', type: 'history', entry: [{ resource: { resourceType: 'Patient', id: 'x' } }] })).toMatchObject({ ok: false });
  });
});

describe('receiveFhirNotification', () => {
  it('answers a handshake and a heartbeat without announcing or polling', async () => {
    const { deps, searches, published } = world();
    expect(await receiveFhirNotification(notificationBundle({ type: 'handshake', eventsSinceSubscriptionStart: 0 }), deps)).toMatchObject({ ok: true, result: { type: 'handshake', status: 'handled' } });
    expect(await receiveFhirNotification(notificationBundle({ type: 'heartbeat', eventsSinceSubscriptionStart: 0 }), deps)).toMatchObject({ ok: true, result: { type: 'heartbeat', status: 'handled' } });
    expect(searches).toEqual([]);
    expect(published).toEqual([]);
  });

  it('announces an id-only event at once, reading the Encounter and its Patient', async () => {
    const { deps, resources, reads, published } = world();
    resources.set('Encounter/e1', encounter('e1'));
    const received = await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'e1' }] }), deps);
    expect(received).toMatchObject({ ok: true, result: { status: 'handled', announced: ['fhir.e1'] } });
    expect(reads).toEqual(['Encounter/e1', 'Patient/pt-1']);
    expect(published.map((detail) => [detail.sessionId, detail.client.email])).toEqual([['fhir.e1', 'c1@client.example']]);
  });

  it('announces a full-resource event from the bundle without reading, and never twice (a repeat, then a poll)', async () => {
    const { deps, reads, published } = world();
    const bundle = notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'e2' }], resources: [encounter('e2', 'pt-2'), patient('pt-2', 'c2@client.example')] });
    await receiveFhirNotification(bundle, deps);
    expect(reads).toEqual([]);
    expect(await receiveFhirNotification(bundle, deps)).toMatchObject({ ok: true, result: { announced: [], alreadyAnnounced: 1 } });
    expect(published.map((detail) => detail.sessionId)).toEqual(['fhir.e2']);
  });

  it('polls when events went missing (a gap in events-since-subscription-start), which announces them', async () => {
    const { deps, resources, searches, published } = world();
    resources.set('Encounter/e1', encounter('e1'));
    await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'e1' }] }), deps);
    expect(searches).toEqual([]);
    // Event 2 (e2) never arrived; event 3 (e3) does.
    resources.set('Encounter/e2', encounter('e2'));
    resources.set('Encounter/e3', encounter('e3'));
    const received = await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 3, events: [{ number: 3, encounterId: 'e3' }] }), deps);
    expect(received).toMatchObject({ ok: true, result: { announced: ['fhir.e3'], gapPoll: { status: 'polled', announced: ['fhir.e2'], alreadyAnnounced: 2 } } });
    expect(searches).toHaveLength(1);
    expect(published.map((detail) => detail.sessionId)).toEqual(['fhir.e1', 'fhir.e3', 'fhir.e2']);
  });

  it('polls on a heartbeat whose count moved past the last notification seen', async () => {
    const { deps, resources, published } = world();
    resources.set('Encounter/e1', encounter('e1'));
    await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'e1' }] }), deps);
    resources.set('Encounter/e4', encounter('e4'));
    const received = await receiveFhirNotification(notificationBundle({ type: 'heartbeat', eventsSinceSubscriptionStart: 2 }), deps);
    expect(received).toMatchObject({ ok: true, result: { gapPoll: { announced: ['fhir.e4'] } } });
    expect(published.map((detail) => detail.sessionId)).toEqual(['fhir.e1', 'fhir.e4']);
    // Seen now: the next heartbeat with the same count polls nothing.
    const again = await receiveFhirNotification(notificationBundle({ type: 'heartbeat', eventsSinceSubscriptionStart: 2 }), deps);
    expect(again.ok && again.result.gapPoll).toBeUndefined();
  });

  it('leaves the polls’ cursor alone, and a later poll announces nothing the notification did', async () => {
    const { deps, resources, state, published } = world();
    await pollFhirEncounters(deps);
    const cursor = state.state!.lastPollAt;
    resources.set('Encounter/e5', encounter('e5'));
    await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'e5' }] }), deps);
    expect(state.state!.lastPollAt).toBe(cursor);
    expect(await pollFhirEncounters(deps)).toMatchObject({ announced: [], alreadyAnnounced: 1 });
    expect(published).toHaveLength(1);
  });

  it('fails (the server retries) when the Encounter cannot be read, and does not take its count as seen', async () => {
    const { deps, state } = world();
    deps.fhir = { ...deps.fhir, read: async () => Promise.reject(Object.assign(new Error('HTTP 503'), { name: 'FhirUnavailableError' })) };
    const received = await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'e6' }] }), deps);
    expect(received).toMatchObject({ ok: true, result: { status: 'failed', failure: 'fhir-unavailable' } });
    expect(state.state?.notifications?.[SUBSCRIPTION]).toBeUndefined();
  });

  it('counts missed events against the last count seen, handshakes never', () => {
    expect(missedEvents('event-notification', 5, 4, 1)).toBe(false);
    expect(missedEvents('event-notification', 6, 4, 1)).toBe(true);
    expect(missedEvents('event-notification', 1, undefined, 1)).toBe(false);
    expect(missedEvents('heartbeat', 4, 4, 0)).toBe(false);
    expect(missedEvents('heartbeat', 5, 4, 0)).toBe(true);
    expect(missedEvents('handshake', 9, undefined, 0)).toBe(false);
  });
});

describe('what a notification writes', () => {
  it('writes nothing for a first handshake or a heartbeat already counted (a poll running meanwhile keeps its save)', async () => {
    const { deps, state } = world();
    await receiveFhirNotification(notificationBundle({ type: 'handshake', eventsSinceSubscriptionStart: 0 }), deps);
    expect(state.state).toBeUndefined();
  });

  it('starts the count again when a Subscription seen before shakes hands anew', async () => {
    const { deps, resources, state } = world();
    resources.set('Encounter/e1', encounter('e1'));
    await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 5, events: [{ number: 5, encounterId: 'e1' }] }), deps);
    expect(state.state!.notifications).toEqual({ [SUBSCRIPTION]: 5 });
    await receiveFhirNotification(notificationBundle({ type: 'handshake', eventsSinceSubscriptionStart: 0 }), deps);
    expect(state.state!.notifications).toEqual({ [SUBSCRIPTION]: 0 });
  });
});

describe('a poll and a notification at once', () => {
  it('merges what the notification recorded into the poll’s save instead of failing it', async () => {
    const { deps, resources, state } = world();
    resources.set('Encounter/e1', encounter('e1'));
    // The notification saves between the poll's read and its save.
    const fhir = deps.fhir;
    deps.fhir = {
      async *finishedEncounters(window) {
        resources.set('Encounter/e9', encounter('e9'));
        await receiveFhirNotification(notificationBundle({ type: 'event-notification', eventsSinceSubscriptionStart: 1, events: [{ number: 1, encounterId: 'e9' }] }), { ...deps, fhir });
        yield* fhir.finishedEncounters(window);
      },
      read: fhir.read,
    };
    const report = await pollFhirEncounters(deps);
    // The poll read its state before the notification announced e9, so it announces e9 too (the
    // request function keys on the session id: one email); it does not fail, and the state has both.
    expect(report).toMatchObject({ status: 'polled', announced: ['fhir.e1', 'fhir.e9'] });
    expect(state.state!.announced.map((entry) => entry.sessionId).sort()).toEqual(['fhir.e1', 'fhir.e9']);
    expect(state.state!.lastPollAt).toBe(NOW.toISOString());
    expect(state.state!.notifications).toEqual({ [SUBSCRIPTION]: 1 });
  });
});
