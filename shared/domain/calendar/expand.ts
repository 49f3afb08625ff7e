/**
 * Reads an iCalendar feed (RFC 5545) with the kept parser, ical.js, and lists the instances of its
 * events that end inside a window: recurring events expanded by their RRULE/RDATE, minus EXDATEs,
 * with RECURRENCE-ID overrides (a moved or retitled instance) in place of the slot they replace;
 * times in their TZID (the feed's VTIMEZONE, or the IANA zone of that name when the feed has none),
 * so a weekly 10:00 stays 10:00 local across a daylight-saving change. Cancelled instances
 * (STATUS:CANCELLED on the event or on one override) are listed with `cancelled: true`: the poller
 * needs to know they are not sessions. Pure: text and times in, instances out.
 */
import type ICALModule from 'ical.js';

/**
 * ical.js, evaluated on the first feed read instead of at the function's cold start: a poll with no
 * feed to parse (the secret's placeholder, a feed that failed to load) never needs it, and it is
 * most of what the feeds function adds to its bundle (bench/, cold start).
 */
let ICAL: typeof ICALModule;
async function calendarParser(): Promise<typeof ICALModule> {
  ICAL ??= (await import('ical.js')).default;
  return ICAL;
}

/** One occurrence of one calendar event, in UTC. */
export interface CalendarInstance {
  uid: string;
  /**
   * The occurrence's identity within its event: the original start of its slot (RECURRENCE-ID),
   * in UTC ISO-8601. A moved instance keeps it, so it stays the same session.
   */
  recurrenceInstant: string;
  start: string;
  end: string;
  cancelled: boolean;
  summary: string;
  description: string;
}

export interface ExpandedFeed {
  /** Instances that end after `from` and at or before `to`, ordered by end. */
  instances: CalendarInstance[];
  /** All-day events (a date, no time) in the window: never sessions, counted. */
  allDayEvents: number;
}

/** The feed could not be read as iCalendar. */
export class CalendarFormatError extends Error {
  override name = 'CalendarFormatError';
}

/**
 * How far before the window a recurring event's slots are still looked at: an override may move an
 * instance from an earlier slot into the window (a session moved forward by up to this long).
 */
const MOVED_INSTANCE_REACH_MS = 35 * 24 * 3600 * 1000;

