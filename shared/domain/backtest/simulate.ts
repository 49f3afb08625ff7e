/**
 * Synthetic, labelled cohorts for demos, tests and the detector's evidence: several simulators
 * (SIMULATORS), most of them a mix of client shapes — stable, ceiling, noisy, V-dips, early dips,
 * slow slides, item-only drops, step-downs, relapses — with its own noise, session counts and
 * missing sessions; one (`anchored`) a small generator fitted to the figures issue 15 published
 * for a cohort we have never seen. Seeded, so the same simulator and seed always give the same file.
 *
 * Each simulator plans a client (usual levels, noise, true drops per session: `planShapeClient`,
 * `planAnchoredClient`); one loop turns every plan into sessions, labels and the client's truth.
 *
 * Labels mark the onset of a rupture: a session is labelled `rupture = 1` when the client's true
 * level — before answer noise — has just fallen at least 15 POMP below their usual total (6 points
 * of 40), or one item at least 40 POMP below its usual value, and the session before it was not
 * that far down. One label per rupture episode, so a rule that alerts once per episode (and waits
 * for repair) can catch every one; a new episode needs the level to have come back first.
 */
import { csvField, csvHeader } from './csv.ts';
import type { Instrument } from '../instruments.ts';

export const ARCHETYPES = [
  'stable',
  'ceiling',
  'noisy',
  'v-dip',
  'slow-slide',
  'item-drop',
  'early-dip',
  'ceiling-dip',
  'step-down',
  'relapse',
] as const;
export type Shape = (typeof ARCHETYPES)[number];
/** The anchored simulator's two kinds of client: usual levels near the top of the scale, or lower. */
export const ANCHORED_ARCHETYPES = ['high', 'low'] as const;
/** A simulated client's kind (in its clientId): a shape, or the anchored simulator's high / low. */
export type Archetype = Shape | (typeof ANCHORED_ARCHETYPES)[number];

/** What every simulator's profile states. */
interface ProfileBase {
  /** What it stresses, in one line. */
  description: string;
  sessions: readonly [number, number];
  unansweredShare: number;
  /** Unanswered requests may fall on a labelled session (a client who stays away after a rupture). */
  missingAtRuptures: boolean;
  /** SD of a shift shared by all items of a session (0–10 scale): items move together. */
  sharedNoise: number;
}

/** A simulator whose cohort is a mix of client shapes. */
export interface ShapeMixProfile extends ProfileBase {
  /** Client shapes and their shares (cycled in order, so small cohorts keep the shares). */
  mix: readonly (readonly [Shape, number])[];
  /** Per-item answer noise (0–10 scale) is the shape's own, times a factor drawn from this range per client. */
  noiseFactor: readonly [number, number];
}

/**
 * The anchored simulator's parameters (0–10 scale), fitted by random search so that the anchors'
 * rules and the spec's rule give the figures issue 15 published for its cohort.
 */
export interface AnchoredParameters {
  /** Share of "low" clients; the others are "high". */
  lowShare: number;
  /** Each item's usual value of a low client, uniform in this range. */
  lowUsual: readonly [number, number];
  /** Each item's usual value of a high client, uniform in this range. */
  highUsual: readonly [number, number];
  /** Per-client SD of each item's answer noise, uniform in this range. */
  noise: readonly [number, number];
  /** Share of clients (low or high alike) with one rupture. */
  ruptureShare: number;
  /** Share of ruptures at an early session (0-based index in `early`); the others from index `lateFrom` to the last. */
  earlyShare: number;
  early: readonly [number, number];
  lateFrom: number;
  /** Depth of the rupture on every item, uniform in this range. */
  depth: readonly [number, number];
  /** Every session after the rupture stays this share of its depth down (the client never fully comes back). */
  afterShare: number;
}

/** A simulator whose clients come from the fitted generator (`anchored`). */
export interface AnchoredProfile extends ProfileBase {
  anchored: AnchoredParameters;
}

/** The shape of one simulator's cohort. */
export type SimulatorProfile = ShapeMixProfile | AnchoredProfile;

