/**
 * The therapist's alert: one email per (session, kind) and recipient, rendered from the stored
 * evaluation and session only (the acknowledgement is acknowledge-alert.ts). Who receives it is
 * ../domain/alert-recipients.ts: the therapist, or their covering clinician instead while they are
 * covered, and their supervisor's copy on the kinds chosen.
 */
import { pompToAnswer, pompToTotal } from '../domain/detector/scale.ts';
import type { Instrument } from '../domain/instruments.ts';
import { chooseRecipients, type AlertRecipient, type IgnoredRecipient } from '../domain/alert-recipients.ts';
import { mailTags } from '../domain/mail-tags.ts';
import { renderUnregisteredTherapistNotice } from '../domain/templates/admin-notice.ts';
import { renderAlertEmail, type AlertEmailInput } from '../domain/templates/alert-email.ts';
import { leadingAlertKind, type AlertKind, type AllianceRuptureDetectedDetail } from '../events/contracts.ts';
import { issueTrendLink, trendLinkPath, type TrendLinkDeps } from './trend-link.ts';
import type { AlertSession, AlertStore, ClientHistoryStore, Clock, Mailer, ResponseCounter, TherapistDirectory, TokenFactory, WaitingAlertStore } from './ports.ts';

/** How the alert's subject names the client (ALERT_SETTINGS.alertClientLabel). */
export type AlertClientLabel = 'pseudonym' | 'clientId' | 'firstName';

export interface AlertSettings {
  /** How the subject names the client: a pseudonym (default), the EHR id, or the first name when the session has one. */
  alertClientLabel: AlertClientLabel;
  /** Show the client's first name in alerts (off by default: emails travel further than the table). */
  alertShowsFirstName: boolean;
  /** Include the client's comment in alerts. */
  alertIncludesComment: boolean;
  /** Email the therapist the unrepaired escalation too (off: their weekly digest shows it). */
  unrepairedEmailsTherapist: boolean;
}

export interface SendAlertDeps {
  store: AlertStore;
  mailer: Mailer;
  clock: Clock;
  tokens: TokenFactory;
  settings: AlertSettings;
  practiceName: string;
  /** The practice's IANA zone: a therapist without one of their own in the directory reads dates in it. */
  practiceTimeZone: string;
  /** Base URL of the web pages (the acknowledge link lives there). */
  webBaseUrl: string;
  instrument: (instrumentId: string) => Instrument | undefined;
  /** The client's short pseudonym ("K7Q-3PF"), keyed by the deployment (shared/adapters/client-pseudonym.ts). */
  pseudonym: (clientId: string) => string;
  claimLeaseSeconds: number;
  /** The only source of the therapist's address: the session's (from the event) is never mailed. */
  therapists: TherapistDirectory;
  /** Where an alert for an unregistered therapist waits. */
  waiting: WaitingAlertStore;
  /** The practice administrator, told once per unregistered therapist; without it the alert still waits. */
  adminEmail: string | undefined;
  /** Told when routing names a clinician who gets nothing (ids and the reason only, no personal data). */
  onIgnoredRecipient?: ((ignored: IgnoredRecipient & { sessionId: string; kind: AlertKind }) => void) | undefined;
  /** The therapist's alert counters (their response rate in the weekly digest): alerts to the therapist themselves only. */
  responses?: ResponseCounter | undefined;
  /** The client's history: the alert's sending shows on the trend page; none: not marked. */
  history?: ClientHistoryStore | undefined;
  /** Issues each recipient's link to the client's trend page (their own, for their role); none: the email has no trend link. */
  trendLinks?: TrendLinkDeps | undefined;
}

export type AlertOutcome =
  | 'sent'
  | 'already-sent'
  | 'in-progress'
  /** The session is not stored (erased, or the event is forged): nothing sent. */
  | 'unknown-session'
  /** No stored evaluation of the session leads with this kind (the event is forged or stale): nothing sent. */
  | 'not-raised'
  /** The therapist is not in the directory: the alert waits for them (waiting-alert item), nothing sent. */
  | 'awaiting-therapist'
  /** Nobody is emailed: an unrepaired escalation the therapist reads in their weekly digest, and no supervisor is copied. */
  | 'digest-only';

