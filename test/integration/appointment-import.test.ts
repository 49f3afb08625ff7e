/**
 * The appointment import end to end on the local stack: `alliance import` (the command's own code)
 * puts SessionCompleted on the local bus, the request function emails the clients (SES emulator).
 * The clients are on the stack's roster and the therapist in its directory, written with their
 * real stores; the command completes each appointment from them as it does for a practice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbClientRoster } from '../../shared/adapters/dynamodb-client-roster.ts';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import type { RosterClient } from '../../shared/use-cases/ports.ts';
import { importCommand } from '../../bin/import.ts';
import { mailbox, mailTo, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

let dir: string;
const clock = new ManualClock(new Date());
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-import-'));
  await new DynamoDbClientRoster(local.stack.tableName, local.table).put(CLIENTS.map((client) => ({ ...client, importedAt: clock.now().toISOString() })));
  await new DynamoDbTherapistDirectory(local.stack.tableName, local.table).save({ therapistId: 't-1', email: 'dana@practice.example', name: 'Dana' }, clock.now().toISOString());
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = `r${Date.now().toString(36)}`;
const CLIENTS: RosterClient[] = ['ana', 'ben', 'cy', 'di'].map((name) => ({ clientId: `${run}-${name}`, email: `${name}.${run}@client.example`, firstName: name, locale: 'en', therapistId: 't-1', active: true }));

/** A European spreadsheet's export: BOM, `;`, CRLF, a quoted field with a line break inside. */
function appointmentFile(now: Date): string {
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
  const lines = [
    'appointmentId;clientId;therapistId;start;end;status;note',
    `${run}-1;${run}-ana;t-1;${at(3)};${at(2)};fulfilled;"first line\r\nsecond line"`,
    `${run}-2;${run}-ben;t-1;${at(3)};${at(2)};fulfilled;`,
    `${run}-3;${run}-cy;t-1;${at(3)};${at(2)};cancelled;`,
    `${run}-4;${run}-di;t-1;${at(3)};${at(2)};noshow;`,
  ];
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

async function importFile(path: string, ...options: string[]): Promise<string> {
  let output = '';
  const out = new Writable({ write: (chunk, _encoding, done) => ((output += String(chunk)), done()) });
  await importCommand([path, '--no-progress', '--bus-endpoint', local.stack.endpoints.bus, '--endpoint', local.stack.endpoints.dynamodb, ...options], { now: clock.now(), out });
  return output;
}

describe('alliance import on the local stack', () => {
  it('emails the clients of the completed appointments only, and nobody when the same file is imported again', async () => {
    const path = join(dir, 'appointments.csv');
    writeFileSync(path, appointmentFile(clock.now()));

    const first = await importFile(path);
    expect(first).toContain('announced       2 session(s)');
    expect(first).toMatch(/cancelled\s+1/);
    expect(first).toMatch(/no-show\s+1/);
    await waitFor(async () => (await mailTo(local.stack, CLIENTS[1]!.email)).length > 0, { description: 'the second client\'s email' });
    await local.stack.waitForIdle();
    const mailed = async () => (await mailbox(local.stack)).filter((mail) => mail.destination.to.some((to) => to.includes(run))).map((mail) => mail.destination.to[0]);
    expect((await mailed()).sort()).toEqual([CLIENTS[0]!.email, CLIENTS[1]!.email]);

    const second = await importFile(path);
    expect(second).toContain('announced       2 session(s)');
    await local.stack.waitForIdle();
    expect((await mailed()).sort()).toEqual([CLIENTS[0]!.email, CLIENTS[1]!.email]);
  });

  it('in a dry run lists each row and announces nothing', async () => {
    const path = join(dir, 'dry.csv');
    writeFileSync(path, appointmentFile(clock.now()).replaceAll(`${run}-`, `${run}-dry-`).replaceAll(`${run}-dry-ana`, `${run}-ana`));
    const before = (await mailbox(local.stack)).length;

    const output = await importFile(path, '--dry-run');

    expect(output).toContain(`line 2\t${run}-dry-1\tannounce`);
    expect(output).toContain(`line 5\t${run}-dry-3\tcancelled`);
    await local.stack.waitForIdle();
    expect((await mailbox(local.stack)).length).toBe(before);
  });
});
