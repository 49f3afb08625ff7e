import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatLongDateTime, isTimeZone } from '../../shared/domain/local-time.ts';

// 7:30 PM on Tuesday, March 3, 2026 in Los Angeles (PST, UTC−8) is already March 4 in UTC.
const US_EVENING = '2026-03-04T03:30:00.000Z';
const LOS_ANGELES = { timeZone: 'America/Los_Angeles', locale: 'en-US' };

describe('local time', () => {
  it('dates a US evening session on its own day, not the next', () => {
    expect(formatDate(US_EVENING, LOS_ANGELES)).toBe('Mar 3, 2026');
    expect(formatDate(US_EVENING, { timeZone: 'UTC', locale: 'en-US' })).toBe('Mar 4, 2026');
  });

  it('shows the time with the zone’s short name', () => {
    expect(formatDateTime(US_EVENING, LOS_ANGELES)).toMatch(/^Mar 3, 2026, 7:30\sPM PST$/);
    expect(formatLongDateTime(US_EVENING, LOS_ANGELES)).toMatch(/^Tuesday, March 3, 2026 at 7:30\sPM PST$/);
  });

  it('follows daylight saving time: the same UTC hour is 7:30 PM PST in winter and 8:30 PM PDT in summer', () => {
    expect(formatDateTime('2026-07-08T03:30:00.000Z', LOS_ANGELES)).toMatch(/^Jul 7, 2026, 8:30\sPM PDT$/);
    // The night the clocks go forward (March 8, 2026, 2:00 → 3:00): an hour after 1:30 AM PST is 3:30 AM PDT.
    expect(formatDateTime('2026-03-08T09:30:00.000Z', LOS_ANGELES)).toMatch(/1:30\sAM PST$/);
    expect(formatDateTime('2026-03-08T10:30:00.000Z', LOS_ANGELES)).toMatch(/3:30\sAM PDT$/);
    // Europe changes on another day (March 29): Berlin is UTC+1 (CET) before, UTC+2 (CEST) after.
    expect(formatDateTime('2026-03-28T18:00:00.000Z', { timeZone: 'Europe/Berlin', locale: 'en-GB' })).toMatch(/19:00 (CET|GMT\+1)$/);
    expect(formatDateTime('2026-03-30T18:00:00.000Z', { timeZone: 'Europe/Berlin', locale: 'en-GB' })).toMatch(/20:00 (CEST|GMT\+2)$/);
  });

  it('writes Spanish dates for a Spanish reader, in the practice’s zone', () => {
    const madrid = { timeZone: 'Europe/Madrid', locale: 'es-ES' };
    expect(formatLongDateTime('2026-11-28T21:00:00.000Z', madrid)).toBe('sábado, 28 de noviembre de 2026, 22:00 CET');
    expect(formatDate('2026-11-28T23:30:00.000Z', madrid)).toBe('29 nov 2026');
    expect(formatLongDateTime(US_EVENING, { timeZone: 'America/Los_Angeles', locale: 'es-ES' })).toMatch(/^martes, 3 de marzo de 2026, 19:30 (PST|GMT-8)$/);
  });

  it('takes Date objects and ISO strings alike', () => {
    expect(formatDate(new Date(US_EVENING), LOS_ANGELES)).toBe(formatDate(US_EVENING, LOS_ANGELES));
  });

  it('knows IANA zone names and refuses others', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(isTimeZone('+02:00')).toBe(false);
  });
});
