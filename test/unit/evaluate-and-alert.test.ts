import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { clientPseudonym } from '../../shared/adapters/client-pseudonym.ts';
import { LOCAL_ADDRESS_HASH_KEY } from '../../shared/config.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import type { AllianceRuptureDetectedDetail, FeedbackSubmittedDetail } from '../../shared/events/contracts.ts';
import { UnprocessableEventError } from '../../shared/events/dispatch.ts';
import {
  evaluateAnswer,
  evaluateExpiry,
  type EvaluateDeps,
} from '../../shared/use-cases/evaluate-feedback.ts';
import { acknowledgeAlert } from '../../shared/use-cases/acknowledge-alert.ts';
import { releaseWaitingAlerts, sendAlert, type SendAlertDeps } from '../../shared/use-cases/send-alert.ts';
import { FakeAlertStore, FakeClientHistoryStore, FakeDetectorStore, FakeMailer, FakePublisher, FakeTherapistDirectory, FakeWaitingAlertStore, sequentialTokens } from '../support/fakes.ts';
import { type AlertSession, ConcurrentUpdateError, type TrendLink } from '../../shared/use-cases/ports.ts';


/** An answer whose four items add up to `total` of 40 (as equal as whole numbers allow). */
function answer(sessionId: string, total: number, talk = false): FeedbackSubmittedDetail {
  const base = Math.floor(total / 4);
  const extra = total - base * 4;
  const values = [0, 1, 2, 3].map((i) => base + (i < extra ? 1 : 0));
  return {
    sessionId,
    clientId: 'c-1',
    therapistId: 't-1',
    instrumentId: DEFAULT_INSTRUMENT.id,
    items: { relationship: values[0]!, goals: values[1]!, approach: values[2]!, overall: values[3]! },
    talk,
    hasComment: false,
    submittedAt: '2026-11-25T21:00:00Z',
  };
}

