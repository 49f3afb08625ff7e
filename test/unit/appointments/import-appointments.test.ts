import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../../shared/adapters/csv-records.ts';
import { CANONICAL_MAPPING } from '../../../shared/domain/appointments/mapping.ts';
import type { SessionCompletedDetail } from '../../../shared/events/contracts.ts';
import { AppointmentFileError, importAppointments, type RowDecision } from '../../../shared/use-cases/import-appointments.ts';
import type { ClientRoster, RosterClient, SessionAnnouncer, TherapistDirectory } from '../../../shared/use-cases/ports.ts';

const NOW = new Date('2026-12-06T12:00:00Z');
const POLICY = { maxSessionAgeHours: 168, maxSessionLeadMinutes: 60 };
const HEADER = 'appointmentId,clientId,therapistId,start,end,status';
const row = (id: string, client: string, status: string, end = '2026-12-05T14:50:00Z') =>
  `${id},${client},t-1,${new Date(Date.parse(end) - 50 * 60_000).toISOString()},${end},${status}`;

const clients: RosterClient[] = [
  { clientId: 'c-1', email: 'alex@client.example', firstName: 'Alex', locale: 'en', therapistId: 't-1', active: true },
  { clientId: 'c-2', email: 'sam@client.example', therapistId: 't-1', active: true },
  { clientId: 'c-3', email: 'kim@client.example', therapistId: 't-1', active: false },
];
const roster: ClientRoster = { find: async (id) => clients.find((client) => client.clientId === id) };
const therapists: TherapistDirectory = { find: async (id) => (id === 't-1' ? { therapistId: 't-1', email: 'dana@practice.example' } : undefined) };

class RecordingAnnouncer implements SessionAnnouncer {
  batches: SessionCompletedDetail[][] = [];
  refuse = new Set<string>();
  async announce(details: readonly SessionCompletedDetail[]) {
    this.batches.push([...details]);
    return details.filter((detail) => this.refuse.has(detail.sessionId)).map((detail) => ({ sessionId: detail.sessionId, errorCode: 'InternalFailure' }));
  }
}

async function run(text: string, options: { dryRun?: boolean; announcer?: RecordingAnnouncer } = {}) {
  const announcer = options.announcer ?? new RecordingAnnouncer();
  let opened = 0;
  const decisions: RowDecision[] = [];
  const report = await importAppointments(
    {
      open: async () => {
        opened += 1;
        return readCsv(Readable.from([Buffer.from(text)]));
      },
      mapping: CANONICAL_MAPPING,
      now: NOW,
      policy: POLICY,
      dryRun: options.dryRun ?? false,
      onRow: (decision) => decisions.push(decision),
    },
    { roster, therapists, announcer },
  );
  return { report, announcer, opened, decisions };
}

const FILE = [
  HEADER,
  row('a-1', 'c-1', 'fulfilled'),
  row('a-2', 'c-2', 'fulfilled'),
  row('a-3', 'c-1', 'cancelled'),
  row('a-4', 'c-1', 'noshow'),
  row('a-5', 'c-1', 'booked', '2026-12-07T10:00:00Z'),
  row('a-6', 'c-1', 'fulfilled', '2026-11-01T10:00:00Z'),
  row('a-7', 'c-9', 'fulfilled'),
  row('a-8', 'c-3', 'fulfilled'),
  row('a-9', 'c-1', 'arrived'),
].join('\n');

