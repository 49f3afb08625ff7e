/**
 * The client roster on the local stack, through the real CLI as a subprocess: import, list, a
 * re-import that writes nothing, a session completed from the roster (completeSession with the
 * store the inbound handlers use) and mailed, export with the roster entry, erase deleting it, and
 * an erased client staying erased: a re-import does not store them again, and a SessionCompleted
 * completed from a roster entry that outlived the erasure still sends nothing.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { clientRosterFrom } from '../../shared/adapters/dynamodb-client-roster.ts';
import { InboundEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import * as rosterClientItem from '../../shared/adapters/items/roster-client.ts';
import { DEFAULT_BUS_NAME, SessionCompleted } from '../../shared/events/contracts.ts';
import { completeSession } from '../../shared/use-cases/complete-session.ts';
import { codeBlock, readDoc } from '../docs/markdown.ts';
import type { TherapistDirectory } from '../../shared/use-cases/ports.ts';
import { spawnCli } from './support/cli.ts';
import { mailTo, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const ANA = 'ana.roster@client.example';
const BEN = 'ben.roster@client.example';
const ROSTER = `clientId,email,firstName,locale,therapistId,active
r-ana,${ANA},Ana,es,t-1,yes
r-ben,${BEN},Ben,en,t-1,no
`;

let dir: string;
let rosterFile: string;
const clock = new ManualClock(new Date('2026-12-06T12:00:00Z'));
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000, timeoutMs: 180_000 });
const publishedFor = (sessionId: string) => local.published.filter((event) => event.detail['sessionId'] === sessionId).map((event) => `${event.source} ${event['detail-type']}`);
/** The therapist directory is another port (branch `directory`): a plain fake here. */
const therapists: TherapistDirectory = { find: async (therapistId) => (therapistId === 't-1' ? { therapistId, email: 'lee@practice.example', name: 'Dr. Lee' } : undefined) };

const alliance = (...args: string[]) => spawnCli(local.stack, args);

async function rosterItem(clientId: string): Promise<Record<string, unknown> | undefined> {
  return (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.rosterClient(clientId), ConsistentRead: true }))).Item;
}

/** An appointment that names only the client, completed from the roster and published as an inbound adapter does. */
async function appointmentOf(clientId: string, sessionId: string) {
  const roster = clientRosterFrom(local.stack.tableName, local.table);
  const result = await completeSession({ sessionId, clientId, endedAt: new Date(clock.now().getTime() - 3_600_000).toISOString() }, { roster, therapists });
  if (result.completed) await new InboundEventPublisher(DEFAULT_BUS_NAME, local.events).publish(SessionCompleted, result.detail);
  return result;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-roster-'));
  rosterFile = join(dir, 'clients.csv');
  writeFileSync(rosterFile, ROSTER);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the client roster on the local stack', () => {
  it('imports the file, then lists it without addresses (and with them as JSON)', async () => {
    const imported = await alliance('clients', 'import', rosterFile);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('added 2, updated 0, unchanged 0');

    const listed = await alliance('clients', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^r-ana\s+t-1\s+yes\s+es\s+\d{4}-/m);
    expect(listed.stdout).toMatch(/^r-ben\s+t-1\s+no\s+en/m);
    expect(listed.stdout).toContain('2 clients on the roster (1 active)');
    expect(listed.stdout).not.toContain(ANA);
    expect(listed.stdout).not.toContain('Ana');

    const json = JSON.parse((await alliance('clients', 'list', '--json')).stdout);
    expect(json).toEqual([
      { clientId: 'r-ana', email: ANA, firstName: 'Ana', locale: 'es', therapistId: 't-1', active: true, importedAt: expect.any(String) },
      { clientId: 'r-ben', email: BEN, firstName: 'Ben', locale: 'en', therapistId: 't-1', active: false, importedAt: expect.any(String) },
    ]);
  }, 60_000);

  it('writes nothing when the same file is imported again', async () => {
    const before = await rosterItem('r-ana');

    const again = await alliance('clients', 'import', rosterFile);

    expect(again.code).toBe(0);
    expect(again.stdout).toContain('added 0, updated 0, unchanged 2');
    expect(await rosterItem('r-ana')).toEqual(before);
  }, 60_000);

  it('completes an appointment that names only the client from the roster, and mails the client; an inactive one is skipped', async () => {
    await expect(appointmentOf('r-ana', 'r-ana-s1')).resolves.toMatchObject({ completed: true, detail: { client: { email: ANA, locale: 'es' }, therapistId: 't-1' } });
    await expect(appointmentOf('r-ben', 'r-ben-s1')).resolves.toEqual({ completed: false, reason: 'client-inactive' });

    await waitFor(async () => (await mailTo(local.stack, ANA)).length === 1, { description: 'the feedback email to the roster client' });
    await local.stack.waitForIdle();
    expect(publishedFor('r-ana-s1')).toEqual(['alliance-feedback.inbound SessionCompleted', 'alliance-feedback FeedbackRequested']);
    expect(await mailTo(local.stack, BEN)).toEqual([]);
  }, 60_000);

  it('exports the roster entry with the client’s data', async () => {
    const out = join(dir, 'ana.json');
    const exported = await alliance('export', 'r-ana', '--out', out);
    expect(exported.code).toBe(0);

    const document = JSON.parse(readFileSync(out, 'utf8'));
    expect(document.roster).toEqual({ email: ANA, firstName: 'Ana', locale: 'es', therapistId: 't-1', active: true, importedAt: expect.any(String) });
    expect(document.sessions.map((session: { sessionId: string }) => session.sessionId)).toEqual(['r-ana-s1']);
  }, 60_000);

  it('erases the roster entry with the rest, and a re-import does not bring the erased client back', async () => {
    const erased = await alliance('erase', 'r-ana', '--yes');
    expect(erased.code).toBe(0);
    expect(erased.stdout).toContain('1 roster entry');
    expect(await rosterItem('r-ana')).toBeUndefined();

    const again = await alliance('clients', 'import', rosterFile);

    expect(again.code).toBe(0);
    expect(again.stdout).toContain('added 0, updated 0, unchanged 1');
    expect(again.stdout).toContain('Skipped 1 erased client (line 2)');
    expect(await rosterItem('r-ana')).toBeUndefined();
    expect(await rosterItem('r-ben')).toBeDefined();
    await expect(appointmentOf('r-ana', 'r-ana-s2')).resolves.toEqual({ completed: false, reason: 'client-not-on-roster' });
  }, 60_000);

  it('sends nothing and stores no session for an erased client, even from a roster entry that outlived the erasure', async () => {
    // As if an import had raced the erase: the entry is back, the tombstone still stands.
    await local.table.send(new PutCommand({ TableName: local.stack.tableName, ...rosterClientItem.put({ clientId: 'r-ana', email: ANA, firstName: 'Ana', locale: 'es', therapistId: 't-1', active: true, importedAt: clock.now().toISOString() }) }));

    const result = await appointmentOf('r-ana', 'r-ana-s3');
    await local.stack.waitForIdle();

    expect(result.completed).toBe(true);
    // The inbound event was on the bus and handled: the request refused the erased client.
    expect(publishedFor('r-ana-s3')).toEqual(['alliance-feedback.inbound SessionCompleted']);
    expect(await mailTo(local.stack, ANA)).toHaveLength(1);
    expect((await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.session('r-ana-s3'), ConsistentRead: true }))).Item).toBeUndefined();
  }, 60_000);

  it('removes one client from the roster, and says so when there is nothing to remove', async () => {
    const removed = await alliance('clients', 'remove', 'r-ben');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Removed client r-ben from the roster');
    expect(await rosterItem('r-ben')).toBeUndefined();

    const again = await alliance('clients', 'remove', 'r-ben');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('client r-ben is not on the roster');
  }, 60_000);
});

