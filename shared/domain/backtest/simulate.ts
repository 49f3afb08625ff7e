/**
 * A synthetic, labelled cohort for demos and tests: six kinds of client (stable, ceiling, noisy,
 * V-dip, slow slide, item-only drop), seeded so the same seed always gives the same file.
 *
 * Labels: a session is labelled a true rupture (`rupture = 1`) when the client's true level —
 * before answer noise — is at least 15 POMP below their usual total (6 points of 40), or one item's
 * is at least 40 POMP below its usual value. So a V-dip is labelled at its bottom (and on the way
 * back while still that low), an item-only drop at the dropped session, and a slow slide (six sessions of
 * erosion, then repair) at every session while it is that far down. Stable, ceiling and noisy clients have none.
 */
import { csvField, csvHeader } from './csv.ts';
import type { Instrument } from '../instruments.ts';

export const ARCHETYPES = ['stable', 'ceiling', 'noisy', 'v-dip', 'slow-slide', 'item-drop'] as const;
export type Archetype = (typeof ARCHETYPES)[number];

export interface SimulateOptions {
  clients: number;
  seed: number;
  /** Sessions per client, drawn uniformly from this range (inclusive). */
  minSessions?: number;
  maxSessions?: number;
  /** Share of feedback requests that expire unanswered (never at a labelled session). */
  unansweredShare?: number;
}

export interface SimulatedSession {
  clientId: string;
  archetype: Archetype;
  endedAt: string;
  /** Raw answers in instrument order; null when unanswered. */
  answers: number[] | null;
  talk: boolean;
  rupture: 0 | 1;
}

/** A small, fast, seedable PRNG (mulberry32); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY_MS = 86_400_000;
const FIRST_SESSION_MS = Date.UTC(2026, 0, 5, 15);
/** True drops that count as a rupture, on a 0–10 scale: 1.5 per item on average, or 4 on one item. */
const TOTAL_RUPTURE = 1.5;
const ITEM_RUPTURE = 4;

/** Yields the cohort's sessions, client after client, each client's in endedAt order. */
export function* simulateCohort(options: SimulateOptions, instrument: Instrument): Generator<SimulatedSession> {
  const random = seededRandom(options.seed);
  const uniform = (low: number, high: number) => low + (high - low) * random();
  const integer = (low: number, high: number) => Math.floor(uniform(low, high + 1));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const minSessions = options.minSessions ?? 10;
  const maxSessions = options.maxSessions ?? 20;
  const unansweredShare = options.unansweredShare ?? 0.08;
  const itemCount = instrument.items.length;
  // Items other than "overall" can carry an item-only drop.
  const droppable = instrument.items.flatMap((item, index) => (item.component === 'overall' ? [] : [index]));
  const toRaw = (value: number) => {
    const clamped = Math.min(10, Math.max(0, value));
    return Math.round(instrument.min + (clamped / 10) * (instrument.max - instrument.min));
  };

  for (let client = 0; client < options.clients; client++) {
    const archetype = ARCHETYPES[client % ARCHETYPES.length]!;
    const clientId = `sim-${String(client + 1).padStart(4, '0')}-${archetype}`;
    const sessions = integer(minSessions, maxSessions);
    const usual =
      archetype === 'ceiling'
        ? Array.from({ length: itemCount }, () => 10)
        : archetype === 'noisy'
          ? Array.from({ length: itemCount }, () => uniform(6.5, 8.5))
          : Array.from({ length: itemCount }, () => uniform(8, 9.5));
    const noise = archetype === 'noisy' ? 1.4 : archetype === 'ceiling' ? 0.35 : 0.6;
    // True drop of each item at each session, on the 0–10 scale.
    const drops = Array.from({ length: sessions }, () => new Array<number>(itemCount).fill(0));
    if (archetype === 'v-dip') {
      const at = integer(5, sessions - 3);
      const depth = uniform(2.5, 4);
      drops[at]!.fill(depth);
      drops[at + 1]!.fill(depth / 2);
    } else if (archetype === 'slow-slide') {
      // Six sessions of erosion, then a repair that halves the drop each session.
      const start = integer(4, 6);
      const slope = uniform(0.35, 0.5);
      let drop = 0;
      for (let s = start; s < sessions; s++) {
        drop = s < start + 6 ? slope * (s - start + 1) : drop / 2;
        drops[s]!.fill(drop);
      }
    } else if (archetype === 'item-drop') {
      const at = integer(5, sessions - 2);
      drops[at]![droppable[integer(0, droppable.length - 1)] ?? 0] = uniform(4.5, 6);
    }

    const firstMs = FIRST_SESSION_MS + (client % 7) * DAY_MS;
    for (let s = 0; s < sessions; s++) {
      const drop = drops[s]!;
      const meanDrop = drop.reduce((sum, value) => sum + value, 0) / itemCount;
      const rupture = meanDrop >= TOTAL_RUPTURE || drop.some((value) => value >= ITEM_RUPTURE) ? 1 : 0;
      const unanswered = rupture === 0 && random() < unansweredShare;
      const answers = unanswered ? null : usual.map((level, index) => toRaw(level - drop[index]! + noise * normal()));
      const talk = answers !== null && random() < (rupture ? 0.25 : 0.02);
      yield { clientId, archetype, endedAt: new Date(firstMs + s * 7 * DAY_MS).toISOString().replace('.000Z', 'Z'), answers, talk, rupture };
    }
  }
}

/** The CSV header line for a simulated cohort. */
export function simulatedCsvHeader(instrument: Instrument): string {
  return csvHeader(instrument).join(',');
}

/** One simulated session as a CSV line (without the line break), columns as in the header. */
export function simulatedCsvLine(session: SimulatedSession, instrument: Instrument): string {
  const items = session.answers?.map(String) ?? instrument.items.map(() => '');
  return [csvField(session.clientId), session.endedAt, ...items, session.talk ? 'yes' : '', String(session.rupture)].join(',');
}
