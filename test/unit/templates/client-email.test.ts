import { describe, expect, it } from 'vitest';
import { readMailTags } from '../../../shared/domain/mail-tags.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { buildClientEmail as buildWithOptOut, sendClientEmail, type ClientFeedbackEmail } from '../../../shared/use-cases/client-email.ts';
import { FakeMailer, FakeOptOutLinkStore, sequentialTokens } from '../../support/fakes.ts';

const SETTINGS = { practiceName: 'Riverside Practice', practiceTimeZone: 'UTC', formBaseUrl: 'https://forms.example/feedback' };
const REQUEST: ClientFeedbackEmail = {
  purpose: 'feedback-request',
  clientId: 'c:1042.x',
  client: { email: 'ana@example.com', firstName: 'Ana', locale: 'en' },
  token: 'tok_en-1',
  expiresAt: '2026-11-28T21:00:00.000Z',
};

const buildClientEmail = (email: ClientFeedbackEmail, settings: typeof SETTINGS) => buildWithOptOut({ ...email, optOutToken: 'opt_out-1' }, settings);

/** SES reports each tag as a list of values. */
const reported = (tags: Record<string, string> | undefined) => Object.fromEntries(Object.entries(tags ?? {}).map(([name, value]) => [name, [value]]));

describe('the client email', () => {
  it('links to the form with the form token and to the opt-out page with the opt-out token, under the form base URL', () => {
    const email = buildClientEmail(REQUEST, SETTINGS);

    expect(email.to).toBe('ana@example.com');
    expect(email.text).toContain('Answer the questions: https://forms.example/feedback/f/tok_en-1');
    expect(email.html).toContain('href="https://forms.example/feedback/f/tok_en-1"');
    expect(email.text).toContain('Stop feedback emails: https://forms.example/feedback/u/opt_out-1');
    expect(email.text).not.toContain('/u/tok_en-1');
  });

  it.each(['feedback-request', 'reminder'] as const)('offers one-click unsubscribe and is tagged with its purpose and client (%s)', (purpose) => {
    const email = buildClientEmail({ ...REQUEST, purpose }, SETTINGS);

    expect(email.headers).toEqual({ 'List-Unsubscribe': '<https://forms.example/feedback/u/opt_out-1>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expect(readMailTags(reported(email.tags))).toEqual({ purpose, clientId: 'c:1042.x' });
  });

  it('words the reminder as a reminder, with the same link', () => {
    const request = buildClientEmail(REQUEST, SETTINGS);
    const reminder = buildClientEmail({ ...REQUEST, purpose: 'reminder' }, SETTINGS);

    expect(request.subject).toBe('A quick question from Riverside Practice');
    expect(reminder.subject).toBe('Reminder: a quick question from Riverside Practice');
    expect(reminder.text).toContain('https://forms.example/feedback/f/tok_en-1');
  });

  it('escapes a hostile first name and practice name in the HTML part and keeps them out of the headers', () => {
    const email = buildClientEmail(
      { ...REQUEST, client: { ...REQUEST.client, firstName: '<script>alert(1)</script>' } },
      { ...SETTINGS, practiceName: 'A&B "Care" <img src=x onerror=alert(1)>' },
    );

    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(Object.values(email.headers ?? {}).join(' ')).not.toMatch(/script|img|Care/);
  });

  it('makes each email an opt-out token of its own, stores only its hash, and never puts the form token in a header', async () => {
    const mailer = new FakeMailer();
    const optOutLinks = new FakeOptOutLinkStore();
    const deps = { ...SETTINGS, mailer, optOutLinks, tokens: sequentialTokens(), clock: new ManualClock(new Date('2026-11-25T21:00:00Z')) };

    await sendClientEmail(REQUEST, deps);
    await sendClientEmail({ ...REQUEST, purpose: 'reminder', token: 'tok_en-2' }, deps);

    expect([...optOutLinks.links.values()]).toEqual([
      { tokenHash: 'hash-of-token-1', clientId: 'c:1042.x', locale: 'en', issuedAt: '2026-11-25T21:00:00.000Z' },
      { tokenHash: 'hash-of-token-2', clientId: 'c:1042.x', locale: 'en', issuedAt: '2026-11-25T21:00:00.000Z' },
    ]);
    expect(mailer.sent.map((email) => email.headers?.['List-Unsubscribe'])).toEqual(['<https://forms.example/feedback/u/token-1>', '<https://forms.example/feedback/u/token-2>']);
    expect(JSON.stringify(mailer.sent.map((email) => email.headers))).not.toContain('tok_en');
    expect(JSON.stringify([...optOutLinks.links.values()])).not.toContain('"token-1"');
  });
});
