/**
 * One whole session on the local stack, as its people meet it: the EHR reports the session, the
 * client gets the email, opens the form (the browser also asks for the icon), posts an answer
 * and lands on the thank-you page; the answer is evaluated and the therapist alerted; later the
 * reminder and expiry schedules fire and find the session answered. Everything each step caused is
 * recorded: DynamoDB calls with their consumed capacity, invocations with their durations, HTTP
 * requests, emails, events, schedules and log bytes.
 */
import { randomUUID } from 'node:crypto';
import type { Instrument } from '../../shared/domain/instruments.ts';
import { REQUEST_SETTINGS } from '../../shared/config.ts';
import type { DynamoCall } from '../local/instrument.ts';
import { clientEmail, emailsTo, formBody, linkIn, postForm, putSessions, sessionDetail, type BenchStack, type HttpRequest, type Invocation } from '../local/bench-stack.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Everything one lifecycle (or one part of it) caused. */
export interface Usage {
  dynamo: DynamoCall[];
  invocations: Invocation[];
  http: HttpRequest[];
  emails: number;
  /** Events put on the bus: by the EHR, by the functions and by fired schedules. */
  events: string[];
  schedulesCreated: number;
  schedulesFired: number;
  /** Messages the bus delivered to the route queues, and the batches the functions received. */
  queueMessages: number;
  queueBatches: number;
  functionLogBytes: number;
  functionLogLines: number;
}

export interface ClientPlan {
  clientId: string;
  therapistEmail: string;
  /** Sessions so far (the next one is number sessions + 1). */
  sessions: number;
}

/**
 * A client with EHR-like ids: UUIDs for the client and each session, as many practice systems use
 * (item sizes, and so units, depend on the ids' length).
 */
export function newClient(): ClientPlan {
  const clientId = randomUUID();
  return { clientId, therapistEmail: `t-${clientId.slice(0, 8)}@practice.example`, sessions: 0 };
}

/** Answers of a client whose alliance is fine: 34–38 of 40 on the default instrument, varying. */
export function steadyAnswer(instrument: Instrument, index: number): Record<string, number> {
  const top = instrument.max;
  return Object.fromEntries(instrument.items.map((item, position) => [item.id, Math.max(instrument.min, top - ((index + position) % 3 === 0 ? 2 : 1))]));
}

/** A clearly low answer: every item at 30 % of its range (a low-rating alert for anyone, a rupture for a steady client). */
export function lowAnswer(instrument: Instrument): Record<string, number> {
  const value = Math.round(instrument.min + 0.3 * (instrument.max - instrument.min));
  return Object.fromEntries(instrument.items.map((item) => [item.id, value]));
}

async function settle(bench: BenchStack): Promise<void> {
  await bench.stack.waitForIdle(30_000);
}

/** Advances the clock by `ms`, fires the schedules now due and waits for what they cause. */
async function advance(bench: BenchStack, ms: number): Promise<number> {
  bench.clock.advance(ms);
  const fired = await bench.stack.scheduler.fireDue();
  await settle(bench);
  return fired;
}

/**
 * An earlier session, quickly: reported, answered from the mailed link, evaluated, and four days later
 * (clock) its due schedules fired. Not measured.
 */
export async function earlierSession(bench: BenchStack, client: ClientPlan, answer: Record<string, number>): Promise<void> {
  client.sessions += 1;
  const sent = bench.recorder.emails.filter((email) => email.to === clientEmail(client.clientId)).length;
  await putSessions(bench.events, [sessionDetail({ sessionId: randomUUID(), clientId: client.clientId, therapistEmail: client.therapistEmail, endedAt: new Date(bench.clock.now().getTime() - HOUR) })]);
  const email = (await emailsTo(bench.recorder, clientEmail(client.clientId), sent + 1)).at(-1)!;
  // The link's token is written just after SES accepted the email: let the request function finish.
  await settle(bench);
  const posted = await postForm(linkIn(email, 'f'), formBody(answer));
  if (posted.status !== 303) throw new Error(`an earlier session's answer got ${posted.status}, not 303`);
  await settle(bench);
  // Past this session's reminder and expiry before the next one, so nothing of it is left to fire.
  await advance(bench, 4 * DAY);
}

