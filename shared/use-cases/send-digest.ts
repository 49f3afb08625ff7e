/**
 * The therapist's weekly digest. The hourly dispatch (dispatchDigests) lists the directory from its
 * index and announces DigestTimeReached for each therapist whose local time is the digest's day and hour;
 * the digest function (sendDigest) reads that therapist's partition in ONE query — their entry,
 * their caseload summaries, their response counters — and sends one email, once per digestId.
 *
 * Only a registered therapist, with the digest on, with at least one active client gets one, at the
 * directory's address, with a link to each client's trend page (TrendLinkFor: the digest function
 * issues the therapist's own link, trend-link.ts).
 */
import { caseloadStatus, isActive, responseRate, type CaseloadEntry } from '../domain/caseload.ts';
import { dueDigestId, type DigestDay } from '../domain/digest-schedule.ts';
import { mailTags } from '../domain/mail-tags.ts';
import { renderDigestEmail, type DigestClient } from '../domain/templates/digest-email.ts';
import { DigestTimeReached, type DigestTimeReachedDetail } from '../events/contracts.ts';
import type { AlertClientLabel } from './send-alert.ts';
import type { Clock, DigestRoster, DigestStore, EventPublisher, Mailer } from './ports.ts';

/**
 * The trend page's signed link for one therapist and one client (issued when the digest is sent),
 * or undefined for none (NO_TREND_LINKS: tests of the email without links).
 */
export type TrendLinkFor = (therapistId: string, clientId: string, now: Date) => Promise<string | undefined>;

/** No trend links: the digest's rows without the link (its tests). */
export const NO_TREND_LINKS: TrendLinkFor = async () => undefined;

export interface DigestSchedule {
  digestDay: DigestDay;
  digestHour: number;
}

export interface DispatchDeps {
  roster: DigestRoster;
  publisher: EventPublisher;
  clock: Clock;
  schedule: DigestSchedule;
  practiceTimeZone: string;
}

export interface DispatchReport {
  /** Therapists in the directory. */
  therapists: number;
  /** Therapists whose digest was announced this hour (ids only). */
  due: string[];
  /** Therapists who turned the digest off. */
  off: number;
}

/**
 * Announces DigestTimeReached for every therapist whose local time is the digest's day and hour. Run every
 * hour: each therapist's hour comes once a week (a redelivered or repeated run announces the same
 * digestId again, which the digest sends once).
 */
export async function dispatchDigests(deps: DispatchDeps): Promise<DispatchReport> {
  const now = deps.clock.now();
  const therapists = await deps.roster.list();
  const report: DispatchReport = { therapists: therapists.length, due: [], off: 0 };
  const due: DigestTimeReachedDetail[] = [];
  for (const therapist of therapists) {
    if (therapist.digest === 'off') {
      report.off += 1;
      continue;
    }
    const digestId = dueDigestId(now, therapist.timeZone ?? deps.practiceTimeZone, deps.schedule);
    if (digestId !== undefined) due.push({ therapistId: therapist.therapistId, digestId });
  }
  // A few at a time: thousands of therapists in one zone are announced in seconds, within PutEvents' limits.
  for (let start = 0; start < due.length; start += 10) {
    await Promise.all(due.slice(start, start + 10).map((detail) => deps.publisher.publish(DigestTimeReached, detail)));
    report.due.push(...due.slice(start, start + 10).map((detail) => detail.therapistId));
  }
  return report;
}

export interface SendDigestDeps {
  store: DigestStore;
  mailer: Mailer;
  clock: Clock;
  practiceName: string;
  practiceTimeZone: string;
  /** How clients are named: the alert's setting (a first name is never in the digest: `firstName` gives the pseudonym). */
  clientLabel: AlertClientLabel;
  pseudonym: (clientId: string) => string;
  activeWeeks: number;
  responseRateWeeks: number;
  trendLinkFor: TrendLinkFor;
  claimLeaseSeconds: number;
}

export type DigestOutcome =
  | { outcome: 'sent'; clients: number; readUnits?: number | undefined }
  | { outcome: 'not-registered' | 'digest-off' | 'no-active-clients' | 'already-sent' | 'in-progress'; readUnits?: number | undefined };

/** Sends one therapist's digest once per digestId (a redelivered message finds it sent). */
export async function sendDigest(detail: DigestTimeReachedDetail, deps: SendDigestDeps): Promise<DigestOutcome> {
  const now = deps.clock.now();
  const read = await deps.store.read(detail.therapistId);
  const readUnits = read.readUnits;
  const therapist = read.therapist;
  if (!therapist) return { outcome: 'not-registered', readUnits };
  if (therapist.digest === 'off') return { outcome: 'digest-off', readUnits };
  const active = read.caseload.filter((entry) => isActive(entry, now, deps.activeWeeks));
  if (active.length === 0) return { outcome: 'no-active-clients', readUnits };

  const claim = await deps.store.claim(detail.therapistId, detail.digestId, now, deps.claimLeaseSeconds);
  if (claim === 'sent') return { outcome: 'already-sent', readUnits };
  if (claim === 'in-progress') throw new Error(`digest ${detail.digestId} of therapist ${detail.therapistId} is being sent by another attempt; retrying`);
  let sent = false;
  try {
    const clients = await Promise.all(active.map(async (entry) => digestClient(entry, await deps.trendLinkFor(detail.therapistId, entry.clientId, now), deps)));
    const rate = responseRate(read.responseWeeks, now, deps.responseRateWeeks);
    const email = renderDigestEmail({
      practiceName: deps.practiceName,
      therapistName: therapist.name,
      sentAt: now,
      timeZone: therapist.timeZone ?? deps.practiceTimeZone,
      clients,
      ...(rate ? { responseRate: { sent: rate.sent, acknowledged: rate.acknowledged } } : {}),
      responseRateWeeks: deps.responseRateWeeks,
      activeWeeks: deps.activeWeeks,
    });
    await deps.mailer.send({ to: therapist.email, ...email, tags: mailTags('digest') });
    sent = true;
    await deps.store.markSent(detail.therapistId, detail.digestId, now);
    return { outcome: 'sent', clients: clients.length, readUnits };
  } catch (error) {
    if (!sent) await deps.store.release(detail.therapistId, detail.digestId).catch(() => undefined);
    throw error;
  }
}

function digestClient(entry: CaseloadEntry, trendUrl: string | undefined, deps: Pick<SendDigestDeps, 'clientLabel' | 'pseudonym'>): DigestClient {
  return {
    label: deps.clientLabel === 'clientId' ? `client ${entry.clientId}` : `Client ${deps.pseudonym(entry.clientId)}`,
    status: caseloadStatus(entry),
    ...(entry.lastScore ? { lastScore: entry.lastScore } : {}),
    max: entry.max,
    totals: entry.totals,
    ...(entry.band ? { band: entry.band } : {}),
    commentsWaiting: entry.commentSessions.length,
    openAlerts: entry.openAlerts.length,
    expiredInARow: entry.expiredInARow,
    ...(trendUrl ? { trendUrl } : {}),
  };
}
