/**
 * The caseload summary the weekly digest reads: the status a therapist sees, who counts as active,
 * the response rate, and the evaluation's one write per evaluated session (with a fake store).
 */
import { describe, expect, it } from 'vitest';
import { caseloadStatus, isActive, isoWeek, responseRate, summaryFromState, type CaseloadEntry } from '../../../shared/domain/caseload.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../../shared/domain/detector/settings.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import { initialClientState } from '../../../shared/domain/detector/state.ts';
import type { FeedbackSubmittedDetail } from '../../../shared/events/contracts.ts';
import { evaluateAnswer, evaluateExpiry, type EvaluateDeps } from '../../../shared/use-cases/evaluate-feedback.ts';
import type { CaseloadStore, CaseloadWrite } from '../../../shared/use-cases/ports.ts';
import { FakeDetectorStore, FakePublisher } from '../../support/fakes.ts';

const base = { openAlerts: [], expiredInARow: 0, quietAfterExpired: 2, repairOpen: false, lastState: 'normal' as const, unrepairedSessions: [] };

describe('caseloadStatus', () => {
  it('names the most urgent status that holds', () => {
    expect(caseloadStatus(base)).toBe('steady');
    expect(caseloadStatus({ ...base, lastState: 'watch' })).toBe('watch');
    expect(caseloadStatus({ ...base, lastState: 'watch', expiredInARow: 1 })).toBe('not-answering');
    expect(caseloadStatus({ ...base, repairOpen: true, expiredInARow: 1 })).toBe('not-repaired');
    expect(caseloadStatus({ ...base, lastState: 'unrepaired' })).toBe('not-repaired');
    // An escalation the therapist was not emailed stays until they open the trend page, whatever came since.
    expect(caseloadStatus({ ...base, unrepairedSessions: ['s-9'] })).toBe('not-repaired');
    expect(caseloadStatus({ ...base, repairOpen: true, expiredInARow: 2 })).toBe('gone-quiet');
    expect(caseloadStatus({ ...base, openAlerts: ['s-1'], expiredInARow: 3 })).toBe('alert-open');
  });
});

describe('isActive', () => {
  it('counts a client whose last session is within the active weeks', () => {
    const now = new Date('2026-12-07T07:00:00Z');
    expect(isActive({ lastSessionAt: '2026-10-13T07:00:00Z' }, now, 8)).toBe(true);
    expect(isActive({ lastSessionAt: '2026-10-12T06:59:00Z' }, now, 8)).toBe(false);
  });
});

