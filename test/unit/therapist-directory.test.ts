import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { readTherapistsCsv } from '../../bin/therapists.ts';
import { InputError } from '../../bin/errors.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { isAtPracticeDomain, practiceDomainsOf } from '../../shared/domain/practice-domains.ts';
import { addTherapist, applyChanges, checkColumns, chooseSupervisor, coverTherapist, planImport, uncoverTherapist, recognizeTherapist, type RecognizeTherapistDeps } from '../../shared/use-cases/therapist-directory.ts';
import { FakePublisher, FakeTherapistDirectory } from '../support/fakes.ts';

describe('practice domains', () => {
  it('reads none, or a comma list lower-cased without repeats', () => {
    expect(practiceDomainsOf('none')).toEqual([]);
    expect(practiceDomainsOf(' Practice.org , clinic.practice.org,practice.org ')).toEqual(['practice.org', 'clinic.practice.org']);
    expect(practiceDomainsOf('')).toBeUndefined();
    expect(practiceDomainsOf('practice.org,@evil')).toBeUndefined();
  });

  it('matches an address’s domain exactly: no subdomain, no look-alike', () => {
    const domains = ['practice.example'];
    expect(isAtPracticeDomain('Lee@Practice.Example', domains)).toBe(true);
    expect(isAtPracticeDomain('lee@mail.practice.example', domains)).toBe(false);
    expect(isAtPracticeDomain('lee@practice.example.evil.test', domains)).toBe(false);
    expect(isAtPracticeDomain('practice.example', domains)).toBe(false);
  });
});

describe('recognizeTherapist (a SessionCompleted names a therapist)', () => {
  let directory: FakeTherapistDirectory;
  let publisher: FakePublisher;
  let deps: RecognizeTherapistDeps;
  const clock = new ManualClock(new Date('2026-12-04T08:00:00Z'));

  beforeEach(() => {
    directory = new FakeTherapistDirectory([{ therapistId: 't-7', email: 'lee@practice.example', name: 'Dr. Lee' }]);
    publisher = new FakePublisher();
    deps = { directory, practiceDomains: ['practice.example'], clock, publisher };
  });

  it('registers a new therapist at a practice domain on first sight, and announces it', async () => {
    expect(await recognizeTherapist({ therapistId: 't-9', therapist: { email: 'kim@practice.example', name: 'Dr. Kim' } }, deps)).toBe('registered');

    expect(await directory.find('t-9')).toEqual({ therapistId: 't-9', email: 'kim@practice.example', name: 'Dr. Kim', registeredAt: '2026-12-04T08:00:00.000Z', registeredBy: 'practice-domain' });
    expect(publisher.published).toEqual([{ detailType: 'TherapistRegistered', detail: { therapistId: 't-9', registeredBy: 'practice-domain', registeredAt: '2026-12-04T08:00:00.000Z' } }]);
  });

  it('never registers an address at any other domain', async () => {
    expect(await recognizeTherapist({ therapistId: 't-9', therapist: { email: 'kim@outside.example' } }, deps)).toBe('not-registered');
    expect(await recognizeTherapist({ therapistId: 't-9', therapist: { email: 'kim@practice.example' } }, { ...deps, practiceDomains: [] })).toBe('not-registered');

    expect(await directory.find('t-9')).toBeUndefined();
    expect(publisher.published).toEqual([]);
  });

  it('keeps a registered therapist’s address when an event names another, even at a practice domain', async () => {
    expect(await recognizeTherapist({ therapistId: 't-7', therapist: { email: 'attacker@practice.example' } }, deps)).toBe('address-ignored');
    expect(await recognizeTherapist({ therapistId: 't-7', therapist: { email: 'LEE@practice.example ' } }, deps)).toBe('known');

    expect((await directory.find('t-7'))?.email).toBe('lee@practice.example');
    expect(publisher.published).toEqual([]);
  });
});