/** Instances of the feed's events that end in (from, to]. */
export async function expandFeed(icsText: string, window: { from: Date; to: Date }): Promise<ExpandedFeed> {
  await calendarParser();
  let root: ICALModule.Component;
  try {
    root = new ICAL.Component(ICAL.parse(icsText) as unknown[]);
  } catch (error) {
    throw new CalendarFormatError(`not an iCalendar feed: ${(error as Error).message}`);
  }
  if (root.name !== 'vcalendar') throw new CalendarFormatError('not an iCalendar feed: no VCALENDAR');
  const defaultZone = stringProperty(root, 'x-wr-timezone') || undefined;
  const from = window.from.getTime();
  const to = window.to.getTime();

  // Group by UID: the master (no RECURRENCE-ID) and its overrides.
  const byUid = new Map<string, { master?: ICALModule.Component; overrides: ICALModule.Component[] }>();
  for (const component of root.getAllSubcomponents('vevent')) {
    const uid = stringProperty(component, 'uid');
    if (uid === '') continue;
    const entry = byUid.get(uid) ?? { overrides: [] };
    if (component.hasProperty('recurrence-id')) entry.overrides.push(component);
    else entry.master = component;
    byUid.set(uid, entry);
  }

  const instances: CalendarInstance[] = [];
  let allDayEvents = 0;
  const consider = (instance: CalendarInstance | 'all-day' | undefined) => {
    if (instance === undefined) return;
    if (instance === 'all-day') {
      allDayEvents += 1;
      return;
    }
    const end = Date.parse(instance.end);
    if (end > from && end <= to) instances.push(instance);
  };

  for (const [uid, { master, overrides }] of byUid) {
    if (master === undefined) {
      // Overrides without their event (a feed may carry only the changed instance): each stands alone.
      for (const override of overrides) consider(instanceOf(uid, override, instantOf(override, 'recurrence-id', defaultZone), false, defaultZone));
      continue;
    }
    const event = new ICAL.Event(master, { strictExceptions: false, exceptions: overrides });
    const masterCancelled = isCancelled(master);
    if (!event.isRecurring()) {
      consider(instanceOf(uid, master, instantOf(master, 'dtstart', defaultZone), false, defaultZone));
      continue;
    }
    if (event.startDate.isDate) {
      // An all-day series (holidays, leave): count each day in the window, never a session.
      allDayEvents += countAllDay(event, from, to, defaultZone);
      continue;
    }
    const seen = new Set<string>();
    const iterator = event.iterator(fastForwardedStart(event, from - MOVED_INSTANCE_REACH_MS, defaultZone));
    // Safety bound for a malformed rule (ical.js stops at its own limit too).
    for (let guard = 0; guard < 100_000; guard += 1) {
      const next = iterator.next();
      if (!next) break;
      const slot = toUtcMillis(next, zoneNameOf(master, 'dtstart') ?? defaultZone);
      if (slot > to) break;
      if (slot < from - MOVED_INSTANCE_REACH_MS) continue;
      const details = event.getOccurrenceDetails(next);
      const item = details.item.component;
      const recurrenceInstant = new Date(slot).toISOString();
      seen.add(recurrenceInstant);
      const start = toUtcMillis(details.startDate, zoneNameOf(item, 'dtstart') ?? defaultZone);
      const end = toUtcMillis(details.endDate, zoneNameOf(item, 'dtend') ?? zoneNameOf(item, 'dtstart') ?? defaultZone);
      consider(build(uid, item, recurrenceInstant, start, end, masterCancelled || isCancelled(item)));
    }
    // An override whose slot lies beyond the window may have been moved into it.
    for (const override of overrides) {
      const instant = instantOf(override, 'recurrence-id', defaultZone);
      if (instant === undefined || seen.has(instant)) continue;
      if (Date.parse(instant) <= to) continue; // a slot the rule does not produce (or one EXDATE removed)
      consider(instanceOf(uid, override, instant, masterCancelled, defaultZone));
    }
  }
  instances.sort((a, b) => a.end.localeCompare(b.end) || a.uid.localeCompare(b.uid));
  return { instances, allDayEvents };
}

function instanceOf(uid: string, component: ICALModule.Component, recurrenceInstant: string | undefined, cancelledByMaster: boolean, defaultZone: string | undefined): CalendarInstance | 'all-day' | undefined {
  const startValue = component.getFirstPropertyValue('dtstart');
  if (!(startValue instanceof ICAL.Time) || recurrenceInstant === undefined) return undefined;
  if (startValue.isDate) return 'all-day';
  // Its own exceptions are none (given, or ical.js would scan every event of the feed for them).
  const event = new ICAL.Event(component, { exceptions: [] });
  const start = toUtcMillis(event.startDate, zoneNameOf(component, 'dtstart') ?? defaultZone);
  const end = toUtcMillis(event.endDate, zoneNameOf(component, 'dtend') ?? zoneNameOf(component, 'dtstart') ?? defaultZone);
  return build(uid, component, recurrenceInstant, start, end, cancelledByMaster || isCancelled(component));
}

function build(uid: string, component: ICALModule.Component, recurrenceInstant: string, start: number, end: number, cancelled: boolean): CalendarInstance {
  return {
    uid,
    recurrenceInstant,
    start: new Date(start).toISOString(),
    // An event without DTEND or DURATION lasts no time (RFC 5545 3.6.1): it ends when it starts.
    end: new Date(Math.max(start, end)).toISOString(),
    cancelled,
    summary: stringProperty(component, 'summary'),
    description: stringProperty(component, 'description'),
  };
}

/**
 * Where to start expanding a long-running series: ical.js walks a rule from its DTSTART, one
 * occurrence at a time (tens of microseconds each), so a weekly session that began years ago would
 * cost thousands of steps per poll. For the rules a practice calendar uses (DAILY or WEEKLY, no
 * COUNT, at most BYDAY, DTSTART itself an occurrence), starting a whole number of intervals later,
 * on the same local time, yields exactly the same occurrences from there on. Anything else starts
 * at DTSTART.
 */
