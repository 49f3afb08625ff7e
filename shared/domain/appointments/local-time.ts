/**
 * Wall-clock times in a named time zone → instants. EHR exports write appointment times the way the
 * practice's calendar shows them ("03/02/2026 2:00 PM"), without an offset; only the practice knows
 * which zone that clock was in, so a mapping must name it (an IANA zone such as `America/Chicago`),
 * and daylight-saving changes are resolved by the zone's own rules (Intl), not by a fixed offset.
 */

/** The tokens a date format may use (Moment/Day.js spelling, the one spreadsheet users meet most). */
const TOKENS: Record<string, { pattern: string; field: keyof WallClock | 'meridiem' }> = {
  YYYY: { pattern: '(\\d{4})', field: 'year' },
  MM: { pattern: '(\\d{2})', field: 'month' },
  M: { pattern: '(\\d{1,2})', field: 'month' },
  DD: { pattern: '(\\d{2})', field: 'day' },
  D: { pattern: '(\\d{1,2})', field: 'day' },
  HH: { pattern: '(\\d{2})', field: 'hour' },
  H: { pattern: '(\\d{1,2})', field: 'hour' },
  hh: { pattern: '(\\d{2})', field: 'hour' },
  h: { pattern: '(\\d{1,2})', field: 'hour' },
  mm: { pattern: '(\\d{2})', field: 'minute' },
  ss: { pattern: '(\\d{2})', field: 'second' },
  A: { pattern: '([AaPp][Mm])', field: 'meridiem' },
  a: { pattern: '([AaPp][Mm])', field: 'meridiem' },
};
const TOKEN_PATTERN = /YYYY|MM|M|DD|D|HH|H|hh|h|mm|ss|A|a/g;

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A compiled date format: a parser from text to the wall-clock fields it names. */
export interface DateFormat {
  readonly text: string;
  parse(value: string): WallClock | undefined;
}

/** Compiles a format such as `MM/DD/YYYY h:mm A`; throws when it lacks a year, month, day, hour or minute. */
export function compileDateFormat(format: string): DateFormat {
  const fields: (keyof WallClock | 'meridiem')[] = [];
  let source = '';
  let last = 0;
  for (const match of format.matchAll(TOKEN_PATTERN)) {
    source += escapeRegExp(format.slice(last, match.index)).replace(/\\? /g, '\\s+');
    const token = TOKENS[match[0]]!;
    source += token.pattern;
    fields.push(token.field);
    last = match.index + match[0].length;
  }
  source += escapeRegExp(format.slice(last)).replace(/\\? /g, '\\s+');
  const missing = (['year', 'month', 'day', 'hour', 'minute'] as const).filter((field) => !fields.includes(field));
  if (missing.length > 0) throw new Error(`the date format "${format}" has no ${missing.join(', ')} (use YYYY, MM/M, DD/D, HH/H or hh/h with A, mm, and optionally ss)`);
  const twelveHour = fields.includes('meridiem');
  const regex = new RegExp(`^\\s*${source}\\s*$`);
  return {
    text: format,
    parse(value) {
      const match = regex.exec(value);
      if (match === null) return undefined;
      const clock: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
      let meridiem: string | undefined;
      fields.forEach((field, index) => {
        const text = match[index + 1]!;
        if (field === 'meridiem') meridiem = text.toUpperCase();
        else clock[field] = Number(text);
      });
      if (twelveHour) {
        if (clock.hour < 1 || clock.hour > 12) return undefined;
        clock.hour = (clock.hour % 12) + (meridiem === 'PM' ? 12 : 0);
      }
      if (clock.month < 1 || clock.month > 12 || clock.day < 1 || clock.hour > 23 || clock.minute > 59 || clock.second > 59) return undefined;
      // 02/31 is not a date: the day must survive a round trip through the calendar.
      if (new Date(Date.UTC(clock.year, clock.month - 1, clock.day)).getUTCDate() !== clock.day) return undefined;
      return clock;
    },
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in milliseconds (positive east of Greenwich). */
function offsetAt(zone: string, instant: number): number {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `zone` names. A time the clocks skip in spring does not exist
 * and is read with the offset before the change (an hour later on the clock); a time repeated in
 * autumn is read as the first of the two.
 */
export function instantInZone(clock: WallClock, zone: string): Date {
  const wall = Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second);
  const first = wall - offsetAt(zone, wall);
  const second = wall - offsetAt(zone, first);
  if (first === second) return new Date(first);
  // Around a change the two guesses differ: prefer the one that reads back as the same wall clock.
  const readsBack = (instant: number) => instant + offsetAt(zone, instant) === wall;
  if (readsBack(Math.min(first, second))) return new Date(Math.min(first, second));
  if (readsBack(Math.max(first, second))) return new Date(Math.max(first, second));
  return new Date(Math.max(first, second));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