describe('planImport (therapists.csv)', () => {
  const row = (line: number, therapistId: string, email: string, name = '') => ({ line, fields: { therapistId, email, name } });

  it('reports every bad row by its line and plans nothing', () => {
    const plan = planImport(
      [row(2, 't-1', 'ana@practice.example'), row(3, '', 'x@practice.example'), row(4, 't 3', 'not-an-address'), { line: 6, fields: {}, fieldCountError: 'expected 3 fields, found 2' }, row(7, 't-1', 'ana2@practice.example')],
      [],
    );

    expect(plan).toEqual({
      valid: false,
      problems: [
        { line: 3, message: 'therapistId is empty' },
        { line: 4, message: 'therapistId must be 1–128 characters of A-Z a-z 0-9 . _ : -' },
        { line: 4, message: 'email is not an email address' },
        { line: 6, message: 'expected 3 fields, found 2' },
        { line: 7, message: 'therapist t-1 is already on line 2' },
      ],
    });
    // Problems name fields, never echo what the file holds.
    expect(JSON.stringify(plan)).not.toContain('not-an-address');
  });

  it('tells added, updated and unchanged apart against the directory', () => {
    const existing = [
      { therapistId: 't-1', email: 'ana@practice.example', name: 'Ana', registeredAt: '2026-01-01T00:00:00.000Z', registeredBy: 'administrator' as const },
      { therapistId: 't-2', email: 'bo@practice.example', registeredAt: '2026-01-01T00:00:00.000Z', registeredBy: 'administrator' as const },
      { therapistId: 't-3', email: 'cy@practice.example', registeredAt: '2026-01-01T00:00:00.000Z', registeredBy: 'practice-domain' as const },
    ];
    const plan = planImport([row(2, 't-1', 'ana@practice.example', 'Ana'), row(3, 't-2', 'bo@new.example'), row(4, 't-3', 'cy@practice.example'), row(5, 't-4', ' di@practice.example ', ' Di ')], existing);

    expect(plan).toEqual({
      valid: true,
      changes: {
        added: [{ therapistId: 't-4', email: 'di@practice.example', name: 'Di' }],
        updated: [{ therapistId: 't-2', email: 'bo@new.example' }, { therapistId: 't-3', email: 'cy@practice.example' }],
        unchanged: [{ therapistId: 't-1', email: 'ana@practice.example', name: 'Ana' }],
      },
    });
  });

  it('changes nothing when the same file is imported twice', async () => {
    const directory = new FakeTherapistDirectory();
    const publisher = new FakePublisher();
    const deps = { directory, publisher, clock: new ManualClock(new Date('2026-12-04T08:00:00Z')) };
    const rows = [row(2, 't-1', 'ana@practice.example', 'Ana'), row(3, 't-2', 'bo@practice.example')];

    const first = planImport(rows, await directory.list());
    if (!first.valid) throw new Error('valid file');
    await applyChanges(first.changes, deps);
    const second = planImport(rows, await directory.list());

    expect(second).toEqual({ valid: true, changes: { added: [], updated: [], unchanged: rows.map((r) => ({ therapistId: r.fields.therapistId, email: r.fields.email, ...(r.fields.name ? { name: r.fields.name } : {}) })) } });
    expect(publisher.published.map((event) => event.detail)).toEqual([
      { therapistId: 't-1', registeredBy: 'administrator', registeredAt: '2026-12-04T08:00:00.000Z' },
      { therapistId: 't-2', registeredBy: 'administrator', registeredAt: '2026-12-04T08:00:00.000Z' },
    ]);
  });

  it('requires the canonical columns and refuses unknown ones', () => {
    expect(checkColumns(['therapistId', 'email', 'name'])).toEqual([]);
    expect(checkColumns(['therapistId', 'email', 'name', 'timeZone'])).toEqual([]);
    expect(checkColumns(['therapistId', 'email'])).toEqual([]);
    expect(checkColumns(['id', 'email', 'phone'])).toEqual(['missing column "therapistId"', 'unknown columns "id", "phone" (the columns are therapistId,email,name,timeZone,supervisorId,superviseKinds,digest)']);
    expect(checkColumns(['therapistId', 'email', 'supervisorId', 'superviseKinds'])).toEqual([]);
  });

  it('adds one therapist, then corrects their address, with the import’s rules', async () => {
    const directory = new FakeTherapistDirectory();
    const deps = { directory, publisher: new FakePublisher(), clock: new ManualClock(new Date('2026-12-04T08:00:00Z')) };

    expect((await addTherapist({ therapistId: 't-7', email: 'lee@practice.example' }, deps)).outcome).toBe('added');
    expect((await addTherapist({ therapistId: 't-7', email: 'lee@practice.example' }, deps)).outcome).toBe('unchanged');
    expect((await addTherapist({ therapistId: 't-7', email: 'lee.new@practice.example', name: 'Dr. Lee' }, deps)).outcome).toBe('updated');
    expect(await addTherapist({ therapistId: 't-7', email: 'nope' }, deps)).toEqual({ outcome: 'invalid', problems: ['email is not an email address'] });

    expect(await directory.find('t-7')).toMatchObject({ email: 'lee.new@practice.example', name: 'Dr. Lee', registeredBy: 'administrator' });
  });

  it('takes an optional IANA time zone per therapist, and refuses any other zone', async () => {
    const directory = new FakeTherapistDirectory();
    const deps = { directory, publisher: new FakePublisher(), clock: new ManualClock(new Date('2026-12-04T08:00:00Z')) };

    expect((await addTherapist({ therapistId: 't-7', email: 'lee@practice.example', timeZone: 'Europe/Berlin' }, deps)).outcome).toBe('added');
    expect(await directory.find('t-7')).toMatchObject({ timeZone: 'Europe/Berlin' });
    expect((await addTherapist({ therapistId: 't-7', email: 'lee@practice.example', timeZone: 'Europe/Berlin' }, deps)).outcome).toBe('unchanged');
    expect((await addTherapist({ therapistId: 't-7', email: 'lee@practice.example', timeZone: 'America/Chicago' }, deps)).outcome).toBe('updated');
    expect(await addTherapist({ therapistId: 't-7', email: 'lee@practice.example', timeZone: 'Central Time' }, deps)).toEqual({
      outcome: 'invalid',
      problems: ['timeZone must be an IANA time zone such as "America/New_York"'],
    });
    expect(await directory.find('t-7')).toMatchObject({ timeZone: 'America/Chicago' });

    const plan = planImport([{ line: 2, fields: { therapistId: 't-7', email: 'lee@practice.example', name: '', timeZone: ' ' } }], await directory.list());
    // A row without a zone leaves the therapist on the practice's zone: it is a change.
    expect(plan).toEqual({ valid: true, changes: { added: [], updated: [{ therapistId: 't-7', email: 'lee@practice.example' }], unchanged: [] } });
  });
});

