/**
 * Export and erase as use cases, on a fake store: what the document holds and leaves out, and the
 * order and announcement of an erase.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import type { EventContract } from '../../../shared/events/contracts.ts';
import { eraseClientData, exportClientData } from '../../../shared/use-cases/client-data.ts';
import type { ClientDataStore, ClientItem, DoNotContactEntry } from '../../../shared/use-cases/ports.ts';
import { plainAddressHasher } from '../../support/fakes.ts';

const NOW = new Date('2027-03-01T12:00:00Z');
const HASH = 'a'.repeat(64);

function item(kind: ClientItem['kind'], pk: string, sk: string, attributes: Record<string, unknown>, extra: Partial<ClientItem> = {}): ClientItem {
  return { kind, key: { pk, sk }, attributes, ...extra };
}

const ITEMS: ClientItem[] = [
  item('session', 'SESSION#s-2', 'SESSION', { type: 'Session', sessionId: 's-2', clientId: 'c-1', endedAt: '2027-02-08T10:00:00Z', tokenHash: HASH, answer: { items: { goals: 3 }, comment: 'rushed' } }, { sessionId: 's-2' }),
  item('session', 'SESSION#s-1', 'SESSION', { type: 'Session', sessionId: 's-1', clientId: 'c-1', endedAt: '2027-02-01T10:00:00Z', claimExpiresAt: 'x', client: { email: 'ana@example.com' } }, { sessionId: 's-1' }),
  item('evaluation', 'SESSION#s-2', 'EVALUATION', { type: 'Evaluation', kind: 'answered', evaluation: { p: 30 } }, { sessionId: 's-2' }),
  item('alert-claim', 'SESSION#s-2', 'ALERT#low-rating', { type: 'AlertClaim', kind: 'low-rating', ackTokenHash: HASH, leaseUntil: 'x' }, { sessionId: 's-2' }),
  item('alert-link', `TOKEN#${HASH}`, 'ALERT', { type: 'AlertLink', sessionId: 's-2', clientId: 'c-1', kind: 'low-rating', sentAt: '2027-02-08T11:00:00Z', acknowledgedAt: '2027-02-09T08:00:00Z' }, { sessionId: 's-2' }),
  item('form-link', `TOKEN#${HASH}`, 'TOKEN', { type: 'FormToken', tokenHash: HASH, sessionId: 's-2', clientId: 'c-1' }, { sessionId: 's-2' }),
  item('opt-out-link', `TOKEN#${HASH}`, 'OPTOUT', { type: 'OptOutLink', clientId: 'c-1', locale: 'en', issuedAt: '2027-02-08T10:30:00Z' }),
  item('profile', 'CLIENT#c-1', 'PROFILE', { type: 'Client', clientId: 'c-1', optedOutAt: '2027-02-10T00:00:00Z' }),
  item('detector', 'CLIENT#c-1', 'DETECTOR#alliance-check-v1', { type: 'DetectorState', clientId: 'c-1', version: 4, appliedSessionIds: ['s-1'], state: { n: 2 } }, { instrumentId: 'alliance-check-v1' }),
  item('other', 'CLIENT#c-1', 'NOTE#1', { type: 'Note', text: 'kept' }),
];

class FakeStore implements ClientDataStore {
  deleted: string[][] = [];
  /** Every write and delete, in order: `tombstone`, `do-not-contact <hash>`, `delete <n>`. */
  steps: string[] = [];
  doNotContact = new Map<string, DoNotContactEntry>();
  constructor(private items: ClientItem[]) {}
  async writeTombstone(clientId: string, erasedAt: string) {
    this.steps.push('tombstone');
    this.items = [
      ...this.items.filter((entry) => entry.kind !== 'profile'),
      item('profile', `CLIENT#${clientId}`, 'PROFILE', { type: 'Client', clientId, erasedAt }),
    ];
  }
  async addDoNotContact(addressHash: string, entry: DoNotContactEntry) {
    this.steps.push(`do-not-contact ${addressHash}`);
    if (!this.doNotContact.has(addressHash)) this.doNotContact.set(addressHash, entry);
  }
  async findClientItems() {
    return this.items;
  }
  async deleteItems(keys: readonly ClientItem['key'][]) {
    this.steps.push(`delete ${keys.length}`);
    this.deleted.push(keys.map((key) => `${key['pk']}|${key['sk']}`));
    const gone = new Set(this.deleted.flat());
    this.items = this.items.filter((item) => !gone.has(`${item.key['pk']}|${item.key['sk']}`));
  }
}

class FakePublisher {
  published: { detailType: string; detail: unknown }[] = [];
  async publish(contract: EventContract<never, 'product'>, detail: unknown) {
    this.published.push({ detailType: contract.detailType, detail });
  }
}

const clock = new ManualClock(NOW);

