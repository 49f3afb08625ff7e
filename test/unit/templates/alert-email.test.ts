import { describe, expect, it } from 'vitest';
import { KIND_WORDS, renderAlertEmail, repairPrompts, type AlertEmailInput } from '../../../shared/domain/templates/alert-email.ts';
import { ALERT_KINDS } from '../../../shared/events/contracts.ts';
import { emailClientErrors, markupErrors } from '../../support/email-checks.ts';

const TREND = [38, 39, 38, 38, 39, 27].map((total, index) => ({
  endedAt: `2026-10-${String(10 + 7 * (index % 3)).padStart(2, '0')}T15:00:00Z`,
  total,
  current: index === 5,
}));

const RUPTURE: AlertEmailInput = {
  kind: 'rupture',
  practiceName: 'Riverside Practice',
  timeZone: 'UTC',
  clientId: 'c-1042',
  clientLabel: 'Client NXY-AAA',
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
  it('names the kind in plain words and the client by the chosen label in the subject, never the EHR id by default', () => {
    const email = renderAlertEmail({ ...RUPTURE, clientFirstName: 'Ana' });
    expect(email.subject).toBe('Alliance alert: sharp drop — Client NXY-AAA');
    expect(email.subject).not.toContain('c-1042');
    expect(email.text).toContain('Client NXY-AAA (Ana)');
    // The EHR id leaves the body (the trend page shows it), unless the practice chose it as the label.
    expect(email.text).not.toContain('c-1042');
    expect(email.html).not.toContain('c-1042');
    expect(renderAlertEmail({ ...RUPTURE, clientLabel: 'client c-1042' }).subject).toBe('Alliance alert: sharp drop — client c-1042');
    expect(renderAlertEmail({ ...RUPTURE, clientLabel: 'Ana', clientFirstName: 'Ana' }).text).toContain('— Ana\n');
  });

  it.each([
    ['rupture', 'sharp drop'],
    ['sustained-decline', 'steady decline'],
    ['item-drop', 'one part dropped'],
    ['low-rating', 'very low rating'],
    ['client-asked', 'asked to talk'],
    ['unrepaired', 'not yet repaired'],
    ['going-quiet', 'gone quiet'],
  ] as const)('a %s subject says “%s”', (kind, words) => {
    expect(renderAlertEmail({ ...RUPTURE, kind }).subject).toContain(`: ${words} — Client NXY-AAA`);
  });

  it('has words for every kind, and different repair prompts for each', () => {
    expect(Object.keys(KIND_WORDS).sort()).toEqual([...ALERT_KINDS].sort());
    const prompts = ALERT_KINDS.map((kind) => repairPrompts({ ...RUPTURE, kind }).join('|'));
    expect(new Set(prompts).size).toBe(ALERT_KINDS.length);
    expect(renderAlertEmail({ ...RUPTURE, kind: 'client-asked' }).text).not.toContain(repairPrompts(RUPTURE)[0]);
  });

  it('opens with what happened in a clinician’s words, and tells the statistics last', () => {
    const { text, html } = renderAlertEmail(RUPTURE);
    const lines = text.split('\n');
    expect(lines[3]).toBe('27 of 40 — far below this client’s usual 36–40.');
    expect(html).toContain('27 of 40 — far below this client’s usual 36–40.');
    expect(text).not.toContain('Why this alert');
    expect(text.indexOf('How this was judged: Total 27 of 40 against a usual 38.4 ± 0.5')).toBeGreaterThan(text.indexOf('Acknowledge this alert'));
    expect(html).toContain('<strong>How this was judged:</strong> Total 27 of 40');
  });

  it.each([
    ['sustained-decline', '27 of 40 — lower than this client’s usual 36–40, several sessions in a row.'],
    ['item-drop', '“Goals” 3 of 10 — far below this client’s usual 9.8; the total was 27 of 40.'],
    ['low-rating', '27 of 40 — a very low rating; this client usually gives 36–40.'],
    ['unrepaired', '27 of 40 — still below this client’s usual 36–40 since the earlier alert.'],
  ] as const)('a %s alert opens with the numbers in words', (kind, sentence) => {
    expect(renderAlertEmail({ ...RUPTURE, kind }).text.split('\n')[3]).toBe(sentence);
  });

  it('opens a client-asked alert with the request and the score as it was, not with the baseline', () => {
    const { text } = renderAlertEmail({
      ...RUPTURE,
      kind: 'client-asked',
      clientAskedToTalk: true,
      reason: "Total 32 of 40; 0 sessions in this client's baseline so far, 3 needed before comparing with their own usual score. The client asked to talk about how therapy is going.",
      total: { value: 32, max: 40 },
      items: [{ label: 'Goals', value: 8, max: 10 }],
      band: undefined,
      mostMoved: undefined,
    });
    expect(text.split('\n')[3]).toBe('Your client ticked “I’d like to talk about how therapy is going”; this session’s total was 32 of 40.');
    expect(text.indexOf('0 sessions in this client')).toBeGreaterThan(text.indexOf('Acknowledge this alert'));
    expect(text).not.toMatch(/looked different|lower than usual/);
    expect(renderAlertEmail({ ...RUPTURE, kind: 'client-asked', total: { value: 38, max: 40 } }).text.split('\n')[3]).toContain('this session’s total was 38 of 40, within their usual 36–40.');
  });

  it('says what fired, with numbers, and which component moved most', () => {
    const { text, html } = renderAlertEmail(RUPTURE);
    expect(text).toContain('How this was judged: Total 27 of 40 against a usual 38.4 ± 0.5');
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
    expect(email.subject).toBe('Feedback check-in: gone quiet — Client NXY-AAA');
    expect(email.text.split('\n')[3]).toBe('The last 2 feedback requests expired unanswered.');
    expect(email.text).not.toContain('How this was judged');
    expect(email.text).not.toContain('Alliance alert');
    expect(email.text).toContain('Ideas:');
  });

  it('escapes the client’s comment and every other rendered value', () => {
    const { html } = renderAlertEmail({
      ...RUPTURE,
      comment: '<script>alert(1)</script> "quoted" & <a href="javascript:alert(1)">x</a>',
      clientFirstName: '<b>Ana</b>',
      clientLabel: '<u>Client</u>',
      practiceName: '<i>P</i>',
      reason: '<img src=x onerror=alert(1)>',
    });
    expect(html).not.toMatch(/<script|<img|<b>|<i>|<u>|href="javascript:/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp;');
  });

  it('dates the session and the trend in the therapist’s zone: a US evening session on its own day', () => {
    // 7:50 PM on Nov 24 in Los Angeles is Nov 25 in UTC; the trend's evening sessions likewise.
    const evening = { ...RUPTURE, sessionEndedAt: '2026-11-25T03:50:00Z', trend: TREND.map((point) => ({ ...point, endedAt: point.endedAt.replace('T15:00:00Z', 'T03:00:00Z') })) };
    const pacific = renderAlertEmail({ ...evening, timeZone: 'America/Los_Angeles' });
    expect(pacific.text).toContain('Session of Nov\u00A024,\u00A02026');
    expect(pacific.html).toContain('Session of Nov\u00A024,\u00A02026');
    expect(pacific.text).toContain('Oct\u00A09,\u00A02026: 38 of 40');
    expect(pacific.text).not.toContain('Oct\u00A010,\u00A02026');
    const utc = renderAlertEmail(evening);
    expect(utc.text).toContain('Session of Nov\u00A025,\u00A02026');
  });

  it('keeps a first name used as the label on one subject line', () => {
    expect(renderAlertEmail({ ...RUPTURE, clientLabel: 'Ana\r\nBcc: x\u2028y' }).subject).toBe('Alliance alert: sharp drop — Ana Bcc: x y');
  });

  it('never contains an email address other than the acknowledge link host', () => {
    const { text, html } = renderAlertEmail(RUPTURE);
    expect(text + html).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}/);
  });

  it.each(ALERT_KINDS)('%s alert passes html-validate', async (kind) => {
    expect(await markupErrors(renderAlertEmail({ ...RUPTURE, kind, comment: 'Felt rushed today.' }).html)).toEqual([]);
  });

  it.each(ALERT_KINDS)('%s alert renders in Gmail, Outlook and Apple Mail without unsupported features', (kind) => {
    expect(emailClientErrors(renderAlertEmail({ ...RUPTURE, kind, comment: 'Felt rushed today.' }).html)).toEqual([]);
  });

  const WITH_TREND = { ...RUPTURE, hasComment: true, clientAskedToTalk: true, trendUrl: `https://forms.practice.example/t/${'T'.repeat(43)}` };

  it.each(ALERT_KINDS)('%s alert with a trend link and the client’s words passes html-validate and renders in Gmail, Outlook and Apple Mail', async (kind) => {
    const { html } = renderAlertEmail({ ...WITH_TREND, kind });
    expect(html).toContain('Open Client NXY-AAA’s trend</a>');
    expect(await markupErrors(html)).toEqual([]);
    expect(emailClientErrors(html)).toEqual([]);
  });

  it('says there is a comment and a talk tick, to be read on the trend page; the text only when the practice allows it', () => {
    const told = renderAlertEmail(WITH_TREND).text;
    expect(told).toContain('The client also ticked “I’d like to talk about how therapy is going” and left a comment: read it on the trend page (comments stay out of email).');
    const shown = renderAlertEmail({ ...WITH_TREND, comment: 'Felt rushed <today>.' });
    expect(shown.text).toContain('their comment is below and on the trend page.');
    expect(shown.text).toContain('Felt rushed <today>.');
    expect(shown.html).toContain('Felt rushed &lt;today&gt;.');
    expect(renderAlertEmail({ ...WITH_TREND, clientAskedToTalk: false, hasComment: false }).text).not.toContain('left a comment');
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