describe('evaluateAnswer', () => {
  let store: FakeDetectorStore;
  let publisher: FakePublisher;
  let deps: EvaluateDeps;

  beforeEach(() => {
    store = new FakeDetectorStore();
    publisher = new FakePublisher();
    deps = { store, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: (id) => (id === DEFAULT_INSTRUMENT.id ? DEFAULT_INSTRUMENT : undefined) };
  });

  /** Session n ended a week after session n − 1. */
  const endedAtOf = (n: number) => new Date(Date.UTC(2026, 9, 1 + 7 * (n - 1), 15)).toISOString();

  async function answerAll(totals: number[]) {
    const outcomes = [];
    for (const [index, total] of totals.entries()) {
      const sessionId = `s-${index + 1}`;
      outcomes.push(await evaluateAnswer(store.answered(answer(sessionId, total), endedAtOf(index + 1)), deps));
    }
    return outcomes;
  }

  it('announces a rupture against the client’s own baseline (reference vector 1)', async () => {
    const outcomes = await answerAll([36, 37, 37, 38, 38, 30, 37, 38]);

    expect(outcomes.map((o) => o.alerts)).toEqual([[], [], [], [], [], ['rupture'], [], []]);
    const published = publisher.published.map((p) => p.detail as AllianceRuptureDetectedDetail);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ sessionId: 's-6', kind: 'rupture', score: { total: 30, max: 40 } });
    // −3.60 on the spec's settings (SD floored at 2 points); the default pulls the client's SD
    // toward the practice's (sdPriorWeight, issue 15): 2.3 points, so z = −3.08, still past −2.39.
    expect(published[0]!.baseline!.z).toBeCloseTo(-3.08, 2);
    expect(published[0]!.reason).toContain('30 of 40');
  });

  it('announces one event per session, naming the other rules that fired with it', async () => {
    await answerAll([38, 38, 38, 38, 38]);
    const drop = store.answered({ ...answer('s-6', 27), items: { relationship: 8, goals: 3, approach: 8, overall: 8 } }, '2026-12-01T00:00:00Z');

    const outcome = await evaluateAnswer(drop, deps);

    expect(outcome.alerts).toEqual(['rupture', 'item-drop']);
    expect(publisher.published.map((p) => p.detail)).toEqual([expect.objectContaining({ sessionId: 's-6', kind: 'rupture', alsoFired: ['item-drop'] })]);
  });

  it('keeps the evaluation with the session', async () => {
    await answerAll([36, 37, 37, 38, 38, 30]);

    const stored = store.evaluations.get('s-6');
    expect(stored?.kind).toBe('answered');
    expect(stored?.kind === 'answered' && stored.evaluation).toMatchObject({ n: 5, state: 'alert', flagged: true });
  });

  it('does not evaluate a redelivered answer twice, and re-announces its alerts for the alert function to dedupe', async () => {
    await answerAll([36, 37, 37, 38, 38, 30]);
    const version = store.records.get('c-1')!.state.version;

    const again = await evaluateAnswer(answer('s-6', 30), deps);

    expect(again).toEqual({ outcome: 'duplicate', alerts: ['rupture'] });
    expect(store.records.get('c-1')!.state.version).toBe(version);
    expect(publisher.published.filter((p) => (p.detail as AllianceRuptureDetectedDetail).sessionId === 's-6')).toHaveLength(2);
  });

  it('fails on a lost race so the queue retries with the fresh record', async () => {
    await answerAll([36, 37]);
    const stale = await store.getRecord('c-1');
    store.getRecord = async () => structuredClone(stale);
    await evaluateAnswer(store.answered(answer('s-3', 37), '2026-11-01T00:00:00Z'), deps);

    await expect(evaluateAnswer(store.answered(answer('s-4', 37), '2026-11-01T00:00:00Z'), deps)).rejects.toThrow(ConcurrentUpdateError);
  });

  it('scores the stored answer, dated by the stored session, never the event’s own items or end', async () => {
    store.answered(answer('s-1', 38), '2026-11-24T15:50:00.000Z');
    const tampered = { ...answer('s-1', 38), items: { relationship: 0, goals: 0, approach: 0, overall: 0 }, talk: true, sessionEndedAt: '2020-01-01T00:00:00Z' };

    const outcome = await evaluateAnswer(tampered, deps);

    expect(outcome).toEqual({ outcome: 'evaluated', alerts: [] });
    const stored = store.evaluations.get('s-1');
    expect(stored?.kind === 'answered' && stored.evaluation).toMatchObject({ p: 95, endedAt: '2026-11-24T15:50:00.000Z' });
    expect(store.sessionReads).toEqual([{ sessionId: 's-1', consistent: false }]);
  });

  it('changes nothing for an answer the session does not store, and evaluates the real answer that follows', async () => {
    store.sessions.set('s-1', { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', endedAt: '2026-11-24T15:50:00.000Z' });
    const forged = { ...answer('s-1', 0, true) };

    const ignored = await evaluateAnswer(forged, deps);

    expect(ignored).toEqual({ outcome: 'ignored', because: 'not-answered', alerts: [] });
    // Looked at twice, the second time consistently: the answer may have been written a moment ago.
    expect(store.sessionReads.map((read) => read.consistent)).toEqual([false, true]);
    expect(store.records.size + store.evaluations.size + publisher.published.length).toBe(0);

    const real = store.answered({ ...answer('s-1', 40), submittedAt: '2026-11-25T21:05:00Z' }, '2026-11-24T15:50:00.000Z');
    expect(await evaluateAnswer(real, deps)).toEqual({ outcome: 'evaluated', alerts: [] });
    expect(store.records.get('c-1')!.applied).toEqual(['s-1']);
  });

  it('changes nothing for an answer that is not the stored one, names another client, or has no session', async () => {
    store.answered(answer('s-1', 38), '2026-11-24T15:50:00.000Z');

    const outcomes = [
      await evaluateAnswer({ ...answer('s-1', 0, true), submittedAt: '2026-11-25T22:00:00Z' }, deps),
      await evaluateAnswer({ ...answer('s-1', 38), clientId: 'c-2' }, deps),
      await evaluateAnswer(answer('s-unknown', 0, true), deps),
    ];

    expect(outcomes.map((outcome) => outcome.outcome === 'ignored' && outcome.because)).toEqual(['other-answer', 'other-client', 'session-not-stored']);
    expect(store.records.size + store.evaluations.size + publisher.published.length).toBe(0);
  });

  it('takes the same instant written another way as the stored answer’s time', async () => {
    store.answered(answer('s-1', 38), '2026-11-24T15:50:00.000Z');

    expect((await evaluateAnswer({ ...answer('s-1', 38), submittedAt: '2026-11-25T22:00:00.000+01:00' }, deps)).outcome).toBe('evaluated');
  });

  it('refuses an answer naming an instrument the catalogue does not know, for good and with the reason, before reading anything', async () => {
    await expect(evaluateAnswer({ ...answer('s-1', 38), instrumentId: 'retired-v0' }, deps)).rejects.toThrow(
      new UnprocessableEventError('unknown instrument retired-v0: the instrument catalogue does not define it'),
    );
    expect(store.sessionReads).toEqual([]);
  });

  it('dates an expiry by the stored session, and counts it only once the session says it expired unanswered', async () => {
    const ids = { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1' };
    store.sessions.set('s-1', { ...ids, endedAt: '2026-11-24T15:50:00.000Z' });

    const early = await evaluateExpiry({ ...ids, sessionEndedAt: '2020-01-01T00:00:00Z' }, deps, DEFAULT_INSTRUMENT.id);
    store.expired(ids, '2026-11-24T15:50:00.000Z');
    const due = await evaluateExpiry({ ...ids, sessionEndedAt: '2020-01-01T00:00:00Z' }, deps, DEFAULT_INSTRUMENT.id);

    expect([early.outcome, due.outcome]).toEqual(['ignored', 'evaluated']);
    expect(early.outcome === 'ignored' && early.because).toBe('not-expired');
    const stored = store.evaluations.get('s-1');
    expect(stored?.kind === 'expired' && stored.outcome.endedAt).toBe('2026-11-24T15:50:00.000Z');
  });

  it('changes nothing for an expiry of an answered session, or of one not stored', async () => {
    store.answered(answer('s-1', 38), '2026-11-24T15:50:00.000Z');
    const ids = { clientId: 'c-1', therapistId: 't-1' };

    const answered = await evaluateExpiry({ sessionId: 's-1', ...ids }, deps, DEFAULT_INSTRUMENT.id);
    const erased = await evaluateExpiry({ sessionId: 's-gone', ...ids }, deps, DEFAULT_INSTRUMENT.id);

    expect([answered, erased].map((outcome) => outcome.outcome === 'ignored' && outcome.because)).toEqual(['answered', 'session-not-stored']);
    expect(store.records.size + store.evaluations.size).toBe(0);
  });

  it('keeps with the evaluation the chart the alert email draws: the trend up to this session and the baseline’s item means', async () => {
    await answerAll([36, 37, 37, 38, 38, 30]);

    const stored = store.evaluations.get('s-6');
    const chart = stored?.kind === 'answered' ? stored.chart : undefined;
    expect(chart?.trend.map((point) => point.endedAt)).toEqual([1, 2, 3, 4, 5, 6].map(endedAtOf));
    expect(chart?.trend.at(-1)?.p).toBe(75);
    // The flagged session stays out of the baseline: the means are those of s-1 … s-5.
    expect(chart?.itemMeans).toHaveLength(4);
    expect(chart?.itemMeans?.[0]).toBeCloseTo(((9 + 10 + 10 + 10 + 10) / 5) * 10, 6);
  });

  it('keeps no chart with an evaluation that raised no alert: only the alert email draws it', async () => {
    await answerAll([36, 37, 37, 38, 38, 37]);

    const stored = store.evaluations.get('s-6');
    expect(stored?.kind === 'answered' && stored.evaluation.alerts).toEqual([]);
    expect(stored).not.toHaveProperty('chart');
  });

  it('remembers the applied sessions by their ids, newest last', async () => {
    await answerAll([36, 37]);

    expect(store.records.get('c-1')!.applied).toEqual(['s-1', 's-2']);
  });

  it('announces client-asked when the client ticks the box, even on a good score', async () => {
    const outcome = await evaluateAnswer(store.answered(answer('s-1', 39, true), '2026-11-01T00:00:00Z'), deps);

    expect(outcome.alerts).toEqual(['client-asked']);
  });

  it('announces going quiet after two expired requests in a row', async () => {
    await answerAll([38, 38, 38]);
    const ids = { clientId: 'c-1', therapistId: 't-1' };
    const first = await evaluateExpiry(store.expired({ sessionId: 's-4', ...ids }, endedAtOf(4)), deps, DEFAULT_INSTRUMENT.id);
    const second = await evaluateExpiry(store.expired({ sessionId: 's-5', ...ids }, endedAtOf(5)), deps, DEFAULT_INSTRUMENT.id);

    expect([first.alerts, second.alerts]).toEqual([[], ['going-quiet']]);
    expect((publisher.published[0]!.detail as AllianceRuptureDetectedDetail).score).toBeNull();
  });
});

describe('sendAlert and acknowledgeAlert', () => {
  let store: FakeAlertStore;
  let mailer: FakeMailer;
  let clock: ManualClock;
  let deps: SendAlertDeps;
  /** What evaluate announced for s-6 (the detail the alert function receives). */
  let detail: AllianceRuptureDetectedDetail;

  /**
   * Evaluates a client's course as the evaluate function would and stores s-6 with its evaluation
   * for the alert to read; returns what evaluate announced for s-6.
   */
  async function evaluatedCourse(totals: number[], last: { items?: Record<string, number>; talk?: boolean } = {}): Promise<AllianceRuptureDetectedDetail> {
    const detectorStore = new FakeDetectorStore();
    const publisher = new FakePublisher();
    const evaluateDeps: EvaluateDeps = { store: detectorStore, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT };
    for (const [index, total] of totals.entries()) {
      const endedAt = new Date(Date.UTC(2026, 10, 19 + index, 15, 50)).toISOString();
      const isLast = index === totals.length - 1;
      const submitted = { ...answer(`s-${index + 1}`, total, isLast && last.talk), clientId: 'c-1042', therapistId: 't-7', ...(isLast && last.items ? { items: last.items } : {}) };
      await evaluateAnswer(detectorStore.answered(submitted, endedAt), evaluateDeps);
    }
    const sessionId = `s-${totals.length}`;
    const stored = detectorStore.sessions.get(sessionId)!;
    store.session = {
      ...store.session!,
      sessionId,
      endedAt: stored.endedAt,
      answer: { ...stored.answer!, comment: 'Felt rushed.' },
      evaluation: detectorStore.evaluations.get(sessionId),
    };
    return publisher.published.map((event) => event.detail as AllianceRuptureDetectedDetail).find((announced) => announced.sessionId === sessionId)!;
  }

  beforeEach(async () => {
    store = new FakeAlertStore();
    store.session = {
      sessionId: 's-6',
      clientId: 'c-1042',
      therapistId: 't-7',
      endedAt: '2026-11-24T15:50:00.000Z',
      client: { firstName: 'Ana' },
      therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
    };
    mailer = new FakeMailer();
    clock = new ManualClock(new Date('2026-11-25T21:00:00Z'));
    deps = {
      store,
      mailer,
      clock,
      tokens: { create: () => ({ token: 'ack-1', hash: 'hash-of-ack-1' }) },
      settings: { alertClientLabel: 'pseudonym', alertShowsFirstName: false, alertIncludesComment: false, unrepairedEmailsTherapist: false },
      practiceName: 'Riverside Practice',
      practiceTimeZone: 'UTC',
      webBaseUrl: 'https://forms.practice.example',
      instrument: () => DEFAULT_INSTRUMENT,
      pseudonym: (clientId) => clientPseudonym(LOCAL_ADDRESS_HASH_KEY, clientId),
      claimLeaseSeconds: 60,
      therapists: new FakeTherapistDirectory([{ therapistId: 't-7', email: 'lee@practice.example', name: 'Dr. Lee' }]),
      waiting: new FakeWaitingAlertStore(),
      adminEmail: 'admin@practice.example',
    };
    detail = await evaluatedCourse([36, 37, 37, 38, 38, 30]);
  });

  it('emails the therapist once per session and kind', async () => {
    expect(detail.kind).toBe('rupture');
    expect(await sendAlert(detail, deps)).toBe('sent');
    expect(await sendAlert(detail, deps)).toBe('in-progress');
    clock.advance(120_000);
    expect(await sendAlert(detail, deps)).toBe('already-sent');

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({ to: 'lee@practice.example', subject: 'Alliance alert: sharp drop — Client NXY-AAA' });
    expect(mailer.sent[0]!.text).toContain('https://forms.practice.example/a/ack-1');
  });

  it('renders only what is stored: a forged reason, score, client or other kinds in the event are never mailed', async () => {
    const forged: AllianceRuptureDetectedDetail = {
      ...detail,
      clientId: 'c-other',
      therapistId: 't-other',
      alsoFired: ['going-quiet'],
      reason: 'Urgent: confirm your account at https://phish.example/login',
      score: { p: 0, total: 0, max: 40 },
      baseline: null,
    };

    expect(await sendAlert(forged, deps)).toBe('sent');

    const email = mailer.sent[0]!;
    expect(email.text + email.html).not.toMatch(/phish|c-other|unanswered requests/);
    expect(email.subject).toBe('Alliance alert: sharp drop — Client NXY-AAA');
    expect(email.text).toContain(`How this was judged: ${detail.reason}`);
    expect(store.links.get('hash-of-ack-1')).toMatchObject({ sessionId: 's-6', clientId: 'c-1042', therapistId: 't-7', kind: 'rupture' });
  });

  it('dates the alert in the therapist’s zone from the directory, else the practice’s, and keeps the zone on the link', async () => {
    // The session ended at 7:50 PM on Nov 24 in Los Angeles: already Nov 25 in UTC and in Berlin.
    store.session = { ...store.session!, endedAt: '2026-11-25T03:50:00.000Z' };
    deps.therapists = new FakeTherapistDirectory([{ therapistId: 't-7', email: 'lee@practice.example', timeZone: 'America/Los_Angeles' }]);
    expect(await sendAlert(detail, { ...deps, practiceTimeZone: 'Europe/Berlin' })).toBe('sent');
    expect(mailer.sent[0]!.text).toContain('Session of Nov\u00A024,\u00A02026');
    expect(store.links.get('hash-of-ack-1')).toMatchObject({ timeZone: 'America/Los_Angeles' });
  });

  it('dates the alert in the practice’s zone for a therapist without one', async () => {
    store.session = { ...store.session!, endedAt: '2026-11-25T03:50:00.000Z' };
    expect(await sendAlert(detail, { ...deps, practiceTimeZone: 'Europe/Berlin' })).toBe('sent');
    expect(mailer.sent[0]!.text).toContain('Session of Nov\u00A025,\u00A02026');
    expect(store.links.get('hash-of-ack-1')).toMatchObject({ timeZone: 'Europe/Berlin' });
  });

  it('sends nothing for a session without a stored evaluation, for a kind it did not raise, or for a session not stored', async () => {
    const raised = store.session!;
    store.session = { ...raised, evaluation: undefined };
    const unevaluated = await sendAlert({ ...detail, reason: 'https://phish.example' }, deps);
    store.session = raised;
    const otherKind = await sendAlert({ ...detail, kind: 'client-asked' }, deps);
    store.session = undefined;
    const unknown = await sendAlert(detail, deps);

    expect([unevaluated, otherKind, unknown]).toEqual(['not-raised', 'not-raised', 'unknown-session']);
    expect(mailer.sent).toEqual([]);
    expect(store.claims.size).toBe(0);
  });

  it('sends nothing for an evaluation that raised no alert', async () => {
    const quiet = await evaluatedCourse([38, 38]);
    expect(quiet).toBeUndefined();

    expect(await sendAlert({ ...detail, sessionId: 's-2' }, deps)).toBe('not-raised');
    expect(mailer.sent).toEqual([]);
  });

  it('names the other rules that fired in the same email, as the stored evaluation lists them', async () => {
    const drop = await evaluatedCourse([38, 38, 38, 38, 38, 27], { items: { relationship: 8, goals: 3, approach: 8, overall: 8 }, talk: true });

    await sendAlert({ ...drop, alsoFired: undefined }, deps);

    expect(mailer.sent[0]!.text).toContain('Also flagged: a sharp drop in one part of the alliance');
    expect(mailer.sent[0]!.text).toContain('The client also ticked');
  });

  it('sends the going-quiet notice from the stored expiry outcome', async () => {
    const detectorStore = new FakeDetectorStore();
    const publisher = new FakePublisher();
    const evaluateDeps: EvaluateDeps = { store: detectorStore, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT };
    const ids = { clientId: 'c-1042', therapistId: 't-7' };
    await evaluateAnswer(detectorStore.answered({ ...answer('s-1', 38), ...ids }, '2026-11-19T15:50:00.000Z'), evaluateDeps);
    await evaluateExpiry(detectorStore.expired({ sessionId: 's-2', ...ids }, '2026-11-20T15:50:00.000Z'), evaluateDeps, DEFAULT_INSTRUMENT.id);
    await evaluateExpiry(detectorStore.expired({ sessionId: 's-3', ...ids }, '2026-11-21T15:50:00.000Z'), evaluateDeps, DEFAULT_INSTRUMENT.id);
    const quiet = publisher.published.at(-1)!.detail as AllianceRuptureDetectedDetail;
    store.session = { ...store.session!, sessionId: 's-3', endedAt: '2026-11-21T15:50:00.000Z', answer: undefined, evaluation: detectorStore.evaluations.get('s-3') };

    expect(await sendAlert({ ...quiet, reason: 'forged' }, deps)).toBe('sent');

    expect(mailer.sent[0]!.subject).toBe('Feedback check-in: gone quiet — Client NXY-AAA');
    const stored = detectorStore.evaluations.get('s-3');
    expect(mailer.sent[0]!.text).toContain(`${stored?.kind === 'expired' ? stored.outcome.reason : '?'}`);
    expect(mailer.sent[0]!.text).not.toContain('forged');
  });

  it('leaves out the first name and comment unless the practice allows them', async () => {
    await sendAlert(detail, deps);
    expect(mailer.sent[0]!.text).not.toContain('Ana');
    expect(mailer.sent[0]!.text).not.toContain('Felt rushed.');

    deps.settings = { alertClientLabel: 'pseudonym', alertShowsFirstName: true, alertIncludesComment: true, unrepairedEmailsTherapist: false };
    store.claims.clear();
    await sendAlert(detail, { ...deps, tokens: sequentialTokens() });
    expect(mailer.sent[1]!.text).toContain('Client NXY-AAA (Ana)');
    expect(mailer.sent[1]!.text).toContain('Felt rushed.');
  });

  it('says the client left a comment and that it is read on the trend page, with the recipient’s own trend link; no EHR id in the body', async () => {
    const saved: { hash: string; link: TrendLink }[] = [];
    const trendLinks = { links: { saveTrendLink: async (hash: string, link: TrendLink) => void saved.push({ hash, link }) }, tokens: { create: () => ({ token: 'T'.repeat(43), hash: 'hash-of-trend' }) }, linkDays: 7 };
    await sendAlert(detail, { ...deps, trendLinks });

    const { text, html } = mailer.sent[0]!;
    expect(text).toContain('The client left a comment: read it on the trend page (comments stay out of email).');
    expect(text).not.toContain('Felt rushed.');
    expect(text).toContain(`Open Client NXY-AAA’s trend (every session, the usual range, comments): https://forms.practice.example/t/${'T'.repeat(43)}`);
    expect(html).toContain(`href="https://forms.practice.example/t/${'T'.repeat(43)}"`);
    expect(text).not.toContain('c-1042');
    expect(html).not.toContain('c-1042');
    expect(saved).toEqual([{ hash: 'hash-of-trend', link: { therapistId: 't-7', clientId: 'c-1042', recipientRole: 'therapist', issuedAt: '2026-11-25T21:00:00.000Z', expiresAt: '2026-12-02T21:00:00.000Z' } }]);
  });

  it('names the client in the subject as the practice chooses: pseudonym by default, the EHR id, or a first name the session has', async () => {
    await sendAlert(detail, deps);
    expect(mailer.sent[0]!.subject).not.toContain('c-1042');

    const resend = async (label: SendAlertDeps['settings']['alertClientLabel'], firstName?: string) => {
      store.claims.clear();
      store.session = { ...store.session!, client: firstName === undefined ? {} : { firstName } };
      await sendAlert(detail, { ...deps, settings: { ...deps.settings, alertClientLabel: label }, tokens: sequentialTokens() });
      return mailer.sent.at(-1)!.subject;
    };
    expect(await resend('clientId', 'Ana')).toBe('Alliance alert: sharp drop — client c-1042');
    expect(await resend('firstName', 'Ana')).toBe('Alliance alert: sharp drop — Ana');
    expect(await resend('firstName')).toBe('Alliance alert: sharp drop — Client NXY-AAA');
  });

  it('opens a client-asked alert with the request, not the baseline, when the scores were high', async () => {
    const asked = await evaluatedCourse([38, 39], { talk: true });
    expect(asked?.kind).toBe('client-asked');

    await sendAlert(asked!, deps);

    const { subject, text } = mailer.sent[0]!;
    expect(subject).toBe('Alliance alert: asked to talk — Client NXY-AAA');
    const body = text.split('\n').slice(2).join('\n').trimStart();
    expect(body.startsWith('Your client ticked “I’d like to talk about how therapy is going”')).toBe(true);
    expect(text).not.toMatch(/looked different/);
    expect(text.indexOf('in this client\'s baseline so far')).toBeGreaterThan(text.indexOf('Acknowledge this alert'));
  });

  it('gives the claim back when SES refuses, so the retry sends', async () => {
    mailer.failNext = 1;
    await expect(sendAlert(detail, deps)).rejects.toThrow();
    expect(await sendAlert(detail, deps)).toBe('sent');
  });

  it('draws the trend and the usual item values from the chart kept with the evaluation, and the answer from the session', async () => {
    store.session = { ...store.session!, answer: { ...store.session!.answer!, items: { relationship: 7, goals: 8, approach: 7, overall: 8 } } };

    await sendAlert(detail, deps);

    const text = mailer.sent[0]!.text;
    expect(text).toContain('Trend:');
    expect(text).toMatch(/Nov.19,.2026: 36 of 40/);
    expect(text).toMatch(/Nov.24,.2026: 30 of 40.*← this session/);
    expect(text).toContain('Relationship: 7 of 10 (usually 9.8)');
  });

  describe('the therapist directory', () => {
    let directory: FakeTherapistDirectory;
    let waiting: FakeWaitingAlertStore;
    beforeEach(() => {
      directory = deps.therapists as FakeTherapistDirectory;
      waiting = deps.waiting as FakeWaitingAlertStore;
    });

    it('mails the directory’s address, never the one the session stored from the event', async () => {
      store.session = { ...store.session!, therapist: { email: 'lee@outside.example', name: 'Dr. Lee' } };

      expect(await sendAlert(detail, deps)).toBe('sent');

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['lee@practice.example']);
    });

    it('keeps the alert of an unregistered therapist waiting and tells the administrator once, with ids only', async () => {
      directory.entries.clear();
      store.session = { ...store.session!, therapist: { email: 'stranger@outside.example' } };

      expect(await sendAlert(detail, deps)).toBe('awaiting-therapist');
      expect(await sendAlert(detail, deps)).toBe('awaiting-therapist');

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['admin@practice.example']);
      const notice = mailer.sent[0]!;
      expect(notice.subject).toContain('t-7');
      expect(notice.text).toContain('npx alliance therapists add t-7');
      for (const secret of ['c-1042', 'stranger@outside.example', 'Ana', 'Felt rushed', 's-6']) expect(notice.text + notice.html + notice.subject).not.toContain(secret);
      expect([...waiting.alerts.values()]).toEqual([{ therapistId: 't-7', clientId: 'c-1042', sessionId: 's-6', kind: 'rupture', waitingSince: clock.now().toISOString() }]);
      expect(store.claims.size).toBe(0);
    });

    it('sends the notice again after a failed send, on the retry', async () => {
      directory.entries.clear();
      mailer.failNext = 1;

      await expect(sendAlert(detail, deps)).rejects.toThrow();
      expect(await sendAlert(detail, deps)).toBe('awaiting-therapist');

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['admin@practice.example']);
    });

    it('sends what waited to the registered address once the therapist is registered, and notices again the next time', async () => {
      directory.entries.clear();
      await sendAlert(detail, deps);
      await directory.save({ therapistId: 't-7', email: 'lee@practice.example' }, clock.now().toISOString());

      expect(await releaseWaitingAlerts('t-7', deps)).toEqual({ released: 1, inProgress: 0 });
      expect(await releaseWaitingAlerts('t-7', deps)).toEqual({ released: 0, inProgress: 0 });

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['admin@practice.example', 'lee@practice.example']);
      expect(mailer.sent[1]!.subject).toBe('Alliance alert: sharp drop — Client NXY-AAA');
      expect(waiting.alerts.size).toBe(0);
      expect(waiting.notices.size).toBe(0);
    });

    it('sends at once an alert whose therapist was registered while it began to wait (the release looked too early)', async () => {
      directory.entries.clear();
      const wait = waiting.wait.bind(waiting);
      waiting.wait = async (alert) => {
        await wait(alert);
        await directory.save({ therapistId: 't-7', email: 'lee@practice.example' }, clock.now().toISOString());
      };

      expect(await sendAlert(detail, deps)).toBe('sent');

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['lee@practice.example']);
      expect(waiting.alerts.size).toBe(0);
    });

    it('releases nothing for a therapist still not registered', async () => {
      directory.entries.clear();
      await sendAlert(detail, deps);

      expect(await releaseWaitingAlerts('t-7', deps)).toBe('not-registered');

      expect(waiting.alerts.size).toBe(1);
      expect(mailer.sent.map((mail) => mail.to)).toEqual(['admin@practice.example']);
    });
  });

  describe('supervisor and covering clinician', () => {
    let directory: FakeTherapistDirectory;
    let ignored: unknown[];
    beforeEach(async () => {
      directory = deps.therapists as FakeTherapistDirectory;
      await directory.save({ therapistId: 't-5', email: 'kim@practice.example' }, '2026-11-01T00:00:00.000Z');
      await directory.save({ therapistId: 't-9', email: 'sam@practice.example' }, '2026-11-01T00:00:00.000Z');
      ignored = [];
      deps = { ...deps, tokens: sequentialTokens(), onIgnoredRecipient: (entry) => ignored.push(entry) };
    });

    it('sends a covered therapist’s alert to the covering clinician instead, and the supervisor a copy of a chosen kind, each once', async () => {
      await directory.setCovering('t-7', { therapistId: 't-5', from: '2026-11-20', until: '2026-11-25' }, '2026-11-01T00:00:00.000Z');
      await directory.setSupervisor('t-7', { supervisorId: 't-9', superviseKinds: ['rupture'] }, '2026-11-01T00:00:00.000Z');

      expect(await sendAlert(detail, deps)).toBe('sent');
      clock.advance(120_000);
      expect(await sendAlert(detail, deps)).toBe('already-sent');

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['kim@practice.example', 'sam@practice.example']);
      expect(mailer.sent[0]!.text.split('\n')[0]).toBe('You are covering: this alert is for a client of a colleague who is away.');
      expect(mailer.sent[1]!.text.split('\n')[0]).toBe('A copy for supervision: this alert went to the client’s therapist.');
      expect(mailer.sent[1]!.html).toContain('A copy for supervision');
      // Each recipient has an acknowledge link of their own.
      expect(mailer.sent[0]!.text).toContain('/a/token-1');
      expect(mailer.sent[1]!.text).toContain('/a/token-2');
    });

    it('sends nothing again to anybody on a redelivery after the covering range ended', async () => {
      await directory.setCovering('t-7', { therapistId: 't-5', from: '2026-11-20', until: '2026-11-25' }, '2026-11-01T00:00:00.000Z');
      expect(await sendAlert(detail, deps)).toBe('sent');
      clock.advance(3 * 3_600_000); // 26 November: the therapist is back

      expect(await sendAlert(detail, deps)).toBe('already-sent');
      expect(mailer.sent.map((mail) => mail.to)).toEqual(['kim@practice.example']);
    });

    it('a failed supervisor copy is retried alone: the therapist is not mailed twice', async () => {
      await directory.setSupervisor('t-7', { supervisorId: 't-9', superviseKinds: ['rupture'] }, '2026-11-01T00:00:00.000Z');
      const send = mailer.send.bind(mailer);
      let calls = 0;
      mailer.send = async (email) => {
        calls += 1;
        if (calls === 2) throw new Error('SES throttled');
        await send(email);
      };
      await expect(sendAlert(detail, deps)).rejects.toThrow('SES throttled');
      expect(await sendAlert(detail, deps)).toBe('sent');

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['lee@practice.example', 'sam@practice.example']);
    });

    it('records a supervisor’s acknowledgement without announcing it; the therapist’s is announced', async () => {
      await directory.setSupervisor('t-7', { supervisorId: 't-9', superviseKinds: ['rupture'] }, '2026-11-01T00:00:00.000Z');
      expect(await sendAlert(detail, deps)).toBe('sent');
      const publisher = new FakePublisher();

      const bySupervisor = await acknowledgeAlert('token-2', { store, publisher, clock });
      expect(bySupervisor).toMatchObject({ outcome: 'acknowledged', announced: false, link: { recipientRole: 'supervisor' } });
      expect(publisher.published).toEqual([]);
      expect(await acknowledgeAlert('token-2', { store, publisher, clock })).toMatchObject({ outcome: 'already-acknowledged', announced: false });

      expect(await acknowledgeAlert('token-1', { store, publisher, clock })).toMatchObject({ outcome: 'acknowledged', announced: true });
      expect(publisher.published.map((event) => event.detail)).toEqual([{ sessionId: 's-6', clientId: 'c-1042', therapistId: 't-7', kind: 'rupture', acknowledgedAt: '2026-11-25T21:00:00.000Z' }]);
    });

    it('sends the unrepaired escalation to the supervisor only: the therapist reads it in the weekly digest', async () => {
      const escalation = await evaluatedCourse([38, 38, 39, 38, 38, 28, 29, 29, 29, 29]);
      expect(escalation.kind).toBe('unrepaired');
      await directory.setSupervisor('t-7', { supervisorId: 't-9' }, '2026-11-01T00:00:00.000Z');

      const history = new FakeClientHistoryStore();
      await history.recordSession({ clientId: 'c-1042', sessionId: store.session!.sessionId, endedAt: store.session!.endedAt, therapistId: 't-7', instrumentId: DEFAULT_INSTRUMENT.id, kind: 'expired', alerts: ['unrepaired'] });
      deps = { ...deps, history };

      expect(await sendAlert(escalation, deps)).toBe('sent');
      expect(mailer.sent.map((mail) => mail.to)).toEqual(['sam@practice.example']);
      // The trend page says the therapist reads it in their digest: the supervisor's copy is not theirs.
      expect(history.recent('c-1042')[0]).toMatchObject({ alertsSent: {}, alertsInDigest: { unrepaired: '2026-11-25T21:00:00.000Z' } });
    });

    it('emails nobody for an unrepaired escalation without a supervisor, unless the practice emails the therapist too', async () => {
      const escalation = await evaluatedCourse([38, 38, 39, 38, 38, 28, 29, 29, 29, 29]);

      const history = new FakeClientHistoryStore();
      const ref = { clientId: 'c-1042', sessionId: store.session!.sessionId, endedAt: store.session!.endedAt };
      await history.recordSession({ ...ref, therapistId: 't-7', instrumentId: DEFAULT_INSTRUMENT.id, kind: 'expired', alerts: ['unrepaired'] });
      deps = { ...deps, history };

      expect(await sendAlert(escalation, deps)).toBe('digest-only');
      expect(mailer.sent).toEqual([]);
      expect(history.recent('c-1042')[0]).toMatchObject({ alertsSent: {}, alertsInDigest: { unrepaired: '2026-11-25T21:00:00.000Z' } });

      deps = { ...deps, settings: { ...deps.settings, unrepairedEmailsTherapist: true } };
      expect(await sendAlert(escalation, deps)).toBe('sent');
      expect(mailer.sent.map((mail) => mail.to)).toEqual(['lee@practice.example']);
      expect(history.recent('c-1042')[0]!.alertsSent).toEqual({ unrepaired: '2026-11-25T21:00:00.000Z' });
    });

    it('ignores an unregistered supervisor with ids only, and mails the therapist plainly', async () => {
      await directory.setSupervisor('t-7', { supervisorId: 't-gone', superviseKinds: ['rupture'] }, '2026-11-01T00:00:00.000Z');

      expect(await sendAlert(detail, deps)).toBe('sent');

      expect(mailer.sent.map((mail) => mail.to)).toEqual(['lee@practice.example']);
      expect(mailer.sent[0]!.text).not.toContain('copy for supervision');
      expect(ignored).toEqual([{ role: 'supervisor', therapistId: 't-gone', reason: 'not-registered', sessionId: 's-6', kind: 'rupture' }]);
    });
  });

  it('records the acknowledgement once and announces it once', async () => {
    await sendAlert(detail, deps);
    const publisher = new FakePublisher();

    const first = await acknowledgeAlert('ack-1', { store, publisher, clock });
    clock.advance(60_000);
    const second = await acknowledgeAlert('ack-1', { store, publisher, clock });

    expect(first.outcome).toBe('acknowledged');
    expect(second).toMatchObject({ outcome: 'already-acknowledged', acknowledgedAt: '2026-11-25T21:00:00.000Z' });
    expect(publisher.published).toEqual([
      { detailType: 'AlertAcknowledged', detail: { sessionId: 's-6', clientId: 'c-1042', therapistId: 't-7', kind: 'rupture', acknowledgedAt: '2026-11-25T21:00:00.000Z' } },
    ]);
    expect(await acknowledgeAlert('nope', { store, publisher, clock })).toEqual({ outcome: 'not-found' });
  });
});

