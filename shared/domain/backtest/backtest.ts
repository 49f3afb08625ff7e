/**
 * A backtest over a stream of sessions: what each rule would have sent, and how well it matched
 * labelled ruptures. Pure and incremental — it is fed one session at a time and keeps O(1) per
 * client, never the rows — so a file of any length streams through it. The retrospective 2-SD rule
 * needs each client's mean over all their sessions first, so it is judged on a second pass over
 * the same sessions (`judgeRetrospectively`).
 *
 * Every figure is reported under two definitions (DEFINITIONS), and every session's outcome per
 * rule is returned to the caller (`RuleOutcome`), so `alliance backtest --sessions` can write them
 * and anyone can recompute the figures session by session.
 */
import type { DetectorSettings } from '../detector/index.ts';
import type { Instrument } from '../instruments.ts';
import { BacktestInputError, type BacktestSession } from './csv.ts';
import {
  addToStats,
  ANCHOR_KIND,
  cutoffAlerts,
  DETECTOR_RULE_NAMES,
  DetectorRule,
  lastDropAlerts,
  RULE_NAMES,
  sessionPomp,
  twoSdAlerts,
  type DetectorRuleName,
  type RuleName,
  type RunningStats,
} from './rules.ts';

/** The two ways the figures are counted, in words (printed in the table and in `--json`). */
export const DEFINITIONS = {
  strict:
    'strict: an alert is right only at a session labelled 1, a labelled rupture is caught only by an alert at that very session, and alerts are counted per 100 rows (answered or not)',
  lenient:
    'lenient (issue 15): an alert is right at a labelled session or at the first answered session after one, a labelled rupture is caught by an alert at that session or at the next answered session of the same client, and alerts are counted per 100 answered sessions',
} as const;

/** A rule's figures under the lenient definition. */
export interface LenientMetrics {
  alertsPer100Answered: number;
  /** Share of alerts that were right (labelled session or the first answered one after it). */
  precision: number | null;
  /** Share of labelled ruptures alerted at that session or the next answered one. */
  recall: number | null;
}

/** One rule's operating characteristics on the data. */
export interface RuleMetrics {
  name: RuleName;
  /** Sessions at which the rule would have alerted. */
  alerts: number;
  /** Strict: per 100 rows, answered or not. */
  alertsPer100Sessions: number;
  /** Share (0–1) of clients alerted at least once. */
  clientsAlertedShare: number;
  /** Strict: share of alerts at sessions labelled as ruptures; null without labels or alerts. */
  precision: number | null;
  /** Strict: share of labelled ruptures alerted at that session; null without labelled ruptures. */
  recall: number | null;
  lenient: LenientMetrics;
}

/**
 * The practice prior for early alerts, fitted from the file (method of moments over clients with
 * at least 2 answered sessions): the mean of clients' usual totals, how far those spread (their
 * SD, less what session noise alone explains), and the pooled session-to-session SD. Null with
 * fewer than 2 such clients.
 */
export interface FittedPrior {
  priorMeanPomp: number;
  priorSdPomp: number;
  priorWithinSdPomp: number;
  clients: number;
}

/** The backtest's result, as `alliance backtest --json` prints it. */
export interface BacktestResult {
  sessions: number;
  answered: number;
  labelled: number;
  clients: number;
  definitions: typeof DEFINITIONS;
  rules: RuleMetrics[];
  practicePrior: FittedPrior | null;
}

/** What one rule did at one session: the alert kinds it fired there (empty when none). */
export interface RuleOutcome {
  rule: RuleName;
  kinds: readonly string[];
}

/** Counts for one rule. */
interface Tally {
  alerts: number;
  strictRight: number;
  lenientRight: number;
  strictCaught: number;
  lenientCaught: number;
}

/**
 * Per client and rule: what the lenient definition needs to remember, O(1).
 * `pending`: labelled rows not caught yet, waiting for the client's next answered session.
 * `recentLabel`: a row labelled 1 since (and including) the client's last answered session.
 */
interface Credit {
  pending: number;
  recentLabel: boolean;
}

