/**
 * Trend page benchmark (issue 14): a client with 26 sessions on the local stack (history rows and
 * sessions as the product stores them, bench/trend/fixture.ts), its page fetched `runs` times over
 * loopback through the local HTTP API and the web function: the server time per view (the fetch's
 * round trip on loopback: link GetItem, one BatchGetItem beside one Query, one BatchGetItem, the
 * render, the audit event's PutEvents) and the page's size, and whether the page asks for anything
 * outside itself (any src/href/url() to another origin, which its CSP would refuse anyway).
 */
import { startLocalStack } from '../../infra/local/stack.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { documentClient } from '../../test/integration/support/local-stack.ts';
import { median, percentile } from '../lib/stats.ts';
import { seedTrendClient } from './fixture.ts';

export interface TrendBenchResult {
  sessions: number;
  runs: number;
  /** Median and p95 milliseconds of one view, server side (loopback round trip). */
  medianMs: number;
  p95Ms: number;
  bytes: number;
  /** References the page makes to anything outside itself. */
  externalReferences: number;
  status: number;
}

/** References a page makes to another document or origin: src=, href= with a scheme or //, url(). */
export function externalReferences(page: string): number {
  return (page.match(/\b(?:src|href|action)\s*=\s*["']?(?:[a-z][a-z0-9+.-]*:|\/\/)|url\(/gi) ?? []).length;
}

export async function measureTrendPage(options: { sessions: number; runs: number }): Promise<TrendBenchResult> {
  const clock = new ManualClock(new Date());
  const stack = await startLocalStack({ ports: { dynamodb: 0, ses: 0, bus: 0, web: 0 }, clock, quiet: true, schedulerIntervalMs: 3_600_000 });
  const table = documentClient(stack);
  try {
    const url = `${stack.endpoints.web}${await seedTrendClient(table, stack.tableName, clock.now(), options.sessions)}`;
    // One warm-up view: the first loads the function's modules.
    const first = await fetch(url);
    const page = await first.text();
    const times: number[] = [];
    for (let run = 0; run < options.runs; run += 1) {
      const started = performance.now();
      const response = await fetch(url);
      await response.arrayBuffer();
      times.push(performance.now() - started);
    }
    return {
      sessions: options.sessions,
      runs: options.runs,
      medianMs: median(times),
      p95Ms: percentile(times, 95),
      bytes: Buffer.byteLength(page),
      externalReferences: externalReferences(page),
      status: first.status,
    };
  } finally {
    table.destroy();
    await stack.stop();
  }
}
