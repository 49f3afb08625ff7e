import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import type { AllianceRuptureDetectedDetail, FeedbackSubmittedDetail } from '../../shared/events/contracts.ts';
import {
  UnknownSessionError,
  evaluateAnswer,
  evaluateExpiry,
  type EvaluateDeps,
} from '../../shared/use-cases/evaluate-feedback.ts';
import { acknowledgeAlert, sendAlert, type SendAlertDeps } from '../../shared/use-cases/send-alert.ts';
import { FakeAlertStore, FakeMailer, FakePublisher, sequentialTokens } from '../support/fakes.ts';
import { type AlertSession, ConcurrentUpdateError, type DetectorRecord, type DetectorStore, type StoredEvaluation } from '../../shared/use-cases/ports.ts';

class FakeDetectorStore implements DetectorStore {
  records = new Map<string, DetectorRecord>();
  evaluations = new Map<string, StoredEvaluation>();
  endedAt = new Map<string, string>();
  sessionReads = 0;
  async getRecord(clientId: string) {
    const record = this.records.get(clientId);
    return record && structuredClone(record);
  }
  async putRecord(clientId: string, _instrumentId: string, record: DetectorRecord, expectedVersion: number) {
    if ((this.records.get(clientId)?.state.version ?? 0) !== expectedVersion) throw new ConcurrentUpdateError('raced');
    this.records.set(clientId, structuredClone(record));
  }
  async getSessionEndedAt(sessionId: string) {
    this.sessionReads += 1;
    return this.endedAt.get(sessionId);
  }
  async saveEvaluation(sessionId: string, _clientId: string, evaluation: StoredEvaluation) {
    this.evaluations.set(sessionId, structuredClone(evaluation));
  }
  async getEvaluation(sessionId: string) {
    return this.evaluations.get(sessionId);
  }
}

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

  async function answerAll(totals: number[]) {
    const outcomes = [];
    for (const [index, total] of totals.entries()) {
      const sessionId = `s-${index + 1}`;
      store.endedAt.set(sessionId, new Date(Date.UTC(2026, 9, 1 + 7 * index, 15)).toISOString());
      outcomes.push(await evaluateAnswer(answer(sessionId, total), deps));
    }
    return outcomes;
  }

  it('announces a rupture against the client’s own baseline (reference vector 1)', async () => {
    const outcomes = await answerAll([36, 37, 37, 38, 38, 30, 37, 38]);

    expect(outcomes.map((o) => o.alerts)).toEqual([[], [], [], [], [], ['rupture'], [], []]);
    const published = publisher.published.map((p) => p.detail as AllianceRuptureDetectedDetail);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ sessionId: 's-6', kind: 'rupture', score: { total: 30, max: 40 } });
    expect(published[0]!.baseline!.z).toBeCloseTo(-3.6, 2);
    expect(published[0]!.reason).toContain('30 of 40');
  });

  it('announces one event per session, naming the other rules that fired with it', async () => {
    await answerAll([38, 38, 38, 38, 38]);
    store.endedAt.set('s-6', '2026-12-01T00:00:00Z');
    const drop = { ...answer('s-6', 27), items: { relationship: 8, goals: 3, approach: 8, overall: 8 } };

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
    store.endedAt.set('s-3', '2026-11-01T00:00:00Z');
    store.endedAt.set('s-4', '2026-11-01T00:00:00Z');
    await evaluateAnswer(answer('s-3', 37), deps);

    await expect(evaluateAnswer(answer('s-4', 37), deps)).rejects.toThrow(ConcurrentUpdateError);
  });

  it('dates the session from the event, without reading the session, when the event carries sessionEndedAt', async () => {
    const outcome = await evaluateAnswer({ ...answer('s-1', 38), sessionEndedAt: '2026-11-24T16:50:00+01:00' }, deps);

    expect(outcome.outcome).toBe('evaluated');
    expect(store.sessionReads).toBe(0);
    const stored = store.evaluations.get('s-1');
    expect(stored?.kind === 'answered' && stored.evaluation.endedAt).toBe('2026-11-24T15:50:00.000Z');
  });

  it('reads the session’s end back for an event from before sessionEndedAt, and fails for an unknown session', async () => {
    store.endedAt.set('s-1', '2026-11-24T15:50:00.000Z');

    await evaluateAnswer(answer('s-1', 38), deps);

    expect(store.sessionReads).toBe(1);
    await expect(evaluateAnswer(answer('s-2', 38), deps)).rejects.toThrow(UnknownSessionError);
  });

  it('dates an expiry from the event without reading the session', async () => {
    await evaluateExpiry({ sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', sessionEndedAt: '2026-11-24T15:50:00Z' }, deps, DEFAULT_INSTRUMENT.id);

    expect(store.sessionReads).toBe(0);
    const stored = store.evaluations.get('s-1');
    expect(stored?.kind === 'expired' && stored.outcome.endedAt).toBe('2026-11-24T15:50:00.000Z');
  });

  it('keeps with the evaluation the chart the alert email draws: the trend up to this session and the baseline’s item means', async () => {
    await answerAll([36, 37, 37, 38, 38, 30]);

    const stored = store.evaluations.get('s-6');
    const chart = stored?.kind === 'answered' ? stored.chart : undefined;
    expect(chart?.trend.map((point) => point.endedAt)).toEqual([1, 2, 3, 4, 5, 6].map((n) => store.endedAt.get(`s-${n}`)));
    expect(chart?.trend.at(-1)?.p).toBe(75);
    // The flagged session stays out of the baseline: the means are those of s-1 … s-5.
    expect(chart?.itemMeans).toHaveLength(4);
    expect(chart?.itemMeans?.[0]).toBeCloseTo(((9 + 10 + 10 + 10 + 10) / 5) * 10, 6);
  });

  it('remembers the applied sessions by their ids, newest last', async () => {
    await answerAll([36, 37]);

    expect(store.records.get('c-1')!.applied).toEqual(['s-1', 's-2']);
  });

  it('announces client-asked when the client ticks the box, even on a good score', async () => {
    store.endedAt.set('s-1', '2026-11-01T00:00:00Z');
    const outcome = await evaluateAnswer(answer('s-1', 39, true), deps);

    expect(outcome.alerts).toEqual(['client-asked']);
  });

  it('announces going quiet after two expired requests in a row', async () => {
    await answerAll([38, 38, 38]);
    const ids = { clientId: 'c-1', therapistId: 't-1' };
    const first = await evaluateExpiry({ sessionId: 's-4', ...ids }, deps, DEFAULT_INSTRUMENT.id);
    const second = await evaluateExpiry({ sessionId: 's-5', ...ids }, deps, DEFAULT_INSTRUMENT.id);

    expect([first.alerts, second.alerts]).toEqual([[], ['going-quiet']]);
    expect((publisher.published[0]!.detail as AllianceRuptureDetectedDetail).score).toBeNull();
  });
});

