/**
 * When a therapist's weekly digest is due: on the practice's digest day and hour in the therapist's
 * own zone (the directory's, else the practice's). The hourly dispatch asks, for each therapist,
 * whether this hour is theirs; the digest's once-only key is the ISO week of that local day.
 */
import { DIGEST_DAYS } from '../config.ts';

export type DigestDay = (typeof DIGEST_DAYS)[number];

const parts = new Map<string, Intl.DateTimeFormat>();

/** The local weekday, calendar day and hour of an instant in a zone. */
export function localTime(at: Date, timeZone: string): { day: DigestDay; date: string; hour: number } {
  let format = parts.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });
    parts.set(timeZone, format);
  }
  const values = Object.fromEntries(format.formatToParts(at).map((part) => [part.type, part.value]));
  return { day: String(values['weekday']).toLowerCase() as DigestDay, date: `${values['year']}-${values['month']}-${values['day']}`, hour: Number(values['hour']) % 24 };
}

/** The digest's key when it is due at `at` in this zone (`week-2026-W50`), or undefined when this hour is not the digest's. */
export function dueDigestId(at: Date, timeZone: string, schedule: { digestDay: DigestDay; digestHour: number }): string | undefined {
  const local = localTime(at, timeZone);
  if (local.day !== schedule.digestDay || local.hour !== schedule.digestHour) return undefined;
  return `week-${isoWeekOfDate(local.date)}`;
}

/** The ISO week of a calendar day (`2026-12-07` → `2026-W50`). */
export function isoWeekOfDate(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