export interface LifecycleOptions {
  /** The client's answer; none: the request runs out unanswered (reminder, then expiry). */
  answer?: Record<string, number>;
  /** The reminder goes out before the client answers (from the first link). */
  reminderFirst?: boolean;
  /** The therapist opens the alert's acknowledge link and confirms (measured as its own part). */
  acknowledge?: boolean;
}

export interface LifecycleResult {
  /** Usage of the session lifecycle itself (what the DynamoDB target is about). */
  session: Usage;
  /** Usage of the therapist's acknowledgement, when asked for. */
  acknowledgement?: Usage;
  alertEmails: number;
}

/** Measures one whole session of `client`. */
export async function measureLifecycle(bench: BenchStack, client: ClientPlan, options: LifecycleOptions): Promise<LifecycleResult> {
  const { recorder, log } = bench;
  const queueTotals = () => [...bench.stack.queues.values()].reduce((sum, queue) => ({ sent: sum.sent + queue.stats().sent, invocations: sum.invocations + queue.stats().invocations }), { sent: 0, invocations: 0 });
  await settle(bench);
  client.sessions += 1;
  const sessionId = randomUUID();
  const before = queueTotals();
  recorder.reset();
  log.reset();
  bench.functionLogs.reset();
  recorder.attribute = true;
  let schedulesFired = 0;
  const ehrEvents: string[] = [];
  try {
    recorder.step = 'request';
    await putSessions(bench.events, [sessionDetail({ sessionId, clientId: client.clientId, therapistEmail: client.therapistEmail, endedAt: new Date(bench.clock.now().getTime() - HOUR) })]);
    ehrEvents.push('SessionCompleted');
    const [email] = await emailsTo(recorder, clientEmail(client.clientId), 1);
    await settle(bench);
    const link = linkIn(email!, 'f');
    const reminderHours = Number(process.env[REQUEST_SETTINGS.reminderHours.env] ?? REQUEST_SETTINGS.reminderHours.defaultValue);
    const expiryHours = Number(process.env[REQUEST_SETTINGS.tokenExpiryHours.env] ?? REQUEST_SETTINGS.tokenExpiryHours.defaultValue);
    let elapsed = 0;
    if (options.reminderFirst) {
      recorder.step = 'reminder (unanswered)';
      schedulesFired += await advance(bench, reminderHours * HOUR + 60_000);
      elapsed += reminderHours * HOUR + 60_000;
      await emailsTo(recorder, clientEmail(client.clientId), 2);
    }

    const answer = options.answer;
    if (answer) {
      recorder.step = 'form GET';
      const page = await fetch(link, { signal: AbortSignal.timeout(15_000) });
      if (page.status !== 200) throw new Error(`the form answered ${page.status}`);
      await page.text();
      // A browser asks for the page's icon too (cached for a week; sessions are about weekly).
      const icon = await fetch(new URL('/favicon.ico', link), { signal: AbortSignal.timeout(15_000) });
      await icon.arrayBuffer();

      recorder.step = 'form POST';
      const posted = await postForm(link, formBody(answer));
      if (posted.status !== 303) throw new Error(`the answer got ${posted.status}, not 303`);
      recorder.step = 'thanks GET';
      const thanks = await fetch(new URL(posted.headers.get('location') ?? '', link), { signal: AbortSignal.timeout(15_000) });
      await thanks.text();
      recorder.step = 'evaluate + alert';
      await settle(bench);
    }

    if (!options.reminderFirst) {
      recorder.step = answer ? 'reminder time (answered)' : 'reminder time (unanswered)';
      schedulesFired += await advance(bench, reminderHours * HOUR + 60_000);
      elapsed += reminderHours * HOUR + 60_000;
    }
    recorder.step = answer ? 'expiry time (answered)' : 'expiry time (unanswered)';
    schedulesFired += await advance(bench, Math.max(0, expiryHours * HOUR - elapsed) + 60_000);
  } finally {
    recorder.attribute = false;
  }
  const after = queueTotals();
  const alertEmails = recorder.emails.filter((email) => email.ok && email.to === client.therapistEmail);
  const session: Usage = {
    dynamo: [...recorder.dynamo],
    invocations: [...log.invocations],
    http: [...log.http],
    emails: recorder.emails.filter((email) => email.ok).length,
    events: [...ehrEvents, ...recorder.events.flatMap((call) => call.detailTypes), ...Array.from({ length: schedulesFired }, () => 'ScheduledFollowUp')],
    schedulesCreated: recorder.schedules.length,
    schedulesFired,
    queueMessages: after.sent - before.sent,
    queueBatches: after.invocations - before.invocations,
    functionLogBytes: bench.functionLogs.bytes,
    functionLogLines: bench.functionLogs.lines,
  };

  let acknowledgement: Usage | undefined;
  if (options.acknowledge && alertEmails[0]) {
    const ackBefore = queueTotals();
    recorder.reset();
    log.reset();
    bench.functionLogs.reset();
    recorder.attribute = true;
    try {
      recorder.step = 'acknowledge';
      const ackLink = linkIn(alertEmails[0], 'a');
      const page = await fetch(ackLink, { signal: AbortSignal.timeout(15_000) });
      await page.text();
      const confirmed = await fetch(ackLink, { method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(15_000) });
      await confirmed.arrayBuffer();
      await settle(bench);
    } finally {
      recorder.attribute = false;
    }
    const ackAfter = queueTotals();
    acknowledgement = {
      dynamo: [...recorder.dynamo],
      invocations: [...log.invocations],
      http: [...log.http],
      emails: recorder.emails.filter((email) => email.ok).length,
      events: recorder.events.flatMap((call) => call.detailTypes),
      schedulesCreated: recorder.schedules.length,
      schedulesFired: 0,
      queueMessages: ackAfter.sent - ackBefore.sent,
      queueBatches: ackAfter.invocations - ackBefore.invocations,
      functionLogBytes: bench.functionLogs.bytes,
      functionLogLines: bench.functionLogs.lines,
    };
  }
  return { session, ...(acknowledgement ? { acknowledgement } : {}), alertEmails: alertEmails.length };
}