describe('sendAlert and acknowledgeAlert', () => {
  let store: FakeAlertStore;
  let mailer: FakeMailer;
  let clock: ManualClock;
  let deps: SendAlertDeps;
  const detail: AllianceRuptureDetectedDetail = {
    sessionId: 's-6',
    clientId: 'c-1042',
    therapistId: 't-7',
    kind: 'rupture',
    reason: 'Total 30 of 40 against a usual 37.2 ± 2; z = −3.60.',
    score: { p: 75, total: 30, max: 40 },
    baseline: { m: 93, sEff: 5, n: 5, k: 3, z: -3.6 },
  };

  beforeEach(() => {
    store = new FakeAlertStore();
    store.session = {
      sessionId: 's-6',
      clientId: 'c-1042',
      therapistId: 't-7',
      endedAt: '2026-11-24T15:50:00.000Z',
      client: { firstName: 'Ana' },
      therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
      answer: { instrumentId: DEFAULT_INSTRUMENT.id, items: { relationship: 8, goals: 6, approach: 8, overall: 8 }, talk: false, comment: 'Felt rushed.' },
    };
    mailer = new FakeMailer();
    clock = new ManualClock(new Date('2026-11-25T21:00:00Z'));
    deps = {
      store,
      mailer,
      clock,
      tokens: { create: () => ({ token: 'ack-1', hash: 'hash-of-ack-1' }) },
      settings: { alertShowsFirstName: false, alertIncludesComment: false },
      practiceName: 'Riverside Practice',
      webBaseUrl: 'https://forms.practice.example',
      instrument: () => DEFAULT_INSTRUMENT,
      claimLeaseSeconds: 60,
    };
  });

  it('emails the therapist once per session and kind', async () => {
    expect(await sendAlert(detail, deps)).toBe('sent');
    expect(await sendAlert(detail, deps)).toBe('in-progress');
    clock.advance(120_000);
    expect(await sendAlert(detail, deps)).toBe('already-sent');

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({ to: 'lee@practice.example', subject: 'Alliance alert — client c-1042' });
    expect(mailer.sent[0]!.text).toContain('https://forms.practice.example/a/ack-1');
  });

  it('sends a second kind for the same session', async () => {
    await sendAlert(detail, deps);
    deps.tokens = sequentialTokens();
    expect(await sendAlert({ ...detail, kind: 'client-asked' }, deps)).toBe('sent');
    expect(mailer.sent).toHaveLength(2);
  });

  it('names the other rules that fired in the same email', async () => {
    await sendAlert({ ...detail, alsoFired: ['item-drop', 'client-asked'] }, deps);

    expect(mailer.sent[0]!.text).toContain('Also flagged: a sharp drop in one part of the alliance');
    expect(mailer.sent[0]!.text).toContain('The client also ticked');
  });

  it('leaves out the first name and comment unless the practice allows them', async () => {
    await sendAlert(detail, deps);
    expect(mailer.sent[0]!.text).not.toContain('Ana');
    expect(mailer.sent[0]!.text).not.toContain('Felt rushed.');

    deps.settings = { alertShowsFirstName: true, alertIncludesComment: true };
    await sendAlert({ ...detail, kind: 'item-drop' }, { ...deps, tokens: sequentialTokens() });
    expect(mailer.sent[1]!.text).toContain('Ana (client c-1042)');
    expect(mailer.sent[1]!.text).toContain('Felt rushed.');
  });

  it('gives the claim back when SES refuses, so the retry sends', async () => {
    mailer.failNext = 1;
    await expect(sendAlert(detail, deps)).rejects.toThrow();
    expect(await sendAlert(detail, deps)).toBe('sent');
  });

  it('draws the trend and the usual item values from the chart kept with the evaluation', async () => {
    const detectorStore = new FakeDetectorStore();
    const evaluateDeps: EvaluateDeps = { store: detectorStore, publisher: new FakePublisher(), settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT };
    for (const [index, total] of [36, 37, 37, 38, 38, 30].entries()) {
      const endedAt = new Date(Date.UTC(2026, 10, 19 + index, 15, 50)).toISOString();
      await evaluateAnswer({ ...answer(`s-${index + 1}`, total), clientId: 'c-1042', sessionEndedAt: endedAt }, evaluateDeps);
    }
    const stored = detectorStore.evaluations.get('s-6');
    store.session = { ...store.session!, endedAt: '2026-11-24T15:50:00.000Z', answer: { ...store.session!.answer!, items: { relationship: 7, goals: 8, approach: 7, overall: 8 } }, evaluation: stored as AlertSession['evaluation'] };

    await sendAlert(detail, deps);

    const text = mailer.sent[0]!.text;
    expect(text).toContain('Trend:');
    expect(text).toMatch(/Nov.19,.2026: 36 of 40/);
    expect(text).toMatch(/Nov.24,.2026: 30 of 40.*← this session/);
    expect(text).toContain('Relationship: 7 of 10 (usually 9.8)');
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
