/**
 * Benchmark 3, the local burst: 1,000 SessionCompleted events put on the local bus as fast as it
 * takes them, timed from each event's PutEvents call to its email being stored by the SES emulator;
 * then 1,000 form posts, timed from the POST to the evaluation being stored (the client's detector
 * record written) and, for the answers that raise one, to the therapist's alert email. Everything
 * is bounded: loopback only, fixed counts, a deadline per phase.
 */
import type { Instrument } from '../../shared/domain/instruments.ts';
import { clientEmail, formBody, linkIn, postForm, putSessions, sessionDetail, type BenchStack } from '../local/bench-stack.ts';
import type { DynamoCall } from '../local/instrument.ts';
import { lowAnswer, steadyAnswer } from '../session/lifecycle.ts';
import { median, percentile } from '../lib/stats.ts';
import { startCpuMeter, type CpuPerSession } from '../lib/cpu.ts';

export interface BurstOptions {
  sessions: number;
  /** PutEvents calls (10 entries each) in flight at once. */
  putConcurrency: number;
  /** Form posts in flight at once (clients answering at the same moment). */
  postConcurrency: number;
  /** Every n-th answer asks to talk (an alert); the rest are steady. */
  alertEvery: number;
  /** Deadline of each phase. */
  phaseTimeoutMs: number;
  log?: (line: string) => void;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface BurstResult {
  sessions: number;
  putMs: number;
  emails: { delivered: number; latency: LatencySummary; throughputPerSecond: number; spanMs: number };
  posts: { sent: number; http: LatencySummary; statusCounts: Record<string, number> };
  evaluations: { done: number; latency: LatencySummary; throughputPerSecond: number };
  alerts: { expected: number; delivered: number; latency: LatencySummary };
  /**
   * CPU per session from the first put until the request phase was idle (emails sent, follow-ups
   * scheduled): this Node process and the DynamoDB Local JVM (undefined where /proc cannot tell).
   */
  requestCpuMsPerSession: CpuPerSession;
  /** Share of wall time the one Node event loop (bus, queues, functions, web, SES) was busy. */
  eventLoopUtilization: { requests: number; answers: number };
  /** Per-call latency of the stand-ins, as the functions saw it. */
  callLatency: Record<string, { count: number; p50: number; p99: number }>;
  /** Durations of the request function's invocations (batches of up to 5). */
  requestInvocation: LatencySummary;
  evaluateInvocation: LatencySummary;
  retries: number;
  deadLetters: number;
  timedOut: string[];
}

export function summarize(values: readonly number[]): LatencySummary {
  return { count: values.length, p50: median(values), p99: percentile(values, 99), max: values.length ? Math.max(...values) : Number.NaN };
}

/** The items in consecutive batches of `size` (the last one may be shorter). */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let index = 0; index < items.length; index += size) batches.push(items.slice(index, index + size));
  return batches;
}