describe('exportClientData', () => {
  it('puts each session with its evaluation and alerts, oldest first', async () => {
    const { document } = await exportClientData('c-1', { store: new FakeStore(ITEMS), clock });

    expect(document.sessions.map((session) => session.sessionId)).toEqual(['s-1', 's-2']);
    expect(document.sessions[1]).toMatchObject({ answer: { comment: 'rushed' }, evaluation: { kind: 'answered', evaluation: { p: 30 } } });
    expect(document.sessions[1]!.alerts).toEqual([{ kind: 'low-rating', sentAt: '2027-02-08T11:00:00Z', acknowledgedAt: '2027-02-09T08:00:00Z' }]);
    expect(document.sessions[0]).toMatchObject({ client: { email: 'ana@example.com' }, evaluation: null, alerts: [] });
  });

  it('shows an alert still waiting for its therapist to be registered with the session it is about', async () => {
    const waiting = item('waiting-alert', 'THERAPIST#t-9', 'WAITING#s-1#client-asked', { type: 'WaitingAlert', therapistId: 't-9', clientId: 'c-1', sessionId: 's-1', kind: 'client-asked', waitingSince: '2027-02-01T11:00:00Z' }, { sessionId: 's-1' });

    const { document } = await exportClientData('c-1', { store: new FakeStore([...ITEMS, waiting]), clock });

    expect(document.sessions[0]!.alerts).toEqual([{ kind: 'client-asked', waitingForTherapistSince: '2027-02-01T11:00:00Z' }]);
    expect(document.other).toHaveLength(1);
  });

  it('includes the profile, the detector record and items of kinds it does not know', async () => {
    const { document } = await exportClientData('c-1', { store: new FakeStore(ITEMS), clock });

    expect(document.profile).toEqual({ optedOutAt: '2027-02-10T00:00:00Z' });
    expect(document.detectors).toEqual([{ instrumentId: 'alliance-check-v1', state: { n: 2 } }]);
    expect(document.other).toEqual([{ text: 'kept' }]);
  });

  it('leaves out link hashes, form links and bookkeeping', async () => {
    const { document } = await exportClientData('c-1', { store: new FakeStore(ITEMS), clock });
    const text = JSON.stringify(document);

    expect(text).not.toContain(HASH);
    for (const name of ['claimExpiresAt', 'leaseUntil', '"type"', 'applied', 'version']) expect(text).not.toContain(name);
    expect(document.omitted).toEqual({ formLinks: 1, optOutLinks: 1, pastRetention: 0 });
  });

  it('treats records past their retention as deleted, though DynamoDB has yet to delete them', async () => {
    const expired = ITEMS.map((entry) => (entry.sessionId === 's-2' && (entry.kind === 'session' || entry.kind === 'evaluation') ? { ...entry, deleteAfter: new Date('2027-03-01T11:59:59Z') } : entry));

    const { document } = await exportClientData('c-1', { store: new FakeStore(expired), clock });

    expect(document.sessions.map((session) => session.sessionId)).toEqual(['s-1']);
    expect(document.omitted.pastRetention).toBe(2);
  });
});