export const SIMULATORS = {
  mixed: {
    description: 'six shapes in equal shares (stable, ceiling, noisy, V-dip, slow slide, item-only drop), 10–20 sessions, 8 % unanswered',
    mix: [
      ['stable', 1],
      ['ceiling', 1],
      ['noisy', 1],
      ['v-dip', 1],
      ['slow-slide', 1],
      ['item-drop', 1],
    ],
    sessions: [10, 20],
    unansweredShare: 0.08,
    missingAtRuptures: false,
    noiseFactor: [1, 1],
    sharedNoise: 0,
  },
  'short-ceiling': {
    description: 'short courses (4–12 sessions), most clients at the top of the scale, ruptures at the 2nd or 3rd session, items moving together',
    mix: [
      ['ceiling', 6],
      ['stable', 5],
      ['ceiling-dip', 2],
      ['early-dip', 3],
      ['item-drop', 1],
      ['v-dip', 1],
    ],
    sessions: [4, 12],
    unansweredShare: 0.05,
    missingAtRuptures: false,
    noiseFactor: [0.8, 1.2],
    sharedNoise: 0.3,
  },
  'noisy-missing': {
    description: 'noisier answers, long and uneven courses (6–24 sessions), 20 % unanswered (also at ruptures), slow slides, step-downs and relapses',
    mix: [
      ['noisy', 4],
      ['stable', 5],
      ['slow-slide', 2],
      ['step-down', 2],
      ['relapse', 1],
      ['v-dip', 1],
      ['item-drop', 1],
    ],
    sessions: [6, 24],
    unansweredShare: 0.2,
    missingAtRuptures: true,
    noiseFactor: [1, 1.5],
    sharedNoise: 0.4,
  },
  twelve: {
    description: 'every shape, about half the clients with a rupture, 12 sessions each (the size of issue 15’s cohort, but harder: the spec’s rule catches 75 % of ruptures here, 88 % there), 10 % unanswered',
    mix: [
      ['stable', 4],
      ['ceiling', 3],
      ['noisy', 3],
      ['v-dip', 1],
      ['slow-slide', 1],
      ['item-drop', 1],
      ['early-dip', 1],
      ['ceiling-dip', 1],
      ['step-down', 1],
      ['relapse', 1],
    ],
    sessions: [12, 12],
    unansweredShare: 0.1,
    missingAtRuptures: true,
    noiseFactor: [0.8, 1.3],
    sharedNoise: 0.4,
  },
  uneven: {
    description: 'kept out of all tuning: 5–30 sessions, clients whose steadiness varies widely, items moving strongly together, 15 % unanswered (also at ruptures)',
    mix: [
      ['stable', 4],
      ['noisy', 2],
      ['ceiling', 2],
      ['v-dip', 1],
      ['slow-slide', 1],
      ['item-drop', 1],
      ['step-down', 1],
      ['early-dip', 1],
      ['relapse', 1],
    ],
    sessions: [5, 30],
    unansweredShare: 0.15,
    missingAtRuptures: true,
    noiseFactor: [0.7, 1.6],
    sharedNoise: 0.6,
  },
  anchored: {
    description:
      'fitted to the figures issue 15 published for the anchors’ and the spec’s rules on its unseen cohort (never to our default): 12 sessions, 35 % lower clients, 45 % with one rupture that never fully repairs, 5 % unanswered (also at ruptures)',
    sessions: [12, 12],
    unansweredShare: 0.05,
    missingAtRuptures: true,
    sharedNoise: 0.14,
    anchored: {
      lowShare: 0.35,
      lowUsual: [7.1, 9.4],
      highUsual: [9, 10],
      noise: [0.6, 0.97],
      ruptureShare: 0.45,
      earlyShare: 0.14,
      early: [1, 2],
      lateFrom: 3,
      depth: [2.7, 5.1],
      // The fitted figure most sensitive to a parameter: at 0.50 the retrospective 2-SD rule caught
      // 64 % (the issue: 58 %), at 0.54 it catches 52 %.
      afterShare: 0.52,
    },
  },
} as const satisfies Record<string, SimulatorProfile>;

export type SimulatorName = keyof typeof SIMULATORS;
export const SIMULATOR_NAMES = Object.keys(SIMULATORS) as SimulatorName[];

export interface SimulateOptions {
  clients: number;
  seed: number;
  /** Default `mixed`. */
  simulator?: SimulatorName;
}

export interface SimulatedSession {
  clientId: string;
  archetype: Archetype;
  endedAt: string;
  /** Raw answers in instrument order; null when unanswered. */
  answers: number[] | null;
  talk: boolean;
  rupture: 0 | 1;
  /**
   * What the simulator knows and no rule can: the client's usual level and answer noise (POMP),
   * for the oracle that bounds what any rule could catch (oracle.ts). Never written to the CSV.
   */
  truth: ClientTruth;
}