function fastForwardedStart(event: ICALModule.Event, notBefore: number, defaultZone: string | undefined): ICALModule.Time | undefined {
  const rules = event.component.getAllProperties('rrule');
  if (rules.length !== 1 || event.component.hasProperty('rdate')) return undefined;
  const rule = rules[0]!.getFirstValue() as ICALModule.Recur;
  if (rule.count || (rule.freq !== 'WEEKLY' && rule.freq !== 'DAILY')) return undefined;
  const parts = Object.keys(rule.parts ?? {});
  if (parts.some((part) => part !== 'BYDAY') || (rule.freq === 'DAILY' && parts.length > 0)) return undefined;
  const start = event.startDate;
  if (parts.length > 0) {
    const weekday = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][start.dayOfWeek() - 1];
    if (!(rule.parts['BYDAY'] as string[]).includes(weekday!)) return undefined;
  }
  const periodDays = (rule.freq === 'WEEKLY' ? 7 : 1) * (rule.interval || 1);
  const startMs = toUtcMillis(start, zoneNameOf(event.component, 'dtstart') ?? defaultZone);
  // One period of slack either side of a DST change.
  const periods = Math.floor((notBefore - startMs) / (periodDays * 86_400_000)) - 1;
  if (periods <= 0) return undefined;
  const shifted = start.clone();
  shifted.adjust(periods * periodDays, 0, 0, 0);
  return shifted;
}

function countAllDay(event: ICALModule.Event, from: number, to: number, defaultZone: string | undefined): number {
  let count = 0;
  const iterator = event.iterator();
  for (let guard = 0; guard < 100_000; guard += 1) {
    const next = iterator.next();
    if (!next) break;
    const day = toUtcMillis(next, defaultZone);
    if (day > to) break;
    if (day >= from) count += 1;
  }
  return count;
}

function isCancelled(component: ICALModule.Component): boolean {
  return stringProperty(component, 'status').toUpperCase() === 'CANCELLED';
}

function stringProperty(component: ICALModule.Component, name: string): string {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : '';
}

/** The UTC ISO instant of a date-time property (DTSTART, RECURRENCE-ID), or undefined. */
function instantOf(component: ICALModule.Component, name: string, defaultZone: string | undefined): string | undefined {
  const value = component.getFirstPropertyValue(name);
  if (!(value instanceof ICAL.Time)) return undefined;
  return new Date(toUtcMillis(value, zoneNameOf(component, name) ?? defaultZone)).toISOString();
}

/** The TZID parameter of a property, if any. */
function zoneNameOf(component: ICALModule.Component, name: string): string | undefined {
  const tzid = component.getFirstProperty(name)?.getParameter('tzid');
  return typeof tzid === 'string' && tzid !== '' ? tzid : undefined;
}

/**
 * A parsed time as UTC milliseconds. ical.js converts times whose zone the feed defines (VTIMEZONE)
 * or that are in UTC; a TZID the feed does not define (many feeds omit VTIMEZONE) or a floating time
 * in a feed with X-WR-TIMEZONE is converted here with the IANA zone of that name; a floating time
 * with neither is taken as UTC.
 */
function toUtcMillis(time: ICALModule.Time, zoneName: string | undefined): number {
  const zone = time.zone;
  const resolved = zone !== undefined && zone !== null && zone.tzid !== 'floating' && zone !== ICAL.Timezone.localTimezone;
  if (resolved || zoneName === undefined) return time.toUnixTime() * 1000;
  return zonedToUtc(time, zoneName) ?? time.toUnixTime() * 1000;
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** Wall-clock time in an IANA zone → UTC, through the zone's offset at that moment (DST included). */
function zonedToUtc(time: ICALModule.Time, zoneName: string): number | undefined {
  let formatter = formatters.get(zoneName);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone: zoneName, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch {
      formatter = null; // not an IANA name (e.g. a Windows zone name without its VTIMEZONE)
    }
    formatters.set(zoneName, formatter);
  }
  if (formatter === null) return undefined;
  const wall = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
  const offsetAt = (instant: number) => {
    const parts = Object.fromEntries(formatter.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
    const asUtc = Date.UTC(Number(parts['year']), Number(parts['month']) - 1, Number(parts['day']), Number(parts['hour']), Number(parts['minute']), Number(parts['second']));
    return asUtc - instant;
  };
  // Two rounds settle the offset on either side of a change.
  let guess = wall - offsetAt(wall);
  guess = wall - offsetAt(guess);
  return guess;
}
