/**
 * Alert routing on the local stack, with IAM and the bus policies enforced: a covered therapist's
 * alert goes to the covering clinician INSTEAD of them, their supervisor gets a copy of a kind they
 * chose (saying it is a copy for supervision), and a redelivery of the alert event sends nothing
 * more to anybody. `alliance therapists add --supervisor`, `cover`, `uncover` and `list` set and show it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { AllianceRuptureDetected } from '../../shared/events/contracts.ts';
import { runCli } from './support/cli.ts';
import { awaitMail, mailbox, mailedLink, mailTo, postAnswers, putAsProduct, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const DAY = 86_400_000;

const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000 });
const alliance = (...args: string[]) => runCli(local.stack, ...args);

/** One session of the client with this therapist, answered low and asking to talk (an alert), from the mailed link. */
async function answeredSession(client: ReturnType<typeof sessionDetail>, index: number, therapist: { therapistId: string; email: string }): Promise<string> {
  const sessionId = `${client.clientId}-s${index}`;
  const endedAt = new Date(clock.now().getTime() - 3_600_000).toISOString();
  await sendSession(local.events, { ...client, sessionId, endedAt, therapistId: therapist.therapistId, therapist: { email: therapist.email, name: 'Dr. Somebody' } });
  const mail = await awaitMail(local.stack, client.client.email, { nth: index, description: `feedback email ${index}` });
  await postAnswers(local.stack, mailedLink(mail, 'f'), { relationship: 3, goals: 3, approach: 3, overall: 3, talk: 'yes' });
  clock.advance(DAY);
  return sessionId;
}

describe('supervisor and covering clinician on the local stack', () => {
  it('sends a covered therapist’s alert to the covering clinician instead, copies the supervisor, and a redelivery sends nothing more', async () => {
    const tag = randomUUID().slice(0, 8);
    const lee = { therapistId: `t-lee-${tag}`, email: `lee-${tag}@practice.example` };
    const kim = { therapistId: `t-kim-${tag}`, email: `kim-${tag}@practice.example` };
    const sam = { therapistId: `t-sam-${tag}`, email: `sam-${tag}@practice.example` };
    expect((await alliance('therapists', 'add', kim.therapistId, kim.email)).code).toBe(0);
    // A supervisor must be registered: refused before sam is added.
    const refused = await alliance('therapists', 'add', lee.therapistId, lee.email, '--supervisor', sam.therapistId);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`supervisor ${sam.therapistId} is not registered`);
    expect(refused.stdout).toBe('');
    expect((await alliance('therapists', 'add', sam.therapistId, sam.email)).code).toBe(0);
    const added = await alliance('therapists', 'add', lee.therapistId, lee.email, '--supervisor', sam.therapistId, '--supervise-kinds', 'client-asked,low-rating');
    expect(added.stdout).toContain(`Therapist ${lee.therapistId}: added`);
    expect(added.stdout).toContain(`supervisor ${sam.therapistId}, copied on client-asked, low-rating`);
    expect((await alliance('therapists', 'cover', lee.therapistId, '--by', lee.therapistId, '--from', '2026-11-01', '--until', '2026-11-30')).stderr).toContain('cannot cover for themselves');
    const covered = await alliance('therapists', 'cover', lee.therapistId, '--by', kim.therapistId, '--from', '2026-11-01', '--until', '2026-11-30');
    expect(covered).toMatchObject({ code: 0 });
    const listed = (await alliance('therapists', 'list')).stdout.split('\n').find((line) => line.startsWith(lee.therapistId))!;
    expect(listed).toContain(`${sam.therapistId} (client-asked,low-rating)`);
    expect(listed).toContain(`${kim.therapistId} 2026-11-01..2026-11-30`);

    const client = sessionDetail(clock.now());
    const sessionId = await answeredSession(client, 1, lee);
    await waitFor(async () => (await mailTo(local.stack, kim.email)).length > 0 && (await mailTo(local.stack, sam.email)).length > 0, { description: 'the covering clinician’s alert and the supervisor’s copy' });
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, lee.email)).toEqual([]);
    const [forKim, ...moreForKim] = await mailTo(local.stack, kim.email);
    const [forSam, ...moreForSam] = await mailTo(local.stack, sam.email);
    expect([moreForKim, moreForSam]).toEqual([[], []]);
    expect(forKim!.body.text!.split('\n')[0]).toBe('You are covering: this alert is for a client of a colleague who is away.');
    expect(forSam!.body.text!.split('\n')[0]).toBe('A copy for supervision: this alert went to the client’s therapist.');
    // Each has an acknowledge link of their own.
    const ackLink = (text: string) => /\/a\/[A-Za-z0-9_-]+/.exec(text)![0];
    expect(ackLink(forKim!.body.text!)).not.toBe(ackLink(forSam!.body.text!));

    // A redelivery of the alert event (the queue delivers at least once) sends nothing to anybody.
    const alertEvent = local.published.find((event) => event['detail-type'] === AllianceRuptureDetected.detailType && (event.detail as { sessionId: string }).sessionId === sessionId)!;
    const before = (await mailbox(local.stack)).length;
    await putAsProduct(local.stack, AllianceRuptureDetected, alertEvent.detail);
    await putAsProduct(local.stack, AllianceRuptureDetected, alertEvent.detail);
    await local.stack.waitForIdle();
    expect((await mailbox(local.stack)).length).toBe(before);

    // The cover ended: the next alert goes to the therapist again (and the supervisor's copy with it).
    expect((await alliance('therapists', 'uncover', lee.therapistId)).code).toBe(0);
    await answeredSession(client, 2, lee);
    await waitFor(async () => (await mailTo(local.stack, lee.email)).length > 0, { description: 'the therapist’s own alert' });
    await local.stack.waitForIdle();
    expect(await mailTo(local.stack, lee.email)).toHaveLength(1);
    expect((await mailTo(local.stack, lee.email))[0]!.body.text!.split('\n')[0]).not.toContain('covering');
    expect(await mailTo(local.stack, kim.email)).toHaveLength(1);
    expect(await mailTo(local.stack, sam.email)).toHaveLength(2);
  });

  it('imports supervisors from therapists.csv’s optional columns, and an empty supervisorId removes one', async () => {
    const tag = randomUUID().slice(0, 8);
    const path = join(await mkdtemp(join(tmpdir(), 'therapists-')), 'therapists.csv');
    await writeFile(path, `therapistId,email,name,supervisorId,superviseKinds\nt-a-${tag},a-${tag}@practice.example,A,t-b-${tag},rupture|client-asked\nt-b-${tag},b-${tag}@practice.example,B,,\n`);
    expect((await alliance('therapists', 'import', path)).stdout).toContain('2 added');
    const entry = () => alliance('therapists', 'list', '--json').then((listed) => (JSON.parse(listed.stdout) as { therapistId: string; supervisorId?: string; superviseKinds?: string[] }[]).find((one) => one.therapistId === `t-a-${tag}`));
    expect(await entry()).toMatchObject({ supervisorId: `t-b-${tag}`, superviseKinds: ['rupture', 'client-asked'] });

    await writeFile(path, `therapistId,email,supervisorId\nt-a-${tag},a-${tag}@practice.example,\n`);
    expect((await alliance('therapists', 'import', path)).code).toBe(0);
    expect((await entry())?.supervisorId).toBeUndefined();
  });
});
