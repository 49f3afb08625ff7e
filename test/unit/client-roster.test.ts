import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { readCsv } from '../../shared/adapters/csv-records.ts';
import { checkRow, importRoster, mapColumns, planImport, type ColumnMap } from '../../shared/use-cases/client-roster.ts';
import type { ClientRosterStore, RosterClient, StoredRosterClient } from '../../shared/use-cases/ports.ts';

const HEADER = 'clientId,email,firstName,locale,therapistId';
const CANONICAL: ColumnMap = { clientId: 'clientId', email: 'email', firstName: 'firstName', locale: 'locale', therapistId: 'therapistId', active: 'active' };
const clock = new ManualClock(new Date('2026-12-06T09:00:00Z'));
const ALEX: RosterClient = { clientId: 'c-1', email: 'alex@client.example', firstName: 'Alex', locale: 'es', therapistId: 't-1', active: true };

const record = (fields: Record<string, string>, line = 2) => ({ line, fields });
const csv = (text: string) => readCsv(Readable.from([Buffer.from(text)]));

/** The roster in memory, recording every write. */
function fakeStore(entries: StoredRosterClient[] = [], erased: string[] = []) {
  const roster = new Map(entries.map((entry) => [entry.clientId, entry]));
  const writes: StoredRosterClient[] = [];
  const askedAboutErasure: string[] = [];
  const store: ClientRosterStore = {
    find: async (clientId) => roster.get(clientId),
    list: async () => [...roster.values()],
    put: async (put) => {
      for (const entry of put) {
        writes.push(entry);
        roster.set(entry.clientId, entry);
      }
    },
    remove: async (clientId) => roster.delete(clientId),
    erasedAmong: async (clientIds) => {
      askedAboutErasure.push(...clientIds);
      return new Set(clientIds.filter((clientId) => erased.includes(clientId)));
    },
  };
  return { store, roster, writes, askedAboutErasure };
}

const options = { dryRun: false, deactivateMissing: false };