interface ClientRecord {
  /** Number of sessions seen, for the second pass to know which session is which. */
  index: number;
  lastEndedAtMs: number;
  previousP: number | null;
  stats: RunningStats;
  detectors: Record<DetectorRuleName, DetectorRule>;
  credit: Record<RuleName, Credit>;
  /** Bit per rule: alerted at least once. */
  alerted: number;
}

const RULE_BIT = Object.fromEntries(RULE_NAMES.map((name, index) => [name, 1 << index])) as Record<RuleName, number>;
const NONE: readonly string[] = Object.freeze([]);
const ANCHOR: readonly string[] = Object.freeze([ANCHOR_KIND]);

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

function perRule<T>(make: () => T): Record<RuleName, T> {
  return Object.fromEntries(RULE_NAMES.map((name) => [name, make()])) as Record<RuleName, T>;
}

/** Feeds sessions through every rule and summarises what each would have done. */
export class Backtest {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly tallies = perRule<Tally>(() => ({ alerts: 0, strictRight: 0, lenientRight: 0, strictCaught: 0, lenientCaught: 0 }));
  private sessions = 0;
  private answered = 0;
  private positives = 0;
  private labelled = false;
  private secondPassSessions = 0;

  constructor(
    private readonly instrument: Instrument,
    private readonly settings: Record<DetectorRuleName, DetectorSettings>,
  ) {}

  /** Counts one rule's outcome at one session under both definitions. */
  private count(rule: RuleName, record: ClientRecord, session: BacktestSession, alerted: boolean): void {
    const tally = this.tallies[rule];
    const credit = record.credit[rule];
    const label = session.label === 1;
    const answered = session.answers !== null;
    if (alerted) {
      tally.alerts += 1;
      record.alerted |= RULE_BIT[rule];
      if (label) tally.strictRight += 1;
      if (label || credit.recentLabel) tally.lenientRight += 1;
    }
    if (answered) {
      // Labelled rows waiting since the last answered session: this is their next answered one.
      if (alerted) tally.lenientCaught += credit.pending;
      credit.pending = 0;
      credit.recentLabel = label;
    } else if (label) credit.recentLabel = true;
    if (label) {
      if (alerted) {
        tally.strictCaught += 1;
        tally.lenientCaught += 1;
      } else credit.pending += 1;
    }
  }

  /**
   * First pass: feeds one session (in per-client endedAt order) to every streaming rule and
   * returns what each did there.
   */
  add(session: BacktestSession, lineNumber: number): RuleOutcome[] {
    let record = this.clients.get(session.clientId);
    if (record === undefined) {
      record = {
        index: 0,
        lastEndedAtMs: Number.NEGATIVE_INFINITY,
        previousP: null,
        stats: { n: 0, mean: 0, m2: 0 },
        detectors: Object.fromEntries(DETECTOR_RULE_NAMES.map((rule) => [rule, new DetectorRule(this.settings[rule], this.instrument)])) as Record<
          DetectorRuleName,
          DetectorRule
        >,
        credit: perRule<Credit>(() => ({ pending: 0, recentLabel: false })),
        alerted: 0,
      };
      this.clients.set(session.clientId, record);
    }
    if (session.endedAtMs < record.lastEndedAtMs) {
      throw new BacktestInputError(lineNumber, `sessions of client ${session.clientId} are not sorted by endedAt (${session.endedAt} comes after a later one)`);
    }
    record.lastEndedAtMs = session.endedAtMs;
    record.index += 1;
    this.sessions += 1;
    if (session.answers !== null) this.answered += 1;
    if (session.label !== null) this.labelled = true;
    if (session.label === 1) this.positives += 1;

    const sessionId = `${session.clientId}#${record.index}`;
    const outcomes: RuleOutcome[] = [];
    for (const rule of DETECTOR_RULE_NAMES) {
      const kinds = record.detectors[rule].step(sessionId, session.endedAt, session.answers, session.talk);
      this.count(rule, record, session, kinds.length > 0);
      outcomes.push({ rule, kinds });
    }
    let cutoff = false;
    let lastDrop = false;
    if (session.answers !== null) {
      const p = sessionPomp(this.instrument, session.answers);
      cutoff = cutoffAlerts(p);
      lastDrop = lastDropAlerts(p, record.previousP);
      record.previousP = p;
      addToStats(record.stats, p);
    }
    this.count('cutoff', record, session, cutoff);
    this.count('lastDrop', record, session, lastDrop);
    outcomes.push({ rule: 'cutoff', kinds: cutoff ? ANCHOR : NONE }, { rule: 'lastDrop', kinds: lastDrop ? ANCHOR : NONE });
    return outcomes;
  }

