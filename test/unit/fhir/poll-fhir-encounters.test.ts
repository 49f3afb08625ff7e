/**
 * The FHIR inbound path's mapping (shared/domain/fhir/encounter.ts) and its poll
 * (shared/use-cases/poll-fhir-encounters.ts) with an in-memory FHIR server: which encounters
 * become sessions, with what, which are skipped and why, and the cursor.
 */
import { describe, expect, it } from 'vitest';
import type { Encounter, Patient } from '@medplum/fhirtypes';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { encounterFacts, patientDetails, referencedId } from '../../../shared/domain/fhir/encounter.ts';
import type { SessionCompletedDetail } from '../../../shared/events/contracts.ts';
import { pollFhirEncounters, type PollFhirEncountersDeps } from '../../../shared/use-cases/poll-fhir-encounters.ts';
import type { FeedState, FeedStateStore, FhirServer, RosterClient } from '../../../shared/use-cases/ports.ts';

const NOW = new Date('2026-10-12T12:00:00Z');

function encounter(id: string, overrides: Partial<Encounter> = {}): Encounter {
  return {
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { code: 'AMB' },
    subject: { reference: 'Patient/pt-1' },
    participant: [{ type: [{ coding: [{ code: 'PPRF' }] }], individual: { reference: 'Practitioner/pr-1' } }],
    period: { start: '2026-10-12T10:00:00Z', end: '2026-10-12T10:50:00Z' },
    ...overrides,
  };
}