describe('importAppointments', () => {
  it('announces the completed rows and counts every other outcome, without personal data', async () => {
    const { report, announcer } = await run(FILE);

    expect(announcer.batches.flat().map((detail) => detail.sessionId)).toEqual(['a-1', 'a-2']);
    expect(announcer.batches[0]![0]).toMatchObject({ sessionId: 'a-1', clientId: 'c-1', therapistId: 't-1', endedAt: '2026-12-05T14:50:00.000Z', client: { email: 'alex@client.example' } });
    expect(report).toEqual({
      dryRun: false, refused: false, rows: 9, announced: 2, cancelled: 1, noshow: 1, future: 1, stale: 1,
      notCompleted: { arrived: 1 }, skipped: { 'client-not-on-roster': 1, 'client-inactive': 1 },
      badRows: [], badRowCount: 0, unannounced: [],
    });
    expect(JSON.stringify(report)).not.toMatch(/@/);
  });

  it('sends nothing from a file with a bad row, and lists every bad row by line', async () => {
    const text = [HEADER, row('a-1', 'c-1', 'fulfilled'), row('a-2', 'c-1', 'finished'), '"a-3","c-1","t-1","2026-12-05T14:00:00Z","yesterday\nevening",fulfilled', 'a-4,c-1'].join('\n');

    const { report, announcer, opened } = await run(text);

    expect(announcer.batches).toEqual([]);
    expect(opened).toBe(1);
    expect(report).toMatchObject({ refused: true, announced: 0, badRowCount: 3 });
    expect(report.badRows.map((bad) => bad.line)).toEqual([3, 4, 6]);
    expect(report.badRows[1]!.problems).toEqual(['end must be ISO-8601 with an offset (2026-03-02T14:50:00-05:00), or give a mapping with "dates"']);
  });

  it('announces in batches of ten', async () => {
    const text = [HEADER, ...Array.from({ length: 25 }, (_, n) => row(`a-${n}`, 'c-1', 'fulfilled'))].join('\n');
    const { announcer, report } = await run(text);
    expect(announcer.batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(report.announced).toBe(25);
  });

  it('reports the sessions the bus refused and does not count them as announced', async () => {
    const announcer = new RecordingAnnouncer();
    announcer.refuse.add('a-2');
    const { report } = await run(FILE, { announcer });
    expect(report.announced).toBe(1);
    expect(report.unannounced).toEqual([{ sessionId: 'a-2', errorCode: 'InternalFailure' }]);
  });

  it('in a dry run announces nothing and lists what each row would do', async () => {
    const { report, announcer, decisions } = await run(FILE, { dryRun: true });

    expect(announcer.batches).toEqual([]);
    expect(report).toMatchObject({ dryRun: true, announced: 2 });
    expect(decisions).toEqual([
      { line: 2, sessionId: 'a-1', outcome: 'announce' },
      { line: 3, sessionId: 'a-2', outcome: 'announce' },
      { line: 4, sessionId: 'a-3', outcome: 'cancelled' },
      { line: 5, sessionId: 'a-4', outcome: 'noshow' },
      { line: 6, sessionId: 'a-5', outcome: 'future' },
      { line: 7, sessionId: 'a-6', outcome: 'stale' },
      { line: 8, sessionId: 'a-7', outcome: 'client-not-on-roster' },
      { line: 9, sessionId: 'a-8', outcome: 'client-inactive' },
      { line: 10, sessionId: 'a-9', outcome: 'not-completed' },
    ]);
  });

  it('refuses a file whose header lacks a column, before reading rows', async () => {
    await expect(run('appointmentId,clientId,start,end,status\na-1,c-1,x,y,fulfilled')).rejects.toThrow(AppointmentFileError);
    await expect(run('appointmentId,clientId,start,end,status\n')).rejects.toThrow('the header lacks "therapistId"');
  });
});

describe('importAppointments, announcing', () => {
  const many = (count: number) => [HEADER, ...Array.from({ length: count }, (_, n) => row(`a-${n}`, n % 2 === 0 ? 'c-1' : 'c-2', 'fulfilled'))].join('\n');

  it('keeps a few announce calls under way at once, never more, and counts every session', async () => {
    let running = 0;
    let most = 0;
    const announcer = new RecordingAnnouncer();
    const slow: SessionAnnouncer = {
      announce: async (details) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return announcer.announce(details);
      },
    };
    const report = await importAppointments(
      { open: async () => readCsv(Readable.from([Buffer.from(many(200))])), mapping: CANONICAL_MAPPING, now: NOW, policy: POLICY, dryRun: false },
      { roster, therapists, announcer: slow },
    );
    expect(report.announced).toBe(200);
    expect(new Set(announcer.batches.flat().map((detail) => detail.sessionId)).size).toBe(200);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('stops with the error of an announce call that throws', async () => {
    const failing: SessionAnnouncer = { announce: async () => Promise.reject(new Error('contract broken')) };
    await expect(importAppointments(
      { open: async () => readCsv(Readable.from([Buffer.from(many(30))])), mapping: CANONICAL_MAPPING, now: NOW, policy: POLICY, dryRun: false },
      { roster, therapists, announcer: failing },
    )).rejects.toThrow('contract broken');
  });
});