describe('the roster example of docs/integrate.md', () => {
  it('imports as documented: a dry run writes nothing, the import adds the file, the listing shows it', async () => {
    const doc = readDoc('docs/integrate.md');
    const exampleDir = mkdtempSync(join(dir, 'example-'));
    writeFileSync(join(exampleDir, 'clients.csv'), `${codeBlock(doc, 'Client roster', 'csv')}\n`);
    const commands = codeBlock(doc, 'Client roster', 'sh')
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line.startsWith('npx alliance '));
    expect(commands).toHaveLength(3);

    const outputs: string[] = [];
    for (const command of commands) {
      const result = await spawnCli(local.stack, command.slice('npx alliance '.length).split(/\s+/), { cwd: exampleDir });
      expect(result.stderr, command).toBe('');
      expect(result.code, command).toBe(0);
      outputs.push(result.stdout);
    }

    expect(outputs[0]).toContain('would add 3, would update 0, unchanged 0');
    expect(outputs[1]).toContain('added 3, updated 0, unchanged 0');
    expect(outputs[2]).toMatch(/^c-1044\s+t-9\s+no\s+\s+\d{4}-/m);
    expect(outputs[2]).not.toContain('@example.com');
    expect(await rosterItem('c-1043')).toMatchObject({ email: 'ben@example.com', active: true });
    expect(await rosterItem('c-1043')).not.toHaveProperty('firstName');
  }, 60_000);

  it('deactivates the clients missing from a file only when asked to', async () => {
    const only = join(dir, 'only.csv');
    writeFileSync(only, 'clientId,email,therapistId\nc-1042,ana@example.com,t-7\n');

    const kept = await alliance('clients', 'import', only);
    expect(kept.stdout).toMatch(/clients on the roster but not in this file: kept as they were/);
    expect(await rosterItem('c-1043')).toMatchObject({ active: true });

    const deactivated = await alliance('clients', 'import', only, '--deactivate-missing');
    expect(deactivated.code).toBe(0);
    expect(deactivated.stdout).toMatch(/Deactivated \d+ clients on the roster but not in this file/);
    expect(await rosterItem('c-1043')).toMatchObject({ active: false, email: 'ben@example.com' });
  }, 60_000);
});
