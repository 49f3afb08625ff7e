/**
 * Local time on the local stack: a client reads their link's end in the practice's zone, and a
 * therapist registered with a zone of their own (`alliance therapists add --time-zone`) reads the
 * session's date in the alert, and the alert's time on the acknowledge page, in theirs — a US
 * evening session is dated that evening, not the next day as in UTC.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { runCli } from './support/cli.ts';
import { awaitMail, mailedLink, postAnswers, sendSession, sessionDetail } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

// Midnight in New York (EST) on Tuesday, November 3, 2026; the session ended an hour before:
// 11 PM on Monday the 2nd in New York, 8 PM on the 2nd in Los Angeles, already the 3rd in UTC.
const clock = new ManualClock(new Date('2026-11-03T05:00:00Z'));
const PRACTICE_ZONE = 'America/New_York';

const local = useLocalStack({
  clock,
  retry: { baseDelayMs: 20, maxDelayMs: 100 },
  schedulerIntervalMs: 3_600_000,
  // The local stack gives the functions the developer's PRACTICE_TIME_ZONE (else the machine's zone).
  env: { PRACTICE_TIME_ZONE: PRACTICE_ZONE },
});

describe('dates on the local stack', () => {
  it('are in the practice’s zone for the client and in the therapist’s own zone in the alert and on the acknowledge page', async () => {
    const client = sessionDetail(clock.now());
    const therapistId = `t-west-${client.clientId}`;
    const therapistEmail = `west-${client.clientId}@partner-clinic.example`;
    expect((await runCli(local.stack, 'therapists', 'add', therapistId, therapistEmail, '--time-zone', 'America/Los_Angeles')).code).toBe(0);

    const endedAt = new Date(clock.now().getTime() - 3_600_000).toISOString();
    await sendSession(local.events, { ...client, sessionId: `${client.clientId}-s1`, endedAt, therapistId, therapist: { email: therapistEmail, name: 'Dr. West' } });
    const request = await awaitMail(local.stack, client.client.email);
    // Sent at midnight EST with the default 72-hour link: it ends at midnight EST three days on.
    expect(request.body.text).toMatch(/works until Friday, November 6, 2026 at 12:00\sAM EST\./);

    await postAnswers(local.stack, mailedLink(request, 'f'), { relationship: 3, goals: 3, approach: 3, overall: 3, talk: 'yes' });
    const alert = await awaitMail(local.stack, therapistEmail, { description: 'the alert' });
    const text = alert.body.text ?? '';
    expect(text).toContain('Session of Nov\u00A02,\u00A02026');
    expect(text + (alert.body.html ?? '')).not.toContain('Nov\u00A03,\u00A02026');

    const ackLink = mailedLink(alert, 'a');
    // Sent at 05:00 UTC on the 3rd: 9 PM on the 2nd in Los Angeles.
    expect(await (await fetch(ackLink)).text()).toMatch(/Alert of Nov 2, 2026, 9:00\sPM PST about client/);
  }, 120_000);
});
