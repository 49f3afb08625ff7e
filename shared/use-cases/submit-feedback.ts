/**
 * Use cases behind the form link: show the form (reads only, because email scanners open every
 * link), record the client's one answer (first valid post wins), and show the thank-you page.
 */
import { FeedbackSubmitted, type Locale } from '../events/contracts.ts';
import type { Instrument } from '../domain/instruments.ts';
import { parseFeedbackForm, type FieldError, type FormValues } from '../domain/form/parse-form.ts';
import type { Clock, EventPublisher } from './ports.ts';

/** A form link as the web function sees it: the token's record joined with its session's answer state. */
export interface FormLink {
  sessionId: string;
  clientId: string;
  therapistId: string;
  locale: Locale;
  expiresAt: string;
  /** The instrument the request chose, when it pinned one; otherwise the practice's current one. */
  instrumentId?: string | undefined;
  /** Set once the session has its answer (from this link or another link to the same session). */
  answeredAt?: string | undefined;
  /** Set once the session's expiry has been announced. */
  expiredAt?: string | undefined;
}

/** The answer as stored with the session. */
export interface StoredAnswer {
  instrumentId: string;
  items: Record<string, number>;
  talk: boolean;
  comment?: string | undefined;
  submittedAt: string;
}

export type RecordAnswerResult = { recorded: true } | { recorded: false; reason: 'answered' | 'expired' | 'not-found' };

export interface FeedbackStore {
  /** The link behind a token from a URL; undefined for a malformed or unknown token. Reads only. */
  findLink(token: string): Promise<FormLink | undefined>;
  /**
   * Records the session's one answer in one conditional write: only while the session has no
   * answer and the link has not expired, so of two racing posts (or two links) exactly one wins.
   */
  recordAnswer(link: FormLink, answer: StoredAnswer, now: Date): Promise<RecordAnswerResult>;
}

/** The instruments the form knows: the practice's current one and any an older link may name. */
export interface InstrumentCatalogue {
  active: Instrument;
  find(id: string): Instrument | undefined;
}

export interface FeedbackDeps {
  store: FeedbackStore;
  publisher: EventPublisher;
  clock: Clock;
  instruments: InstrumentCatalogue;
}

export type LinkClosed = { kind: 'not-found' } | { kind: 'answered'; locale: Locale } | { kind: 'expired'; locale: Locale };

export type FormView = LinkClosed | { kind: 'form'; locale: Locale; instrument: Instrument };

export type SubmitOutcome =
  | LinkClosed
  | { kind: 'invalid'; locale: Locale; instrument: Instrument; errors: readonly FieldError[]; values: FormValues }
  | { kind: 'submitted'; locale: Locale; sessionId: string; publishError?: unknown };

export type ThanksView = { kind: 'not-found' } | { kind: 'thanks'; locale: Locale } | { kind: 'not-answered' };

/** Whether a link still takes an answer: a stored answer wins over expiry, so the client is told their answer counted. */
function linkState(link: FormLink, now: Date): 'open' | 'answered' | 'expired' {
  if (link.answeredAt) return 'answered';
  // A malformed expiry counts as expired: a link that cannot say when it ends takes no answer.
  if (link.expiredAt || !(Date.parse(link.expiresAt) > now.getTime())) return 'expired';
  return 'open';
}

function instrumentFor(link: FormLink, catalogue: InstrumentCatalogue): Instrument {
  return (link.instrumentId && catalogue.find(link.instrumentId)) || catalogue.active;
}

/** Shows the form for a link, or why it cannot be answered; never changes anything. */
export async function openForm(token: string, deps: FeedbackDeps): Promise<FormView> {
  const link = await deps.store.findLink(token);
  if (!link) return { kind: 'not-found' };
  const state = linkState(link, deps.clock.now());
  if (state !== 'open') return { kind: state, locale: link.locale };
  return { kind: 'form', locale: link.locale, instrument: instrumentFor(link, deps.instruments) };
}

/**
 * Records a posted answer once and announces it as FeedbackSubmitted (without the comment text),
 * or says why not: closed link, or field errors to show with the client's values.
 */
export async function submitFeedback(token: string, body: string, deps: FeedbackDeps): Promise<SubmitOutcome> {
  const link = await deps.store.findLink(token);
  if (!link) return { kind: 'not-found' };
  const now = deps.clock.now();
  const state = linkState(link, now);
  if (state !== 'open') return { kind: state, locale: link.locale };

  const instrument = instrumentFor(link, deps.instruments);
  const parsed = parseFeedbackForm(body, instrument);
  if (!parsed.ok) return { kind: 'invalid', locale: link.locale, instrument, errors: parsed.errors, values: parsed.values };

  const submittedAt = now.toISOString();
  const { items, talk, comment } = parsed.answer;
  const result = await deps.store.recordAnswer(link, { instrumentId: instrument.id, items, talk, comment, submittedAt }, now);
  if (!result.recorded) return result.reason === 'not-found' ? { kind: 'not-found' } : { kind: result.reason, locale: link.locale };

  try {
    await deps.publisher.publish(FeedbackSubmitted, {
      sessionId: link.sessionId,
      clientId: link.clientId,
      therapistId: link.therapistId,
      instrumentId: instrument.id,
      items,
      talk,
      hasComment: comment !== undefined,
      submittedAt,
    });
  } catch (publishError) {
    // The answer is stored and cannot be posted again, so failing the page would only confuse
    // the client; the caller logs the lost announcement with the session id for a replay.
    return { kind: 'submitted', locale: link.locale, sessionId: link.sessionId, publishError };
  }
  return { kind: 'submitted', locale: link.locale, sessionId: link.sessionId };
}

/** The thank-you page after an answer; it shows nothing of the answer itself. */
export async function openThanks(token: string, deps: Pick<FeedbackDeps, 'store'>): Promise<ThanksView> {
  const link = await deps.store.findLink(token);
  if (!link) return { kind: 'not-found' };
  if (!link.answeredAt) return { kind: 'not-answered' };
  return { kind: 'thanks', locale: link.locale };
}
