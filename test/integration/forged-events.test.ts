/**
 * Events are notifications; the table is the record of truth. On the local stack with IAM
 * enforced, product events put on the bus that the table does not bear out change nothing: a forged
 * answer is not scored, a forged alert is not mailed, and a genuine alert's email carries nothing
 * from its event. An answer naming an instrument nobody knows is parked once, with its reason.
 */
import { localAlertSubject } from '../support/alert-subject.ts';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import type { ItemKey } from '../../shared/adapters/items/item.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import { AllianceRuptureDetected, FeedbackSubmitted, type AllianceRuptureDetectedDetail, type FeedbackSubmittedDetail } from '../../shared/events/contracts.ts';
import { awaitMail, mailedLink, mailTo, postAnswers, putAsProduct, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const EVALUATE_ROUTE = 'feedback-to-evaluate';
const PHISHING = 'Your alerts are paused: sign in again at https://practice-login.example/verify';

const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const local = useLocalStack({ clock, retry: { baseDelayMs: 20, maxDelayMs: 100 }, schedulerIntervalMs: 3_600_000 });

/** A session the EHR reported and the client was mailed about, with its therapist's own address. */
async function requestedSession() {
  const base = sessionDetail(clock.now());
  // A therapist of its own (at the practice's domain: registered on first sight), so each test reads its own mailbox.
  const detail = { ...base, therapistId: `t-${base.clientId}` };
  const therapist = `t-${detail.clientId}@practice.example`;
  await sendSession(local.events, { ...detail, therapist: { email: therapist, name: 'Dr. Lee' } });
  const link = mailedLink(await awaitMail(local.stack, detail.client.email), 'f');
  return { ...detail, link, therapistMail: () => mailTo(local.stack, therapist) };
}

/** The client answers from the mailed link, as a browser posts the form. */
async function answerFromLink(link: string, items: Record<string, number>, talk = false): Promise<void> {
  await postAnswers(local.stack, link, { ...items, ...(talk ? { talk: 'yes' } : {}) });
}

async function storedItem(key: ItemKey): Promise<Record<string, unknown> | undefined> {
  return (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: key, ConsistentRead: true }))).Item;
}

function forgedAnswer(session: { sessionId: string; clientId: string; therapistId: string }, overrides: Partial<FeedbackSubmittedDetail> = {}): FeedbackSubmittedDetail {
  return {
    sessionId: session.sessionId,
    clientId: session.clientId,
    therapistId: session.therapistId,
    instrumentId: DEFAULT_INSTRUMENT.id,
    items: { relationship: 0, goals: 0, approach: 0, overall: 0 },
    talk: true,
    hasComment: false,
    submittedAt: clock.now().toISOString(),
    ...overrides,
  };
}

describe('a forged answer on the local stack', () => {
  it('is not evaluated and raises no alert; the client’s real answer that follows is evaluated, not taken for a duplicate', async () => {
    const session = await requestedSession();

    await putAsProduct(local.stack, FeedbackSubmitted, forgedAnswer(session));
    await local.stack.waitForIdle();

    expect(await storedItem(keys.evaluation(session.sessionId))).toBeUndefined();
    expect(await storedItem(keys.detector(session.clientId, DEFAULT_INSTRUMENT.id))).toBeUndefined();
    expect(await session.therapistMail()).toEqual([]);

    await answerFromLink(session.link, { relationship: 10, goals: 10, approach: 10, overall: 10 });

    expect(await storedItem(keys.evaluation(session.sessionId))).toMatchObject({ kind: 'answered', evaluation: { p: 100, alerts: [] } });
    expect(await storedItem(keys.detector(session.clientId, DEFAULT_INSTRUMENT.id))).toMatchObject({ appliedSessionIds: [session.sessionId] });
    expect(await session.therapistMail()).toEqual([]);
  }, 60_000);
});

describe('a forged alert on the local stack', () => {
  it('sends no email for a session no stored evaluation raised an alert for', async () => {
    const unanswered = await requestedSession();
    const stable = await requestedSession();
    await answerFromLink(stable.link, { relationship: 9, goals: 9, approach: 10, overall: 9 });
    const forged = (session: { sessionId: string; clientId: string; therapistId: string }): AllianceRuptureDetectedDetail => ({
      sessionId: session.sessionId,
      clientId: session.clientId,
      therapistId: session.therapistId,
      kind: 'rupture',
      reason: PHISHING,
      score: { p: 10, total: 4, max: 40 },
      baseline: null,
    });

    await putAsProduct(local.stack, AllianceRuptureDetected, forged(unanswered));
    await putAsProduct(local.stack, AllianceRuptureDetected, forged(stable));
    await local.stack.waitForIdle();

    expect(await unanswered.therapistMail()).toEqual([]);
    expect(await stable.therapistMail()).toEqual([]);
  }, 60_000);

  it('cannot put its words in a genuine alert: the email says what the stored evaluation says, whatever the event carries', async () => {
    const session = await requestedSession();
    await answerFromLink(session.link, { relationship: 8, goals: 8, approach: 7, overall: 8 }, true);
    const [genuine] = await session.therapistMail();
    expect(genuine?.subject).toBe(localAlertSubject('client-asked', session.clientId));
    // As if the genuine email had never gone out, so the alert is sent again for a forged event.
    await local.table.send(new DeleteCommand({ TableName: local.stack.tableName, Key: keys.alert(session.sessionId, 'client-asked') }));

    await putAsProduct(local.stack, AllianceRuptureDetected, {
      sessionId: session.sessionId,
      clientId: session.clientId,
      therapistId: session.therapistId,
      kind: 'client-asked',
      alsoFired: ['rupture', 'going-quiet'],
      reason: PHISHING,
      score: { p: 0, total: 0, max: 40 },
      baseline: { m: 99, sEff: 1, n: 9, k: 3, z: -9 },
    } satisfies AllianceRuptureDetectedDetail);
    await local.stack.waitForIdle();

    const mails = await session.therapistMail();
    expect(mails).toHaveLength(2);
    const withoutLink = (text: string | undefined) => (text ?? '').replace(/\/([at])\/[A-Za-z0-9_-]{43}/g, '/$1/<token>');
    expect(withoutLink(mails[1]!.body.text)).toBe(withoutLink(genuine!.body.text));
    expect(withoutLink(mails[1]!.body.html)).toBe(withoutLink(genuine!.body.html));
    expect(`${mails[1]!.body.text}${mails[1]!.body.html}`).not.toContain('practice-login.example');
  }, 60_000);
});

describe('an answer naming an instrument the catalogue does not know', () => {
  it('is parked in the evaluation’s dead-letter queue after one attempt, with the reason', async () => {
    const session = await requestedSession();
    const before = local.stack.queues.get(EVALUATE_ROUTE)!.stats();

    const eventId = await putAsProduct(local.stack, FeedbackSubmitted, forgedAnswer(session, { instrumentId: 'retired-v0', talk: false }));
    const parked = await waitFor(() => local.stack.deadLetters.find((letter) => letter.eventId === eventId), { timeoutMs: 20_000, description: 'the answer in its dead-letter queue' });
    await local.stack.waitForIdle();

    expect(parked).toMatchObject({ route: EVALUATE_ROUTE, origin: 'function', receiveCount: 1, detailType: FeedbackSubmitted.detailType });
    expect(parked.reason).toContain('unknown instrument retired-v0');
    const after = local.stack.queues.get(EVALUATE_ROUTE)!.stats();
    expect(after.retried - before.retried).toBe(0);
    expect(local.stack.deadLetters.filter((letter) => letter.eventId === eventId)).toHaveLength(1);
  }, 60_000);
});
