/**
 * The weekly digest on the local stack, end to end: answers → the evaluation's caseload summaries →
 * the hourly dispatch at the digest hour in the therapist's zone → DigestTimeReached through its queue → one
 * email per registered therapist with active clients, listing every active client by pseudonym;
 * the directory's off switch, an unregistered therapist, a redelivered message, `alliance digest
 * send`, and every call within the functions' IAM policies.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { clientPseudonym } from '../../shared/adapters/client-pseudonym.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { LOCAL_ADDRESS_HASH_KEY } from '../../shared/config.ts';
import { DigestTimeReached } from '../../shared/events/contracts.ts';
import { emailClientErrors, markupErrors } from '../support/email-checks.ts';
import { runCli } from './support/cli.ts';
import { awaitMail, mailedLink, mailTo, postAnswers, putAsProduct, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

// Sunday, December 6, 2026, noon in Chicago; the digest is due Monday 07:00 Chicago = 13:00 UTC.
const clock = new ManualClock(new Date('2026-12-06T18:00:00Z'));
const PRACTICE_ZONE = 'America/Chicago';

const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000, env: { PRACTICE_TIME_ZONE: PRACTICE_ZONE }, timeoutMs: 120_000 });

/** One session of a client with a therapist, answered on the form (`total` of 40 in equal parts, with a comment or not). */
async function answeredSession(therapist: { therapistId: string; email: string }, clientId: string, total: number, comment?: string): Promise<void> {
  const detail = sessionDetail(clock.now(), { clientId, therapistId: therapist.therapistId, therapist: { email: therapist.email }, client: { email: `${clientId}-${Math.random().toString(36).slice(2, 6)}@example.com`, locale: 'en' } });
  await sendSession(local.events, detail);
  const request = await awaitMail(local.stack, detail.client.email);
  const value = String(total / 4);
  await postAnswers(local.stack, mailedLink(request, 'f'), { relationship: value, goals: value, approach: value, overall: value, ...(comment ? { comment } : {}) });
}

const lee = { therapistId: 't-digest-lee', email: 'lee-digest@practice.example' };
const off = { therapistId: 't-digest-off', email: 'off-digest@practice.example' };
const stranger = { therapistId: 't-digest-unregistered', email: 'someone@other-clinic.example' };

