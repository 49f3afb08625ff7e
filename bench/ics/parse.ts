/**
 * ICS benchmark: how long one poll of a large practice calendar takes to read, for a feed with
 * 2,000 events including recurrences — weekly series (a tenth of them with an EXDATE, a moved and
 * a cancelled instance), single appointments, all in a TZID with its VTIMEZONE, across a DST
 * change. Measures expandFeed (ical.js parse + expansion, what the feeds function does per feed)
 * for a regular poll's 15-minute window and for a first poll's whole request window (168 h).
 */
import { expandFeed } from '../../shared/domain/calendar/expand.ts';
import { median } from '../lib/stats.ts';

const VTIMEZONE = [
  'BEGIN:VTIMEZONE', 'TZID:America/New_York',
  'BEGIN:DAYLIGHT', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'TZNAME:EDT', 'DTSTART:19700308T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'END:DAYLIGHT',
  'BEGIN:STANDARD', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'TZNAME:EST', 'DTSTART:19701101T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU', 'END:STANDARD',
  'END:VTIMEZONE',
];

const pad = (value: number) => String(value).padStart(2, '0');
/** A local date-time `YYYYMMDDTHHMMSS` `days` after 5 Jan 2026, at `hour`. */
function local(days: number, hour: number, minute = 0): string {
  const date = new Date(Date.UTC(2026, 0, 5 + days));
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}T${pad(hour)}${pad(minute)}00`;
}

/** A feed of `events` VEVENTs: a quarter weekly series (with overrides), the rest single appointments over a year. */
export function syntheticFeed(events: number): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Alliance Feedback//bench//EN', ...VTIMEZONE];
  let written = 0;
  const event = (fields: string[]) => {
    lines.push('BEGIN:VEVENT', ...fields, 'DTSTAMP:20260101T000000Z', 'END:VEVENT');
    written += 1;
  };
  for (let series = 0; written < events; series += 1) {
    const day = series % 5; // Monday to Friday
    const hour = 8 + (series % 10);
    const uid = `series-${series}@bench.example`;
    if (series % 4 === 0 && written + 3 <= events) {
      event([`UID:${uid}`, `DTSTART;TZID=America/New_York:${local(day, hour)}`, `DTEND;TZID=America/New_York:${local(day, hour, 50)}`, 'RRULE:FREQ=WEEKLY', `SUMMARY:Session [C-${series}]`,
        ...(series % 40 === 0 ? [`EXDATE;TZID=America/New_York:${local(day + 7 * 10, hour)}`] : [])]);
      // One moved and one cancelled instance of each series.
      event([`UID:${uid}`, `RECURRENCE-ID;TZID=America/New_York:${local(day + 7 * 20, hour)}`, `DTSTART;TZID=America/New_York:${local(day + 7 * 20 + 1, hour)}`, `DTEND;TZID=America/New_York:${local(day + 7 * 20 + 1, hour, 50)}`, `SUMMARY:Session [C-${series}]`]);
      event([`UID:${uid}`, `RECURRENCE-ID;TZID=America/New_York:${local(day + 7 * 30, hour)}`, `DTSTART;TZID=America/New_York:${local(day + 7 * 30, hour)}`, `DTEND;TZID=America/New_York:${local(day + 7 * 30, hour, 50)}`, 'STATUS:CANCELLED', `SUMMARY:Session [C-${series}]`]);
    } else {
      const offset = (series * 37) % 360;
      event([`UID:single-${series}@bench.example`, `DTSTART;TZID=America/New_York:${local(offset, hour)}`, `DTEND;TZID=America/New_York:${local(offset, hour, 50)}`, `SUMMARY:Intake [C-${series}]`]);
    }
  }
  lines.push('END:VCALENDAR');
  return `${lines.join('\r\n')}\r\n`;
}

export interface IcsParseResult {
  events: number;
  bytes: number;
  runs: number;
  /** Median milliseconds of one expandFeed, for a regular poll's window (wall clock). */
  pollMs: number;
  /** Median CPU milliseconds of the same (steadier than wall clock on a shared machine). */
  pollCpuMs: number;
  /** Median milliseconds for a first poll's whole request window. */
  firstPollMs: number;
  /** Instances the first poll's window held (a sanity check that the feed expands). */
  firstPollInstances: number;
}

/** Expands the feed over each window `runs` times (after one warm-up) and takes the medians. */
export async function measureIcsParse(options: { events: number; runs: number; now?: Date }): Promise<IcsParseResult> {
  const text = syntheticFeed(options.events);
  // A Thursday in November, after the DST change: series instances fall in both windows.
  const now = options.now ?? new Date('2026-11-05T16:00:00Z');
  const poll = { from: new Date(now.getTime() - 15 * 60_000), to: now };
  const first = { from: new Date(now.getTime() - 168 * 3_600_000), to: now };
  const time = async (window: { from: Date; to: Date }) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    const expanded = await expandFeed(text, window);
    const used = process.cpuUsage(cpu);
    return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, instances: expanded.instances.length };
  };
  // Warm-up: loads ical.js (once per container in the function) and warms the JIT.
  await time(first);
  const polls: number[] = [];
  const pollCpu: number[] = [];
  const firsts: number[] = [];
  let firstPollInstances = 0;
  for (let run = 0; run < options.runs; run += 1) {
    const measuredPoll = await time(poll);
    polls.push(measuredPoll.ms);
    pollCpu.push(measuredPoll.cpuMs);
    const measured = await time(first);
    firsts.push(measured.ms);
    firstPollInstances = measured.instances;
  }
  return { events: options.events, bytes: Buffer.byteLength(text), runs: options.runs, pollMs: median(polls), pollCpuMs: median(pollCpu), firstPollMs: median(firsts), firstPollInstances };
}