/**
 * Emails the therapist one alert for (session, kind); duplicates of the event send nothing. The
 * event only says which session to look at: the email is rendered from the stored evaluation and
 * session alone, and only when that evaluation raised this very alert.
 */
export async function sendAlert(detail: AllianceRuptureDetectedDetail, deps: SendAlertDeps): Promise<AlertOutcome> {
  return sendStoredAlert(detail, deps);
}

/** Sends the alert (session, kind) from the stored records alone: what the event and a release share. */
async function sendStoredAlert(detail: { sessionId: string; kind: AlertKind }, deps: SendAlertDeps): Promise<AlertOutcome> {
  const session = await deps.store.getSession(detail.sessionId);
  if (!session) return 'unknown-session';
  const raised = raisedAlert(session);
  if (raised?.kind !== detail.kind) return 'not-raised';
  const now = deps.clock.now();
  // The alert carries the client's history: only ever to the address the practice registered.
  let therapist = await deps.therapists.find(session.therapistId);
  if (therapist === undefined) {
    const waiting = { therapistId: session.therapistId, clientId: session.clientId, sessionId: session.sessionId, kind: raised.kind, waitingSince: now.toISOString() };
    await deps.waiting.wait(waiting);
    // Looked up again once the alert waits: a registration whose release queried the waiting
    // alerts before this one was written would otherwise leave it waiting until the next one.
    therapist = await deps.therapists.find(session.therapistId);
    if (therapist === undefined) {
      await noticeOnce(session.therapistId, deps);
      return 'awaiting-therapist';
    }
    await deps.waiting.forget(waiting);
  }
  const supervisor = therapist.supervisorId === undefined ? undefined : await deps.therapists.find(therapist.supervisorId);
  const covering = therapist.covering === undefined ? undefined : await deps.therapists.find(therapist.covering.therapistId);
  // A covering range's days are the practice's days.
  const routing = chooseRecipients({
    therapist,
    supervisor,
    covering,
    kind: raised.kind,
    now,
    timeZone: deps.practiceTimeZone,
    unrepairedEmailsTherapist: deps.settings.unrepairedEmailsTherapist,
  });
  for (const ignored of routing.ignored) deps.onIgnoredRecipient?.({ ...ignored, sessionId: session.sessionId, kind: raised.kind });
  // The trend page then says where the therapist reads it (a supervisor's copy is not theirs). Not
  // swallowed, unlike the sent mark: nothing is sent yet, and the queue's retry marks it again.
  if (routing.digestOnly) await deps.history?.markAlertInDigest({ clientId: session.clientId, sessionId: session.sessionId, endedAt: session.endedAt }, raised.kind, now.toISOString());
  // One claim per recipient slot: each gets this alert once, and a redelivery sends nothing again.
  const outcomes: AlertOutcome[] = [];
  for (const recipient of routing.recipients) outcomes.push(await sendToRecipient(recipient, raised, session, now, deps));
  if (outcomes.length === 0) return 'digest-only';
  if (outcomes.includes('sent')) return 'sent';
  return outcomes.includes('in-progress') ? 'in-progress' : 'already-sent';
}