export function readUnits(usage: Usage): number {
  return usage.dynamo.filter((call) => call.kind === 'read').reduce((sum, call) => sum + call.units, 0);
}

export function writeUnits(usage: Usage): number {
  return usage.dynamo.filter((call) => call.kind === 'write').reduce((sum, call) => sum + call.units, 0);
}

/** Per function and use case: the calls and their units, e.g. `web · submitFeedback: GetItem TOKEN/TOKEN 1 RRU (consistent), …`. */
export function breakdown(usage: Usage): { where: string; reads: number; writes: number; calls: string[] }[] {
  const groups = new Map<string, { where: string; reads: number; writes: number; calls: string[] }>();
  for (const call of usage.dynamo) {
    const where = call.fn ? `${call.fn} · ${call.useCase ?? '?'}` : `(${call.step})`;
    const group = groups.get(where) ?? { where, reads: 0, writes: 0, calls: [] };
    if (call.kind === 'read') group.reads += call.units;
    else group.writes += call.units;
    const index = call.indexUnits > 0 ? ` (${call.units - call.indexUnits} item + ${call.indexUnits} index)` : '';
    group.calls.push(`${call.operation} ${call.item} ${call.units} ${call.kind === 'read' ? 'RRU' : 'WRU'}${index}${call.consistentRead ? ' (consistent)' : ''}${call.ok ? '' : ` FAILED ${call.errorName}`}`);
    groups.set(where, group);
  }
  return [...groups.values()];
}