describe('the client’s history (the trend page’s rows)', () => {
  const endedAtOf = (n: number) => new Date(Date.UTC(2026, 9, 1 + 7 * (n - 1), 15)).toISOString();

  it('keeps one row per evaluated session: raw answers, total, the usual range then, the state, talk and the alerts raised', async () => {
    const store = new FakeDetectorStore();
    const history = new FakeClientHistoryStore();
    const deps: EvaluateDeps = { store, publisher: new FakePublisher(), settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT, history };
    for (const [index, total] of [36, 37, 37, 38, 38, 30].entries()) {
      await evaluateAnswer(store.answered(answer(`s-${index + 1}`, total, index === 5), endedAtOf(index + 1)), deps);
    }
    await evaluateExpiry(store.expired({ sessionId: 's-7', clientId: 'c-1', therapistId: 't-1' }, endedAtOf(7)), deps, DEFAULT_INSTRUMENT.id);

    const rows = history.recent('c-1');
    expect(rows.map((row) => row.sessionId)).toEqual(['s-7', 's-6', 's-5', 's-4', 's-3', 's-2', 's-1']);
    expect(rows[0]).toMatchObject({ kind: 'expired', alerts: [] });
    const drop = rows[1]!;
    expect(drop).toMatchObject({ kind: 'answered', total: 30, max: 40, items: answer('s-6', 30).items, state: 'alert', talk: true, therapistId: 't-1', endedAt: endedAtOf(6) });
    expect(drop.alerts).toContain('rupture');
    expect(drop.kind === 'answered' && drop.band).toEqual({ low: expect.any(Number), high: expect.any(Number) });
    expect(drop.kind === 'answered' && drop.band!.low).toBeGreaterThan(30);
    // Before a baseline there is no usual range to show.
    expect(rows[6]!.kind === 'answered' && rows[6]!.band).toBeUndefined();
  });

  it('marks the alert sent for the therapist, and acknowledged by the therapist, on the session’s row', async () => {
    const detectorStore = new FakeDetectorStore();
    const history = new FakeClientHistoryStore();
    const publisher = new FakePublisher();
    const evaluateDeps: EvaluateDeps = { store: detectorStore, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT, history };
    for (const [index, total] of [36, 37, 37, 38, 38, 30].entries()) {
      await evaluateAnswer(detectorStore.answered(answer(`s-${index + 1}`, total), endedAtOf(index + 1)), evaluateDeps);
    }
    const stored = detectorStore.sessions.get('s-6')!;
    const alertStore = new FakeAlertStore();
    alertStore.session = { ...stored, client: {}, therapist: { email: 'lee@practice.example' }, evaluation: detectorStore.evaluations.get('s-6') };
    const clock = new ManualClock(new Date('2026-11-25T21:00:00Z'));
    const deps: SendAlertDeps = {
      store: alertStore,
      mailer: new FakeMailer(),
      clock,
      tokens: { create: () => ({ token: 'ack-1', hash: 'hash-of-ack-1' }) },
      settings: { alertClientLabel: 'pseudonym', alertShowsFirstName: false, alertIncludesComment: false, unrepairedEmailsTherapist: false },
      practiceName: 'Riverside Practice',
      practiceTimeZone: 'UTC',
      webBaseUrl: 'https://forms.practice.example',
      instrument: () => DEFAULT_INSTRUMENT,
      pseudonym: (clientId) => clientPseudonym(LOCAL_ADDRESS_HASH_KEY, clientId),
      claimLeaseSeconds: 60,
      therapists: new FakeTherapistDirectory([{ therapistId: 't-1', email: 'lee@practice.example' }]),
      waiting: new FakeWaitingAlertStore(),
      adminEmail: undefined,
      history,
    };
    const detail = publisher.published.map((event) => event.detail as AllianceRuptureDetectedDetail).find((announced) => announced.sessionId === 's-6')!;

    expect(await sendAlert(detail, deps)).toBe('sent');
    const row = () => history.recent('c-1')[0]!;
    expect(row().alertsSent).toEqual({ rupture: '2026-11-25T21:00:00.000Z' });
    expect(row().acknowledged).toEqual({});

    clock.advance(3_600_000);
    await acknowledgeAlert('ack-1', { store: alertStore, publisher: new FakePublisher(), clock, history });
    expect(row().acknowledged).toEqual({ rupture: '2026-11-25T22:00:00.000Z' });
  });
});
