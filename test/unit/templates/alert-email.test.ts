import { describe, expect, it } from 'vitest';
import { renderAlertEmail, type AlertEmailInput } from '../../../shared/domain/templates/alert-email.ts';
import { emailClientErrors, markupErrors } from '../../support/email-checks.ts';

const TREND = [38, 39, 38, 38, 39, 27].map((total, index) => ({
  endedAt: `2026-10-${String(10 + 7 * (index % 3)).padStart(2, '0')}T15:00:00Z`,
  total,
  current: index === 5,
}));

const RUPTURE: AlertEmailInput = {
  kind: 'rupture',
  practiceName: 'Riverside Practice',
  clientId: 'c-1042',
  sessionId: 's-6',
  sessionEndedAt: '2026-11-24T15:50:00Z',
  reason: 'Total 27 of 40 against a usual 38.4 ± 0.5; z = −3.60 (alert at −3.00 with 5 sessions of baseline).',
  total: { value: 27, max: 40, usualMean: 38.4, usualSpread: 2 },
  items: [
    { label: 'Relationship', value: 8, max: 10, usualMean: 9.6 },
    { label: 'Goals', value: 3, max: 10, usualMean: 9.8 },
    { label: 'Approach', value: 8, max: 10, usualMean: 9.5 },
    { label: 'Overall', value: 8, max: 10, usualMean: 9.5 },
  ],
  mostMoved: 'Goals',
  trend: TREND,
  band: { low: 36.4, high: 40 },
  clientAskedToTalk: false,
  acknowledgeUrl: 'https://forms.practice.example/a/ack-token',
};

describe('alert email', () => {
  it('names the client by id only in the subject', () => {
    const email = renderAlertEmail({ ...RUPTURE, clientFirstName: 'Ana' });
    expect(email.subject).toBe('Alliance alert — client c-1042');
    expect(email.text).toContain('Ana (client c-1042)');
  });

  it('says what fired, with numbers, and which component moved most', () => {
    const { text, html } = renderAlertEmail(RUPTURE);
    expect(text).toContain('Why this alert: Total 27 of 40 against a usual 38.4 ± 0.5');
    expect(text).toContain('Moved most: Goals');
    expect(text).toContain('Goals: 3 of 10 (usually 9.8)');
    expect(html).toContain('<strong>Moved most:</strong> Goals');
  });

  it('offers three repair prompts and the acknowledge link', () => {
    const { text, html } = renderAlertEmail(RUPTURE);
    expect(text.match(/^- /gm)).toHaveLength(3);
    expect(text).toContain('Acknowledge this alert: https://forms.practice.example/a/ack-token');
    expect(html).toContain('href="https://forms.practice.example/a/ack-token"');
  });

  it('draws the trend as table bars with the baseline band, and as text', () => {
    const { text, html } = renderAlertEmail(RUPTURE);
    expect(text).toContain('27 of 40 — below usual range  ← this session');
    expect(html).toContain('Usual range 36.4–40');
    expect(html).not.toMatch(/<img|<script|<svg/);
  });

  it('words going-quiet notices in a lower key', () => {
    const email = renderAlertEmail({ ...RUPTURE, kind: 'going-quiet', total: undefined, items: [], mostMoved: undefined, trend: [], band: undefined, reason: 'The last 2 feedback requests expired unanswered.' });
    expect(email.subject).toBe('Feedback check-in — client c-1042');
    expect(email.text).not.toContain('Alliance alert');
    expect(email.text).toContain('Ideas:');
  });

  it('escapes the client’s comment and every other rendered value', () => {
    const { html } = renderAlertEmail({
      ...RUPTURE,
      comment: '<script>alert(1)</script> "quoted" & <a href="javascript:alert(1)">x</a>',
      clientFirstName: '<b>Ana</b>',
      practiceName: '<i>P</i>',
      reason: '<img src=x onerror=alert(1)>',
    });
    expect(html).not.toMatch(/<script|<img|<b>|<i>|href="javascript:/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp;');
  });

  it('never contains an email address other than the acknowledge link host', () => {
    const { text, html } = renderAlertEmail(RUPTURE);
    expect(text + html).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}/);
  });

  it.each(['rupture', 'client-asked', 'going-quiet'] as const)('%s alert passes html-validate', async (kind) => {
    expect(await markupErrors(renderAlertEmail({ ...RUPTURE, kind, comment: 'Felt rushed today.' }).html)).toEqual([]);
  });

  it('renders in Gmail, Outlook and Apple Mail without unsupported features', () => {
    expect(emailClientErrors(renderAlertEmail({ ...RUPTURE, comment: 'Felt rushed today.' }).html)).toEqual([]);
  });

  it.each(['supervisor', 'covering'] as const)('a %s copy says so in one line at the top, and stays valid', async (role) => {
    const email = renderAlertEmail({ ...RUPTURE, role });
    expect(email.text.split('\n')[0]).toBe(role === 'supervisor' ? 'A copy for supervision: this alert went to the client’s therapist.' : 'You are covering: this alert is for a client of a colleague who is away.');
    expect(email.html).toContain(role === 'supervisor' ? 'A copy for supervision' : 'You are covering');
    expect(email.text.split('\n').slice(2)).toEqual(renderAlertEmail(RUPTURE).text.split('\n'));
    expect(await markupErrors(email.html)).toEqual([]);
    expect(emailClientErrors(email.html)).toEqual([]);
  });
});