describe('readTherapistsCsv', () => {
  async function file(text: string | Buffer): Promise<string> {
    const path = join(await mkdtemp(join(tmpdir(), 'therapists-')), 'therapists.csv');
    await writeFile(path, text);
    return path;
  }

  it('numbers rows by the line they start on, across a quoted line break, in a ;-separated file with a BOM', async () => {
    const rows = await readTherapistsCsv(await file('\ufefftherapistId;email;name\nt-1;ana@practice.example;"Ana\nMaria"\nt-2;bo@practice.example;\n'));

    expect(rows.map((r) => [r.line, r.fields['therapistId']])).toEqual([
      [2, 't-1'],
      [4, 't-2'],
    ]);
  });

  it('refuses a header without the canonical columns, naming line 1', async () => {
    await expect(readTherapistsCsv(await file('id,mail\nt-1,ana@practice.example\n'))).rejects.toBeInstanceOf(InputError);
    await expect(readTherapistsCsv(await file('id,mail\nt-1,ana@practice.example\n'))).rejects.toThrow(/line 1 \(header\): missing column "therapistId"; missing column "email".*nothing applied/);
  });

  it('refuses a file that is not there', async () => {
    await expect(readTherapistsCsv('/nonexistent/therapists.csv')).rejects.toThrow(/cannot read \/nonexistent\/therapists.csv: ENOENT/);
  });
});

