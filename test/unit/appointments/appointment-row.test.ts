import { describe, expect, it } from 'vitest';
import { classifyAppointmentRow, type AppointmentRow } from '../../../shared/domain/appointments/appointment-row.ts';
import { compileDateFormat, instantInZone } from '../../../shared/domain/appointments/local-time.ts';
import { CANONICAL_MAPPING, missingColumns, parseAppointmentMapping, MappingError } from '../../../shared/domain/appointments/mapping.ts';

const NOW = new Date('2026-12-06T12:00:00Z');
const POLICY = { throttleHours: 24, tokenExpiryHours: 72, maxSessionAgeHours: 168, maxSessionLeadMinutes: 60 };
const row = (fields: Partial<Record<string, string>>, line = 2): AppointmentRow => ({
  line,
  fields: { appointmentId: 'a-1', clientId: 'c-1', therapistId: 't-1', start: '2026-12-05T09:00:00-05:00', end: '2026-12-05T09:50:00-05:00', status: 'fulfilled', ...fields } as Record<string, string>,
});
const classify = (fields: Partial<Record<string, string>>, mapping = CANONICAL_MAPPING) => classifyAppointmentRow(row(fields), mapping, NOW, POLICY);

describe('classifyAppointmentRow (canonical layout)', () => {
  it('makes a fulfilled appointment that ended into a completed one, the appointment id as session id, the end in UTC', () => {
    expect(classify({})).toEqual({ kind: 'completed', appointment: { sessionId: 'a-1', clientId: 'c-1', therapistId: 't-1', endedAt: '2026-12-05T14:50:00.000Z' } });
  });

  it('leaves the therapist to the roster when the cell is empty', () => {
    expect(classify({ therapistId: '' })).toMatchObject({ kind: 'completed', appointment: { therapistId: undefined } });
  });

  it.each([
    ['cancelled', { status: 'cancelled' }],
    ['noshow', { status: 'noshow' }],
    ['cancelled', { status: 'Cancelled', end: '2027-01-01T10:00:00Z', start: '2027-01-01T09:00:00Z' }],
    ['future', { status: 'booked', end: '2026-12-06T12:30:00Z', start: '2026-12-06T11:40:00Z' }],
    ['future', { status: 'fulfilled', end: '2026-12-06T12:00:01Z', start: '2026-12-06T11:00:00Z' }],
    ['stale', { end: '2026-11-29T11:59:00Z', start: '2026-11-29T11:00:00Z' }],
  ])('counts a row as %s', (kind, fields) => {
    expect(classify(fields)).toEqual({ kind, sessionId: 'a-1' });
  });

  it('says which status an ended appointment that did not take place has', () => {
    expect(classify({ status: 'booked' })).toEqual({ kind: 'not-completed', sessionId: 'a-1', status: 'booked' });
    expect(classify({ status: 'entered-in-error' })).toEqual({ kind: 'not-completed', sessionId: 'a-1', status: 'entered-in-error' });
  });

  it('lists every problem of a bad row by field, without the values', () => {
    const outcome = classify({ appointmentId: '', clientId: 'alex smith@x', status: 'done', start: '05/12/2026', end: 'tomorrow' });
    expect(outcome).toEqual({
      kind: 'bad',
      line: 2,
      problems: [
        'appointmentId is empty',
        'clientId must be 1–128 letters, digits or . _ : @ - /',
        'status is not a FHIR appointment status nor one the mapping\'s "statuses" names',
        'start must be ISO-8601 with an offset (2026-03-02T14:50:00-05:00), or give a mapping with "dates"',
        'end must be ISO-8601 with an offset (2026-03-02T14:50:00-05:00), or give a mapping with "dates"',
      ],
    });
    expect(JSON.stringify(outcome)).not.toMatch(/alex|tomorrow|done/);
  });

  it('refuses a time without an offset, an end before the start, and a short row', () => {
    expect(classify({ end: '2026-12-05T09:50:00' })).toMatchObject({ kind: 'bad', problems: [expect.stringMatching(/^end must be ISO-8601/)] });
    expect(classify({ end: '2026-12-05T08:00:00-05:00' })).toMatchObject({ kind: 'bad', problems: ['end is before start'] });
    expect(classifyAppointmentRow({ line: 7, fields: {}, fieldCountError: 'has 2 fields where the header has 6' }, CANONICAL_MAPPING, NOW, POLICY)).toEqual({ kind: 'bad', line: 7, problems: ['has 2 fields where the header has 6'] });
  });
});