/** Claims, sends and records one recipient's email of the alert. */
async function sendToRecipient(recipient: AlertRecipient, raised: RaisedAlert, session: AlertSession, now: Date, deps: SendAlertDeps): Promise<AlertOutcome> {
  const { token, hash } = deps.tokens.create();
  const claim = await deps.store.claimAlert({ sessionId: session.sessionId, clientId: session.clientId, kind: raised.kind, slot: recipient.slot, ackTokenHash: hash, now, leaseSeconds: deps.claimLeaseSeconds });
  if (!claim.claimed) {
    // Counting is idempotent (a set of alerts): a count lost to a failure after the send is made up here.
    if (claim.reason === 'sent' && recipient.role === 'therapist') await deps.responses?.alertSent(session.therapistId, { sessionId: session.sessionId, kind: raised.kind, sentAt: now.toISOString() });
    return claim.reason === 'sent' ? 'already-sent' : 'in-progress';
  }

  let sent = false;
  try {
    const timeZone = recipient.timeZone ?? deps.practiceTimeZone;
    // The recipient's own link (scoped to them and this client): revoking one clinician's links leaves the others'.
    const trendToken = deps.trendLinks
      ? await issueTrendLink({ therapistId: recipient.therapistId, clientId: session.clientId, recipientRole: recipient.role, now }, deps.trendLinks)
      : undefined;
    const email = renderAlertEmail({
      ...alertEmailInput(raised, session, deps, `${deps.webBaseUrl}/a/${token}`, timeZone),
      role: recipient.role,
      ...(trendToken === undefined ? {} : { trendUrl: `${deps.webBaseUrl}${trendLinkPath(trendToken)}` }),
    });
    // Tagged with the client only to say whose alert bounced; a bounce here is the recipient's (registered) address.
    await deps.mailer.send({ to: recipient.email, ...email, tags: mailTags('alert', session.clientId) });
    sent = true;
    await deps.store.saveAlertLink(hash, {
      sessionId: session.sessionId,
      clientId: session.clientId,
      therapistId: session.therapistId,
      kind: raised.kind,
      sentAt: now.toISOString(),
      sessionEndedAt: session.endedAt,
      timeZone,
      ...(recipient.role === 'therapist' ? {} : { recipientRole: recipient.role }),
    });
    if (recipient.role === 'therapist') await deps.responses?.alertSent(session.therapistId, { sessionId: session.sessionId, kind: raised.kind, sentAt: now.toISOString() });
    // The trend page shows when the responsible clinician was told (not the supervisor's copy). A
    // failed mark is not retried: the email is out and the row still shows the alert was raised.
    if (recipient.role !== 'supervisor') {
      await deps.history?.markAlertSent({ clientId: session.clientId, sessionId: session.sessionId, endedAt: session.endedAt }, raised.kind, now.toISOString()).catch(() => undefined);
    }
    return 'sent';
  } catch (error) {
    if (!sent) await deps.store.releaseAlert(session.sessionId, raised.kind, recipient.slot).catch(() => undefined);
    throw error;
  }
}

/**
 * Tells the administrator that alerts wait for this therapist, once per therapist however many
 * wait (their id and what to run only). A notice that fails to send gives its mark back, so the
 * queue's retry sends it (the waiting item, written before, is written again changing nothing).
 */
async function noticeOnce(therapistId: string, deps: SendAlertDeps): Promise<void> {
  if (deps.adminEmail === undefined) return;
  if (!(await deps.waiting.claimNotice(therapistId, deps.clock.now()))) return;
  try {
    const notice = renderUnregisteredTherapistNotice({ practiceName: deps.practiceName, therapistId });
    // Tagged as a notice, so a bounce of the administrator's address cannot loop back to a client.
    await deps.mailer.send({ to: deps.adminEmail, ...notice, tags: { purpose: 'notice' } });
  } catch (error) {
    await deps.waiting.releaseNotice(therapistId).catch(() => undefined);
    throw error;
  }
}

export type ReleaseOutcome = { released: number; inProgress: number } | 'not-registered';

/**
 * Sends the alerts that waited for a therapist, now registered (TherapistRegistered is only the
 * nudge: the directory and the stored evaluations decide). Each is sent as any alert is, once; an
 * alert whose session is gone (erased, past retention) or already sent is simply forgotten. An
 * alert another attempt is sending right now stays, and the event is retried.
 */
export async function releaseWaitingAlerts(therapistId: string, deps: SendAlertDeps): Promise<ReleaseOutcome> {
  if ((await deps.therapists.find(therapistId)) === undefined) return 'not-registered';
  let released = 0;
  let inProgress = 0;
  let stillWaiting = 0;
  for (const alert of await deps.waiting.waitingFor(therapistId)) {
    const outcome = await sendStoredAlert(alert, deps);
    if (outcome === 'in-progress') inProgress += 1;
    // Removed again meanwhile: it keeps waiting for the next registration.
    if (outcome === 'in-progress' || outcome === 'awaiting-therapist') {
      stillWaiting += 1;
      continue;
    }
    await deps.waiting.forget(alert);
    if (outcome === 'sent') released += 1;
  }
  // The next time this therapist is missing (removed, say), the administrator hears of it again.
  if (stillWaiting === 0) await deps.waiting.releaseNotice(therapistId);
  return { released, inProgress };
}

