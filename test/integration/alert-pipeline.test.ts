/**
 * The clinical loop on the local stack, as its users meet it: sessions arrive as events, the client
 * answers from the mailed link, and the therapist gets an alert email only when the client's
 * answers drop below their own baseline (or they ask to talk).
 */
import { localAlertSubject } from '../support/alert-subject.ts';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { awaitMail, mailedLink, mailTo, postAnswers, sendSession, sessionDetail } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const DAY = 86_400_000;
const THERAPIST = 'lee@practice.example';

const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000 });

/** Items that add up to `total` of 40, as evenly as whole numbers allow. */
function itemsFor(total: number): Record<string, number> {
  const base = Math.floor(total / 4);
  const extra = total - base * 4;
  const [relationship, goals, approach, overall] = [0, 1, 2, 3].map((i) => base + (i < extra ? 1 : 0)) as [number, number, number, number];
  return { relationship, goals, approach, overall };
}

/** One client's whole course: a session a day, each answered from the mailed link. */
async function course(clientTotals: readonly { total: number; talk?: boolean }[]): Promise<{ clientId: string; therapistMail: () => Promise<{ subject: string; body: { text?: string; html?: string } }[]> }> {
  const base = sessionDetail(clock.now());
  const clientId = base.clientId;
  const therapist = `t-${clientId}@practice.example`;
  for (const [index, answer] of clientTotals.entries()) {
    const endedAt = new Date(clock.now().getTime() - 3_600_000).toISOString();
    await sendSession(local.events, { ...base, sessionId: `${clientId}-s${index + 1}`, endedAt, therapistId: `t-${clientId}`, therapist: { email: therapist, name: 'Dr. Lee' } });
    const mail = await awaitMail(local.stack, base.client.email, { nth: index + 1, description: `feedback email ${index + 1}` });
    await postAnswers(local.stack, mailedLink(mail, 'f'), { ...itemsFor(answer.total), ...(answer.talk ? { talk: 'yes' } : {}) });
    clock.advance(DAY);
  }
  return { clientId, therapistMail: () => mailTo(local.stack, therapist) };
}

describe('alerts on the local stack', () => {
  it('sends no alert for a stable client', async () => {
    const client = await course([38, 39, 40, 38, 39, 40, 38, 39].map((total) => ({ total })));

    expect(await client.therapistMail()).toEqual([]);
  }, 120_000);

  it('sends exactly one alert when a client drops from ~38 to 27, with the numbers, and none when they come back', async () => {
    const client = await course([38, 38, 39, 38, 38, 27, 38, 38].map((total) => ({ total })));

    const mails = await client.therapistMail();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(localAlertSubject('rupture', client.clientId));
    const text = mails[0]!.body.text ?? '';
    expect(text).toContain('How this was judged: Total 27 of 40 against a usual 38.2');
    expect(mails[0]!.subject).not.toContain(client.clientId);
    expect(text).toMatch(/Acknowledge this alert: http:\/\/127\.0\.0\.1:\d+\/a\/[A-Za-z0-9_-]{43}/);
    expect(text + (mails[0]!.body.html ?? '')).not.toContain(`${client.clientId}@example.com`);

    // The therapist acknowledges from the email: opening the link changes nothing, the button does.
    const ackLink = /http:\/\/127\.0\.0\.1:\d+\/a\/[A-Za-z0-9_-]{43}/.exec(text)![0];
    const page = await fetch(ackLink);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Acknowledge this alert');
    const acknowledged = await fetch(ackLink, { method: 'POST' });
    expect(await acknowledged.text()).toContain('Alert acknowledged');
    expect(await (await fetch(ackLink, { method: 'POST' })).text()).toContain('Already acknowledged');
  }, 120_000);

  it('sends one alert when the client asks to talk', async () => {
    const client = await course([{ total: 37 }, { total: 38, talk: true }]);

    const mails = await client.therapistMail();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.body.text).toContain('Your client would like to talk about how therapy is going');
  }, 60_000);
});