describe('responseRate', () => {
  it('sums the weeks within the period and ignores older ones', () => {
    const now = new Date('2026-12-07T07:00:00Z');
    expect(isoWeek(now)).toBe('2026-W50');
    expect(isoWeek(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    const weeks = [
      { week: '2026-W50', sent: 1, acknowledged: 0 },
      { week: '2026-W47', sent: 3, acknowledged: 3 },
      { week: '2026-W46', sent: 5, acknowledged: 0 },
    ];
    expect(responseRate(weeks, now, 4)).toEqual({ sent: 4, acknowledged: 3, rate: 0.75 });
    expect(responseRate([{ week: '2026-W40', sent: 2, acknowledged: 1 }], now, 4)).toBeUndefined();
  });
});

describe('summaryFromState', () => {
  it('turns the trend into raw totals and the baseline into the usual band', () => {
    const state = { ...initialClientState(DEFAULT_INSTRUMENT), trend: [{ endedAt: '2026-11-01T10:00:00Z', p: 90 }, { endedAt: '2026-11-08T10:00:00Z', p: 50 }], lastState: 'alert' as const };
    const summary = summaryFromState(state, { max: 40, toTotal: (p) => (p / 100) * 40 }, { m: 90, sEff: 5 });
    expect(summary).toMatchObject({ max: 40, totals: [36, 20], lastScore: { total: 20, endedAt: '2026-11-08T10:00:00Z' }, lastState: 'alert', band: { low: 34, high: 38 } });
  });
});

/** The store's semantics in memory: the summary only from a newer version; the marks as sets. */
class FakeCaseloadStore implements CaseloadStore {
  entries = new Map<string, CaseloadEntry>();
  writes = 0;
  removed: string[] = [];
  async record(write: CaseloadWrite, _now: Date, options: { addMarksIfStale: boolean }) {
    this.writes += 1;
    const key = `${write.therapistId}/${write.clientId}`;
    const old = this.entries.get(key);
    const { openAlert, comment, unrepaired, ...summary } = write;
    const marks = (entry: CaseloadEntry) => ({
      ...entry,
      openAlerts: [...new Set([...entry.openAlerts, ...(openAlert ? [openAlert] : [])])],
      commentSessions: [...new Set([...entry.commentSessions, ...(comment ? [comment] : [])])],
      unrepairedSessions: [...new Set([...entry.unrepairedSessions, ...(unrepaired ? [unrepaired] : [])])],
    });
    if (!old || old.detectorVersion < write.detectorVersion) {
      this.entries.set(key, marks({ ...summary, openAlerts: old?.openAlerts ?? [], commentSessions: old?.commentSessions ?? [], unrepairedSessions: old?.unrepairedSessions ?? [] }));
    }
    else if (options.addMarksIfStale) this.entries.set(key, marks(old));
  }
  async remove(therapistId: string, clientId: string) {
    this.removed.push(`${therapistId}/${clientId}`);
    this.entries.delete(`${therapistId}/${clientId}`);
  }
  async closeAlert(therapistId: string, clientId: string, sessionId: string) {
    const entry = this.entries.get(`${therapistId}/${clientId}`);
    if (entry) entry.openAlerts = entry.openAlerts.filter((id) => id !== sessionId);
  }
  async markTrendViewed(therapistId: string, clientId: string) {
    const entry = this.entries.get(`${therapistId}/${clientId}`);
    if (entry) {
      entry.commentSessions = [];
      entry.unrepairedSessions = [];
    }
  }
}

function answered(store: FakeDetectorStore, sessionId: string, total: number, endedAt: string, options: { talk?: boolean; commented?: boolean; therapistId?: string } = {}): FeedbackSubmittedDetail {
  const value = total / 4;
  const items = { relationship: value, goals: value, approach: value, overall: value };
  const submittedAt = new Date(Date.parse(endedAt) + 3_600_000).toISOString();
  const therapistId = options.therapistId ?? 't-1';
  store.sessions.set(sessionId, { sessionId, clientId: 'c-1', therapistId, endedAt, answer: { instrumentId: DEFAULT_INSTRUMENT.id, items, talk: options.talk ?? false, submittedAt, ...(options.commented ? { commented: true } : {}) } });
  return { sessionId, clientId: 'c-1', therapistId, instrumentId: DEFAULT_INSTRUMENT.id, items, talk: options.talk ?? false, hasComment: options.commented ?? false, submittedAt };
}

describe('the evaluation keeps the caseload summary', () => {
  const setup = () => {
    const store = new FakeDetectorStore();
    const caseload = new FakeCaseloadStore();
    const deps: EvaluateDeps = { store, publisher: new FakePublisher(), settings: DEFAULT_DETECTOR_SETTINGS, instrument: () => DEFAULT_INSTRUMENT, caseload };
    return { store, caseload, deps };
  };

  it('writes once per answer: last score, totals, band, comments and the open alert', async () => {
    const { store, caseload, deps } = setup();
    for (let week = 1; week <= 5; week++) await evaluateAnswer(answered(store, `s-${week}`, 36, `2026-10-0${week}T10:00:00Z`, { commented: week === 2 }), deps);
    expect(caseload.writes).toBe(5);
    let entry = caseload.entries.get('t-1/c-1')!;
    expect(entry).toMatchObject({ lastScore: { total: 36 }, totals: [36, 36, 36, 36, 36], max: 40, commentSessions: ['s-2'], openAlerts: [] });
    expect(entry.band).toBeDefined();
    expect(caseloadStatus(entry)).toBe('steady');

    await evaluateAnswer(answered(store, 's-6', 12, '2026-10-06T10:00:00Z', { talk: true }), deps);
    entry = caseload.entries.get('t-1/c-1')!;
    expect(entry.lastScore).toEqual({ total: 12, endedAt: '2026-10-06T10:00:00Z' });
    expect(entry.openAlerts).toEqual(['s-6']);
    expect(entry.commentSessions).toEqual(['s-2', 's-6']);
    expect(caseloadStatus(entry)).toBe('alert-open');

    // A redelivered event writes nothing twice and does not reopen an acknowledged alert.
    await caseload.closeAlert('t-1', 'c-1', 's-6');
    await evaluateAnswer(answered(store, 's-6', 12, '2026-10-06T10:00:00Z', { talk: true }), deps);
    expect(caseload.entries.get('t-1/c-1')!.openAlerts).toEqual([]);
  });

  it('counts expiries towards not answering and gone quiet', async () => {
    const { store, caseload, deps } = setup();
    await evaluateAnswer(answered(store, 's-1', 36, '2026-10-01T10:00:00Z'), deps);
    for (const [index, endedAt] of ['2026-10-08T10:00:00Z', '2026-10-15T10:00:00Z'].entries()) {
      store.sessions.set(`x-${index}`, { sessionId: `x-${index}`, clientId: 'c-1', therapistId: 't-1', endedAt, expiredAt: endedAt });
      await evaluateExpiry({ sessionId: `x-${index}`, clientId: 'c-1', therapistId: 't-1', expiredAt: endedAt } as never, deps, DEFAULT_INSTRUMENT.id);
      expect(caseloadStatus(caseload.entries.get('t-1/c-1')!)).toBe(index === 0 ? 'not-answering' : 'alert-open');
    }
    const entry = caseload.entries.get('t-1/c-1')!;
    expect(entry.lastSessionAt).toBe('2026-10-15T10:00:00Z');
    expect(entry.expiredInARow).toBe(2);
    await caseload.closeAlert('t-1', 'c-1', 'x-1');
    expect(caseloadStatus(caseload.entries.get('t-1/c-1')!)).toBe('gone-quiet');
  });

  it('keeps an unrepaired escalation the therapist was not emailed out of the open alerts, and shows it until they open the trend page', async () => {
    const { store, caseload, deps } = setup();
    const totals = [38, 38, 39, 38, 38, 28, 29, 29, 29, 29, 29];
    for (const [index, total] of totals.entries()) await evaluateAnswer(answered(store, `s-${index + 1}`, total, `2026-10-${String(index + 1).padStart(2, '0')}T10:00:00Z`), deps);
    // s-6 raised the rupture (open until acknowledged from its email); s-10 the escalation; s-11 is after it.
    const entry = caseload.entries.get('t-1/c-1')!;
    expect(entry.openAlerts).toEqual(['s-6']);
    expect(entry.unrepairedSessions).toEqual(['s-10']);
    await caseload.closeAlert('t-1', 'c-1', 's-6');
    expect(caseloadStatus(caseload.entries.get('t-1/c-1')!)).toBe('not-repaired');

    await caseload.markTrendViewed('t-1', 'c-1');
    expect(caseloadStatus(caseload.entries.get('t-1/c-1')!)).not.toBe('not-repaired');
  });

  it('keeps the escalation an open alert when the practice emails it to the therapist', async () => {
    const { store, caseload, deps } = setup();
    deps.settings = { ...DEFAULT_DETECTOR_SETTINGS, unrepairedEmailsTherapist: true };
    const totals = [38, 38, 39, 38, 38, 28, 29, 29, 29, 29];
    for (const [index, total] of totals.entries()) await evaluateAnswer(answered(store, `s-${index + 1}`, total, `2026-10-${String(index + 1).padStart(2, '0')}T10:00:00Z`), deps);
    expect(caseload.entries.get('t-1/c-1')).toMatchObject({ openAlerts: ['s-6', 's-10'], unrepairedSessions: [] });
  });

  it('moves a client who changed therapist out of the old caseload', async () => {
    const { store, caseload, deps } = setup();
    await evaluateAnswer(answered(store, 's-1', 36, '2026-10-01T10:00:00Z'), deps);
    await evaluateAnswer(answered(store, 's-2', 36, '2026-10-08T10:00:00Z', { therapistId: 't-2' }), deps);
    expect(caseload.removed).toEqual(['t-1/c-1']);
    expect([...caseload.entries.keys()]).toEqual(['t-2/c-1']);
  });
});
