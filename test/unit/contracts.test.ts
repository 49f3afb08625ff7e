import { describe, expect, it } from 'vitest';
import {
  CONTRACTS,
  describeIssues,
  FeedbackRequested,
  PRODUCT_SOURCE,
  SessionCompleted,
  SessionCompletedDetailSchema,
} from '../../shared/events/contracts.ts';
import { parseEvent } from '../../shared/events/parse-event.ts';

const VALID_DETAIL = {
  sessionId: 's-2026-11-25-0042',
  clientId: 'c-1042',
  therapistId: 't-7',
  endedAt: '2026-11-25T15:50:00-05:00',
  client: { email: 'ana@example.com', firstName: 'Ana', locale: 'es' },
  therapist: { email: 'lee@practice.example', name: 'Dr. Lee' },
};

function envelope(detail: unknown, detailType = 'SessionCompleted'): string {
  return JSON.stringify({ version: '0', id: 'e-1', 'detail-type': detailType, source: 'ehr.example', time: '2026-11-25T21:00:00Z', detail });
}

describe('SessionCompleted contract', () => {
  it('accepts the documented example', () => {
    expect(SessionCompletedDetailSchema.safeParse(VALID_DETAIL).success).toBe(true);
  });

  it('drops unknown extra fields so they are never stored', () => {
    const parsed = SessionCompletedDetailSchema.parse({ ...VALID_DETAIL, diagnosis: 'F32.1', client: { ...VALID_DETAIL.client, phone: '555' } });
    expect(JSON.stringify(parsed)).not.toContain('F32.1');
    expect(JSON.stringify(parsed)).not.toContain('555');
  });

  it('falls back to English for unsupported or missing locales', () => {
    expect(SessionCompletedDetailSchema.parse({ ...VALID_DETAIL, client: { email: 'a@b.example', locale: 'fr' } }).client.locale).toBe('en');
    expect(SessionCompletedDetailSchema.parse({ ...VALID_DETAIL, client: { email: 'a@b.example' } }).client.locale).toBe('en');
  });

  it.each([
    ['an id with a space', { sessionId: 's 1' }, 'sessionId'],
    ['an id of 129 characters', { clientId: 'c'.repeat(129) }, 'clientId'],
    ['an empty id', { therapistId: '' }, 'therapistId'],
    ['a timestamp without offset', { endedAt: '2026-11-25T15:50:00' }, 'endedAt'],
    ['a date only', { endedAt: '2026-11-25' }, 'endedAt'],
    ['an invalid client email', { client: { email: 'ana-at-example.com' } }, 'client.email'],
    ['a first name with a line break', { client: { email: 'a@b.example', firstName: 'Ana\r\nBcc: x@y.z' } }, 'client.firstName'],
    ['a missing therapist', { therapist: undefined }, 'therapist'],
  ])('rejects %s and names the field', (_name, change, field) => {
    const result = SessionCompletedDetailSchema.safeParse({ ...VALID_DETAIL, ...change });
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toContain(`${field}:`);
  });

  it('never echoes rejected values in the reason', () => {
    const result = SessionCompletedDetailSchema.safeParse({ ...VALID_DETAIL, client: { email: 'secret-person@@example' } });
    expect(describeIssues(result.error!)).not.toContain('secret-person');
  });

  it('matches any source but the product’s own', () => {
    expect(SessionCompleted.pattern).toEqual({ source: [{ 'anything-but': PRODUCT_SOURCE }], 'detail-type': ['SessionCompleted'] });
  });

  it('routes product events by the product source', () => {
    expect(FeedbackRequested.pattern).toEqual({ source: [PRODUCT_SOURCE], 'detail-type': ['FeedbackRequested'] });
  });

  it('names every detail-type in PascalCase past tense, once', () => {
    const names = Object.values(CONTRACTS).map((c) => c.detailType);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Za-z]+ed$/);
  });
});

describe('parseEvent', () => {
  it('returns the parsed detail of a queued EventBridge event', () => {
    const parsed = parseEvent(envelope(VALID_DETAIL), SessionCompleted);
    expect(parsed).toMatchObject({ ok: true, eventId: 'e-1', source: 'ehr.example', detail: { sessionId: 's-2026-11-25-0042' } });
  });

  it.each([
    ['a body that is not JSON', '{nope', 'message body is not JSON'],
    ['a body that is not an event', JSON.stringify({ hello: 1 }), 'not an EventBridge event'],
    ['another detail-type', envelope(VALID_DETAIL, 'SessionStarted'), 'detail-type is not SessionCompleted'],
    ['an invalid detail', envelope({ ...VALID_DETAIL, endedAt: 'yesterday' }), 'invalid SessionCompleted detail: endedAt'],
  ])('explains why it rejects %s', (_name, body, reason) => {
    const parsed = parseEvent(body, SessionCompleted);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toContain(reason);
  });
});