/** Runs `work` over the items with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next]!;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(runners);
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

export async function runBurst(bench: BenchStack, instrument: Instrument, options: BurstOptions): Promise<BurstResult> {
  const log = options.log ?? (() => undefined);
  const { recorder } = bench;
  const timedOut: string[] = [];
  await bench.stack.waitForIdle(30_000);
  recorder.reset();
  bench.log.reset();
  recorder.attribute = false;
  const retriesBefore = [...bench.stack.queues.values()].reduce((sum, queue) => sum + queue.stats().retried, 0);
  const deadBefore = bench.stack.deadLetters.length;

  const clients = Array.from({ length: options.sessions }, (_, index) => `burst-${String(index).padStart(4, '0')}`);
  const putAt = new Map<string, number>();
  const emailAt = new Map<string, number>();
  const emailText = new Map<string, ReturnType<typeof recorder.emails.at>>();
  const postAt = new Map<string, number>();
  const evaluatedAt = new Map<string, number>();
  const alertAt = new Map<string, number>();
  const therapistOf = (clientId: string) => `t-${clientId}@practice.example`;
  const clientOfTherapist = new Map(clients.map((clientId) => [therapistOf(clientId), clientId]));
  const clientOfAddress = new Map(clients.map((clientId) => [clientEmail(clientId), clientId]));

  recorder.onEmail = (email) => {
    const client = clientOfAddress.get(email.to);
    if (client && !emailAt.has(client)) {
      emailAt.set(client, email.at);
      emailText.set(client, email);
      return;
    }
    const alerted = clientOfTherapist.get(email.to);
    if (alerted && !alertAt.has(alerted)) alertAt.set(alerted, email.at);
  };
  recorder.onDynamo = (call: DynamoCall) => {
    // The evaluation is done when the client's detector record is written.
    if (call.ok && call.operation === 'PutItem' && call.item === 'DETECTOR') {
      const clientId = call.pk.replace(/^CLIENT#/, '');
      if (!evaluatedAt.has(clientId)) evaluatedAt.set(clientId, call.startedAt + call.ms);
    }
  };

  try {
    // Phase 1: SessionCompleted → feedback emails.
    const detail = (clientId: string) => sessionDetail({ sessionId: `${clientId}-s1`, clientId, therapistEmail: therapistOf(clientId), endedAt: new Date(bench.clock.now().getTime() - 3_600_000) });
    const batches = batchesOf(clients, 10);
    const cpu = startCpuMeter(bench.stack.dynamoDbPid);
    const elu1 = performance.eventLoopUtilization();
    const putStarted = performance.now();
    await pool(batches, options.putConcurrency, async (batch) => {
      const at = performance.now();
      for (const clientId of batch) putAt.set(clientId, at);
      await putSessions(bench.events, batch.map(detail));
    });
    const putMs = performance.now() - putStarted;
    log(`put ${clients.length} SessionCompleted events in ${Math.round(putMs)} ms; waiting for the emails`);
    if (!(await until(() => emailAt.size >= clients.length, options.phaseTimeoutMs))) timedOut.push(`feedback emails (${emailAt.size}/${clients.length})`);
    const lastEmail = Math.max(...emailAt.values());
    const eluRequests = performance.eventLoopUtilization(elu1).utilization;
    const requestInvocations = bench.log.invocations.filter((invocation) => invocation.fn === 'request');
    await bench.stack.waitForIdle(options.phaseTimeoutMs).catch(() => timedOut.push('follow-up scheduling'));
    const requestCpuMsPerSession = cpu.perSession(clients.length);
    log(`${emailAt.size} emails stored; posting ${clients.length} answers`);

    // Phase 2: form posts → evaluations (and alerts).
    const alerting = new Set(clients.filter((_, index) => index % options.alertEvery === 0));
    const steady = steadyAnswer(instrument, 0);
    const low = lowAnswer(instrument);
    const statusCounts: Record<string, number> = {};
    const httpMs: number[] = [];
    bench.log.reset();
    const elu2 = performance.eventLoopUtilization();
    const answerable = clients.filter((clientId) => emailText.has(clientId));
    await pool(answerable, options.postConcurrency, async (clientId) => {
      const email = emailText.get(clientId)!;
      const started = performance.now();
      postAt.set(clientId, started);
      // Alerting answers are low and ask to talk (one alert email each); steady ones raise none.
      const response = await postForm(linkIn(email, 'f'), alerting.has(clientId) ? formBody(low, true) : formBody(steady));
      await response.arrayBuffer();
      httpMs.push(performance.now() - started);
      statusCounts[response.status] = (statusCounts[response.status] ?? 0) + 1;
    });
    log(`posted ${answerable.length} answers; waiting for the evaluations and alerts`);
    const expectedAlerts = answerable.filter((clientId) => alerting.has(clientId)).length;
    if (!(await until(() => evaluatedAt.size >= answerable.length && alertAt.size >= expectedAlerts, options.phaseTimeoutMs))) {
      timedOut.push(`evaluations (${evaluatedAt.size}/${answerable.length}) and alerts (${alertAt.size}/${expectedAlerts})`);
    }
    const eluAnswers = performance.eventLoopUtilization(elu2).utilization;
    const lastEvaluation = Math.max(...evaluatedAt.values());
    const firstPost = Math.min(...postAt.values());
    const evaluateInvocations = bench.log.invocations.filter((invocation) => invocation.fn === 'evaluate');
    await bench.stack.waitForIdle(options.phaseTimeoutMs).catch(() => timedOut.push('the queues to drain'));

    const latencies = (ends: Map<string, number>, starts: Map<string, number>) => [...ends.entries()].map(([clientId, end]) => end - starts.get(clientId)!).filter(Number.isFinite);
    const byOperation = new Map<string, number[]>();
    for (const call of recorder.dynamo) byOperation.set(`DynamoDB ${call.operation}`, [...(byOperation.get(`DynamoDB ${call.operation}`) ?? []), call.ms]);
    byOperation.set('SES SendEmail', recorder.emails.map((email) => email.ms));
    byOperation.set('EventBridge PutEvents (functions)', recorder.events.map((event) => event.ms));
    const emailLatencies = latencies(emailAt, putAt);
    return {
      sessions: clients.length,
      putMs,
      emails: {
        delivered: emailAt.size,
        latency: summarize(emailLatencies),
        spanMs: lastEmail - putStarted,
        throughputPerSecond: (emailAt.size / (lastEmail - putStarted)) * 1000,
      },
      posts: { sent: answerable.length, http: summarize(httpMs), statusCounts },
      evaluations: { done: evaluatedAt.size, latency: summarize(latencies(evaluatedAt, postAt)), throughputPerSecond: (evaluatedAt.size / (lastEvaluation - firstPost)) * 1000 },
      alerts: { expected: expectedAlerts, delivered: alertAt.size, latency: summarize(latencies(alertAt, postAt)) },
      requestCpuMsPerSession,
      eventLoopUtilization: { requests: eluRequests, answers: eluAnswers },
      callLatency: Object.fromEntries([...byOperation.entries()].map(([name, values]) => [name, { count: values.length, p50: median(values), p99: percentile(values, 99) }])),
      requestInvocation: summarize(requestInvocations.map((invocation) => invocation.ms)),
      evaluateInvocation: summarize(evaluateInvocations.map((invocation) => invocation.ms)),
      retries: [...bench.stack.queues.values()].reduce((sum, queue) => sum + queue.stats().retried, 0) - retriesBefore,
      deadLetters: bench.stack.deadLetters.length - deadBefore,
      timedOut,
    };
  } finally {
    delete recorder.onEmail;
    delete recorder.onDynamo;
  }
}
