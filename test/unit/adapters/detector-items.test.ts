/**
 * The detector record and the evaluation are each one DynamoDB item of plain attributes, whose size
 * stays bounded whatever the client's history, even with the longest ids (128 characters by
 * contract); and storing them changes no evaluation and no announcement.
 */
import { randomBytes } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import * as detectorStateItem from '../../../shared/adapters/items/detector-state.ts';
import * as evaluationItem from '../../../shared/adapters/items/evaluation.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../../shared/domain/detector/settings.ts';
import { initialClientState } from '../../../shared/domain/detector/state.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import type { FeedbackSubmittedDetail } from '../../../shared/events/contracts.ts';
import { evaluateAnswer, evaluateExpiry, REMEMBERED_SESSIONS, type EvaluateDeps } from '../../../shared/use-cases/evaluate-feedback.ts';
import { ConcurrentUpdateError, type DetectorRecord, type DetectorStore, type EvaluationSession, type StoredEvaluation } from '../../../shared/use-cases/ports.ts';
import { FakePublisher } from '../../support/fakes.ts';


/** Significant digits of a DynamoDB number (leading and trailing zeros do not count). */
function significantDigits(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(digits.length, 1);
}

/** A value's size by DynamoDB's published rules (numbers rounded up, so the estimate errs high). */
function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(significantDigits(value.N) / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + Buffer.byteLength(name) + 1 + valueSize(element), 0);
  throw new Error(`unsized attribute ${JSON.stringify(value)}`);
}

