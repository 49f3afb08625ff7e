/**
 * The therapist's alert: one email per (session, kind), rendered from the stored evaluation and
 * session only (the acknowledgement is acknowledge-alert.ts).
 */
import { pompToAnswer, pompToTotal } from '../domain/detector/scale.ts';
import type { Instrument } from '../domain/instruments.ts';
import { mailTags } from '../domain/mail-tags.ts';
import { renderAlertEmail, type AlertEmailInput } from '../domain/templates/alert-email.ts';
import { leadingAlertKind, type AlertKind, type AllianceRuptureDetectedDetail } from '../events/contracts.ts';
import type { AlertSession, AlertStore, Clock, Mailer, TokenFactory } from './ports.ts';

export interface AlertSettings {
  /** Show the client's first name in alerts (off by default: emails travel further than the table). */
  alertShowsFirstName: boolean;
  /** Include the client's comment in alerts. */
  alertIncludesComment: boolean;
}

export interface SendAlertDeps {
  store: AlertStore;
  mailer: Mailer;
  clock: Clock;
  tokens: TokenFactory;
  settings: AlertSettings;
  practiceName: string;
  /** Base URL of the web pages (the acknowledge link lives there). */
  webBaseUrl: string;
  instrument: (instrumentId: string) => Instrument | undefined;
  claimLeaseSeconds: number;
}

export type AlertOutcome =
  | 'sent'
  | 'already-sent'
  | 'in-progress'
  /** The session is not stored (erased, or the event is forged): nothing sent. */
  | 'unknown-session'
  /** No stored evaluation of the session leads with this kind (the event is forged or stale): nothing sent. */
  | 'not-raised';

/**
 * Emails the therapist one alert for (session, kind); duplicates of the event send nothing. The
 * event only says which session to look at: the email is rendered from the stored evaluation and
 * session alone, and only when that evaluation raised this very alert.
 */
export async function sendAlert(detail: AllianceRuptureDetectedDetail, deps: SendAlertDeps): Promise<AlertOutcome> {
  const session = await deps.store.getSession(detail.sessionId);
  if (!session) return 'unknown-session';
  const raised = raisedAlert(session);
  if (raised?.kind !== detail.kind) return 'not-raised';
  const now = deps.clock.now();
  const { token, hash } = deps.tokens.create();
  const claim = await deps.store.claimAlert({ sessionId: session.sessionId, clientId: session.clientId, kind: raised.kind, ackTokenHash: hash, now, leaseSeconds: deps.claimLeaseSeconds });
  if (!claim.claimed) return claim.reason === 'sent' ? 'already-sent' : 'in-progress';

  let sent = false;
  try {
    const email = renderAlertEmail(alertEmailInput(raised, session, deps, `${deps.webBaseUrl}/a/${token}`));
    // Tagged with the client only to say whose alert bounced; a bounce here is the therapist's address.
    await deps.mailer.send({ to: session.therapist.email, ...email, tags: mailTags('alert', session.clientId) });
    sent = true;
    await deps.store.saveAlertLink(hash, {
      sessionId: session.sessionId,
      clientId: session.clientId,
      therapistId: session.therapistId,
      kind: raised.kind,
      sentAt: now.toISOString(),
    });
    return 'sent';
  } catch (error) {
    if (!sent) await deps.store.releaseAlert(session.sessionId, raised.kind).catch(() => undefined);
    throw error;
  }
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

function alertEmailInput(raised: RaisedAlert, session: AlertSession, deps: SendAlertDeps, acknowledgeUrl: string): AlertEmailInput {
  const base: AlertEmailInput = {
    kind: raised.kind,
    alsoFired: raised.alsoFired.length > 0 ? raised.alsoFired : undefined,
    practiceName: deps.practiceName,
    clientId: session.clientId,
    clientFirstName: deps.settings.alertShowsFirstName ? session.client.firstName : undefined,
    sessionId: session.sessionId,
    sessionEndedAt: session.endedAt,
    reason: raised.reason,
    items: [],
    trend: [],
    clientAskedToTalk: (session.answer?.talk ?? false) || raised.alsoFired.includes('client-asked'),
    comment: deps.settings.alertIncludesComment ? session.answer?.comment : undefined,
    acknowledgeUrl,
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

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
