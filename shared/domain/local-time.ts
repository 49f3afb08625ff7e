/**
 * The one place a date or time is formatted for a person to read: in the reader's time zone (the
 * therapist's, else the practice's; clients read the practice's) and language, with the zone's
 * short name wherever a time of day is shown ("8:30 PM PDT"), so nobody has to convert from UTC
 * and a US evening session is not dated the next day. Formatting only: instants are still stored
 * and compared as UTC ISO strings everywhere else.
 */

/** A reader: the IANA time zone they live in and the locale of the words around the date. */
export interface Reader {
  timeZone: string;
  /** BCP 47 locale, e.g. `en-US` or `es-ES`. */
  locale: string;
}

/** Whether a name is an IANA time zone this runtime knows (`Europe/Berlin`, `UTC`...): one check for every zone setting. */
export function isTimeZone(zone: string): boolean {
  // A name ("America/Chicago", "UTC"), never a fixed offset ("+02:00", which Intl also takes):
  // an offset knows no daylight-saving time, so it would be wrong half the year.
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(zone)) return false;
  // The list answers for most names in ~3 ms; building a formatter loads ICU's time-zone data
  // (~35 ms), which settings checked at a function's cold start should not pay for a name the
  // list knows. Aliases it leaves out ("UTC", "US/Eastern", "Asia/Kolkata") still pass below.
  if (Intl.supportedValuesOf('timeZone').includes(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone of the machine this runs on: the local stack's stand-in for practiceTimeZone. */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

type Style = 'date' | 'dateTime' | 'longDateTime';

const OPTIONS: Record<Style, Intl.DateTimeFormatOptions> = {
  /** "Jun 3, 2026" / "3 jun 2026": a session's day in a chart or a sentence. */
  date: { year: 'numeric', month: 'short', day: 'numeric' },
  /** "Jun 3, 2026, 8:30 PM PDT": when something happened. */
  dateTime: { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  /** "Wednesday, June 3, 2026 at 8:30 PM PDT": a deadline a client acts on. */
  longDateTime: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
};

/**
 * Formatters are kept: building an Intl.DateTimeFormat costs 0.15–0.5 ms (more under load), using
 * a kept one microseconds. Bounded by styles × locales × zones in use (a practice has a few).
 */
const formats = new Map<string, Intl.DateTimeFormat>();

function formatter(style: Style, reader: Reader): Intl.DateTimeFormat {
  const key = `${style}|${reader.locale}|${reader.timeZone}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(reader.locale, { ...OPTIONS[style], timeZone: reader.timeZone });
    formats.set(key, format);
  }
  return format;
}

function instant(value: Date | string): Date {
  return typeof value === 'string' ? new Date(value) : value;
}

/** The calendar day of `value` where the reader is ("Jun 3, 2026"): no time, so no zone name. */
export function formatDate(value: Date | string, reader: Reader): string {
  return formatter('date', reader).format(instant(value));
}

/** Day and time of `value` where the reader is, with the zone's short name ("Jun 3, 2026, 8:30 PM PDT"). */
export function formatDateTime(value: Date | string, reader: Reader): string {
  return formatter('dateTime', reader).format(instant(value));
}

/** Weekday, day and time in full, with the zone's short name: a deadline ("Wednesday, June 3, 2026 at 8:30 PM PDT"). */
export function formatLongDateTime(value: Date | string, reader: Reader): string {
  return formatter('longDateTime', reader).format(instant(value));
}