describe('the weekly digest', () => {
  it('sends each registered therapist with active clients one digest at their hour, once, with every active client', async () => {
    expect((await runCli(local.stack, 'therapists', 'add', lee.therapistId, lee.email, '--name', 'Dr. Lee')).code).toBe(0);
    expect((await runCli(local.stack, 'therapists', 'add', off.therapistId, off.email, '--no-digest')).code).toBe(0);

    await answeredSession(lee, 'c-digest-1', 36, 'Something <b>private</b> about the last session');
    await answeredSession(lee, 'c-digest-2', 32);
    await answeredSession(off, 'c-digest-3', 36);
    await answeredSession(stranger, 'c-digest-4', 36);

    // The evaluation keeps one summary per (therapist, client), with the clientId export and erase need.
    const summary = (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.caseload(lee.therapistId, 'c-digest-1') }))).Item;
    expect(summary).toMatchObject({ clientId: 'c-digest-1', therapistId: lee.therapistId, lastScore: { total: 36 } });
    expect([...(summary!['commentSessions'] as Set<string>)]).toHaveLength(1);

    // Not yet the hour: nobody's digest is due.
    expect((await local.stack.dispatchDigests()).due).toEqual([]);
    // Monday 07:00 in Chicago.
    clock.set(new Date('2026-12-07T13:00:00Z'));
    const report = await local.stack.dispatchDigests();
    expect(report.due).toContain(lee.therapistId);
    expect(report.due).not.toContain(off.therapistId);
    expect(report.due).not.toContain(stranger.therapistId);
    await waitFor(async () => (await mailTo(local.stack, lee.email)).some((mail) => /weekly digest/.test(mail.subject ?? '')), { description: 'the digest' });
    await local.stack.waitForIdle(30_000);

    const digests = (await mailTo(local.stack, lee.email)).filter((mail) => /weekly digest/.test(mail.subject ?? ''));
    expect(digests).toHaveLength(1);
    const digest = digests[0]!;
    expect(digest.subject).toBe('Your weekly digest — 2 active clients, 1 with comments waiting');
    const text = digest.body.text ?? '';
    const htmlBody = digest.body.html ?? '';
    for (const clientId of ['c-digest-1', 'c-digest-2']) {
      expect(text).toContain(`Client ${clientPseudonym(LOCAL_ADDRESS_HASH_KEY, clientId)}`);
      // The EHR id is not in the email by default.
      expect(text + htmlBody).not.toContain(clientId);
    }
    expect(text).toContain('Last: 36 of 40, Dec\u00A06,\u00A02026');
    expect(text).toContain('comment or request to talk waiting (1)');
    // That there is a comment, never what it says.
    expect(text + htmlBody).not.toContain('private');
    expect(text).toContain('No alerts were sent to you in the last 4 weeks.');
    expect(await markupErrors(htmlBody)).toEqual([]);
    expect(emailClientErrors(htmlBody)).toEqual([]);
    expect((await mailTo(local.stack, off.email)).filter((mail) => /digest/.test(mail.subject ?? ''))).toHaveLength(0);

    // Each client's row links the therapist's own trend page; opening it shows the comment (escaped)
    // and marks it read, so the next digest no longer counts it as waiting.
    const pseudonym = clientPseudonym(LOCAL_ADDRESS_HASH_KEY, 'c-digest-1');
    const row = text.slice(text.indexOf(`Client ${pseudonym}`));
    const trendUrl = /Trend: (http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]{43})/.exec(row)?.[1];
    expect(trendUrl).toBeDefined();
    const page = await fetch(trendUrl!);
    expect(page.status).toBe(200);
    const pageHtml = await page.text();
    expect(pageHtml).toContain('c-digest-1');
    expect(pageHtml).toContain('Something &lt;b&gt;private&lt;/b&gt; about the last session');
    await local.stack.waitForIdle(30_000);
    const read = (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.caseload(lee.therapistId, 'c-digest-1') }))).Item;
    expect([...((read?.['commentSessions'] as Set<string> | undefined) ?? [])]).toHaveLength(0);

    // A redelivered DigestTimeReached of the same week sends nothing again.
    await putAsProduct(local.stack, DigestTimeReached, { therapistId: lee.therapistId, digestId: 'week-2026-W50' });
    await local.stack.waitForIdle(30_000);
    expect((await mailTo(local.stack, lee.email)).filter((mail) => /weekly digest/.test(mail.subject ?? ''))).toHaveLength(1);

    // `alliance digest send`: an unregistered therapist and one who turned it off get none; the run sends again.
    expect((await runCli(local.stack, 'digest', 'send', '--therapist', stranger.therapistId)).code).toBe(0);
    expect((await runCli(local.stack, 'digest', 'send', '--therapist', off.therapistId)).code).toBe(0);
    const sent = await runCli(local.stack, 'digest', 'send');
    expect(sent.code).toBe(0);
    expect(sent.stdout + sent.stderr).toMatch(/Published DigestTimeReached \(manual-\d{8}T\d{9}Z\) for \d+ therapists?/);
    await waitFor(async () => (await mailTo(local.stack, lee.email)).filter((mail) => /weekly digest/.test(mail.subject ?? '')).length === 2, { description: 'the manual digest' });
    await local.stack.waitForIdle(30_000);
    const manual = (await mailTo(local.stack, lee.email)).filter((mail) => /weekly digest/.test(mail.subject ?? ''))[1]!;
    expect(manual.subject).toBe('Your weekly digest — 2 active clients');
    expect((await mailTo(local.stack, stranger.email)).filter((mail) => /digest/.test(mail.subject ?? ''))).toHaveLength(0);
    expect((await mailTo(local.stack, off.email)).filter((mail) => /digest/.test(mail.subject ?? ''))).toHaveLength(0);

    expect(local.stack.iamDenials()).toEqual([]);
    expect(local.stack.deadLetters).toEqual([]);
  }, 180_000);

  it('shows an alert as open until the therapist acknowledges it, and counts it in their response rate', async () => {
    const kim = { therapistId: 't-digest-kim', email: 'kim-digest@practice.example' };
    expect((await runCli(local.stack, 'therapists', 'add', kim.therapistId, kim.email)).code).toBe(0);
    // A very low rating raises an alert (low-rating fires even before a baseline exists).
    await answeredSession(kim, 'c-digest-5', 8);
    await waitFor(async () => (await mailTo(local.stack, kim.email)).some((mail) => /\/a\/[A-Za-z0-9_-]{43}/.test(mail.body.text ?? '')), { description: 'the alert' });
    await local.stack.waitForIdle(30_000);
    const digestOf = async (count: number) => {
      expect((await runCli(local.stack, 'digest', 'send', '--therapist', kim.therapistId)).code).toBe(0);
      await waitFor(async () => (await mailTo(local.stack, kim.email)).filter((mail) => /weekly digest/.test(mail.subject ?? '')).length === count, { description: `digest ${count}` });
      await local.stack.waitForIdle(30_000);
      return (await mailTo(local.stack, kim.email)).filter((mail) => /weekly digest/.test(mail.subject ?? '')).at(-1)!;
    };
    const before = await digestOf(1);
    expect(before.subject).toBe('Your weekly digest — 1 active client, 1 alert open');
    expect(before.body.text).toContain('— alert open');
    expect(before.body.text).toContain('You acknowledged 0 of 1 alert sent to you in the last 4 weeks (0%).');

    const alert = (await mailTo(local.stack, kim.email)).find((mail) => /\/a\/[A-Za-z0-9_-]{43}/.test(mail.body.text ?? ''))!;
    const ackLink = /http:\/\/127\.0\.0\.1:\d+\/a\/[A-Za-z0-9_-]{43}/.exec(alert.body.text ?? '')![0];
    expect((await fetch(ackLink, { method: 'POST', redirect: 'manual' })).status).toBe(200);
    await local.stack.waitForIdle(30_000);
    // The next run of the CLI has its own digestId (a later time).
    clock.set(new Date(clock.now().getTime() + 60_000));
    const after = await digestOf(2);
    expect(after.subject).toBe('Your weekly digest — 1 active client');
    expect(after.body.text).not.toContain('alert open');
    expect(after.body.text).toContain('You acknowledged 1 of 1 alert sent to you in the last 4 weeks (100%).');
    expect(local.stack.iamDenials()).toEqual([]);
  }, 180_000);
  it('does not email the therapist an unrepaired escalation: their digest shows the client as not repaired until they open the trend page, and their supervisor is emailed', async () => {
    const ann = { therapistId: 't-digest-ann', email: 'ann-digest@practice.example' };
    const sue = { therapistId: 't-digest-sue', email: 'sue-digest@practice.example' };
    expect((await runCli(local.stack, 'therapists', 'add', sue.therapistId, sue.email)).code).toBe(0);
    // Copied on the default kinds: unrepaired and sustained decline.
    expect((await runCli(local.stack, 'therapists', 'add', ann.therapistId, ann.email, '--supervisor', sue.therapistId)).code).toBe(0);
    // Five steady sessions, a drop (a rupture alert), then four that stay down: the escalation at the 4th.
    for (const total of [36, 36, 36, 36, 36, 24, 28, 28, 28, 28]) {
      await answeredSession(ann, 'c-digest-6', total);
      clock.set(new Date(clock.now().getTime() + 86_400_000));
    }
    await local.stack.waitForIdle(30_000);
    const alerts = (await mailTo(local.stack, ann.email)).filter((mail) => /\/a\/[A-Za-z0-9_-]{43}/.test(mail.body.text ?? ''));
    expect(alerts.map((mail) => mail.subject)).toEqual([expect.stringContaining('sharp drop')]);
    const copies = await mailTo(local.stack, sue.email);
    expect(copies.map((mail) => mail.subject)).toEqual([expect.stringContaining('not yet repaired')]);
    expect(copies[0]!.body.text!.split('\n')[0]).toBe('A copy for supervision: this alert went to the client’s therapist.');
    const summary = (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.caseload(ann.therapistId, 'c-digest-6') }))).Item!;
    expect([...(summary['openAlerts'] as Set<string>)]).toHaveLength(1);
    expect([...(summary['unrepairedSessions'] as Set<string>)]).toHaveLength(1);

    const digests = async (count: number) => {
      clock.set(new Date(clock.now().getTime() + 60_000));
      expect((await runCli(local.stack, 'digest', 'send', '--therapist', ann.therapistId)).code).toBe(0);
      await waitFor(async () => (await mailTo(local.stack, ann.email)).filter((mail) => /weekly digest/.test(mail.subject ?? '')).length === count, { description: `digest ${count}` });
      await local.stack.waitForIdle(30_000);
      return (await mailTo(local.stack, ann.email)).filter((mail) => /weekly digest/.test(mail.subject ?? '')).at(-1)!.body.text ?? '';
    };
    // The rupture alert is acknowledged from its email: the client is still not repaired.
    const ackLink = /http:\/\/127\.0\.0\.1:\d+\/a\/[A-Za-z0-9_-]{43}/.exec(alerts[0]!.body.text ?? '')![0];
    expect((await fetch(ackLink, { method: 'POST', redirect: 'manual' })).status).toBe(200);
    await local.stack.waitForIdle(30_000);
    expect(await digests(1)).toContain('— not repaired');

    // Opening the client's trend page (the digest's link) shows the escalation; once the client has
    // answered again (their baseline starts afresh), the digest no longer repeats it.
    const text = (await mailTo(local.stack, ann.email)).filter((mail) => /weekly digest/.test(mail.subject ?? '')).at(-1)!.body.text ?? '';
    const trendUrl = /Trend: (http:\/\/127\.0\.0\.1:\d+\/t\/[A-Za-z0-9_-]{43})/.exec(text)![1]!;
    const page = await fetch(trendUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('not yet repaired</strong> · in your weekly digest, not emailed');
    await local.stack.waitForIdle(30_000);
    expect(await digests(2)).toContain('— not repaired');
    await answeredSession(ann, 'c-digest-6', 28);
    expect(await digests(3)).not.toContain('not repaired');
    expect(local.stack.iamDenials()).toEqual([]);
  }, 240_000);
});
