/**
 * The evaluation of an erased client's answer or expiry (late, redelivered or redriven): the
 * store reports the tombstone with the detector record it reads, and nothing is written or announced.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_SETTINGS } from '../../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import { evaluateAnswer, evaluateExpiry, type EvaluateDeps } from '../../shared/use-cases/evaluate-feedback.ts';
import type { DetectorRecord, DetectorStore, EvaluationSession, StoredEvaluation } from '../../shared/use-cases/ports.ts';
import { FakePublisher } from '../support/fakes.ts';

/** The store of an erased client: every write is recorded, so a test sees that none happened. */
class ErasedClientStore implements DetectorStore {
  writes: string[] = [];
  /** The stored session bears the event out: only the tombstone stops the evaluation. */
  constructor(private readonly session: EvaluationSession) {}
  async getRecord(): Promise<DetectorRecord | 'client-erased' | undefined> {
    return 'client-erased';
  }
  async putRecord() {
    this.writes.push('detector');
  }
  async getSession() {
    return this.session;
  }
  async saveEvaluation(_sessionId: string, _clientId: string, _evaluation: StoredEvaluation) {
    this.writes.push('evaluation');
  }
  async getEvaluation() {
    return undefined;
  }
}

function deps(store: DetectorStore, publisher: FakePublisher): EvaluateDeps {
  return { store, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: (id) => (id === DEFAULT_INSTRUMENT.id ? DEFAULT_INSTRUMENT : undefined) };
}

const ids = { sessionId: 's-1', clientId: 'c-erased', therapistId: 't-1', sessionEndedAt: '2026-11-25T15:00:00.000Z' };
const storedSession = { sessionId: 's-1', clientId: 'c-erased', therapistId: 't-1', endedAt: '2026-11-25T15:00:00.000Z' };
const lowItems = { relationship: 0, goals: 0, approach: 0, overall: 0 };

describe('evaluating an erased client', () => {
  it('writes and announces nothing for an answer, even a low one asking to talk', async () => {
    const answer = { instrumentId: DEFAULT_INSTRUMENT.id, items: lowItems, talk: true, submittedAt: '2026-11-25T16:00:00.000Z' };
    const [store, publisher] = [new ErasedClientStore({ ...storedSession, answer }), new FakePublisher()];
    const low = { ...ids, instrumentId: DEFAULT_INSTRUMENT.id, items: lowItems, talk: true, hasComment: false, submittedAt: '2026-11-25T16:00:00.000Z' };

    const outcome = await evaluateAnswer(low, deps(store, publisher));

    expect(outcome).toEqual({ outcome: 'client-erased', alerts: [] });
    expect(store.writes).toEqual([]);
    expect(publisher.published).toEqual([]);
  });

  it('writes and announces nothing for an expiry', async () => {
    const [store, publisher] = [new ErasedClientStore({ ...storedSession, expiredAt: '2026-11-28T16:00:00.000Z' }), new FakePublisher()];

    const outcome = await evaluateExpiry(ids, deps(store, publisher), DEFAULT_INSTRUMENT.id);

    expect(outcome).toEqual({ outcome: 'client-erased', alerts: [] });
    expect(store.writes).toEqual([]);
    expect(publisher.published).toEqual([]);
  });
});