describe('a mapping', () => {
  const mapping = parseAppointmentMapping(JSON.stringify({
    columns: { appointmentId: 'Appointment ID', clientId: 'Client ID', therapistId: null, start: ['Date', 'Start Time'], end: ['Date', 'End Time'], status: 'Status' },
    statuses: { Show: 'fulfilled', 'Late Canceled': 'cancelled', 'No Show': 'noshow' },
    dates: { format: 'MM/DD/YYYY h:mm A', timeZone: 'America/Chicago' },
    completedStatuses: ['fulfilled', 'arrived'],
  }));
  const exported = (fields: Record<string, string>) => classifyAppointmentRow({ line: 3, fields: { 'Appointment ID': '901', 'Client ID': 'c-7', Date: '12/04/2026', 'Start Time': '1:00 PM', 'End Time': '1:50 PM', Status: 'Show', ...fields } }, mapping, NOW, POLICY);

  it('renames columns, joins a date and a time column, reads the time in the named zone and maps statuses ignoring case', () => {
    expect(exported({})).toEqual({ kind: 'completed', appointment: { sessionId: '901', clientId: 'c-7', therapistId: undefined, endedAt: '2026-12-04T19:50:00.000Z' } });
    expect(exported({ Status: '  late   canceled ' })).toEqual({ kind: 'cancelled', sessionId: '901' });
    expect(exported({ Status: 'no show' })).toEqual({ kind: 'noshow', sessionId: '901' });
    expect(exported({ Status: 'arrived' })).toMatchObject({ kind: 'completed' });
  });

  it('names the format when a date does not follow it', () => {
    expect(exported({ 'End Time': '13:50' })).toMatchObject({ kind: 'bad', problems: ['end is neither ISO-8601 with an offset nor a date in the format "MM/DD/YYYY h:mm A"'] });
    expect(exported({ Date: '02/30/2026' })).toMatchObject({ kind: 'bad' });
  });

  it('lists the columns a header lacks', () => {
    expect(missingColumns(['Appointment ID', 'Client ID', 'Date', 'Status'], mapping)).toEqual(['Start Time', 'End Time']);
    expect(missingColumns(['appointmentId', 'clientId', 'start', 'end', 'status'], CANONICAL_MAPPING)).toEqual(['therapistId']);
  });

  it('is refused with every problem named', () => {
    const attempt = () => parseAppointmentMapping(JSON.stringify({ columns: { start: 3, when: 'x' }, statuses: { Show: 'done' }, dates: { format: 'MM/DD', timeZone: 'Mars/Olympus' } }));
    expect(attempt).toThrow(MappingError);
    expect(attempt).toThrow(/columns\.start: must be a column name or a list of column names/);
    expect(attempt).toThrow(/columns: unknown key\(s\) "when"/);
    expect(attempt).toThrow(/statuses\.Show: must be a FHIR appointment status/);
    expect(attempt).toThrow(/dates\.timeZone: must be an IANA time zone/);
    expect(() => parseAppointmentMapping('{"dates": {"format": "MM/DD", "timeZone": "UTC"}}')).toThrow(/dates\.format: the date format "MM\/DD" has no year, hour, minute/);
    expect(() => parseAppointmentMapping('{not json')).toThrow(/not valid JSON/);
  });
});

describe('wall-clock times in a zone', () => {
  const parse = (format: string, text: string, zone: string) => {
    const clock = compileDateFormat(format).parse(text);
    return clock === undefined ? undefined : instantInZone(clock, zone).toISOString();
  };

  it('follows daylight-saving changes', () => {
    expect(parse('YYYY-MM-DD HH:mm', '2026-03-07 10:00', 'America/New_York')).toBe('2026-03-07T15:00:00.000Z');
    expect(parse('YYYY-MM-DD HH:mm', '2026-03-09 10:00', 'America/New_York')).toBe('2026-03-09T14:00:00.000Z');
    expect(parse('DD.MM.YYYY HH:mm', '25.10.2026 10:00', 'Europe/Berlin')).toBe('2026-10-25T09:00:00.000Z');
    expect(parse('DD.MM.YYYY HH:mm', '24.10.2026 10:00', 'Europe/Berlin')).toBe('2026-10-24T08:00:00.000Z');
  });

  it('reads a repeated autumn hour as the first one', () => {
    expect(parse('YYYY-MM-DD HH:mm', '2026-11-01 01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('reads 12 AM as midnight and 12 PM as noon', () => {
    expect(parse('M/D/YYYY h:mm A', '1/5/2026 12:15 AM', 'UTC')).toBe('2026-01-05T00:15:00.000Z');
    expect(parse('M/D/YYYY h:mm a', '1/5/2026 12:15 pm', 'UTC')).toBe('2026-01-05T12:15:00.000Z');
    expect(parse('M/D/YYYY h:mm A', '1/5/2026 13:15 PM', 'UTC')).toBeUndefined();
  });
});
