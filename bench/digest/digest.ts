/**
 * The weekly digest benchmark: N therapists × M active clients on the local stack. The directory
 * and the caseload summaries are seeded straight into DynamoDB Local with BatchWriteItem (the items
 * the evaluation would have written: 31,000 answers through the whole pipeline would take the
 * bench half an hour on 2 cores and measure the evaluation, not the digest). Then the hourly
 * dispatch runs at Monday 07:00 in the therapists' zone and every digest goes through its queue
 * and function to the SES emulator, as deployed. Measured: the time from the dispatch to the last
 * digest stored, the read units of each digest's one caseload query (as the functions' own client
 * saw them), and the size of the emails' HTML.
 */
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localDynamoDbClient } from '../../infra/local/dynamodb-local.ts';
import { waitFor } from '../../infra/local/wait.ts';
import * as caseloadItem from '../../shared/adapters/items/caseload.ts';
import * as therapistItem from '../../shared/adapters/items/therapist.ts';
import type { BenchStack } from '../local/bench-stack.ts';
import { percentile } from '../lib/stats.ts';

export interface DigestBenchOptions {
  therapists: number;
  clientsPerTherapist: number;
  log?: (line: string) => void;
}

export interface DigestBenchResult {
  therapists: number;
  clientsPerTherapist: number;
  seedSeconds: number;
  /** Dispatch → last digest stored. */
  totalSeconds: number;
  dispatchSeconds: number;
  digestsSent: number;
  /** Read units of each digest's reads (the directory entry, consistent; the caseload query, eventually consistent), per therapist. */
  readUnits: { p50: number; max: number; count: number };
  /** The most caseload queries one digest made (one, unless a caseload outgrows a 1 MB page). */
  queriesPerDigest: number;
  /** Bytes of each digest's HTML. */
  htmlBytes: { p50: number; max: number };
  textBytes: { max: number };
}

const ZONE = 'America/Chicago';

/** The next Monday 07:00 in Chicago after `now` (an instant on the hour). */
export function nextDigestHour(now: Date): Date {
  for (let hours = 1; hours <= 8 * 24; hours++) {
    const candidate = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 + hours * 3_600_000);
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, weekday: 'long', hour: '2-digit', hourCycle: 'h23' }).formatToParts(candidate);
    const weekday = parts.find((part) => part.type === 'weekday')?.value;
    const hour = Number(parts.find((part) => part.type === 'hour')?.value);
    if (weekday === 'Monday' && hour === 7) return candidate;
  }
  throw new Error('no Monday 07:00 within 8 days');
}