  /** Second pass: judges one session, in the same order, against its client's whole-history mean. */
  judgeRetrospectively(session: BacktestSession): RuleOutcome {
    this.secondPassSessions += 1;
    const record = this.clients.get(session.clientId);
    if (record === undefined) throw new Error(`client ${session.clientId} was not in the first pass`);
    const alerted = session.answers !== null && twoSdAlerts(sessionPomp(this.instrument, session.answers), record.stats);
    this.count('twoSd', record, session, alerted);
    return { rule: 'twoSd', kinds: alerted ? ANCHOR : NONE };
  }

  /** Fits the practice prior from every client's running statistics (answered sessions). */
  private fitPrior(): FittedPrior | null {
    let clients = 0;
    let sumMeans = 0;
    let sumSquaredMeans = 0;
    let pooledSquares = 0;
    let pooledDegrees = 0;
    let inverseSizes = 0;
    for (const record of this.clients.values()) {
      const { n, mean, m2 } = record.stats;
      if (n < 2) continue;
      clients += 1;
      sumMeans += mean;
      sumSquaredMeans += mean * mean;
      pooledSquares += m2;
      pooledDegrees += n - 1;
      inverseSizes += 1 / n;
    }
    if (clients < 2) return null;
    const mean = sumMeans / clients;
    const within = pooledSquares / pooledDegrees;
    const spreadOfMeans = (sumSquaredMeans - clients * mean * mean) / (clients - 1);
    // A client's mean carries session noise (within / n); what is left is how clients differ.
    const between = Math.max(0, spreadOfMeans - (within * inverseSizes) / clients);
    return { priorMeanPomp: round(mean, 1), priorSdPomp: round(Math.sqrt(between), 1), priorWithinSdPomp: round(Math.sqrt(within), 1), clients };
  }

  /** Summarises every rule; call after both passes. */
  result(): BacktestResult {
    if (this.secondPassSessions !== this.sessions) {
      throw new Error(`second pass saw ${this.secondPassSessions} sessions, the first ${this.sessions}`);
    }
    const clients = this.clients.size;
    const alertedClients = perRule(() => 0);
    for (const record of this.clients.values()) {
      for (const rule of RULE_NAMES) if (record.alerted & RULE_BIT[rule]) alertedClients[rule] += 1;
    }
    const share = (part: number, whole: number, known: boolean) => (known && whole > 0 ? round(part / whole, 4) : null);
    return {
      sessions: this.sessions,
      answered: this.answered,
      labelled: this.positives,
      clients,
      definitions: DEFINITIONS,
      rules: RULE_NAMES.map((name) => {
        const tally = this.tallies[name];
        return {
          name,
          alerts: tally.alerts,
          alertsPer100Sessions: this.sessions === 0 ? 0 : round((100 * tally.alerts) / this.sessions, 2),
          clientsAlertedShare: clients === 0 ? 0 : round(alertedClients[name] / clients, 4),
          precision: share(tally.strictRight, tally.alerts, this.labelled),
          recall: share(tally.strictCaught, this.positives, this.labelled),
          lenient: {
            alertsPer100Answered: this.answered === 0 ? 0 : round((100 * tally.alerts) / this.answered, 2),
            precision: share(tally.lenientRight, tally.alerts, this.labelled),
            recall: share(tally.lenientCaught, this.positives, this.labelled),
          },
        };
      }),
      practicePrior: this.fitPrior(),
    };
  }
}
