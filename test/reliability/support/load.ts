/**
 * Load on the local web server (127.0.0.1 only, a bounded number of posts, each with a timeout):
 * many clients answering at the same moment, and the same links posted many times at once.
 */
import { itemsFor } from './pipeline-scenario.ts';
import { seedRequestedSessions } from './bad-input.ts';
import { post, snapshot, type PostResult, type ReliabilityStack } from './harness.ts';
import type { Figure } from './report.ts';

export interface LoadOptions {
  item: string;
  prefix: string;
  /** Posts at once, each to its own link. */
  distinct: number;
  /** Links posted `repeat` times each, all at once. */
  shared: { links: number; repeat: number };
}

function answerBody(index: number): string {
  const form = new URLSearchParams(Object.entries(itemsFor(20 + (index % 20))).map(([id, value]): [string, string] => [id, String(value)]));
  form.set('comment', `load test answer ${index}`);
  return form.toString();
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function burst(harness: ReliabilityStack, targets: readonly { token: string; body: string }[]): Promise<{ results: PostResult[]; wallMs: number }> {
  const started = performance.now();
  const results = await Promise.all(
    targets.map(async ({ token, body }) => {
      try {
        return await post(harness.stack, `/f/${token}`, body, { timeoutMs: 120_000 });
      } catch (error) {
        return { status: 0, body: error instanceof Error ? error.name : String(error), headers: new Headers(), ms: performance.now() - started };
      }
    }),
  );
  return { results, wallMs: performance.now() - started };
}

function statusLine(results: readonly PostResult[]): string {
  const counts = new Map<number, number>();
  for (const result of results) counts.set(result.status, (counts.get(result.status) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status === 0 ? 'no answer' : status} ×${count}`).join(', ');
}

function latencyLine(results: readonly PostResult[], wallMs: number): string {
  const ms = results.map((result) => result.ms);
  return `p50 ${Math.round(percentile(ms, 50))} ms, p95 ${Math.round(percentile(ms, 95))} ms, max ${Math.round(Math.max(...ms))} ms, all in ${(wallMs / 1000).toFixed(1)} s (${Math.round((results.length * 1000) / wallMs)}/s)`;
}

export async function runLoad(harness: ReliabilityStack, options: LoadOptions): Promise<{ figures: Figure[]; problems: string[] }> {
  const problems: string[] = [];
  const figures: Figure[] = [];

  // Every post to its own link.
  const links = await seedRequestedSessions(harness, options.distinct, `${options.prefix}-d`);
  const publishedBefore = harness.published.length;
  const distinct = await burst(harness, links.map((link, index) => ({ token: link.token, body: answerBody(index) })));
  await harness.stack.waitForIdle(600_000);
  let table = await snapshot(harness);
  const stored = links.filter(({ sessionId }) => table.sessions.get(sessionId)?.['answeredAt']).length;
  const evaluated = links.filter(({ sessionId }) => table.evaluations.has(sessionId)).length;
  const announced = harness.published.slice(publishedBefore).filter((event) => event.detailType === 'FeedbackSubmitted');
  const announcedSessions = new Set(announced.map((event) => JSON.parse(event.detail).sessionId)).size;
  const distinctErrors = distinct.results.filter((result) => result.status !== 303).length;
  figures.push({
    item: options.item,
    check: `${options.distinct} concurrent posts, each to its own link`,
    figure: `${statusLine(distinct.results)}; errors ${distinctErrors}; answers stored ${stored}/${options.distinct}, announced ${announced.length} (${announcedSessions} sessions), evaluated ${evaluated}; ${latencyLine(distinct.results, distinct.wallMs)}`,
    pass: distinctErrors === 0 && stored === options.distinct && announced.length === options.distinct && announcedSessions === options.distinct && evaluated === options.distinct,
  });

  // The same links, many posts each, all at once.
  const sharedLinks = await seedRequestedSessions(harness, options.shared.links, `${options.prefix}-s`);
  const sharedBefore = harness.published.length;
  const targets = sharedLinks.flatMap((link, index) => Array.from({ length: options.shared.repeat }, () => ({ token: link.token, body: answerBody(index) })));
  const shared = await burst(harness, shuffleDeterministic(targets));
  await harness.stack.waitForIdle(600_000);
  table = await snapshot(harness);
  const sharedStored = sharedLinks.filter(({ sessionId }) => table.sessions.get(sessionId)?.['answeredAt']).length;
  const accepted = shared.results.filter((result) => result.status === 303).length;
  const refused = shared.results.filter((result) => result.status === 409).length;
  const other = shared.results.length - accepted - refused;
  const sharedAnnounced = harness.published.slice(sharedBefore).filter((event) => event.detailType === 'FeedbackSubmitted').length;
  figures.push({
    item: options.item,
    check: `${targets.length} concurrent posts to ${options.shared.links} links (${options.shared.repeat} each)`,
    figure: `${statusLine(shared.results)}; answers stored ${sharedStored}/${options.shared.links}, announced ${sharedAnnounced}; ${latencyLine(shared.results, shared.wallMs)}`,
    pass: accepted === options.shared.links && refused === targets.length - options.shared.links && other === 0 && sharedStored === options.shared.links && sharedAnnounced === options.shared.links,
  });
  for (const figure of figures) if (!figure.pass) problems.push(`${figure.check}: ${figure.figure}`);
  return { figures, problems };
}

/** Interleaves the posts of different links (a fixed order, so a failure can be repeated). */
function shuffleDeterministic<T>(items: T[]): T[] {
  const copy = [...items];
  let state = 42;
  for (let index = copy.length - 1; index > 0; index--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}
