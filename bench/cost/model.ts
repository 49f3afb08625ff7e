/**
 * Benchmark 4, the cost model: what 1,000 sessions cost on AWS, from the counts measured on the
 * local stack (per session: invocations and their durations, DynamoDB units, events, queue
 * messages, emails, HTTP requests, schedules, log bytes) and published us-east-1 prices. Pure:
 * numbers in, numbers out; free tiers are ignored (a practice's volume would mostly fit in them).
 */
import type { Prices } from './prices.ts';

/** What one session uses on AWS, as measured (averages when sessions differ). */
export interface SessionUsage {
  /** Lambda invocations: how many (per session, may be fractional for a share) and the billed milliseconds of each. */
  invocations: { fn: string; count: number; billedMs: number }[];
  memoryMb: number;
  dynamoDbWriteUnits: number;
  dynamoDbReadUnits: number;
  /** Events put on the bus (by the EHR, the functions and the scheduler). */
  events: number;
  /** Messages delivered into the route queues (each one SendMessage by EventBridge). */
  queueMessages: number;
  /** Batches the event source mappings received (one ReceiveMessage and one DeleteMessageBatch each). */
  queueBatches: number;
  emails: number;
  httpRequests: number;
  schedulerInvocations: number;
  /** Log bytes ingested by CloudWatch Logs (the functions' lines and Lambda's own START/END/REPORT). */
  logBytes: number;
  /** Traces X-Ray records (at most one per invocation with active tracing at low volume). */
  traces: number;
}

export interface CostLine {
  item: string;
  /** Quantity per 1,000 sessions, in `unit`. */
  quantity: number;
  unit: string;
  usd: number;
}

export interface CostModel {
  lines: CostLine[];
  /** US dollars per 1,000 sessions. */
  total: number;
}

const PER_THOUSAND = 1000;

/** The cost of 1,000 sessions that each use `usage`. */
export function costPerThousandSessions(usage: SessionUsage, prices: Prices): CostModel {
  const requests = usage.invocations.reduce((sum, invocation) => sum + invocation.count, 0);
  const gbSeconds = usage.invocations.reduce((sum, invocation) => sum + invocation.count * (invocation.billedMs / 1000) * (usage.memoryMb / 1024), 0);
  // SQS: EventBridge's SendMessage per message; per batch one ReceiveMessage that returned it and
  // one DeleteMessageBatch (idle long polls are a fixed monthly cost, see idlePollingPerMonth).
  const sqsRequests = usage.queueMessages + 2 * usage.queueBatches;
  const lines: CostLine[] = [
    { item: 'Lambda requests', quantity: requests * PER_THOUSAND, unit: 'requests', usd: (requests * PER_THOUSAND * prices.lambdaPerMillionRequests) / 1e6 },
    { item: `Lambda compute (${usage.memoryMb} MB arm64)`, quantity: gbSeconds * PER_THOUSAND, unit: 'GB-s', usd: gbSeconds * PER_THOUSAND * prices.lambdaPerGbSecond },
    { item: 'DynamoDB write units', quantity: usage.dynamoDbWriteUnits * PER_THOUSAND, unit: 'WRU', usd: (usage.dynamoDbWriteUnits * PER_THOUSAND * prices.dynamoDbPerMillionWriteUnits) / 1e6 },
    { item: 'DynamoDB read units', quantity: usage.dynamoDbReadUnits * PER_THOUSAND, unit: 'RRU', usd: (usage.dynamoDbReadUnits * PER_THOUSAND * prices.dynamoDbPerMillionReadUnits) / 1e6 },
    { item: 'EventBridge events', quantity: usage.events * PER_THOUSAND, unit: 'events', usd: (usage.events * PER_THOUSAND * prices.eventBridgePerMillionEvents) / 1e6 },
    { item: 'SQS requests', quantity: sqsRequests * PER_THOUSAND, unit: 'requests', usd: (sqsRequests * PER_THOUSAND * prices.sqsPerMillionRequests) / 1e6 },
    { item: 'SES emails', quantity: usage.emails * PER_THOUSAND, unit: 'emails', usd: (usage.emails * PER_THOUSAND * prices.sesPerThousandEmails) / 1000 },
    { item: 'HTTP API requests', quantity: usage.httpRequests * PER_THOUSAND, unit: 'requests', usd: (usage.httpRequests * PER_THOUSAND * prices.httpApiPerMillionRequests) / 1e6 },
    { item: 'Scheduler invocations', quantity: usage.schedulerInvocations * PER_THOUSAND, unit: 'invocations', usd: (usage.schedulerInvocations * PER_THOUSAND * prices.schedulerPerMillionInvocations) / 1e6 },
    { item: 'CloudWatch Logs ingestion', quantity: (usage.logBytes * PER_THOUSAND) / 2 ** 30, unit: 'GB', usd: ((usage.logBytes * PER_THOUSAND) / 2 ** 30) * prices.cloudWatchLogsPerGb },
    { item: 'X-Ray traces', quantity: usage.traces * PER_THOUSAND, unit: 'traces', usd: (usage.traces * PER_THOUSAND * prices.xRayPerMillionTraces) / 1e6 },
  ];
  return { lines, total: lines.reduce((sum, line) => sum + line.usd, 0) };
}

