/**
 * The therapist directory on the local stack, with IAM and the bus policies enforced: alerts about
 * a client go only to the address the practice registered for the session's therapistId. A
 * SessionCompleted naming an outside address for an existing client never mails that address: the
 * alert waits, the administrator gets one notice without personal data, and `alliance therapists
 * add` sends the waiting alert to the registered address. A registered therapist's address is never
 * changed by an event. (`npm start` treats practice.example as the practice's own domain.)
 */
import { randomUUID } from 'node:crypto';
import { localAlertSubject } from '../support/alert-subject.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { runCli } from './support/cli.ts';
import { awaitMail, mailedLink, mailTo, postAnswers, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const DAY = 86_400_000;
const ADMIN = 'admin@practice.example';

const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000 });
/** Runs the CLI in this process against the local stack, capturing what it prints. */
const alliance = (...args: string[]) => runCli(local.stack, ...args);

/** One session of the client, reported by the EHR with this therapist, answered from the mailed link (asking to talk: an alert). */
async function answeredSession(client: ReturnType<typeof sessionDetail>, index: number, therapist: { therapistId: string; email: string }): Promise<void> {
  const endedAt = new Date(clock.now().getTime() - 3_600_000).toISOString();
  await sendSession(local.events, { ...client, sessionId: `${client.clientId}-s${index}`, endedAt, therapistId: therapist.therapistId, therapist: { email: therapist.email, name: 'Dr. Somebody' } });
  const mail = await awaitMail(local.stack, client.client.email, { nth: index, description: `feedback email ${index}` });
  await postAnswers(local.stack, mailedLink(mail, 'f'), { relationship: 3, goals: 3, approach: 3, overall: 3, talk: 'yes' });
  clock.advance(DAY);
}

async function storedTherapist(therapistId: string): Promise<Record<string, unknown> | undefined> {
  return (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.therapist(therapistId), ConsistentRead: true }))).Item;
}

describe('a foreign therapist address on the local stack', () => {
  it('is never mailed: the alert waits, the administrator is told once without personal data, and `therapists add` sends it to the registered address', async () => {
    const client = sessionDetail(clock.now());
    // Ids of their own, not derived from the client's: the notice must be seen to carry none of the client's.
    const tag = randomUUID().slice(0, 8);
    const own = { therapistId: `t-own-${tag}`, email: `own-${tag}@practice.example` };
    const outside = { therapistId: `t-out-${tag}`, email: `mallory-${tag}@outside.example` };
    const registered = `kim-${tag}@partner-clinic.example`;

    // An existing client, with their practice's therapist (registered on first sight at practice.example).
    await answeredSession(client, 1, own);
    await waitFor(async () => (await mailTo(local.stack, own.email)).length > 0, { description: 'the own therapist’s alert' });
    // The same client, now with a therapist at an outside address.
    await answeredSession(client, 2, outside);
    const notices = async () => (await mailTo(local.stack, ADMIN)).filter((mail) => mail.subject.includes(outside.therapistId));
    await waitFor(async () => (await notices()).length > 0, { description: 'the administrator’s notice' });
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, outside.email)).toEqual([]);
    expect(await storedTherapist(outside.therapistId)).toBeUndefined();
    const [notice, ...more] = await notices();
    expect(more).toEqual([]);
    const noticeText = `${notice!.subject}\n${notice!.body.text}\n${notice!.body.html}`;
    expect(noticeText).toContain(`npx alliance therapists add ${outside.therapistId}`);
    for (const personal of [client.clientId, client.client.email, outside.email, 'Ana']) expect(noticeText).not.toContain(personal);

    const added = await alliance('therapists', 'add', outside.therapistId, registered, '--name', 'Dr. Kim');
    expect(added).toMatchObject({ code: 0 });
    expect(added.stdout).toContain(`Therapist ${outside.therapistId}: added`);
    await waitFor(async () => (await mailTo(local.stack, registered)).length > 0, { description: 'the waiting alert at the registered address' });
    await local.stack.waitForIdle();

    const [alert, ...others] = await mailTo(local.stack, registered);
    expect(others).toEqual([]);
    expect(alert!.subject).toBe(localAlertSubject('client-asked', client.clientId));
    expect(await mailTo(local.stack, outside.email)).toEqual([]);
    expect(await notices()).toHaveLength(1);
  });
});

describe('a registered therapist on the local stack', () => {
  it('keeps the directory’s address when an event names another one', async () => {
    const client = sessionDetail(clock.now());
    const therapistId = `t-known-${client.clientId}`;
    const directoryAddress = `lee-${client.clientId}@practice.example`;
    const eventAddress = `lee-${client.clientId}@elsewhere.example`;
    expect((await alliance('therapists', 'add', therapistId, directoryAddress)).code).toBe(0);

    await answeredSession(client, 1, { therapistId, email: eventAddress });
    await waitFor(async () => (await mailTo(local.stack, directoryAddress)).length > 0, { description: 'the alert at the directory’s address' });
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, eventAddress)).toEqual([]);
    expect(await storedTherapist(therapistId)).toMatchObject({ email: directoryAddress, registeredBy: 'administrator' });
  });
});

describe('alliance therapists import on the local stack', () => {
  async function csv(text: string): Promise<string> {
    const path = join(await mkdtemp(join(tmpdir(), 'therapists-')), 'therapists.csv');
    await writeFile(path, text);
    return path;
  }

  it('applies nothing when a row is bad, and changes nothing when the same file is imported again', async () => {
    const bad = await csv('therapistId,email,name\nt-imp-1,ana@practice.example,Ana\nt-imp-2,not-an-address,Bo\n');
    const refused = await alliance('therapists', 'import', bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('line 3: email is not an email address');
    expect(await storedTherapist('t-imp-1')).toBeUndefined();

    const good = await csv('therapistId,email,name\nt-imp-1,ana@practice.example,Ana\nt-imp-2,bo@practice.example,Bo\n');
    expect((await alliance('therapists', 'import', good)).stdout).toContain('2 added, 0 updated, 0 unchanged');
    expect((await alliance('therapists', 'import', good)).stdout).toContain('0 added, 0 updated, 2 unchanged');

    const listed = JSON.parse((await alliance('therapists', 'list', '--json')).stdout) as { therapistId: string; email: string }[];
    expect(listed.filter((entry) => entry.therapistId.startsWith('t-imp-')).map((entry) => [entry.therapistId, entry.email])).toEqual([
      ['t-imp-1', 'ana@practice.example'],
      ['t-imp-2', 'bo@practice.example'],
    ]);
    expect((await alliance('therapists', 'remove', 't-imp-2')).code).toBe(0);
    expect(await storedTherapist('t-imp-2')).toBeUndefined();
  });
});
