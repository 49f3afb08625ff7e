/**
 * The detector record and the evaluation are each written as one DynamoDB item that must stay under
 * 1 KB (one write unit) whatever the client's history and however long the ids (up to 128
 * characters by contract); and packing them must not change a single evaluation or announcement.
 */
import { randomBytes } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { detectorItem } from '../../../shared/adapters/dynamodb-detector-store.ts';
import { evaluationItem, readEvaluationItem } from '../../../shared/adapters/evaluation-item.ts';
import { pack, unpack } from '../../../shared/adapters/packed-json.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import type { FeedbackSubmittedDetail } from '../../../shared/events/contracts.ts';
import {
  appliedKey,
  ConcurrentUpdateError,
  evaluateAnswer,
  evaluateExpiry,
  REMEMBERED_SESSIONS,
  type DetectorRecord,
  type DetectorStore,
  type EvaluateDeps,
  type StoredEvaluation,
} from '../../../shared/use-cases/evaluate-feedback.ts';
import { FakePublisher } from '../../support/fakes.ts';

const ONE_KB = 1024;

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
function itemSize(item: Record<string, unknown>): number {
  const marshalled = marshall(item, { removeUndefinedValues: true });
  return Object.entries(marshalled).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

/** A 128-character id of random characters (random, so packing cannot shrink it). */
function longId(prefix: string): string {
  const body = randomBytes(96).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
  return `${prefix}${body}`.slice(0, 128).padEnd(128, 'z');
}

/** A DetectorStore that keeps exactly what the DynamoDB adapter would write, and measures it. */
class ItemStore implements DetectorStore {
  detector = new Map<string, Record<string, unknown>>();
  evaluations = new Map<string, Record<string, unknown>>();
  largest = { detector: 0, evaluation: 0 };
  endedAt = new Map<string, string>();

  async getRecord(clientId: string) {
    const item = this.detector.get(clientId);
    return item && unpack<DetectorRecord>(item['packed'] as Uint8Array);
  }
  async putRecord(clientId: string, instrumentId: string, record: DetectorRecord, expectedVersion: number) {
    if (((this.detector.get(clientId)?.['version'] as number | undefined) ?? 0) !== expectedVersion) throw new ConcurrentUpdateError('raced');
    const item = detectorItem(clientId, instrumentId, record);
    this.largest.detector = Math.max(this.largest.detector, itemSize(item));
    this.detector.set(clientId, item);
  }
  async getSessionEndedAt(sessionId: string) {
    return this.endedAt.get(sessionId);
  }
  async saveEvaluation(sessionId: string, evaluation: StoredEvaluation) {
    const item = evaluationItem(sessionId, evaluation, 365);
    this.largest.evaluation = Math.max(this.largest.evaluation, itemSize(item));
    this.evaluations.set(sessionId, item);
  }
  async getEvaluation(sessionId: string) {
    const item = this.evaluations.get(sessionId);
    return item && readEvaluationItem(sessionId, item);
  }
}

/** The same store without packing: what the use case would see from a perfect store. */
class PlainStore implements DetectorStore {
  records = new Map<string, DetectorRecord>();
  evaluations = new Map<string, StoredEvaluation>();
  endedAt = new Map<string, string>();
  async getRecord(clientId: string) {
    const record = this.records.get(clientId);
    return record && structuredClone(record);
  }
  async putRecord(clientId: string, _instrumentId: string, record: DetectorRecord) {
    this.records.set(clientId, structuredClone(record));
  }
  async getSessionEndedAt(sessionId: string) {
    return this.endedAt.get(sessionId);
  }
  async saveEvaluation(sessionId: string, evaluation: StoredEvaluation) {
    this.evaluations.set(sessionId, structuredClone(evaluation));
  }
  async getEvaluation(sessionId: string) {
    return structuredClone(this.evaluations.get(sessionId));
  }
}

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
      continue;
    }
    const level = phase < 20 ? 9 + (next() < 0.5 ? 1 : 0) : phase < 24 ? 1 : phase < 28 ? 7 - (phase - 24) : Math.floor(next() * 11);
    const item = () => Math.max(0, Math.min(10, level + (next() < 0.3 ? -1 : 0)));
    steps.push({
      kind: 'answer',
      detail: {
        sessionId,
        clientId,
        therapistId,
        instrumentId: DEFAULT_INSTRUMENT.id,
        items: { relationship: item(), goals: item(), approach: item(), overall: item() },
        talk: phase >= 20 || next() < 0.05,
        hasComment: false,
        submittedAt: endedAt,
        sessionEndedAt: endedAt,
      },
    });
  }
  return steps;
}

async function run(steps: readonly Step[], deps: EvaluateDeps, clientId: string, therapistId: string): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (const step of steps) {
    outcomes.push(
      step.kind === 'answer'
        ? await evaluateAnswer(step.detail, deps)
        : await evaluateExpiry({ sessionId: step.sessionId, clientId, therapistId, sessionEndedAt: step.endedAt }, deps, DEFAULT_INSTRUMENT.id),
    );
  }
  return outcomes;
}

function depsWith(store: DetectorStore, publisher: FakePublisher): EvaluateDeps {
  return { store, publisher, settings: DEFAULT_DETECTOR_SETTINGS, instrument: (id) => (id === DEFAULT_INSTRUMENT.id ? DEFAULT_INSTRUMENT : undefined) };
}