describe('supervisor and covering clinician (the administrator’s entries)', () => {
  const clock = new ManualClock(new Date('2026-12-04T08:00:00Z'));
  const registered = () => new FakeTherapistDirectory([{ therapistId: 't-7', email: 'lee@practice.example' }, { therapistId: 't-5', email: 'kim@practice.example' }, { therapistId: 't-9', email: 'sam@practice.example' }]);

  it('names a registered supervisor with chosen kinds, refuses an unregistered one or the therapist themselves', async () => {
    const directory = registered();
    const deps = { directory, publisher: new FakePublisher(), clock };
    expect(await chooseSupervisor('t-7', { supervisorId: 't-9', superviseKinds: ['client-asked', 'rupture'] }, deps)).toEqual({ outcome: 'set' });
    expect(await directory.find('t-7')).toMatchObject({ supervisorId: 't-9', superviseKinds: ['client-asked', 'rupture'] });
    expect(await chooseSupervisor('t-7', { supervisorId: 't-404' }, deps)).toEqual({ outcome: 'invalid', problems: ['supervisor t-404 is not registered (add them first)'] });
    expect(await chooseSupervisor('t-7', { supervisorId: 't-7' }, deps)).toEqual({ outcome: 'invalid', problems: ['a therapist cannot be their own supervisor'] });
    expect(await chooseSupervisor('t-404', { supervisorId: 't-9' }, deps)).toEqual({ outcome: 'invalid', problems: ['therapist t-404 is not registered'] });
    expect(await chooseSupervisor('t-7', undefined, deps)).toEqual({ outcome: 'removed' });
    expect((await directory.find('t-7'))?.supervisorId).toBeUndefined();
  });

  it('covers a therapist for a range of real dates by a registered colleague, and uncovers', async () => {
    const directory = registered();
    const deps = { directory, publisher: new FakePublisher(), clock };
    expect(await coverTherapist({ therapistId: 't-7', by: 't-5', from: '2026-12-20', until: '2027-01-03' }, deps)).toEqual({ outcome: 'set' });
    expect((await directory.find('t-7'))?.covering).toEqual({ therapistId: 't-5', from: '2026-12-20', until: '2027-01-03' });
    const invalid = await coverTherapist({ therapistId: 't-7', by: 't-7', from: '2026-02-30', until: '2026-13-01' }, deps);
    expect(invalid).toEqual({ outcome: 'invalid', problems: ['--from must be a date written YYYY-MM-DD', '--until must be a date written YYYY-MM-DD', 'a therapist cannot cover for themselves'] });
    expect(await coverTherapist({ therapistId: 't-7', by: 't-404', from: '2027-01-03', until: '2026-12-20' }, deps)).toEqual({
      outcome: 'invalid',
      problems: ['--until is before --from', 'covering clinician t-404 is not registered (add them first)'],
    });
    expect(await uncoverTherapist('t-7', deps)).toEqual({ outcome: 'removed' });
    expect((await directory.find('t-7'))?.covering).toBeUndefined();
  });

  it('imports supervisors from the optional columns: registered (before or in the file), no self-reference, known kinds', async () => {
    const directory = registered();
    const row = (line: number, therapistId: string, supervisorId: string, superviseKinds = '') => ({ line, fields: { therapistId, email: `${therapistId}@practice.example`, supervisorId, superviseKinds } });
    const bad = planImport([row(2, 't-1', 't-1'), row(3, 't-2', 't-404'), row(4, 't-3', 't-9', 'rupture|nonsense'), row(5, 't-4', '', 'rupture')], await directory.list());
    expect(bad).toEqual({
      valid: false,
      problems: [
        { line: 2, message: 'a therapist cannot be their own supervisor' },
        { line: 3, message: 'supervisor t-404 is not registered (add them first)' },
        { line: 4, message: expect.stringMatching(/^superviseKinds must name alert kinds among rupture, /) },
        { line: 5, message: 'superviseKinds needs a supervisorId' },
      ],
    });
    const plan = planImport([row(2, 't-1', 't-2', 'client-asked rupture'), row(3, 't-2', 't-9')], await directory.list());
    if (!plan.valid) throw new Error('valid file');
    expect(plan.changes.supervisors).toEqual([
      { therapistId: 't-1', supervisor: { supervisorId: 't-2', superviseKinds: ['client-asked', 'rupture'] } },
      { therapistId: 't-2', supervisor: { supervisorId: 't-9' } },
    ]);
    await applyChanges(plan.changes, { directory, publisher: new FakePublisher(), clock });
    expect(await directory.find('t-1')).toMatchObject({ supervisorId: 't-2', superviseKinds: ['client-asked', 'rupture'] });
    const again = planImport([row(2, 't-1', 't-2', 'client-asked rupture'), row(3, 't-2', 't-9')], await directory.list());
    expect(again.valid && again.changes.supervisors).toBeUndefined();
  });
});

describe('the weekly digest switch (digest column, --no-digest)', () => {
  it('takes on, off or empty and refuses anything else', async () => {
    const { checkEntry } = await import('../../shared/use-cases/therapist-directory.ts');
    expect(checkEntry({ therapistId: 't-1', email: 'a@practice.example', digest: 'OFF' })).toEqual({ entry: { therapistId: 't-1', email: 'a@practice.example', digest: 'off' } });
    expect(checkEntry({ therapistId: 't-1', email: 'a@practice.example', digest: 'on' })).toEqual({ entry: { therapistId: 't-1', email: 'a@practice.example' } });
    expect(checkEntry({ therapistId: 't-1', email: 'a@practice.example', digest: 'weekly' })).toEqual({ problems: ['digest must be on or off (empty: on)'] });
  });

  it('counts a changed switch as an update', () => {
    const existing = [{ therapistId: 't-1', email: 'a@practice.example', registeredAt: '2026-01-01T00:00:00Z', registeredBy: 'administrator' as const }];
    const plan = planImport([{ line: 2, fields: { therapistId: 't-1', email: 'a@practice.example', digest: 'off' } }], existing);
    expect(plan.valid && plan.changes.updated.map((entry) => entry.digest)).toEqual(['off']);
  });
});
