/**
 * The weekly digest: its email (every client, most urgent first, an email-safe sparkline with the
 * usual band, escaped, valid, clean for Gmail/Outlook/Apple Mail, under Gmail's clipping size for
 * 30 clients), when it is due in the therapist's zone, and the once-only send with its rules.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import type { CaseloadEntry } from '../../../shared/domain/caseload.ts';
import { dueDigestId, isoWeekOfDate, localTime } from '../../../shared/domain/digest-schedule.ts';
import { renderDigestEmail, sparkline, type DigestClient } from '../../../shared/domain/templates/digest-email.ts';
import { dispatchDigests, NO_TREND_LINKS, sendDigest, type SendDigestDeps } from '../../../shared/use-cases/send-digest.ts';
import type { DigestRead, DigestStore } from '../../../shared/use-cases/ports.ts';
import { emailClientErrors, markupErrors } from '../../support/email-checks.ts';
import { FakeMailer, FakePublisher } from '../../support/fakes.ts';

const SENT_AT = new Date('2026-12-07T13:00:00Z');

function client(index: number, overrides: Partial<DigestClient> = {}): DigestClient {
  return {
    label: `Client K${String(index).padStart(2, '0')}-3PF`,
    status: 'steady',
    lastScore: { total: 36, endedAt: '2026-12-03T23:30:00Z' },
    max: 40,
    totals: [36, 37, 35, 38, 36, 34, 36, 37, 39, 36, 35, 36],
    band: { low: 34, high: 38.5 },
    commentsWaiting: 0,
    openAlerts: 0,
    expiredInARow: 0,
    trendUrl: `https://feedback.practice.example/t/${'x'.repeat(43)}${index}`,
    ...overrides,
  };
}

describe('renderDigestEmail', () => {
  const input = {
    practiceName: 'Riverside <Therapy>',
    therapistName: 'Dr. Lee',
    sentAt: SENT_AT,
    timeZone: 'America/Chicago',
    responseRateWeeks: 4,
    activeWeeks: 8,
  };

  it('lists every client, most urgent first, with status, last score in the therapist’s zone and notes', () => {
    const email = renderDigestEmail({
      ...input,
      clients: [
        client(1),
        client(2, { status: 'alert-open', openAlerts: 1, commentsWaiting: 2, totals: [36, 20], lastScore: { total: 20, endedAt: '2026-12-04T01:00:00Z' } }),
        client(3, { status: 'not-answering', expiredInARow: 1 }),
      ],
      responseRate: { sent: 4, acknowledged: 3 },
    });
    expect(email.subject).toBe('Your weekly digest — 3 active clients, 1 alert open, 1 with comments waiting');
    const order = ['K02', 'K03', 'K01'].map((label) => email.text.indexOf(`Client ${label}`));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // 01:00 UTC on the 4th is the evening of the 3rd in Chicago.
    expect(email.text).toContain('Client K02-3PF — alert open\n  Last: 20 of 40, Dec\u00A03,\u00A02026 (usual 34–38.5)');
    expect(email.text).toContain('1 alert not acknowledged');
    expect(email.text).toContain('comment or request to talk waiting (2)');
    expect(email.text).toContain('1 request unanswered in a row');
    expect(email.text).toContain('You acknowledged 3 of 4 alerts sent to you in the last 4 weeks (75%).');
    expect(email.text).toContain('Alerts not yet acknowledged: Client K02-3PF (1).');
    expect(email.html).toContain('Riverside &lt;Therapy&gt;');
    expect(email.html).not.toContain('<Therapy>');
  });

  it('draws the sparkline with block characters, red below the usual range, and says the numbers in words', () => {
    expect(sparkline([40, 0, 20, 33], 40, { low: 34 })).toEqual([
      { block: '█', below: false },
      { block: '▁', below: true },
      { block: '▅', below: true },
      { block: '▇', below: true },
    ]);
    const email = renderDigestEmail({ ...input, clients: [client(1, { totals: [36, 20, 36] })] });
    expect(email.html).toContain('aria-label="Last 3 totals: 36, 20, 36 of 40; usual 34–38.5"');
    expect(email.html).toMatch(/<span style="color:#5b7f73;">▇<\/span><span style="color:#b3261e;">▅<\/span><span style="color:#5b7f73;">▇<\/span>/);
    expect(email.html).not.toMatch(/<svg|<img/);
  });

  it('is valid, renders in Gmail, Outlook and Apple Mail, and stays under Gmail’s clipping for 30 clients', async () => {
    const clients = Array.from({ length: 30 }, (_unused, index) => client(index, index % 7 === 0 ? { status: 'alert-open', openAlerts: 1, commentsWaiting: 1 } : {}));
    const email = renderDigestEmail({ ...input, clients, responseRate: { sent: 5, acknowledged: 4 } });
    expect(await markupErrors(email.html)).toEqual([]);
    expect(emailClientErrors(email.html)).toEqual([]);
    expect(Buffer.byteLength(email.html, 'utf8')).toBeLessThan(100 * 1024);
    for (let index = 0; index < 30; index++) expect(email.text).toContain(client(index).label);
  });

  it('leaves the link out when there is no trend page', () => {
    const email = renderDigestEmail({ ...input, clients: [client(1, { trendUrl: undefined })] });
    expect(email.html).not.toContain('<a ');
    expect(email.text).not.toContain('Trend:');
  });
});

describe('when the digest is due', () => {
  const schedule = { digestDay: 'monday' as const, digestHour: 7 };
  it('is the digest day and hour in the therapist’s own zone', () => {
    expect(dueDigestId(new Date('2026-12-07T13:00:00Z'), 'America/Chicago', schedule)).toBe('week-2026-W50');
    expect(dueDigestId(new Date('2026-12-07T13:00:00Z'), 'Europe/Berlin', schedule)).toBeUndefined();
    expect(dueDigestId(new Date('2026-12-07T06:00:00Z'), 'Europe/Berlin', schedule)).toBe('week-2026-W50');
    // Sunday 23:00 UTC is already Monday 07:00 in Singapore.
    expect(dueDigestId(new Date('2026-12-06T23:00:00Z'), 'Asia/Singapore', schedule)).toBe('week-2026-W50');
    expect(localTime(new Date('2026-03-09T12:00:00Z'), 'America/New_York')).toEqual({ day: 'monday', date: '2026-03-09', hour: 8 });
    expect(isoWeekOfDate('2027-01-01')).toBe('2026-W53');
  });

  it('announces one DigestTimeReached per therapist whose hour it is, none for those who turned it off', async () => {
    const publisher = new FakePublisher();
    const roster = {
      list: async () => [
        { therapistId: 't-chicago', timeZone: 'America/Chicago' },
        { therapistId: 't-practice' },
        { therapistId: 't-berlin', timeZone: 'Europe/Berlin' },
        { therapistId: 't-off', timeZone: 'America/Chicago', digest: 'off' as const },
      ],
    };
    const report = await dispatchDigests({ roster, publisher, clock: new ManualClock(new Date('2026-12-07T13:00:00Z')), schedule, practiceTimeZone: 'America/Chicago' });
    expect(report).toEqual({ therapists: 4, due: ['t-chicago', 't-practice'], off: 1 });
    expect(publisher.published).toEqual([
      { detailType: 'DigestTimeReached', detail: { therapistId: 't-chicago', digestId: 'week-2026-W50' } },
      { detailType: 'DigestTimeReached', detail: { therapistId: 't-practice', digestId: 'week-2026-W50' } },
    ]);
  });
});

function entry(clientId: string, lastSessionAt: string, overrides: Partial<CaseloadEntry> = {}): CaseloadEntry {
  return {
    therapistId: 't-1',
    clientId,
    instrumentId: 'srs',
    detectorVersion: 3,
    lastSessionAt,
    lastScore: { total: 36, endedAt: lastSessionAt },
    max: 40,
    totals: [36, 36, 36],
    repairOpen: false,
    expiredInARow: 0,
    quietAfterExpired: 2,
    openAlerts: [],
    commentSessions: [],
    unrepairedSessions: [],
    ...overrides,
  };
}

class FakeDigestStore implements DigestStore {
  claims = new Map<string, 'in-progress' | 'sent'>();
  constructor(public read_: DigestRead) {}
  async read() {
    return structuredClone(this.read_);
  }
  async claim(therapistId: string, digestId: string) {
    const held = this.claims.get(`${therapistId}/${digestId}`);
    if (held) return held;
    this.claims.set(`${therapistId}/${digestId}`, 'in-progress');
    return 'claimed' as const;
  }
  async markSent(therapistId: string, digestId: string) {
    this.claims.set(`${therapistId}/${digestId}`, 'sent');
  }
  async release(therapistId: string, digestId: string) {
    this.claims.delete(`${therapistId}/${digestId}`);
  }
}

describe('sendDigest', () => {
  const therapist = { therapistId: 't-1', email: 'lee@practice.example', registeredAt: '2026-01-01T00:00:00Z', registeredBy: 'administrator' as const };
  const setup = (read: { therapist?: DigestRead["therapist"]; caseload?: CaseloadEntry[] } = {}) => {
    const store = new FakeDigestStore({ therapist, caseload: [entry('c-1', '2026-12-03T23:00:00Z'), entry('c-2', '2026-10-01T23:00:00Z')], responseWeeks: [], ...read });
    const mailer = new FakeMailer();
    const links: string[] = [];
    const deps: SendDigestDeps = {
      store,
      mailer,
      clock: new ManualClock(SENT_AT),
      practiceName: 'Riverside',
      practiceTimeZone: 'America/Chicago',
      clientLabel: 'pseudonym',
      pseudonym: (clientId) => `P-${clientId}`,
      activeWeeks: 8,
      responseRateWeeks: 4,
      trendLinkFor: async (therapistId, clientId) => (links.push(`${therapistId}/${clientId}`), `https://feedback.practice.example/t/${clientId}`),
      claimLeaseSeconds: 60,
    };
    return { store, mailer, deps, links };
  };

  it('sends the active clients once to the directory’s address; a redelivery sends nothing', async () => {
    const { mailer, deps, links } = setup();
    expect(await sendDigest({ therapistId: 't-1', digestId: 'week-2026-W50' }, deps)).toMatchObject({ outcome: 'sent', clients: 1 });
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.to).toBe('lee@practice.example');
    expect(mailer.sent[0]!.text).toContain('Client P-c-1');
    // c-2's last session is more than 8 weeks old: no longer active.
    expect(mailer.sent[0]!.text).not.toContain('P-c-2');
    expect(mailer.sent[0]!.text).toContain('Trend: https://feedback.practice.example/t/c-1');
    expect(links).toEqual(['t-1/c-1']);
    expect(await sendDigest({ therapistId: 't-1', digestId: 'week-2026-W50' }, deps)).toMatchObject({ outcome: 'already-sent' });
    expect(mailer.sent).toHaveLength(1);
  });

  it('names clients by EHR id only when the practice chose it, and has no links without a trend page', async () => {
    const { mailer, deps } = setup();
    await sendDigest({ therapistId: 't-1', digestId: 'w' }, { ...deps, clientLabel: 'clientId', trendLinkFor: NO_TREND_LINKS });
    expect(mailer.sent[0]!.text).toContain('client c-1 — steady');
    expect(mailer.sent[0]!.html).not.toContain('<a ');
  });

  it('sends nothing to an unregistered therapist, one who turned it off, or one without active clients', async () => {
    for (const [read, outcome] of [
      [{ therapist: undefined }, 'not-registered'],
      [{ therapist: { ...therapist, digest: 'off' as const } }, 'digest-off'],
      [{ caseload: [entry('c-2', '2026-10-01T23:00:00Z')] as CaseloadEntry[] }, 'no-active-clients'],
    ] as const) {
      const { mailer, deps, store } = setup(read);
      expect(await sendDigest({ therapistId: 't-1', digestId: 'w' }, deps)).toMatchObject({ outcome });
      expect(mailer.sent).toHaveLength(0);
      expect(store.claims.size).toBe(0);
    }
  });

  it('gives the claim back when the email could not be sent, so the retry sends it', async () => {
    const { mailer, deps } = setup();
    mailer.failNext = 1;
    await expect(sendDigest({ therapistId: 't-1', digestId: 'w' }, deps)).rejects.toThrow(/sending rate/);
    expect(await sendDigest({ therapistId: 't-1', digestId: 'w' }, deps)).toMatchObject({ outcome: 'sent' });
    expect(mailer.sent).toHaveLength(1);
  });

  it('retries while another attempt holds the claim', async () => {
    const { store, deps } = setup();
    store.claims.set('t-1/w', 'in-progress');
    await expect(sendDigest({ therapistId: 't-1', digestId: 'w' }, deps)).rejects.toThrow(/another attempt/);
  });
});