describe('the detector record and the evaluation items', () => {
  const clientId = longId('c-');
  const therapistId = longId('t-');
  const steps = history(clientId, therapistId);
  let packed: ItemStore;
  let plain: PlainStore;

  beforeEach(() => {
    packed = new ItemStore();
    plain = new PlainStore();
  });

  it('stay under 1 KB each after 1,000 sessions with 128-character ids', async () => {
    const publisher = new FakePublisher();
    await run(steps, depsWith(packed, publisher), clientId, therapistId);

    const kinds = new Set(publisher.published.flatMap((event) => [(event.detail as { kind: string }).kind, ...((event.detail as { alsoFired?: string[] }).alsoFired ?? [])]));
    // The history reached the rules whose items are the largest.
    expect(kinds).toContain('rupture');
    expect(kinds).toContain('unrepaired');
    expect(kinds).toContain('going-quiet');
    expect(packed.largest.detector).toBeGreaterThan(0);
    expect(packed.largest.detector).toBeLessThan(ONE_KB);
    expect(packed.largest.evaluation).toBeLessThan(ONE_KB);
  });

  it('stays under 1 KB for the longest reason: every item crashes and the client asks to talk', async () => {
    const publisher = new FakePublisher();
    const deps = depsWith(packed, publisher);
    const stable = history(clientId, therapistId, 12).filter((step): step is Extract<Step, { kind: 'answer' }> => step.kind === 'answer');
    for (const step of stable) await evaluateAnswer({ ...step.detail, items: { relationship: 10, goals: 10, approach: 9, overall: 10 }, talk: false }, deps);

    const crash = await evaluateAnswer({ ...stable[0]!.detail, sessionId: longId('crash-'), items: { relationship: 1, goals: 0, approach: 2, overall: 1 }, talk: true }, deps);

    expect(crash.alerts).toEqual(['rupture', 'item-drop', 'low-rating', 'client-asked']);
    expect(packed.largest.evaluation).toBeLessThan(ONE_KB);
  });

  it('change no evaluation and no announcement: the packed store and a plain one agree over 1,000 sessions', async () => {
    const fromPacked = new FakePublisher();
    const fromPlain = new FakePublisher();

    const packedOutcomes = await run(steps, depsWith(packed, fromPacked), clientId, therapistId);
    const plainOutcomes = await run(steps, depsWith(plain, fromPlain), clientId, therapistId);

    expect(packedOutcomes).toEqual(plainOutcomes);
    expect(fromPacked.published).toEqual(fromPlain.published);
    const last = steps.at(-1)!;
    const lastId = last.kind === 'answer' ? last.detail.sessionId : last.sessionId;
    expect(await packed.getEvaluation(lastId)).toEqual(await plain.getEvaluation(lastId));
    expect(await packed.getRecord(clientId)).toEqual(await plain.getRecord(clientId));
  });

  it('remember the last sessions by 8-character digests, never by their ids', async () => {
    await run(steps.slice(0, 60), depsWith(packed, new FakePublisher()), clientId, therapistId);

    const record = (await packed.getRecord(clientId))!;
    expect(record.applied).toHaveLength(REMEMBERED_SESSIONS);
    expect(record.applied.every((key) => /^[A-Za-z0-9_-]{8}$/.test(key))).toBe(true);
    const lastId = steps[59]!.kind === 'answer' ? steps[59]!.detail.sessionId : steps[59]!.sessionId;
    expect(record.applied.at(-1)).toBe(appliedKey(lastId));
    expect(JSON.stringify(record)).not.toContain(lastId);
  });

  it('reads an evaluation back with its session id, which the item stores only in its key', () => {
    const stored: StoredEvaluation = { kind: 'expired', instrumentId: 'i', outcome: { sessionId: 's-1', endedAt: '2026-01-01T00:00:00.000Z', expiredInARow: 1, alerts: [], reason: 'r' } };

    const item = evaluationItem('s-1', stored, 'keep');

    expect(unpack(item['packed'] as Uint8Array)).not.toHaveProperty('outcome.sessionId');
    expect(readEvaluationItem('s-1', item)).toEqual(stored);
    expect(readEvaluationItem('s-1', { pk: 'SESSION#s-1', sk: 'EVALUATION', type: 'Evaluation', ...stored })).toEqual(stored);
    expect(unpack(pack({ a: [1, 2.5] }))).toEqual({ a: [1, 2.5] });
  });
});

describe('packed JSON', () => {
  it('keeps format 1’s dictionary exactly as items were written with it', async () => {
    const { DICTIONARY_1 } = await import('../../../shared/adapters/packed-json.ts');
    const { createHash } = await import('node:crypto');

    // Changing the dictionary would make every stored record unreadable: add a format instead.
    expect(createHash('sha256').update(DICTIONARY_1).digest('hex')).toBe('5262ba1710a897e556478177a8b2343831ab1fc781cdc959937331b948ec1e9e');
  });

  it('refuses bytes of a format it does not know', () => {
    expect(() => unpack(new Uint8Array([9, 1, 2]))).toThrow(RangeError);
  });
});