/** The item's size as DynamoDB bills it: attribute names plus values. */
function itemSize(marshalled: Record<string, AttributeValue>): number {
  return Object.entries(marshalled).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

/** A 128-character id of random characters (the longest the contracts allow). */
function longId(prefix: string): string {
  const body = randomBytes(96).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
  return `${prefix}${body}`.slice(0, 128).padEnd(128, 'z');
}

/** A DetectorStore that keeps exactly what the DynamoDB adapter would write, in DynamoDB's wire format, and measures it. */
class ItemStore implements DetectorStore {
  detector = new Map<string, Record<string, AttributeValue>>();
  evaluations = new Map<string, Record<string, AttributeValue>>();
  /** Sizes of every item written, in order. */
  sizes = { detector: [] as number[], evaluation: [] as number[] };

  async getRecord(clientId: string) {
    const item = this.detector.get(clientId);
    return item && detectorStateItem.fromItem(unmarshall(item));
  }
  async putRecord(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number) {
    const stored = this.detector.get(clientId);
    if (Number(stored?.['version']?.N ?? 0) !== expectedVersion) throw new ConcurrentUpdateError('raced');
    const item = marshall(detectorStateItem.toItem(clientId, instrumentId, record), { removeUndefinedValues: true });
    this.sizes.detector.push(itemSize(item));
    this.detector.set(clientId, item);
  }
  async getSession(sessionId: string) {
    return STORED_SESSIONS.get(sessionId);
  }
  async saveEvaluation(sessionId: string, clientId: string, evaluation: StoredEvaluation) {
    const item = marshall(evaluationItem.toItem(sessionId, clientId, evaluation, 365), { removeUndefinedValues: true });
    this.sizes.evaluation.push(itemSize(item));
    this.evaluations.set(sessionId, item);
  }
  async getEvaluation(sessionId: string) {
    const item = this.evaluations.get(sessionId);
    return item && evaluationItem.fromItem(unmarshall(item));
  }
}

/** A store that keeps the records as they are: what the use case would see from a perfect store. */
class PlainStore implements DetectorStore {
  records = new Map<string, DetectorRecord>();
  evaluations = new Map<string, StoredEvaluation>();
  async getRecord(clientId: string) {
    const record = this.records.get(clientId);
    return record && structuredClone(record);
  }
  async putRecord(clientId: string, _instrumentId: string, record: DetectorRecord) {
    this.records.set(clientId, structuredClone(record));
  }
  async getSession(sessionId: string) {
    return STORED_SESSIONS.get(sessionId);
  }
  async saveEvaluation(sessionId: string, _clientId: string, evaluation: StoredEvaluation) {
    this.evaluations.set(sessionId, structuredClone(evaluation));
  }
  async getEvaluation(sessionId: string) {
    return structuredClone(this.evaluations.get(sessionId));
  }
}

/** The sessions of the history as the web function and the follow-up store them (the evaluation scores these). */
const STORED_SESSIONS = new Map<string, EvaluationSession>();

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Step = { kind: 'answer'; detail: FeedbackSubmittedDetail } | { kind: 'expired'; sessionId: string; endedAt: string };

/**
 * 1,000 sessions of one client with 128-character ids that visit every rule: long stable runs,
 * crashes of every item at once with the talk box ticked (the longest reasons), slow slides,
 * unrepaired episodes (whose alert names the 128-character session that opened them) and
 * expired requests in a row.
 */
function history(clientId: string, therapistId: string, sessions = 1000): Step[] {
  const next = random(42);
  const steps: Step[] = [];
  for (let index = 0; index < sessions; index++) {
    const sessionId = longId(`s${index}-`);
    const endedAt = new Date(Date.UTC(2020, 0, 1) + index * 7 * 86_400_000 + Math.floor(next() * 86_400_000)).toISOString();
    const phase = index % 40;
    if (phase === 30 || phase === 31 || (phase === 35 && next() < 0.5)) {
      steps.push({ kind: 'expired', sessionId, endedAt });
      STORED_SESSIONS.set(sessionId, { sessionId, clientId, therapistId, endedAt, expiredAt: endedAt });
      continue;
    }
    const level = phase < 20 ? 9 + (next() < 0.5 ? 1 : 0) : phase < 24 ? 1 : phase < 28 ? 7 - (phase - 24) : Math.floor(next() * 11);
    const item = () => Math.max(0, Math.min(10, level + (next() < 0.3 ? -1 : 0)));
    const detail: FeedbackSubmittedDetail = {
      sessionId,
      clientId,
      therapistId,
      instrumentId: DEFAULT_INSTRUMENT.id,
      items: { relationship: item(), goals: item(), approach: item(), overall: item() },
      talk: phase >= 20 || next() < 0.05,
      hasComment: false,
      submittedAt: endedAt,
    };
    steps.push({ kind: 'answer', detail });
    STORED_SESSIONS.set(sessionId, { sessionId, clientId, therapistId, endedAt, answer: { instrumentId: detail.instrumentId, items: detail.items, talk: detail.talk, submittedAt: endedAt } });
  }
  return steps;
}

async function run(steps: readonly Step[], deps: EvaluateDeps, clientId: string, therapistId: string): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (const step of steps) {
    outcomes.push(
      step.kind === 'answer'
        ? await evaluateAnswer(step.detail, deps)
        : await evaluateExpiry({ sessionId: step.sessionId, clientId, therapistId }, deps, DEFAULT_INSTRUMENT.id),
    );
  }
  return outcomes;
}

function depsWith(store: DetectorStore, publisher: FakePublisher): EvaluateDeps {
  return { store, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: (id) => (id === DEFAULT_INSTRUMENT.id ? DEFAULT_INSTRUMENT : undefined) };
}

const ONE_KB = 1024;