/** Mixes session kinds by their shares (which must add up to 1), e.g. answered before or after the reminder. */
export function mixUsage(parts: readonly { share: number; usage: SessionUsage }[]): SessionUsage {
  const total = parts.reduce((sum, part) => sum + part.share, 0);
  if (Math.abs(total - 1) > 1e-9) throw new RangeError(`shares add up to ${total}, not 1`);
  const weighted = (pick: (usage: SessionUsage) => number) => parts.reduce((sum, part) => sum + part.share * pick(part.usage), 0);
  return {
    invocations: parts.flatMap((part) => part.usage.invocations.map((invocation) => ({ ...invocation, count: invocation.count * part.share }))),
    memoryMb: parts[0]?.usage.memoryMb ?? 256,
    dynamoDbWriteUnits: weighted((usage) => usage.dynamoDbWriteUnits),
    dynamoDbReadUnits: weighted((usage) => usage.dynamoDbReadUnits),
    events: weighted((usage) => usage.events),
    queueMessages: weighted((usage) => usage.queueMessages),
    queueBatches: weighted((usage) => usage.queueBatches),
    emails: weighted((usage) => usage.emails),
    httpRequests: weighted((usage) => usage.httpRequests),
    schedulerInvocations: weighted((usage) => usage.schedulerInvocations),
    logBytes: weighted((usage) => usage.logBytes),
    traces: weighted((usage) => usage.traces),
  };
}

/** Per clinician per month, against a hosted tool's per-clinician price. */
export function clinicianComparison(costPerThousand: number, sessionsPerClinicianWeek: number, hostedPerClinicianMonth: { low: number; high: number }) {
  const sessionsPerMonth = (sessionsPerClinicianWeek * 52) / 12;
  const selfHostedPerMonth = (costPerThousand / PER_THOUSAND) * sessionsPerMonth;
  return {
    sessionsPerMonth,
    selfHostedPerMonth,
    hostedLow: hostedPerClinicianMonth.low,
    hostedHigh: hostedPerClinicianMonth.high,
    /** How many times cheaper than the cheapest hosted price. */
    timesCheaper: hostedPerClinicianMonth.low / selfHostedPerMonth,
  };
}

/**
 * The monthly cost of the queues' idle long polling, which does not depend on sessions: each SQS
 * event source mapping keeps `pollers` long polls of up to 20 s open.
 */
export function idlePollingPerMonth(queues: number, prices: Prices, pollers = 5): { requests: number; usd: number } {
  const requests = queues * pollers * (30.44 * 24 * 3600) / 20;
  return { requests, usd: (requests * prices.sqsPerMillionRequests) / 1e6 };
}
