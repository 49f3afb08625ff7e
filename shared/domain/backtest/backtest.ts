/**
 * A backtest over a stream of sessions: what each rule would have sent, and how well it matched
 * labelled ruptures. Pure and incremental — it is fed one session at a time and keeps O(1) per
 * client, never the rows — so a file of any length streams through it. The retrospective 2-SD rule
 * needs each client's mean over all their sessions first, so it is judged on a second pass over
 * the same sessions (`judgeRetrospectively`).
 */
import type { DetectorSettings } from '../detector/index.ts';
import type { Instrument } from '../instruments.ts';
import { BacktestInputError, type BacktestSession } from './csv.ts';
import {
  addToStats,
  cutoffAlerts,
  DetectorRule,
  lastDropAlerts,
  RULE_NAMES,
  sessionPomp,
  twoSdAlerts,
  type RuleName,
  type RunningStats,
} from './rules.ts';

/** One rule's operating characteristics on the data. */
export interface RuleMetrics {
  name: RuleName;
  /** Sessions at which the rule would have alerted. */
  alerts: number;
  alertsPer100Sessions: number;
  /** Share (0–1) of clients alerted at least once. */
  clientsAlertedShare: number;
  /** Share of alerts at sessions labelled as ruptures; null without labels or alerts. */
  precision: number | null;
  /** Share of labelled ruptures alerted at that session; null without labelled ruptures. */
  recall: number | null;
}

/** The backtest's result, as `alliance backtest --json` prints it. */
export interface BacktestResult {
  sessions: number;
  clients: number;
  rules: RuleMetrics[];
}

interface ClientRecord {
  /** Number of sessions seen, for the second pass to know which session is which. */
  index: number;
  lastEndedAtMs: number;
  previousP: number | null;
  stats: RunningStats;
  detectors: Record<'default' | 'sensitive', DetectorRule>;
  /** Bit per rule: alerted at least once. */
  alerted: number;
}

const RULE_BIT = Object.fromEntries(RULE_NAMES.map((name, index) => [name, 1 << index])) as Record<RuleName, number>;

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Feeds sessions through every rule and summarises what each would have done. */
export class Backtest {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly alerts: Record<RuleName, number> = { default: 0, sensitive: 0, cutoff: 0, lastDrop: 0, twoSd: 0 };
  private readonly truePositives: Record<RuleName, number> = { default: 0, sensitive: 0, cutoff: 0, lastDrop: 0, twoSd: 0 };
  private sessions = 0;
  private positives = 0;
  private labelled = false;
  private secondPassSessions = 0;

  constructor(
    private readonly instrument: Instrument,
    private readonly settings: { default: DetectorSettings; sensitive: DetectorSettings },
  ) {}

  private count(rule: RuleName, record: ClientRecord, session: BacktestSession): void {
    this.alerts[rule] += 1;
    record.alerted |= RULE_BIT[rule];
    if (session.label === 1) this.truePositives[rule] += 1;
  }

  /** First pass: feeds one session (in per-client endedAt order) to every streaming rule. */
  add(session: BacktestSession, lineNumber: number): void {
    let record = this.clients.get(session.clientId);
    if (record === undefined) {
      record = {
        index: 0,
        lastEndedAtMs: Number.NEGATIVE_INFINITY,
        previousP: null,
        stats: { n: 0, mean: 0, m2: 0 },
        detectors: {
          default: new DetectorRule(this.settings.default, this.instrument),
          sensitive: new DetectorRule(this.settings.sensitive, this.instrument),
        },
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
    if (session.label !== null) this.labelled = true;
    if (session.label === 1) this.positives += 1;

    const sessionId = `${session.clientId}#${record.index}`;
    for (const rule of ['default', 'sensitive'] as const) {
      if (record.detectors[rule].step(sessionId, session.endedAt, session.answers, session.talk)) this.count(rule, record, session);
    }
    if (session.answers === null) return;
    const p = sessionPomp(this.instrument, session.answers);
    if (cutoffAlerts(p)) this.count('cutoff', record, session);
    if (lastDropAlerts(p, record.previousP)) this.count('lastDrop', record, session);
    record.previousP = p;
    addToStats(record.stats, p);
  }

  /** Second pass: judges one session, in the same order, against its client's whole-history mean. */
  judgeRetrospectively(session: BacktestSession): void {
    this.secondPassSessions += 1;
    if (session.answers === null) return;
    const record = this.clients.get(session.clientId);
    if (record === undefined) throw new Error(`client ${session.clientId} was not in the first pass`);
    if (twoSdAlerts(sessionPomp(this.instrument, session.answers), record.stats)) this.count('twoSd', record, session);
  }

  /** Summarises every rule; call after both passes. */
  result(): BacktestResult {
    if (this.secondPassSessions !== this.sessions) {
      throw new Error(`second pass saw ${this.secondPassSessions} sessions, the first ${this.sessions}`);
    }
    const clients = this.clients.size;
    const alertedClients: Record<RuleName, number> = { default: 0, sensitive: 0, cutoff: 0, lastDrop: 0, twoSd: 0 };
    for (const record of this.clients.values()) {
      for (const rule of RULE_NAMES) if (record.alerted & RULE_BIT[rule]) alertedClients[rule] += 1;
    }
    return {
      sessions: this.sessions,
      clients,
      rules: RULE_NAMES.map((name) => ({
        name,
        alerts: this.alerts[name],
        alertsPer100Sessions: this.sessions === 0 ? 0 : round((100 * this.alerts[name]) / this.sessions, 2),
        clientsAlertedShare: clients === 0 ? 0 : round(alertedClients[name] / clients, 4),
        precision: this.labelled && this.alerts[name] > 0 ? round(this.truePositives[name] / this.alerts[name], 4) : null,
        recall: this.labelled && this.positives > 0 ? round(this.truePositives[name] / this.positives, 4) : null,
      })),
    };
  }
}
