/**
 * The signed webhook benchmark: N Standard Webhooks deliveries (each a new session, signed with
 * the stack's secret before the clock starts) POSTed one after another to the local HTTP API, as
 * an EHR's outbox sends them. Server time is what the local HTTP API measures from a request's
 * arrival to its answer (the hooks function: verify, parse, claim the webhook-id, PutEvents); the
 * request function meanwhile emails each session, on the same Node thread, as it would after a
 * real burst. The round trip the sender sees is kept as context.
 */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { BenchStack } from '../local/bench-stack.ts';
import { sessionDetail } from '../local/bench-stack.ts';
import { percentile } from '../lib/stats.ts';

export interface WebhookBenchOptions {
  deliveries: number;
  log?: (line: string) => void;
}

export interface WebhookBenchResult {
  deliveries: number;
  /** Answers by status code. */
  statusCounts: Record<number, number>;
  /** Milliseconds, as the local HTTP API logged them (whole milliseconds). */
  server: { p50: number; p99: number; max: number; count: number };
  /** Milliseconds from the sender's fetch to its answer. */
  roundTrip: { p50: number; p99: number };
  /** The same deliveries again (same webhook-ids): each must answer 200 and change nothing. */
  replays: { statusCounts: Record<number, number>; serverP50: number };
  wallSeconds: number;
}

interface Delivery {
  id: string;
  body: string;
}

export async function runWebhookBench(bench: BenchStack, options: WebhookBenchOptions): Promise<WebhookBenchResult> {
  const { stack, log } = bench;
  const signer = new Webhook(stack.webhook.secret);
  const now = bench.clock.now();
  const deliveries: Delivery[] = Array.from({ length: options.deliveries }, (_, index) => {
    const clientId = `c-hook-${randomUUID().slice(0, 8)}`;
    const detail = sessionDetail({ sessionId: `s-hook-${index}-${randomUUID().slice(0, 6)}`, clientId, therapistEmail: 'lee@practice.example', endedAt: new Date(now.getTime() - 3_600_000) });
    return { id: `msg_${randomUUID()}`, body: JSON.stringify(detail) };
  });

  const send = async (delivery: Delivery): Promise<{ status: number; ms: number }> => {
    // Signed at send time: the library refuses timestamps more than 5 minutes from its clock.
    const at = new Date();
    const started = performance.now();
    const response = await fetch(stack.webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': delivery.id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signer.sign(delivery.id, at, delivery.body) },
      body: delivery.body,
      signal: AbortSignal.timeout(15_000),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  };
  const count = (statuses: number[]) => statuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {});
  const hookTimes = () => log.http.filter((request) => request.path.startsWith('/hooks')).map((request) => request.ms);

  log.reset();
  const started = performance.now();
  const firsts: { status: number; ms: number }[] = [];
  for (const [index, delivery] of deliveries.entries()) {
    firsts.push(await send(delivery));
    if ((index + 1) % 250 === 0) options.log?.(`webhook: ${index + 1}/${deliveries.length} deliveries`);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const server = hookTimes();
  await stack.waitForIdle(240_000);

  log.reset();
  const replays: number[] = [];
  for (const delivery of deliveries.slice(0, Math.min(100, deliveries.length))) replays.push((await send(delivery)).status);
  const replayTimes = hookTimes();

  return {
    deliveries: deliveries.length,
    statusCounts: count(firsts.map((result) => result.status)),
    server: { p50: percentile(server, 50), p99: percentile(server, 99), max: Math.max(...server), count: server.length },
    roundTrip: { p50: percentile(firsts.map((result) => result.ms), 50), p99: percentile(firsts.map((result) => result.ms), 99) },
    replays: { statusCounts: count(replays), serverP50: percentile(replayTimes, 50) },
    wallSeconds,
  };
}