/** A simulated client's true usual total and items, and the SDs of their answer noise (POMP). */
export interface ClientTruth {
  usualPomp: number;
  itemUsualPomp: readonly number[];
  /** SD of a session's total around the usual level (item noise averaged, plus the shared shift). */
  sdPomp: number;
  /** SD of one item around its usual value (its own noise plus the shared shift). */
  itemSdPomp: number;
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
/**
 * Depth of a dip (0–10 scale, every item): from just past the rupture line (15 POMP below usual
 * after the first item) to 4 points, so shallow ruptures a wide spread floor would miss are in
 * every cohort.
 */
const DIP_DEPTH = [1.8, 4] as const;

/** The random draws a simulator makes, all from one seeded stream. */
interface Draws {
  uniform(low: number, high: number): number;
  /** A whole number in [low, high]. */
  integer(low: number, high: number): number;
  /** A standard normal (Box–Muller, two draws). */
  normal(): number;
}

function draws(seed: number): Draws {
  const random = seededRandom(seed);
  const uniform = (low: number, high: number) => low + (high - low) * random();
  return {
    uniform,
    integer: (low, high) => Math.floor(uniform(low, high + 1)),
    normal: () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
  };
}

/** One simulated client before any session is emitted. */
interface ClientPlan {
  archetype: Archetype;
  /** Each item's usual value (0–10 scale). */
  usual: number[];
  /** SD of each item's own answer noise (0–10 scale). */
  noise: number;
  /** SD of the shift shared by the items of a session (0–10 scale). */
  shared: number;
  /** True drop of each item at each session (0–10 scale); its length is the number of sessions. */
  drops: number[][];
}

/** The client shape for each client index: the mix's shares, cycled. */
function shapeCycle(mix: ShapeMixProfile['mix']): Shape[] {
  return mix.flatMap(([archetype, share]) => Array.from({ length: share }, () => archetype));
}

/** Plans one client of a shape-mix simulator (the draws in the order the cohorts were first written in). */
function planShapeClient(profile: ShapeMixProfile, archetype: Shape, draw: Draws, instrument: Instrument): ClientPlan {
  const { uniform, integer } = draw;
  const itemCount = instrument.items.length;
  // Items other than "overall" can carry an item-only drop.
  const droppable = instrument.items.flatMap((item, index) => (item.component === 'overall' ? [] : [index]));
  const sessions = integer(profile.sessions[0], profile.sessions[1]);
  const atTop = archetype === 'ceiling' || archetype === 'ceiling-dip';
  const usual = atTop
    ? Array.from({ length: itemCount }, () => uniform(9.6, 10))
    : archetype === 'noisy'
      ? Array.from({ length: itemCount }, () => uniform(6.5, 8.5))
      : Array.from({ length: itemCount }, () => uniform(8, 9.5));
  const noise = (archetype === 'noisy' ? 1.4 : atTop ? 0.35 : 0.6) * uniform(profile.noiseFactor[0], profile.noiseFactor[1]);
  const shared = atTop ? profile.sharedNoise / 2 : profile.sharedNoise;
  const drops = Array.from({ length: sessions }, () => new Array<number>(itemCount).fill(0));
  const dip = (at: number, depth: number) => {
    if (at < 0 || at >= sessions) return;
    drops[at]!.fill(depth);
    if (at + 1 < sessions) drops[at + 1]!.fill(depth / 2);
  };
  // Shapes need room: a shape that does not fit the course length leaves the client stable.
  if ((archetype === 'v-dip' || archetype === 'ceiling-dip') && sessions >= 7) dip(integer(4, sessions - 3), uniform(DIP_DEPTH[0], DIP_DEPTH[1]));
  else if (archetype === 'early-dip' && sessions >= 4) dip(integer(1, 2), uniform(DIP_DEPTH[0], DIP_DEPTH[1]));
  else if (archetype === 'relapse' && sessions >= 12) {
    const first = integer(4, sessions - 7);
    dip(first, uniform(DIP_DEPTH[0], DIP_DEPTH[1]));
    dip(integer(first + 4, sessions - 2), uniform(DIP_DEPTH[0], DIP_DEPTH[1]));
  } else if (archetype === 'slow-slide' && sessions >= 9) {
    // Erosion over several sessions, then a repair that halves the drop each session.
    const start = integer(3, Math.min(6, sessions - 6));
    const length = integer(4, 7);
    const slope = uniform(2, 3.2) / length;
    let drop = 0;
    for (let s = start; s < sessions; s++) {
      drop = s < start + length ? slope * (s - start + 1) : drop / 2;
      drops[s]!.fill(drop);
    }
  } else if (archetype === 'item-drop' && sessions >= 7) {
    const at = integer(4, sessions - 2);
    drops[at]![droppable[integer(0, droppable.length - 1)] ?? 0] = uniform(4.5, 6);
  } else if (archetype === 'step-down' && sessions >= 8) {
    // The level falls and stays lower: one onset, no return.
    const at = integer(4, sessions - 3);
    const depth = uniform(1.6, 2.6);
    for (let s = at; s < sessions; s++) drops[s]!.fill(depth);
  }
  return { archetype, usual, noise, shared, drops };
}

/**
 * Plans one client of the anchored simulator: high or low usual levels, and for some clients one
 * rupture on every item that is followed by sessions half as deep down to the end of the course.
 */
function planAnchoredClient(profile: AnchoredProfile, draw: Draws, instrument: Instrument): ClientPlan {
  const { uniform, integer } = draw;
  const fit = profile.anchored;
  const itemCount = instrument.items.length;
  const sessions = integer(profile.sessions[0], profile.sessions[1]);
  const archetype = uniform(0, 1) < fit.lowShare ? 'low' : 'high';
  const [low, high] = archetype === 'low' ? fit.lowUsual : fit.highUsual;
  const usual = Array.from({ length: itemCount }, () => uniform(low, high));
  const noise = uniform(fit.noise[0], fit.noise[1]);
  const drops = Array.from({ length: sessions }, () => new Array<number>(itemCount).fill(0));
  if (uniform(0, 1) < fit.ruptureShare) {
    const at = uniform(0, 1) < fit.earlyShare ? integer(fit.early[0], fit.early[1]) : integer(fit.lateFrom, sessions - 1);
    const depth = uniform(fit.depth[0], fit.depth[1]);
    for (let s = at; s < sessions; s++) drops[s]!.fill(s === at ? depth : depth * fit.afterShare);
  }
  return { archetype, usual, noise, shared: profile.sharedNoise, drops };
}

/** Yields the cohort's sessions, client after client, each client's in endedAt order. */
export function* simulateCohort(options: SimulateOptions, instrument: Instrument): Generator<SimulatedSession> {
  const profile: SimulatorProfile = SIMULATORS[options.simulator ?? 'mixed'];
  const draw = draws(options.seed);
  const itemCount = instrument.items.length;
  const toRaw = (value: number) => {
    const clamped = Math.min(10, Math.max(0, value));
    return Math.round(instrument.min + (clamped / 10) * (instrument.max - instrument.min));
  };
  const cycle = 'mix' in profile ? shapeCycle(profile.mix) : [];

  for (let client = 0; client < options.clients; client++) {
    const plan = 'mix' in profile ? planShapeClient(profile, cycle[client % cycle.length]!, draw, instrument) : planAnchoredClient(profile, draw, instrument);
    const { archetype, usual, noise, shared, drops } = plan;
    const clientId = `sim-${String(client + 1).padStart(4, '0')}-${archetype}`;
    // Computed from values already drawn: the cohort's random stream is unchanged.
    const truth: ClientTruth = {
      usualPomp: (10 * usual.reduce((sum, value) => sum + value, 0)) / itemCount,
      itemUsualPomp: usual.map((value) => 10 * value),
      sdPomp: 10 * Math.sqrt((noise * noise) / itemCount + shared * shared),
      itemSdPomp: 10 * Math.sqrt(noise * noise + shared * shared),
    };
    const firstMs = FIRST_SESSION_MS + (client % 7) * DAY_MS;
    let wasDown = false;
    for (let s = 0; s < drops.length; s++) {
      const drop = drops[s]!;
      const meanDrop = drop.reduce((sum, value) => sum + value, 0) / itemCount;
      const down = meanDrop >= TOTAL_RUPTURE || drop.some((value) => value >= ITEM_RUPTURE);
      const rupture = down && !wasDown ? 1 : 0;
      wasDown = down;
      const unanswered = (rupture === 0 || profile.missingAtRuptures) && draw.uniform(0, 1) < profile.unansweredShare;
      const shift = shared * draw.normal();
      const answers = unanswered ? null : usual.map((level, index) => toRaw(level - drop[index]! + shift + noise * draw.normal()));
      // Simulated clients never tick "I'd like to talk": the tick alerts under every setting of our
      // rules alike and the anchors' rules never see it, so a guessed tick rate would only blur
      // the comparison of the score rules, which is what these cohorts are for.
      yield { clientId, archetype, endedAt: new Date(firstMs + s * 7 * DAY_MS).toISOString().replace('.000Z', 'Z'), answers, talk: false, rupture, truth };
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
