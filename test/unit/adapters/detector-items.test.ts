/**
 * The detector record and the evaluation are each one DynamoDB item of plain attributes, whose size
 * stays bounded whatever the client's history, even with the longest ids (128 characters by
 * contract); and storing them changes no evaluation and no announcement.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import * as detectorStateItem from '../../../shared/adapters/items/detector-state.ts';
import * as evaluationItem from '../../../shared/adapters/items/evaluation.ts';
import { summaryFromState } from '../../../shared/domain/caseload.ts';
import { evaluate } from '../../../shared/domain/detector/evaluate.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../../shared/domain/detector/settings.ts';
import { initialClientState, type ClientState } from '../../../shared/domain/detector/state.ts';
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

/**
 * The bench's long-standing client (bench/session/lifecycle.ts): UUID ids, 100 steady answers,
 * then a low one that raises an alert. `npm run bench` aims at ≤ 15 write units per session; the
 * detector record is written once per session and bills every started kilobyte.
 */
describe('the items of a client with 100 answered sessions, with UUID ids', () => {
  const clientId = randomUUID();
  // As the bench names them (bench/local/bench-stack.ts).
  const therapistId = `t-${clientId}`;
  const steps: Step[] = [];
  for (let index = 0; index <= 100; index++) {
    const sessionId = randomUUID();
    const endedAt = new Date(Date.UTC(2026, 0, 1) + index * 7 * 86_400_000).toISOString();
    // 8 or 9 of 10 per item, as the bench's steadyAnswer; the last one 3 of 10 on every item.
    const value = (position: number) => (index === 100 ? 3 : (index + position) % 3 === 0 ? 8 : 9);
    const items = Object.fromEntries(DEFAULT_INSTRUMENT.items.map((item, position) => [item.id, value(position)]));
    const detail: FeedbackSubmittedDetail = { sessionId, clientId, therapistId, instrumentId: DEFAULT_INSTRUMENT.id, items, talk: false, hasComment: false, submittedAt: endedAt };
    steps.push({ kind: 'answer', detail });
    STORED_SESSIONS.set(sessionId, { sessionId, clientId, therapistId, endedAt, answer: { instrumentId: detail.instrumentId, items, talk: false, submittedAt: endedAt } });
  }

  it('keep the detector record within 2 KB (2 write units), the alert of the 101st session included', async () => {
    const stored = new ItemStore();
    const outcomes = await run(steps, depsWith(stored, new FakePublisher()), clientId, therapistId);

    expect(outcomes.at(-1)).toMatchObject({ outcome: 'evaluated', alerts: expect.arrayContaining(['rupture']) });
    expect(Math.max(...stored.sizes.detector)).toBeLessThanOrEqual(2 * ONE_KB);
    // The evaluation of the alert carries its reason and the 12-session chart the email draws: 2 units.
    expect(stored.sizes.evaluation.at(-1)).toBeLessThanOrEqual(2 * ONE_KB);
  });

  it('keep the evaluation of an ordinary session within 1 KB (1 write unit): it keeps no chart', async () => {
    const stored = new ItemStore();
    const outcomes = await run(steps.slice(0, 100), depsWith(stored, new FakePublisher()), clientId, therapistId);

    expect(outcomes.at(-1)).toEqual({ outcome: 'evaluated', alerts: [] });
    expect(Math.max(...stored.sizes.evaluation.slice(20))).toBeLessThanOrEqual(ONE_KB);
  });
});

describe('a detector record written before lastState', () => {
  // As the code before it stored it: an instrumentId attribute, and a state in every trend point.
  const old = {
    pk: 'CLIENT#c-1042',
    sk: 'DETECTOR#alliance-check-v1',
    type: 'DetectorState',
    clientId: 'c-1042',
    instrumentId: 'alliance-check-v1',
    format: 1,
    version: 7,
    instrument: { id: 'alliance-check-v1', version: 1 },
    baseline: [
      [90, 90, 80, 90],
      [90, 80, 90, 90],
      [80, 90, 90, 80],
      [90, 90, 80, 90],
      [90, 80, 90, 90],
      [80, 90, 90, 80],
    ],
    watch: { count: 1, frozen: { m: 85.8333, sEff: 5, n: 6 }, sum: 1.2 },
    repair: null,
    expiredInARow: 1,
    trend: [
      { endedAt: '2026-10-01T15:00:00.000Z', p: 87.5, state: 'insufficient-baseline' },
      { endedAt: '2026-10-08T15:00:00.000Z', p: 87.5, state: 'insufficient-baseline' },
      { endedAt: '2026-10-15T15:00:00.000Z', p: 85, state: 'normal' },
      { endedAt: '2026-10-22T15:00:00.000Z', p: 87.5, state: 'normal' },
      { endedAt: '2026-10-29T15:00:00.000Z', p: 87.5, state: 'normal' },
      { endedAt: '2026-11-05T15:00:00.000Z', p: 85, state: 'normal' },
      { endedAt: '2026-11-12T15:00:00.000Z', p: 77.5, state: 'watch' },
    ],
    appliedSessionIds: ['s-1', 's-2', 's-3', 's-4', 's-5', 's-6', 's-7', 's-8'],
    therapistId: 't-7',
  };
  const scale = { max: 40, toTotal: (p: number) => (p / 100) * 40 };

  it('reads with its last trend point’s state as lastState, and the trend’s ends and totals', () => {
    const { state, applied, therapistId } = detectorStateItem.fromItem(unmarshall(marshall(old)));

    expect(state.lastState).toBe('watch');
    expect(state.trend).toEqual(old.trend.map(({ endedAt, p }) => ({ endedAt, p })));
    expect({ applied, therapistId }).toEqual({ applied: old.appliedSessionIds, therapistId: 't-7' });
    expect(summaryFromState(state, scale, undefined)).toMatchObject({ lastState: 'watch', totals: [35, 35, 34, 35, 35, 34, 31], expiredInARow: 1 });
  });

  it('evaluates the next answer as the state it was written from, and is written back in the new shape', () => {
    const { state } = detectorStateItem.fromItem(unmarshall(marshall(old)));
    // The state the old code evaluated: the stored fields as they were (the trend is never judged).
    const asWritten = { ...old, trend: old.trend } as unknown as ClientState;
    const next = { sessionId: 's-9', endedAt: '2026-11-19T15:00:00.000Z', answers: { relationship: 7, goals: 8, approach: 7, overall: 7 } };

    const fromOld = evaluate(asWritten, next, DEFAULT_DETECTOR_SETTINGS, DEFAULT_INSTRUMENT);
    const fromRead = evaluate(state, next, DEFAULT_DETECTOR_SETTINGS, DEFAULT_INSTRUMENT);

    expect(fromRead.evaluation).toEqual(fromOld.evaluation);
    expect(fromRead.state.lastState).toBe(fromRead.evaluation.state);
    const written = detectorStateItem.toItem('c-1042', 'alliance-check-v1', { state: fromRead.state, applied: ['s-9'], therapistId: 't-7' });
    expect(written).not.toHaveProperty('instrumentId');
    expect((written['trend'] as object[]).every((point) => Object.keys(point).join() === 'endedAt,p')).toBe(true);
    expect(written['lastState']).toBe(fromRead.evaluation.state);
  });
});