/** The alert the stored evaluation raised, as evaluate announces it: the leading kind, the others, and why. */
interface RaisedAlert {
  kind: AlertKind;
  alsoFired: AlertKind[];
  reason: string;
}

function raisedAlert(session: AlertSession): RaisedAlert | undefined {
  const stored = session.evaluation;
  if (!stored) return undefined;
  const { alerts, reason } = stored.kind === 'answered' ? stored.evaluation : stored.outcome;
  const kinds = alerts.map((alert) => alert.kind);
  const kind = leadingAlertKind(kinds);
  return kind === undefined ? undefined : { kind, alsoFired: kinds.filter((other) => other !== kind), reason };
}

function alertEmailInput(raised: RaisedAlert, session: AlertSession, deps: SendAlertDeps, acknowledgeUrl: string, timeZone: string): AlertEmailInput {
  const base: AlertEmailInput = {
    kind: raised.kind,
    alsoFired: raised.alsoFired.length > 0 ? raised.alsoFired : undefined,
    practiceName: deps.practiceName,
    clientId: session.clientId,
    clientLabel: clientLabel(session, deps),
    clientFirstName: deps.settings.alertShowsFirstName ? session.client.firstName : undefined,
    sessionId: session.sessionId,
    sessionEndedAt: session.endedAt,
    reason: raised.reason,
    items: [],
    trend: [],
    clientAskedToTalk: (session.answer?.talk ?? false) || raised.alsoFired.includes('client-asked'),
    comment: deps.settings.alertIncludesComment ? session.answer?.comment : undefined,
    hasComment: (session.answer?.comment ?? '').trim() !== '',
    acknowledgeUrl,
    timeZone,
  };
  const stored = session.evaluation;
  if (stored?.kind !== 'answered') return base;
  const instrument = deps.instrument(stored.instrumentId);
  if (!instrument) return base;
  const { evaluation } = stored;
  const max = instrument.items.length * instrument.max;
  const chart = stored.chart;
  const itemMean = (index: number): number | undefined => chart?.itemMeans?.[index];

  return {
    ...base,
    total: {
      value: pompToTotal(instrument, evaluation.p),
      max,
      usualMean: evaluation.m !== null ? pompToTotal(instrument, evaluation.m) : undefined,
      usualSpread: evaluation.sEff !== null ? (evaluation.sEff / 100) * (max - instrument.items.length * instrument.min) : undefined,
    },
    items: instrument.items.map((item, index) => {
      const mean = evaluation.m !== null ? itemMean(index) : undefined;
      return {
        label: item.shortLabel.en,
        value: session.answer?.items[item.id] ?? pompToAnswer(instrument, item, evaluation.items[item.id] ?? 0),
        max: instrument.max,
        usualMean: mean !== undefined ? round1(pompToAnswer(instrument, item, mean)) : undefined,
      };
    }),
    mostMoved: evaluation.mostMovedComponent
      ? instrument.items.find((item) => item.id === evaluation.mostMovedComponent?.itemId)?.shortLabel.en
      : undefined,
    trend: (chart?.trend ?? []).map((point) => ({
      endedAt: point.endedAt,
      total: round1(pompToTotal(instrument, point.p)),
      current: point.endedAt === evaluation.endedAt,
    })),
    band:
      evaluation.m !== null && evaluation.sEff !== null
        ? { low: round1(pompToTotal(instrument, Math.max(0, evaluation.m - evaluation.sEff))), high: round1(pompToTotal(instrument, Math.min(100, evaluation.m + evaluation.sEff))) }
        : undefined,
  };
}

/** The subject's name for the client: the practice's choice; a first name only when the session has one (else the pseudonym). */
export function clientLabel(session: Pick<AlertSession, 'clientId' | 'client'>, deps: Pick<SendAlertDeps, 'settings' | 'pseudonym'>): string {
  const mode = deps.settings.alertClientLabel;
  if (mode === 'clientId') return `client ${session.clientId}`;
  const firstName = session.client.firstName?.trim();
  if (mode === 'firstName' && firstName) return firstName;
  return `Client ${deps.pseudonym(session.clientId)}`;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
