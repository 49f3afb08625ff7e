import { describe, expect, it } from 'vitest';
import { renderFeedbackRequestEmail } from '../../../shared/domain/templates/feedback-request-email.ts';
import { emailClientErrors, markupErrors } from '../../support/email-checks.ts';

const BASE = {
  locale: 'en' as const,
  firstName: 'Ana',
  practiceName: 'Riverside Counselling',
  timeZone: 'UTC',
  formUrl: 'https://forms.example/f/abc',
  optOutUrl: 'https://forms.example/u/abc',
  expiresAt: new Date('2026-11-28T21:00:00Z'),
};

describe('feedback request email', () => {
  it.each(['en', 'es'] as const)('keeps health and therapy words out of the %s subject', (locale) => {
    for (const reminder of [false, true]) {
      const { subject } = renderFeedbackRequestEmail({ ...BASE, practiceName: 'Riverside Practice', locale, reminder });
      expect(subject).not.toMatch(/therap|terap|session|sesi|counsel|health|salud|mental|feeling|alliance/i);
    }
  });

  it.each([
    [6, 'en', '6 hours ago Riverside Counselling asked how your last session went'],
    [24, 'en', 'Yesterday Riverside Counselling asked'],
    [48, 'en', '2 days ago Riverside Counselling asked'],
    [72, 'es', 'Hace 3 días, Riverside Counselling le preguntó'],
    [24, 'es', 'Ayer, Riverside Counselling le preguntó'],
  ] as const)('words a reminder sent %i hours after the request by that delay (%s)', (hours, locale, words) => {
    const { text, html } = renderFeedbackRequestEmail({ ...BASE, locale, reminder: true, reminderAfterHours: hours });
    expect(text).toContain(words);
    expect(html).toContain(words);
    expect(text).not.toMatch(/couple of days|par de días/);
  });

  it('states when the link stops working in the practice’s zone, with the zone’s name', () => {
    expect(renderFeedbackRequestEmail(BASE).text).toContain('works until Saturday, November 28, 2026 at 9:00 PM UTC');
    // 05:00 UTC on the 28th is still the evening of the 27th in Los Angeles.
    const pacific = renderFeedbackRequestEmail({ ...BASE, timeZone: 'America/Los_Angeles', expiresAt: new Date('2026-11-28T05:00:00Z') });
    expect(pacific.text).toMatch(/works until Friday, November 27, 2026 at 9:00\sPM PST\./);
    expect(pacific.html).toMatch(/Friday, November 27, 2026 at 9:00\sPM PST/);
    expect(pacific.text).not.toContain('UTC');
  });

  it('writes the link’s end in Spanish for a Spanish-speaking client, in the practice’s zone', () => {
    const { text } = renderFeedbackRequestEmail({ ...BASE, locale: 'es', timeZone: 'America/New_York', expiresAt: new Date('2026-11-28T03:02:00Z') });
    expect(text).toMatch(/funciona hasta el viernes, 27 de noviembre de 2026, 22:02 (EST|GMT-5)\./);
  });

  it('escapes a hostile first name and practice name in the HTML part', () => {
    const { html } = renderFeedbackRequestEmail({ ...BASE, firstName: '<script>alert(1)</script>', practiceName: 'A&B "Care" <img src=x onerror=alert(1)>' });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('A&amp;B &quot;Care&quot;');
  });

  it('removes bidirectional overrides from names', () => {
    const { text, subject } = renderFeedbackRequestEmail({ ...BASE, firstName: 'Ana\u202Eevil', practiceName: 'Care\u2066X' });
    expect(text).toContain('Hi Anaevil,');
    expect(subject).toBe('A quick question from CareX');
  });

  it('shows a visible opt-out link in both parts', () => {
    const email = renderFeedbackRequestEmail({ ...BASE, locale: 'es' });
    expect(email.text).toContain('Dejar de recibir correos de opinión: https://forms.example/u/abc');
    expect(email.html).toContain('<a href="https://forms.example/u/abc"');
    expect(email.html).toContain('<html lang="es">');
  });

  it('lays out with presentation tables only', () => {
    const { html } = renderFeedbackRequestEmail(BASE);
    const tables = html.match(/<table[^>]*>/g) ?? [];
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) expect(table).toContain('role="presentation"');
  });

  it.each(['en', 'es'] as const)('passes html-validate and renders in Gmail, Outlook and Apple Mail (%s)', async (locale) => {
    const { html } = renderFeedbackRequestEmail({ ...BASE, locale });
    expect(await markupErrors(html)).toEqual([]);
    expect(emailClientErrors(html)).toEqual([]);
  });
});