describe('eraseClientData', () => {
  it('deletes links and the items only a session leads to before the sessions and the client records', async () => {
    const store = new FakeStore(ITEMS);

    const outcome = await eraseClientData('c-1', { store, publisher: new FakePublisher(), clock, addresses: plainAddressHasher }, async () => true);

    expect(outcome).toMatchObject({ erased: true, itemsDeleted: ITEMS.length });
    expect(store.deleted).toHaveLength(2);
    expect(store.deleted[0]).toEqual(expect.arrayContaining(['SESSION#s-2|EVALUATION', 'SESSION#s-2|ALERT#low-rating', `TOKEN#${HASH}|TOKEN`, `TOKEN#${HASH}|OPTOUT`, `TOKEN#${HASH}|ALERT`, 'CLIENT#c-1|NOTE#1']));
    expect(store.deleted[1]).toEqual(expect.arrayContaining(['SESSION#s-1|SESSION', 'SESSION#s-2|SESSION', 'CLIENT#c-1|DETECTOR#alliance-check-v1']));
  });

  it('replaces the profile with the tombstone before deleting anything, and keeps it', async () => {
    const store = new FakeStore(ITEMS);

    await eraseClientData('c-1', { store, publisher: new FakePublisher(), clock, addresses: plainAddressHasher }, async () => true);

    expect(store.steps.filter((step) => !step.startsWith('do-not-contact'))).toEqual(['tombstone', 'delete 6', 'delete 3']);
    expect(store.deleted.flat()).not.toContain('CLIENT#c-1|PROFILE');
    expect((await store.findClientItems()).map((entry) => entry.attributes)).toEqual([{ type: 'Client', clientId: 'c-1', erasedAt: NOW.toISOString() }]);
  });

  it('keeps an opted-out client’s addresses on the do-not-contact list, hashed, before the opt-out goes', async () => {
    const store = new FakeStore(ITEMS);

    const outcome = await eraseClientData('c-1', { store, publisher: new FakePublisher(), clock, addresses: plainAddressHasher }, async () => true);

    expect(outcome).toMatchObject({ doNotContact: 1 });
    expect([...store.doNotContact]).toEqual([['hash(ana@example.com)', { reason: 'opted-out', recordedAt: NOW.toISOString() }]]);
    expect(store.steps[0]).toBe('do-not-contact hash(ana@example.com)');
  });

  it('keeps a bounced client’s address too, and nothing of a client who could be emailed', async () => {
    const bounced = ITEMS.map((entry) => (entry.kind === 'profile' ? { ...entry, attributes: { clientId: 'c-1', undeliverableAt: '2027-02-10T00:00:00Z', undeliverableReason: 'bounce' } } : entry));
    const mailable = ITEMS.map((entry) => (entry.kind === 'profile' ? { ...entry, attributes: { clientId: 'c-1' } } : entry));
    const [bouncedStore, mailableStore] = [new FakeStore(bounced), new FakeStore(mailable)];

    await eraseClientData('c-1', { store: bouncedStore, publisher: new FakePublisher(), clock, addresses: plainAddressHasher }, async () => true);
    await eraseClientData('c-1', { store: mailableStore, publisher: new FakePublisher(), clock, addresses: plainAddressHasher }, async () => true);

    expect([...bouncedStore.doNotContact.values()]).toEqual([{ reason: 'bounce', recordedAt: NOW.toISOString() }]);
    expect(mailableStore.doNotContact.size).toBe(0);
  });

  it('exports an erased client as erased, with nothing else', async () => {
    const store = new FakeStore(ITEMS);
    await eraseClientData('c-1', { store, publisher: new FakePublisher(), clock, addresses: plainAddressHasher }, async () => true);

    const { document } = await exportClientData('c-1', { store, clock });

    expect(document).toMatchObject({ erasedAt: NOW.toISOString(), profile: null, sessions: [], detectors: [], other: [] });
  });

  it('publishes ClientErased with the id, the time and the count only', async () => {
    const publisher = new FakePublisher();

    await eraseClientData('c-1', { store: new FakeStore(ITEMS), publisher, clock, addresses: plainAddressHasher }, async () => true);

    expect(publisher.published).toEqual([{ detailType: 'ClientErased', detail: { clientId: 'c-1', erasedAt: NOW.toISOString(), itemsDeleted: ITEMS.length } }]);
  });

  it('shows the counts and deletes and publishes nothing when not confirmed', async () => {
    const store = new FakeStore(ITEMS);
    const publisher = new FakePublisher();
    let shown: unknown;

    const outcome = await eraseClientData('c-1', { store, publisher, clock, addresses: plainAddressHasher }, async (counts, total) => {
      shown = { counts, total };
      return false;
    });

    expect(outcome.erased).toBe(false);
    expect(shown).toMatchObject({ total: 10, counts: { session: 2, evaluation: 1, 'alert-claim': 1, 'alert-link': 1, 'form-link': 1, 'opt-out-link': 1, profile: 1, detector: 1, other: 1 } });
    expect(store.deleted).toEqual([]);
    expect(publisher.published).toEqual([]);
  });

  it('deletes nothing more on a second run, and announces again', async () => {
    const store = new FakeStore(ITEMS);
    const publisher = new FakePublisher();
    await eraseClientData('c-1', { store, publisher, clock, addresses: plainAddressHasher }, async () => true);

    const again = await eraseClientData('c-1', { store, publisher, clock, addresses: plainAddressHasher }, async () => true);

    expect(again).toMatchObject({ erased: true, itemsDeleted: 0, counts: { profile: 0 } });
    expect(publisher.published).toHaveLength(2);
    expect((await store.findClientItems()).map((entry) => entry.attributes['erasedAt'])).toEqual([NOW.toISOString()]);
  });
});

describe('the client roster entry in export and erase', () => {
  const ROSTER_ENTRY = item('roster-client', 'ROSTER', 'CLIENT#c-1', {
    type: 'RosterClient', clientId: 'c-1', email: 'ana@example.com', firstName: 'Ana', locale: 'es', therapistId: 't-1', active: true, importedAt: '2027-01-01T00:00:00.000Z',
  });

  it('exports the roster entry with the client’s address, name, language and therapist', async () => {
    const { document } = await exportClientData('c-1', { store: new FakeStore([...ITEMS, ROSTER_ENTRY]), clock });

    expect(document.roster).toEqual({ email: 'ana@example.com', firstName: 'Ana', locale: 'es', therapistId: 't-1', active: true, importedAt: '2027-01-01T00:00:00.000Z' });
    expect(document.other).toEqual([{ text: 'kept' }]);
  });

  it('exports null for a client who is not on the roster', async () => {
    expect((await exportClientData('c-1', { store: new FakeStore(ITEMS), clock })).document.roster).toBeNull();
  });

  it('deletes the roster entry and counts it', async () => {
    const store = new FakeStore([...ITEMS, ROSTER_ENTRY]);
    const outcome = await eraseClientData('c-1', { store, publisher: new FakePublisher(), clock, addresses: plainAddressHasher }, async () => true);

    expect(outcome).toMatchObject({ erased: true, counts: { 'roster-client': 1 } });
    expect(store.deleted.flat()).toContain('ROSTER|CLIENT#c-1');
  });
});
