/**
 * A synthetic appointment export for the import benchmark, written as a stream (a 100,000-row file
 * is ~10 MB and never held in memory), in a realistic mix: most appointments took place, some were
 * cancelled or missed, a few are still ahead or too old for a feedback request.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { ClientRoster, RosterClient, TherapistDirectory } from '../../shared/use-cases/ports.ts';

export const BENCH_CLIENTS = 1_000;
export const BENCH_THERAPISTS = 20;
const HOUR = 3_600_000;

/** The status and end of row n (deterministic): 80 % fulfilled, 8 % cancelled, 5 % noshow, 5 % future, 2 % stale. */
function shapeOf(n: number, now: number): { status: string; end: number } {
  const bucket = n % 100;
  const recent = now - (1 + (n % 120)) * HOUR;
  if (bucket < 80) return { status: 'fulfilled', end: recent };
  if (bucket < 88) return { status: 'cancelled', end: recent };
  if (bucket < 93) return { status: 'noshow', end: recent };
  if (bucket < 98) return { status: 'booked', end: now + (1 + (n % 48)) * HOUR };
  return { status: 'fulfilled', end: now - (200 + (n % 100)) * HOUR };
}

/** Writes `rows` appointments in the canonical layout; returns how many should be announced. */
export async function writeAppointmentFile(path: string, rows: number, now: Date, runId: string): Promise<{ completed: number }> {
  const out = createWriteStream(path);
  out.write('appointmentId,clientId,therapistId,start,end,status\n');
  let completed = 0;
  for (let n = 0; n < rows; n += 1) {
    const { status, end } = shapeOf(n, now.getTime());
    if (status === 'fulfilled' && end > now.getTime() - 168 * HOUR) completed += 1;
    const line = `${runId}-${n},c-${n % BENCH_CLIENTS},t-${n % BENCH_THERAPISTS},${new Date(end - 50 * 60_000).toISOString()},${new Date(end).toISOString()},${status}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { completed };
}

/** The roster and directory the benchmark's rows name, in memory (the import reads them through the same ports). */
export function benchDirectories(): { roster: ClientRoster; therapists: TherapistDirectory } {
  const clients = new Map<string, RosterClient>();
  for (let n = 0; n < BENCH_CLIENTS; n += 1) clients.set(`c-${n}`, { clientId: `c-${n}`, email: `client${n}@client.example`, firstName: 'Sam', locale: 'en', therapistId: `t-${n % BENCH_THERAPISTS}`, active: true });
  return {
    roster: { find: async (id) => clients.get(id) },
    therapists: { find: async (id) => (/^t-\d+$/.test(id) ? { therapistId: id, email: `${id}@practice.example` } : undefined) },
  };
}