const PATIENT: Patient = {
  resourceType: 'Patient',
  id: 'pt-1',
  name: [{ use: 'official', given: ['Samuel'] }, { use: 'usual', given: ['Sam'] }],
  telecom: [
    { system: 'email', value: 'old@client.example', use: 'old' },
    { system: 'email', value: 'work@client.example', use: 'work', rank: 2 },
    { system: 'email', value: 'sam@client.example', use: 'home', rank: 1 },
  ],
  communication: [{ language: { coding: [{ code: 'en-US' }] } }, { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es-MX' }] }, preferred: true }],
};

describe('mapping', () => {
  it('takes the patient, the primary performer and the end from a finished encounter', () => {
    const read = encounterFacts(
      encounter('e1', {
        participant: [
          { type: [{ coding: [{ code: 'ATND' }] }], individual: { reference: 'Practitioner/pr-2' } },
          { type: [{ coding: [{ code: 'PPRF' }] }], individual: { reference: 'https://ehr.example/fhir/Practitioner/pr-1/_history/3' } },
        ],
        period: { end: '2026-10-12T06:50:00-04:00' },
      }),
    );
    expect(read).toEqual({ ok: true, facts: { encounterId: 'e1', sessionId: 'fhir.e1', patientId: 'pt-1', practitionerId: 'pr-1', endedAt: '2026-10-12T10:50:00.000Z' } });
  });

  it.each([
    ['no-patient', { subject: { reference: 'Group/g1' } }],
    ['no-practitioner', { participant: [{ individual: { reference: 'RelatedPerson/r1' } }] }],
    ['no-end-time', { period: { start: '2026-10-12T10:00:00Z', end: '2026-10-12' } }],
    ['not-finished', { status: 'in-progress' as const }],
  ])('says %s', (problem, overrides) => {
    expect(encounterFacts(encounter('e1', overrides as Partial<Encounter>))).toMatchObject({ ok: false, problem });
  });

  it('reads the current best-ranked email, the usual given name and the preferred language', () => {
    expect(patientDetails(PATIENT, NOW)).toEqual({ email: 'sam@client.example', firstName: 'Sam', locale: 'es' });
  });

  it('leaves out an email whose period ended, and says nothing of a resource that is not a Patient', () => {
    expect(patientDetails({ ...PATIENT, telecom: [{ system: 'email', value: 'gone@client.example', period: { end: '2025-01-01T00:00:00Z' } }] }, NOW)?.email).toBeUndefined();
    expect(patientDetails({ resourceType: 'OperationOutcome' }, NOW)).toBeUndefined();
  });

  it('reads ids out of relative, absolute and versioned references only for the type asked', () => {
    expect(referencedId('Patient/abc', 'Patient')).toBe('abc');
    expect(referencedId('https://x.example/fhir/Patient/abc', 'Patient')).toBe('abc');
    expect(referencedId('Practitioner/abc', 'Patient')).toBeUndefined();
    expect(referencedId('#contained', 'Patient')).toBeUndefined();
  });
});

class MemoryState implements FeedStateStore {
  readonly states = new Map<string, FeedState>();
  async get(id: string) {
    return this.states.get(id);
  }
  async save(id: string, state: FeedState, read: string | undefined) {
    if (this.states.get(id)?.lastPollAt !== read) return false;
    this.states.set(id, structuredClone(state));
    return true;
  }
}

class MemoryFhir implements FhirServer {
  encounters: Encounter[] = [];
  patients = new Map<string, Patient>([['pt-1', PATIENT]]);
  windows: { from: string; to: string }[] = [];
  failSearch: Error | undefined;
  async *finishedEncounters(window: { from: string; to: string }) {
    this.windows.push(window);
    if (this.failSearch) throw this.failSearch;
    // Two pages, as a server following next links would give them.
    yield this.encounters.slice(0, 1);
    yield this.encounters.slice(1);
  }
  async read(_type: string, id: string) {
    return this.patients.get(id);
  }
}

function world(roster: RosterClient[] = []) {
  const clock = new ManualClock(NOW);
  const fhir = new MemoryFhir();
  const state = new MemoryState();
  const published: SessionCompletedDetail[] = [];
  let publishFails = false;
  const deps: PollFhirEncountersDeps = {
    sourceId: 'default',
    fhir,
    state,
    roster: { find: async (id) => roster.find((entry) => entry.clientId === id) },
    therapists: { find: async (id) => (id === 'pr-1' ? { therapistId: 'pr-1', email: 'dana@practice.example', name: 'Dana' } : undefined) },
    publisher: {
      publish: async (_contract, detail) => {
        if (publishFails) throw new Error('bus down');
        published.push(detail as SessionCompletedDetail);
      },
    },
    clock,
    maxSessionAgeHours: 72,
  };
  return { deps, fhir, state, published, clock, failPublish: (value: boolean) => (publishFails = value) };
}

describe('pollFhirEncounters', () => {
  it('announces a finished encounter with the patient details and the directory therapist', async () => {
    const { deps, fhir, published } = world();
    fhir.encounters = [encounter('e1')];
    const result = await pollFhirEncounters(deps);
    expect(result).toMatchObject({ status: 'polled', announced: ['fhir.e1'] });
    expect(published).toEqual([
      {
        sessionId: 'fhir.e1',
        clientId: 'pt-1',
        therapistId: 'pr-1',
        endedAt: '2026-10-12T10:50:00.000Z',
        client: { email: 'sam@client.example', firstName: 'Sam', locale: 'es' },
        therapist: { email: 'dana@practice.example', name: 'Dana' },
      },
    ]);
  });

  it('announces nothing twice when the same window is polled again, and moves the window on', async () => {
    const { deps, fhir, published, clock } = world();
    fhir.encounters = [encounter('e1')];
    await pollFhirEncounters(deps);
    clock.advance(15 * 60_000);
    const again = await pollFhirEncounters(deps);
    expect(again).toMatchObject({ status: 'polled', announced: [], alreadyAnnounced: 1 });
    expect(published).toHaveLength(1);
    // The second window starts at the first poll's end, less the overlap.
    expect(fhir.windows[1]).toEqual({ from: '2026-10-12T11:58:00.000Z', to: '2026-10-12T12:15:00.000Z' });
    expect(fhir.windows[0]!.from).toBe('2026-10-09T12:00:00.000Z');
  });

  it('skips, by reason and without details, a patient with no email, a practitioner not in the directory, an encounter too old', async () => {
    const { deps, fhir, published } = world();
    fhir.patients.set('pt-2', { resourceType: 'Patient', id: 'pt-2', telecom: [{ system: 'phone', value: '555' }] });
    fhir.encounters = [
      encounter('e2', { subject: { reference: 'Patient/pt-2' } }),
      encounter('e3', { participant: [{ individual: { reference: 'Practitioner/pr-unknown' } }] }),
      encounter('e4', { period: { end: '2026-09-01T10:00:00Z' } }),
      encounter('e5', { subject: { reference: 'Patient/pt-missing' } }),
    ];
    const result = await pollFhirEncounters(deps);
    expect(result.skipped).toEqual({ 'no-email': ['fhir.e2'], 'therapist-unknown': ['fhir.e3'], 'patient-not-found': ['fhir.e5'] });
    expect(result.tooOld).toBe(1);
    expect(published).toEqual([]);
    expect(JSON.stringify(result)).not.toMatch(/pt-2|pr-unknown|@/);
  });

  it('completes a patient without an email from the roster', async () => {
    const { deps, fhir, published } = world([{ clientId: 'pt-2', email: 'roster@client.example', therapistId: 'pr-1', active: true }]);
    fhir.patients.set('pt-2', { resourceType: 'Patient', id: 'pt-2' });
    fhir.encounters = [encounter('e2', { subject: { reference: 'Patient/pt-2' } })];
    await pollFhirEncounters(deps);
    expect(published.map((detail) => detail.client.email)).toEqual(['roster@client.example']);
  });

  it('keeps the cursor when the FHIR server is unavailable, and the next poll covers the window', async () => {
    const { deps, fhir, state, published, clock } = world();
    fhir.encounters = [encounter('e1')];
    await pollFhirEncounters(deps);
    const cursor = state.states.get('default')!.lastPollAt;
    clock.advance(15 * 60_000);
    fhir.encounters.push(encounter('e6'));
    fhir.failSearch = Object.assign(new Error('HTTP 429 after 4 attempts'), { name: 'FhirUnavailableError' });
    expect(await pollFhirEncounters(deps)).toMatchObject({ status: 'failed', failure: 'fhir-unavailable' });
    expect(state.states.get('default')!.lastPollAt).toBe(cursor);

    fhir.failSearch = undefined;
    clock.advance(15 * 60_000);
    expect(await pollFhirEncounters(deps)).toMatchObject({ status: 'polled', announced: ['fhir.e6'], alreadyAnnounced: 1 });
    expect(fhir.windows[2]!.from).toBe(new Date(Date.parse(cursor) - 120_000).toISOString());
    expect(published.map((detail) => detail.sessionId)).toEqual(['fhir.e1', 'fhir.e6']);
  });

  it('keeps what went out and the cursor when the bus fails mid-poll', async () => {
    const { deps, fhir, state, published, failPublish } = world();
    fhir.encounters = [encounter('e1'), encounter('e7')];
    let calls = 0;
    const publish = deps.publisher.publish.bind(deps.publisher);
    deps.publisher = { publish: async (contract, detail) => (++calls === 2 ? failPublish(true) : undefined, publish(contract, detail)) };
    expect(await pollFhirEncounters(deps)).toMatchObject({ status: 'failed', failure: 'publish-failed', announced: ['fhir.e1'] });
    expect(state.states.get('default')!.announced.map((entry) => entry.sessionId)).toEqual(['fhir.e1']);
    failPublish(false);
    expect(await pollFhirEncounters(deps)).toMatchObject({ status: 'polled', announced: ['fhir.e7'], alreadyAnnounced: 1 });
    expect(published.map((detail) => detail.sessionId)).toEqual(['fhir.e1', 'fhir.e7']);
  });
});