export async function runDigestBench(bench: BenchStack, options: DigestBenchOptions): Promise<DigestBenchResult> {
  const { stack, clock, recorder } = bench;
  const client = DynamoDBDocumentClient.from(localDynamoDbClient(stack.endpoints.dynamodb), { marshallOptions: { removeUndefinedValues: true } });
  const digestAt = nextDigestHour(clock.now());
  const runId = digestAt.getTime().toString(36);
  const therapistIds = Array.from({ length: options.therapists }, (_unused, index) => `t-digest-${runId}-${index}`);

  // Seed: each therapist's directory entry and their clients' summaries (a session 3 days before).
  const seedStarted = performance.now();
  const items: Record<string, unknown>[] = [];
  const lastSessionAt = new Date(digestAt.getTime() - 3 * 86_400_000).toISOString();
  for (const therapistId of therapistIds) {
    items.push({ ...therapistItem.key(therapistId), type: 'Therapist', therapistId, email: `${therapistId}@practice.example`, name: 'Dr. Bench', timeZone: ZONE, registeredAt: '2026-01-01T00:00:00.000Z', registeredBy: 'administrator' });
    for (let index = 0; index < options.clientsPerTherapist; index++) {
      const clientId = `c-${therapistId.slice(2)}-${index}`;
      const totals = Array.from({ length: 12 }, (_unused, week) => 30 + ((index + week) % 9));
      items.push({
        ...caseloadItem.key(therapistId, clientId),
        type: caseloadItem.CASELOAD_ITEM.type,
        therapistId,
        clientId,
        instrumentId: 'srs',
        detectorVersion: 12,
        lastSessionAt,
        lastScore: { total: totals.at(-1), endedAt: lastSessionAt },
        max: 40,
        totals,
        band: { low: 31.5, high: 37.5 },
        lastState: index % 10 === 0 ? 'watch' : 'normal',
        repairOpen: false,
        expiredInARow: index % 15 === 0 ? 1 : 0,
        quietAfterExpired: 2,
        ...(index % 10 === 3 ? { openAlerts: new Set([`s-${clientId}-11`]) } : {}),
        ...(index % 7 === 2 ? { commentSessions: new Set([`s-${clientId}-10`]) } : {}),
        updatedAt: lastSessionAt,
      });
    }
  }
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < batches.length) {
        let pending = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const result = await client.send(new BatchWriteCommand({ RequestItems: { [stack.tableName]: pending } }));
          pending = (result.UnprocessedItems?.[stack.tableName] ?? []) as typeof pending;
        }
      }
    }),
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  options.log?.(`digest: seeded ${options.therapists} therapists × ${options.clientsPerTherapist} clients (${items.length} items) in ${seedSeconds.toFixed(1)} s`);

  clock.set(digestAt);
  recorder.reset();
  // Each digest's reads, by therapist: the directory entry (GetItem) and the caseload (one Query,
  // whose partition is in its expression values).
  const units = new Map<string, number>();
  const queries = new Map<string, number>();
  const previousOnDynamo = recorder.onDynamo;
  const text = (raw: unknown) => (typeof raw === 'string' ? raw : raw && typeof raw === 'object' && 'S' in raw ? String((raw as { S: unknown }).S) : '');
  recorder.onDynamo = (call, input) => {
    const values = (input['ExpressionAttributeValues'] ?? {}) as Record<string, unknown>;
    const key = (input['Key'] ?? {}) as Record<string, unknown>;
    const pk = call.operation === 'Query' ? text(values[':pk']) : call.operation === 'GetItem' ? text(key['pk']) : '';
    const therapistId = /^(?:CASELOAD|THERAPIST)#(t-digest-.+)$/.exec(pk)?.[1];
    if (therapistId === undefined) return;
    units.set(therapistId, (units.get(therapistId) ?? 0) + call.units);
    if (call.operation === 'Query') queries.set(therapistId, (queries.get(therapistId) ?? 0) + 1);
  };
  const started = performance.now();
  const report = await stack.dispatchDigests();
  const dispatchSeconds = (performance.now() - started) / 1000;
  const ours = new Set(therapistIds.map((id) => `${id}@practice.example`));
  const digests = () => recorder.emails.filter((email) => email.ok && ours.has(email.to));
  await waitFor(() => digests().length >= options.therapists, { timeoutMs: 600_000, intervalMs: 50, description: `${options.therapists} digests` });
  const totalSeconds = (performance.now() - started) / 1000;
  options.log?.(`digest: ${report.due.length} dispatched, ${digests().length} sent in ${totalSeconds.toFixed(1)} s`);
  await stack.waitForIdle(120_000);

  recorder.onDynamo = previousOnDynamo;
  const unitValues = [...units.values()];

  // The HTML as SES stored it: the emulator's store.
  const stored = ((await (await fetch(stack.endpoints.mailStore)).json()) as { emails: { destination: { to: string[] }; subject?: string; body: { html?: string; text?: string } }[] }).emails;
  const ourMail = stored.filter((mail) => mail.destination.to.some((to) => ours.has(to)));
  const htmlBytes = ourMail.map((mail) => Buffer.byteLength(mail.body.html ?? '', 'utf8'));
  const textBytes = ourMail.map((mail) => Buffer.byteLength(mail.body.text ?? '', 'utf8'));
  client.destroy();
  return {
    therapists: options.therapists,
    clientsPerTherapist: options.clientsPerTherapist,
    seedSeconds,
    totalSeconds,
    dispatchSeconds,
    digestsSent: digests().length,
    readUnits: { p50: percentile(unitValues, 50), max: Math.max(...unitValues), count: unitValues.length },
    queriesPerDigest: Math.max(...queries.values()),
    htmlBytes: { p50: percentile(htmlBytes, 50), max: Math.max(...htmlBytes) },
    textBytes: { max: Math.max(...textBytes) },
  };
}
