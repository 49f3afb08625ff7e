/**
 * The appointment-import function with its AWS clients mocked: a CSV dropped under incoming/ is
 * read (the version that triggered it, twice), its completed rows announced in PutEvents batches,
 * and its report written under reports/. The roster comes through the one seam
 * (shared/adapters/inbound-directories.ts), replaced here by a fake.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../../../shared/adapters/inbound-directories.ts', () => ({
  inboundDirectories: () => ({
    roster: { find: async (id: string) => (id.startsWith('c-') ? { clientId: id, email: `${id}@client.example`, therapistId: 't-1', active: true } : undefined) },
    therapists: { find: async (id: string) => ({ therapistId: id, email: 'dana@practice.example' }) },
  }),
}));

const s3 = mockClient(S3Client);
const eventBridge = mockClient(EventBridgeClient);
let handler: (event: S3Event) => Promise<void>;

beforeAll(async () => {
  process.env['BUS_NAME'] = 'alliance-feedback';
  process.env['POWERTOOLS_METRICS_DISABLED'] = 'true';
  process.env['POWERTOOLS_LOG_LEVEL'] = 'SILENT';
  ({ handler } = await import('../../../functions/appointment-import/handler.ts'));
});

const HOUR = 3_600_000;
const ended = (hoursAgo: number) => new Date(Date.now() - hoursAgo * HOUR).toISOString();
const HEADER = 'appointmentId,clientId,therapistId,start,end,status';
const row = (id: string, status: string) => `${id},c-${id},t-1,${ended(3)},${ended(2)},${status}`;
const body = (text: string) => Readable.from([Buffer.from(text)]);
const dropped = (key: string, versionId = 'v-1'): S3Event => ({
  Records: [{ s3: { bucket: { name: 'drop-bucket' }, object: { key, versionId } } }],
} as unknown as S3Event);

function serve(files: Record<string, string>): void {
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const text = files[input.Key];
    if (text === undefined) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    return { Body: body(text) as never };
  });
}
const writtenReport = () => {
  const call = s3.commandCalls(PutObjectCommand)[0]!;
  return { key: call.args[0].input.Key, report: JSON.parse(String(call.args[0].input.Body)) };
};

beforeEach(() => {
  s3.reset();
  eventBridge.reset();
  s3.on(PutObjectCommand).resolves({});
  eventBridge.on(PutEventsCommand).callsFake((input) => ({ FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: 'e' })) }));
});

describe('appointment-import handler', () => {
  it('announces the completed rows of a dropped file, reading its version twice, and writes the report beside it', async () => {
    serve({ 'incoming/march 2026.csv': [HEADER, ...Array.from({ length: 12 }, (_, n) => row(`a${n}`, 'fulfilled')), row('x1', 'cancelled'), row('x2', 'noshow')].join('\n') });

    await handler(dropped('incoming/march+2026.csv'));

    const reads = s3.commandCalls(GetObjectCommand).filter((call) => call.args[0].input.Key === 'incoming/march 2026.csv');
    expect(reads.map((call) => call.args[0].input.VersionId)).toEqual(['v-1', 'v-1']);
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries!.length)).toEqual([10, 2]);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]).toMatchObject({ Source: 'alliance-feedback.inbound', DetailType: 'SessionCompleted', EventBusName: 'alliance-feedback' });
    const { key, report } = writtenReport();
    expect(key).toBe('reports/march 2026.csv.report.json');
    expect(report).toMatchObject({ file: 'incoming/march 2026.csv', refused: false, rows: 14, announced: 12, cancelled: 1, noshow: 1, badRowCount: 0 });
    expect(JSON.stringify(report)).not.toContain('@');
  });

  it('sends nothing from a file with a bad row, and its report lists the line', async () => {
    serve({ 'incoming/a.csv': [HEADER, row('a1', 'fulfilled'), row('a2', 'finished')].join('\n') });

    await handler(dropped('incoming/a.csv'));

    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(writtenReport().report).toMatchObject({ refused: true, badRowCount: 1, badRows: [{ line: 3 }] });
  });

  it('reports a file it cannot use instead of failing the invocation', async () => {
    serve({ 'incoming/b.csv': 'appointmentId,clientId\na1,c-1\n' });

    await handler(dropped('incoming/b.csv'));

    expect(writtenReport().report).toMatchObject({ file: 'incoming/b.csv', refused: true, error: expect.stringContaining('the header lacks "therapistId"') });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('reads the files with the mapping put beside them', async () => {
    serve({
      'incoming/mapping.json': JSON.stringify({ columns: { appointmentId: 'ID', clientId: 'Client', therapistId: null }, statuses: { Show: 'fulfilled' } }),
      'incoming/c.csv': `ID,Client,start,end,status\nz1,c-9,${ended(3)},${ended(2)},Show\n`,
    });

    await handler(dropped('incoming/c.csv'));

    expect(writtenReport().report).toMatchObject({ refused: false, announced: 1 });
    expect(JSON.parse(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!)).toMatchObject({ sessionId: 'z1', clientId: 'c-9', therapistId: 't-1' });
  });

  it('lets an S3 failure throw, so Lambda retries the event', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown' }));
    await expect(handler(dropped('incoming/d.csv'))).rejects.toThrow('slow down');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
