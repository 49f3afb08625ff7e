/**
 * The local stack as the benchmarks drive it: started on free loopback ports with a manual clock
 * (so a hundred earlier sessions take seconds, not months), the functions' SDK clients watched by
 * the recorder, the stack's own console lines captured (they carry each invocation's duration) and
 * the functions' JSON log lines counted and kept off the terminal.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LOCAL_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { waitFor } from '../../infra/local/wait.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { TALK_VALUE } from '../../shared/domain/form/parse-form.ts';
import { DEFAULT_BUS_NAME, SessionCompleted } from '../../shared/events/contracts.ts';
import { attachRecorder, type Recorder, type SentEmail } from './instrument.ts';

export interface Invocation {
  fn: string;
  detailType: string;
  ms: number;
  ok: boolean;
}

export interface HttpRequest {
  method: string;
  path: string;
  status: number;
  ms: number;
}

/** What the stack's console said, parsed: queue invocations and web requests with their durations. */
export class StackLog {
  readonly invocations: Invocation[] = [];
  readonly http: HttpRequest[] = [];
  readonly other: string[] = [];

  write = (line: string): void => {
    const queued = /(\S+) [0-9a-f]{8} → ([\w-]+): (.*?) ?\(attempt \d+\/\d+, (\d+) ms\)/.exec(line);
    if (queued) {
      this.invocations.push({ detailType: queued[1]!, fn: queued[2]!, ok: queued[3]!.startsWith('ok'), ms: Number(queued[4]) });
      return;
    }
    const web = /\[web\]\s+([A-Z]+) (\S+) → (\d{3}) \((\d+) ms\)/.exec(line);
    if (web) {
      this.http.push({ method: web[1]!, path: web[2]!, status: Number(web[3]), ms: Number(web[4]) });
      return;
    }
    if (this.other.length < 200) this.other.push(line);
  };

  reset(): void {
    this.invocations.length = 0;
    this.http.length = 0;
  }
}

/** Counts (and hides) the functions' JSON log lines on stdout; anything else passes through. */
export class FunctionLogCounter {
  bytes = 0;
  lines = 0;
  private readonly original = process.stdout.write.bind(process.stdout);

  start(): void {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      // Powertools' JSON lines (and EMF, when metrics are on); the bench's own output never looks like this.
      if (text.startsWith('{') && /"(level|_aws)":/.test(text)) {
        this.bytes += Buffer.byteLength(text, 'utf8');
        this.lines += 1;
        const callback = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }
      return (this.original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  }

  reset(): void {
    this.bytes = 0;
    this.lines = 0;
  }

  stop(): void {
    process.stdout.write = this.original as typeof process.stdout.write;
  }
}

export interface BenchStack {
  stack: LocalStack;
  clock: ManualClock;
  recorder: Recorder;
  log: StackLog;
  functionLogs: FunctionLogCounter;
  events: EventBridgeClient;
  stop(): Promise<void>;
}

/** Starts the local stack for a benchmark; the functions' watched clients refuse any non-loopback host. */
export async function startBenchStack(): Promise<BenchStack> {
  // Starts at the real time: DynamoDB Local's TTL sweeper deletes items whose `ttl` is in the real
  // past, so a clock set in the past would see its own form links vanish.
  const clock = new ManualClock(new Date());
  const log = new StackLog();
  const functionLogs = new FunctionLogCounter();
  // Lambda's default level, so the functions log (and pay for logging) as deployed; the lines are
  // counted for the cost model and kept off the terminal.
  const previousLevel = process.env['POWERTOOLS_LOG_LEVEL'];
  process.env['POWERTOOLS_LOG_LEVEL'] = 'INFO';
  functionLogs.start();
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack({
      ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 },
      clock,
      write: log.write,
      // The scheduler stand-in fires only when the bench says so (after advancing the clock).
      schedulerIntervalMs: 3_600_000,
    });
  } catch (error) {
    functionLogs.stop();
    throw error;
  } finally {
    if (previousLevel === undefined) delete process.env['POWERTOOLS_LOG_LEVEL'];
    else process.env['POWERTOOLS_LOG_LEVEL'] = previousLevel;
  }
  const recorder = attachRecorder();
  const events = new EventBridgeClient({ endpoint: stack.endpoints.bus, region: stack.region, credentials: LOCAL_CREDENTIALS });
  const started = stack;
  return {
    stack: started,
    clock,
    recorder,
    log,
    functionLogs,
    events,
    async stop() {
      events.destroy();
      recorder.detach();
      functionLogs.stop();
      await started.stop();
    },
  };
}

export interface SessionInput {
  sessionId: string;
  clientId: string;
  therapistEmail: string;
  endedAt: Date;
}

export function sessionDetail(input: SessionInput) {
  return {
    sessionId: input.sessionId,
    clientId: input.clientId,
    therapistId: `t-${input.clientId}`,
    endedAt: input.endedAt.toISOString(),
    client: { email: clientEmail(input.clientId), firstName: 'Ana', locale: 'en' },
    therapist: { email: input.therapistEmail, name: 'Dr. Lee' },
  };
}

export function clientEmail(clientId: string): string {
  return `${clientId}@client.example`;
}

/** Puts SessionCompleted events (up to 10 per call, as an EHR integration would) and checks they were accepted. */
export async function putSessions(events: EventBridgeClient, details: readonly ReturnType<typeof sessionDetail>[]): Promise<void> {
  const result = await events.send(
    new PutEventsCommand({
      Entries: details.map((detail) => ({ EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) })),
    }),
  );
  if (result.FailedEntryCount) throw new Error(`${result.FailedEntryCount} SessionCompleted entries were refused: ${result.Entries?.find((entry) => entry.ErrorCode)?.ErrorCode}`);
}

/** The first link of a path kind (`f` form, `u` opt-out, `a` acknowledge) in an email's text. */
export function linkIn(email: SentEmail, kind: 'f' | 'u' | 'a'): string {
  const match = new RegExp(`https?://[^\\s<>"]+/${kind}/[A-Za-z0-9_-]{43}`).exec(email.text);
  if (!match) throw new Error(`no /${kind}/ link in the email "${email.subject}"`);
  return match[0];
}

/** Waits (bounded) until `count` emails went to `address`, and returns them. */
export async function emailsTo(recorder: Recorder, address: string, count: number, timeoutMs = 15_000): Promise<SentEmail[]> {
  return waitFor(
    () => {
      const found = recorder.emails.filter((email) => email.ok && email.to === address);
      return found.length >= count ? found : undefined;
    },
    { timeoutMs, intervalMs: 5, description: `${count} email(s) to ${address}` },
  );
}

/** The form body a client's browser posts: every item, and the talk box when ticked. */
export function formBody(items: Record<string, number>, talk = false): string {
  const form = new URLSearchParams(Object.entries(items).map(([id, value]): [string, string] => [id, String(value)]));
  if (talk) form.set('talk', TALK_VALUE);
  return form.toString();
}

export async function postForm(link: string, body: string): Promise<Response> {
  return fetch(link, { method: 'POST', body, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(15_000) });
}