describe('the detector record and the evaluation items', () => {
  const clientId = longId('c-');
  const therapistId = longId('t-');
  const steps = history(clientId, therapistId);
  let stored: ItemStore;
  let plain: PlainStore;

  beforeEach(() => {
    stored = new ItemStore();
    plain = new PlainStore();
  });

  it('stop growing with the client’s history: after 1,000 sessions with 128-character ids, no larger than after 100', async () => {
    const publisher = new FakePublisher();
    await run(steps, depsWith(stored, publisher), clientId, therapistId);

    const kinds = new Set(publisher.published.flatMap((event) => [(event.detail as { kind: string }).kind, ...((event.detail as { alsoFired?: string[] }).alsoFired ?? [])]));
    // The history reached the rules whose items are the largest.
    expect(kinds).toContain('rupture');
    expect(kinds).toContain('unrepaired');
    expect(kinds).toContain('going-quiet');
    const largest = (sizes: number[], from: number, to: number) => Math.max(...sizes.slice(from, to));
    const { detector, evaluation } = stored.sizes;
    // Within a few bytes: what varies once every window is full is the digits of the numbers.
    expect(largest(detector, 100, detector.length)).toBeLessThan(largest(detector, 0, 100) * 1.05);
    expect(largest(evaluation, 100, evaluation.length)).toBeLessThan(largest(evaluation, 0, 100) * 1.05);
    // Worst case (every id 128 characters): a few write units, not a growing number.
    expect(largest(detector, 0, detector.length)).toBeLessThan(5 * ONE_KB);
    expect(largest(evaluation, 0, evaluation.length)).toBeLessThan(3 * ONE_KB);
  });

  it('change no evaluation and no announcement: the stored items and a plain store agree over 1,000 sessions', async () => {
    const fromStored = new FakePublisher();
    const fromPlain = new FakePublisher();

    const storedOutcomes = await run(steps, depsWith(stored, fromStored), clientId, therapistId);
    const plainOutcomes = await run(steps, depsWith(plain, fromPlain), clientId, therapistId);

    expect(storedOutcomes).toEqual(plainOutcomes);
    expect(fromStored.published).toEqual(fromPlain.published);
    const last = steps.at(-1)!;
    const lastId = last.kind === 'answer' ? last.detail.sessionId : last.sessionId;
    expect(await stored.getEvaluation(lastId)).toEqual(await plain.getEvaluation(lastId));
    expect(await stored.getRecord(clientId)).toEqual(await plain.getRecord(clientId));
  });

  it('remember the last sessions by their ids, newest last, no more than REMEMBERED_SESSIONS', async () => {
    await run(steps.slice(0, 60), depsWith(stored, new FakePublisher()), clientId, therapistId);

    const record = (await stored.getRecord(clientId))!;
    const ids = steps.slice(0, 60).map((step) => (step.kind === 'answer' ? step.detail.sessionId : step.sessionId));
    expect(record.applied).toEqual(ids.slice(-REMEMBERED_SESSIONS));
  });

  it('keep a low session waiting for confirmation (pending), and write no pending attribute when nothing waits', () => {
    const state = { ...initialClientState(DEFAULT_INSTRUMENT), version: 6 };
    const pending = { p: 80, z: -2.5209, m: 94.5, sEff: 5.75, n: 5, k: 2.6868 };
    const roundTrip = (record: DetectorRecord) => detectorStateItem.fromItem(unmarshall(marshall(detectorStateItem.toItem(clientId, 'alliance-check-v1', record))));

    expect(roundTrip({ state: { ...state, pending }, applied: [] }).state.pending).toEqual(pending);
    expect('pending' in detectorStateItem.toItem(clientId, 'alliance-check-v1', { state, applied: [] })).toBe(false);
    expect('pending' in roundTrip({ state, applied: [] }).state).toBe(false);
  });

  it('are plain attributes with the client’s id: no binary attribute, readable in the console', async () => {
    await run(steps.slice(0, 40), depsWith(stored, new FakePublisher()), clientId, therapistId);

    const items = [...stored.detector.values(), ...stored.evaluations.values()];
    const binary = (value: AttributeValue): boolean =>
      value.B !== undefined || value.BS !== undefined || (value.L ?? []).some(binary) || Object.values(value.M ?? {}).some(binary);
    expect(items.every((item) => !Object.values(item).some(binary))).toBe(true);
    expect(items.every((item) => item['clientId']?.S === clientId)).toBe(true);
  });
});