describe('mapColumns', () => {
  it('accepts the canonical header in any order and letter case, with or without the optional columns', () => {
    expect(mapColumns(['Email', 'CLIENTID', 'therapistid'])).toEqual({ map: { email: 'Email', clientId: 'CLIENTID', therapistId: 'therapistid' } });
    expect(mapColumns([...HEADER.split(','), 'active'])).toEqual({ map: CANONICAL });
  });

  it('refuses an unknown column (a typo must not silently drop a field) and names the missing ones', () => {
    expect(mapColumns(['clientId', 'email', 'activ'])).toEqual({ problem: expect.stringMatching(/^unknown column "activ"; missing column "therapistId" \(the columns are clientId, email, firstName, locale, therapistId, active/) });
  });

  it('refuses a column given twice', () => {
    expect(mapColumns(['clientId', 'email', 'therapistId', 'Email'])).toEqual({ problem: 'column "email" appears twice' });
  });
});

describe('checkRow', () => {
  it('reads a client, trimming values, with active true when the column is empty', () => {
    expect(checkRow(record({ clientId: ' c-1 ', email: 'alex@client.example ', firstName: ' Alex', locale: 'es', therapistId: 't-1', active: '' }), CANONICAL)).toEqual({ client: ALEX });
  });

  it.each([
    ['true', true], ['YES', true], ['1', true], ['false', false], ['No', false], ['0', false],
  ])('reads active "%s" as %s', (value, active) => {
    expect(checkRow(record({ clientId: 'c-1', email: 'a@b.example', therapistId: 't-1', active: value }), CANONICAL)).toMatchObject({ client: { active } });
  });

  it('leaves out an empty first name and locale', () => {
    expect(checkRow(record({ clientId: 'c-1', email: 'a@b.example', firstName: '', locale: ' ', therapistId: 't-1' }), CANONICAL)).toEqual({
      client: { clientId: 'c-1', email: 'a@b.example', therapistId: 't-1', active: true },
    });
  });

  it('names every bad field of a row by line, without its value', () => {
    const result = checkRow(
      record({ clientId: 'Alex Smith', email: 'alex-at-home', firstName: 'Al\u0007', locale: 'spanish please', therapistId: '', active: 'maybe' }, 7),
      CANONICAL,
    );

    expect(result).toEqual({
      problems: [
        { line: 7, field: 'clientId', problem: 'must be 1–128 characters of A-Z a-z 0-9 . _ : -' },
        { line: 7, field: 'email', problem: 'must be a valid email address' },
        { line: 7, field: 'therapistId', problem: 'is missing' },
        { line: 7, field: 'firstName', problem: 'must not contain control characters' },
        { line: 7, field: 'locale', problem: 'must be a language tag such as en, es or es-MX' },
        { line: 7, field: 'active', problem: 'must be true, false, yes, no, 1 or 0 (empty: true)' },
      ],
    });
    expect(JSON.stringify(result)).not.toMatch(/Alex|alex-at-home|spanish|maybe/);
  });

  it('reports a row with the wrong number of fields as a whole', () => {
    expect(checkRow({ ...record({ clientId: 'c-1' }, 4), fieldCountError: 'has 2 fields where the header has 5' }, CANONICAL)).toEqual({
      problems: [{ line: 4, problem: 'has 2 fields where the header has 5' }],
    });
  });
});

describe('planImport', () => {
  const now = clock.now();
  const stored = (client: RosterClient, importedAt = '2026-11-01T00:00:00.000Z'): StoredRosterClient => ({ ...client, importedAt });

  it('adds new clients, updates changed ones and leaves unchanged ones alone (their importedAt too)', () => {
    const ben = { ...ALEX, clientId: 'c-2' };
    const cleo = { ...ALEX, clientId: 'c-3' };
    const plan = planImport(
      [{ line: 2, client: ALEX }, { line: 3, client: { ...ben, therapistId: 't-2' } }, { line: 4, client: cleo }],
      [stored(ALEX), stored(ben)],
      new Set(),
      { deactivateMissing: false, now },
    );

    expect(plan).toEqual({
      added: [{ ...cleo, importedAt: now.toISOString() }],
      updated: [{ ...ben, therapistId: 't-2', importedAt: now.toISOString() }],
      unchanged: 1,
      deactivated: [],
      missing: 0,
      erased: [],
    });
  });

  it('sees a removed first name as a change', () => {
    const { firstName: _, ...withoutName } = ALEX;
    expect(planImport([{ line: 2, client: withoutName }], [stored(ALEX)], new Set(), { deactivateMissing: false, now }).updated).toHaveLength(1);
  });

  it('keeps clients missing from the file unless asked to deactivate them (already inactive ones need no write)', () => {
    const gone = stored({ ...ALEX, clientId: 'c-9' });
    const paused = stored({ ...ALEX, clientId: 'c-8', active: false });

    expect(planImport([], [gone, paused], new Set(), { deactivateMissing: false, now })).toMatchObject({ deactivated: [], missing: 2 });
    expect(planImport([], [gone, paused], new Set(), { deactivateMissing: true, now })).toMatchObject({
      deactivated: [{ ...gone, active: false, importedAt: now.toISOString() }],
      missing: 1,
    });
  });

  it('never stores an erased client again', () => {
    const plan = planImport([{ line: 5, client: ALEX }], [], new Set(['c-1']), { deactivateMissing: false, now });

    expect(plan).toMatchObject({ added: [], updated: [], erased: [{ line: 5, clientId: 'c-1' }] });
  });
});

describe('importRoster', () => {
  it('applies nothing when any row is bad, and reports every bad row by line, a duplicate client too', async () => {
    const { store, writes } = fakeStore();
    const file = await csv(`${HEADER}\nc-1,alex@client.example,Alex,es,t-1\nc-2,not-an-address,,en,t-1\nc-3,ben@client.example,Ben,en,t-1\nc-1,alex2@client.example,,,t-2\nc-4,dee@client.example\n`);

    const outcome = await importRoster(file, { store, clock }, options);

    expect(outcome).toEqual({
      outcome: 'bad-rows',
      rows: 5,
      problems: [
        { line: 3, field: 'email', problem: 'must be a valid email address' },
        { line: 5, field: 'clientId', problem: 'is on line 2 already (one row per client)' },
        { line: 6, problem: 'has 2 fields where the header has 5' },
      ],
    });
    expect(writes).toEqual([]);
  });

  it('counts lines of quoted fields that span lines, so a bad row is named by the line it starts on', async () => {
    const { store } = fakeStore();
    const file = await csv(`${HEADER}\nc-1,alex@client.example,"Alex\nAlexander",es,t-1\nc-2,,Ben,en,t-1\n`);

    const outcome = await importRoster(file, { store, clock }, options);

    expect(outcome).toMatchObject({ outcome: 'bad-rows', problems: [{ line: 2, field: 'firstName' }, { line: 4, field: 'email', problem: 'is missing' }] });
  });

  it('refuses a bad header before reading any row', async () => {
    const { store, writes } = fakeStore();
    const outcome = await importRoster(await csv('id,email,therapistId\nc-1,a@b.example,t-1\n'), { store, clock }, options);

    expect(outcome).toMatchObject({ outcome: 'bad-header', problem: expect.stringContaining('unknown column "id"; missing column "clientId"') });
    expect(writes).toEqual([]);
  });

  it('writes the new and changed entries, and nothing at all when the same file comes again', async () => {
    const { store, writes, askedAboutErasure } = fakeStore();
    const text = `${HEADER},active\nc-1,alex@client.example,Alex,es,t-1,yes\nc-2,ben@client.example,,en,t-2,no\n`;

    const first = await importRoster(await csv(text), { store, clock }, options);
    const written = writes.length;
    askedAboutErasure.length = 0;
    const again = await importRoster(await csv(text), { store, clock }, options);

    expect(first).toMatchObject({ outcome: 'applied', rows: 2, plan: { added: [{ clientId: 'c-1' }, { clientId: 'c-2', active: false }], unchanged: 0 } });
    expect(written).toBe(2);
    expect(again).toMatchObject({ outcome: 'applied', plan: { added: [], updated: [], unchanged: 2 } });
    expect(writes).toHaveLength(2);
    // Erased clients can only be new ones (erase deletes the entry): a re-import reads no profile.
    expect(askedAboutErasure).toEqual([]);
  });

  it('writes nothing on a dry run but says what it would do', async () => {
    const { store, writes } = fakeStore();
    const outcome = await importRoster(await csv(`${HEADER}\nc-1,alex@client.example,Alex,es,t-1\n`), { store, clock }, { ...options, dryRun: true });

    expect(outcome).toMatchObject({ outcome: 'dry-run', plan: { added: [{ clientId: 'c-1' }] } });
    expect(writes).toEqual([]);
  });

  it('skips erased clients and stores the others', async () => {
    const { store, roster } = fakeStore([], ['c-1']);
    const outcome = await importRoster(await csv(`${HEADER}\nc-1,alex@client.example,Alex,es,t-1\nc-2,ben@client.example,,en,t-1\n`), { store, clock }, options);

    expect(outcome).toMatchObject({ outcome: 'applied', plan: { added: [{ clientId: 'c-2' }], erased: [{ line: 2, clientId: 'c-1' }] } });
    expect([...roster.keys()]).toEqual(['c-2']);
  });
});
