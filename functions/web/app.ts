/**
 * The web function's routes: each one reads the request, calls a use case and renders its result.
 *
 *   GET  /f/{token}         the form (or: already answered 200, expired 410, unknown 404)
 *   POST /f/{token}         record the answer → 303 to the thank-you page (400, 409, 410, 404, 413, 415)
 *   GET  /f/{token}/thanks  thank-you page once the answer is stored (else 303 back to the form)
 *   GET  /u/{token}         opt-out confirmation page
 *   POST /u/{token}         opt out (the page's button, or RFC 8058 one-click) → 200
 *   GET  /a/{token}         the therapist's acknowledge page for one alert (or: already acknowledged; expired 410)
 *   POST /a/{token}         record the acknowledgement once → 200 (410 once the link outlived acknowledgeLinkDays)
 *   GET  /t/{token}         a client's trend page for one therapist (404 unknown; 410 expired or revoked);
 *                           every view publishes TrendPageViewed (the audit record), nothing else is written
 *
 * GETs never change anything: mail scanners open every link. A POST a browser says comes from
 * another site is refused (403) before anything is read (http.ts, acceptsPostFrom). Routes match
 * the path's tail and redirects are relative, so the pages work under a custom domain's base path too.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { negotiateLocale, PAGE_TEXT, type MessageText } from '../../shared/domain/form/i18n.ts';
import { renderActionPage, renderFormPage, renderMessagePage, renderOptOutPage } from '../../shared/domain/form/pages.ts';
import { ACKNOWLEDGE_BUTTON, acknowledged, acknowledgeLinkExpiredText, acknowledgePrompt, ALERT_NOT_FOUND } from '../../shared/domain/templates/acknowledge-pages.ts';
import { acknowledgeLink, openAcknowledgeLink, type AcknowledgeLinkDeps } from '../../shared/use-cases/acknowledge-link.ts';
import type { Locale } from '../../shared/events/contracts.ts';
import { openOptOut, optOut, type OptOutDeps } from '../../shared/use-cases/opt-out.ts';
import { renderTrendPage, TREND_CSS_HASH, TREND_EXPIRED, TREND_NOT_FOUND, TREND_REVOKED } from '../../shared/domain/templates/trend-page.ts';
import { openTrendPage, type TrendPageDeps } from '../../shared/use-cases/trend-page.ts';
import { openForm, openThanks, submitFeedback, type FeedbackDeps } from '../../shared/use-cases/submit-feedback.ts';
import { METRIC, type MetricsRecorder } from '../../shared/metrics.ts';
import { acceptsPostFrom, isFormEncoded, pageResponse, readRequest, seeOther, type WebRequest } from './http.ts';

/** What the routes log to: ids and outcomes only, never a token, a body or a name. */
export type WebLogger = Pick<Logger, 'info' | 'error'>;

export interface WebAppDeps {
  feedback: FeedbackDeps;
  optOut: OptOutDeps;
  acknowledge: AcknowledgeLinkDeps;
  /** The trend pages; without it /t/… is not found. */
  trend?: TrendPageDeps | undefined;
  practiceName: string;
  /** The practice's IANA zone: acknowledge pages of alerts sent before links kept the therapist's. */
  practiceTimeZone: string;
  logger: WebLogger;
  /** Counts what the pages did (answers, opt-outs, acknowledgements); none when absent. */
  metrics?: MetricsRecorder | undefined;
}

type Result = APIGatewayProxyStructuredResultV2;

type Route = { page: 'form' | 'thanks' | 'opt-out' | 'acknowledge' | 'trend'; token: string } | { page: 'favicon' } | undefined;

/**
 * Routes by the path's last segments: behind a custom domain whose API mapping has a base path
 * (`/feedback`), HTTP API keeps that prefix in `rawPath`, and the relative redirects work under it.
 */
function matchRoute(path: string): Route {
  const segments = path.split('/');
  const [third, second, last] = [segments.at(-3), segments.at(-2), segments.at(-1)];
  if (last === 'favicon.ico') return { page: 'favicon' };
  if (second === 'f' && last) return { page: 'form', token: last };
  if (third === 'f' && second && last === 'thanks') return { page: 'thanks', token: second };
  if (second === 'u' && last) return { page: 'opt-out', token: last };
  if (second === 'a' && last) return { page: 'acknowledge', token: last };
  if (second === 't' && last) return { page: 'trend', token: last };
  return undefined;
}

/** Builds the HTTP handler from its dependencies (the Lambda entry point wires the real ones). */
export function createWebApp(deps: WebAppDeps): (event: APIGatewayProxyEventV2) => Promise<Result> {
  const metrics = deps.metrics;
  const message = (status: number, locale: Locale, pick: (text: (typeof PAGE_TEXT)[Locale]) => MessageText, extra?: Record<string, string>): Result =>
    pageResponse(status, locale, renderMessagePage({ locale, practiceName: deps.practiceName, message: pick(PAGE_TEXT[locale]) }), extra);

  async function route(request: WebRequest): Promise<Result> {
    const fallback = negotiateLocale(request.acceptLanguage);
    const read = request.method === 'GET' || request.method === 'HEAD';
    const matched = matchRoute(request.path);
    if (request.method === 'POST' && (matched?.page === 'form' || matched?.page === 'opt-out' || matched?.page === 'acknowledge') && !acceptsPostFrom(request.fetchSite)) {
      // Refused before anything is read: a page of another site cannot answer, opt out or acknowledge.
      deps.logger.info('post from another site refused', { page: matched.page, fetchSite: request.fetchSite });
      return message(403, fallback, (t) => t.otherSite);
    }
    switch (matched?.page) {
      case 'form':
        if (read) return formPage(matched.token, fallback);
        if (request.method === 'POST') return postForm(matched.token, request, fallback);
        return message(405, fallback, (t) => t.notAllowed, { allow: 'GET, HEAD, POST' });
      case 'thanks':
        if (read) return thanksPage(matched.token, fallback);
        return message(405, fallback, (t) => t.notAllowed, { allow: 'GET, HEAD' });
      case 'opt-out':
        if (read) return optOutPage(matched.token, fallback);
        if (request.method === 'POST') return postOptOut(matched.token, fallback);
        return message(405, fallback, (t) => t.notAllowed, { allow: 'GET, HEAD, POST' });
      case 'acknowledge':
        if (read) return acknowledgePage(matched.token);
        if (request.method === 'POST') return postAcknowledge(matched.token);
        return message(405, 'en', (t) => t.notAllowed, { allow: 'GET, HEAD, POST' });
      case 'trend':
        if (read) return trendPage(matched.token, request.method === 'GET');
        return message(405, 'en', (t) => t.notAllowed, { allow: 'GET, HEAD' });
      case 'favicon':
        // Browsers ask for an icon on every page; an empty answer they may cache saves an invocation each time.
        if (read) return { statusCode: 204, headers: { 'cache-control': 'public, max-age=604800' } };
    }
    return message(404, fallback, (t) => t.notFound);
  }

  async function formPage(token: string, fallback: Locale): Promise<Result> {
    const view = await openForm(token, deps.feedback);
    switch (view.kind) {
      case 'form':
        return pageResponse(200, view.locale, renderFormPage({ locale: view.locale, practiceName: deps.practiceName, instrument: view.instrument }));
      // 200, not 409: the page truthfully shows the link's state, and a GET conflicted with nothing.
      // Mail scanners and link checkers also treat 4xx links as broken or suspicious.
      case 'answered':
        return message(200, view.locale, (t) => t.answered);
      case 'expired':
        return message(410, view.locale, (t) => t.expired);
      case 'not-found':
        return message(404, fallback, (t) => t.notFound);
    }
  }

  async function postForm(token: string, request: WebRequest, fallback: Locale): Promise<Result> {
    if (request.body === 'too-large' || !isFormEncoded(request.contentType)) metrics?.count(METRIC.answerRejected);
    if (request.body === 'too-large') return message(413, fallback, (t) => t.tooLarge);
    if (!isFormEncoded(request.contentType)) return message(415, fallback, (t) => t.unreadable);
    const outcome = await submitFeedback(token, request.body ?? '', deps.feedback);
    if (outcome.kind === 'submitted') metrics?.count(METRIC.answerRecorded);
    if (outcome.kind === 'invalid') metrics?.count(METRIC.answerRejected);
    switch (outcome.kind) {
      case 'submitted':
        if (outcome.publishError !== undefined) {
          // The answer's follow-up schedules were not cancelled, so the first of them to fire finds
          // the answer unevaluated and announces it again (shared/use-cases/follow-up.ts).
          deps.logger.error('FeedbackSubmitted not published; the answer is stored and its next follow-up schedule announces it again', {
            sessionId: outcome.sessionId,
            error: describeError(outcome.publishError),
          });
        }
        deps.logger.info('feedback recorded', { sessionId: outcome.sessionId });
        // Relative to /f/{token}: resolves to /f/{token}/thanks under any base path.
        return seeOther(`${token}/thanks`);
      case 'invalid':
        deps.logger.info('feedback rejected', { fields: outcome.errors.map((error) => `${error.field}:${error.code}`) });
        return pageResponse(
          400,
          outcome.locale,
          renderFormPage({ locale: outcome.locale, practiceName: deps.practiceName, instrument: outcome.instrument, values: outcome.values, errors: outcome.errors }),
        );
      case 'answered':
        return message(409, outcome.locale, (t) => t.answered);
      case 'expired':
        return message(410, outcome.locale, (t) => t.expired);
      case 'not-found':
        return message(404, fallback, (t) => t.notFound);
    }
  }

  async function thanksPage(token: string, fallback: Locale): Promise<Result> {
    const view = await openThanks(token, deps.feedback);
    switch (view.kind) {
      case 'thanks':
        return message(200, view.locale, (t) => t.thanks);
      case 'not-answered':
        // Back to the form, which shows what the link can still do (the questions, or that it expired).
        // Relative to /f/{token}/thanks: resolves to /f/{token} under any base path.
        return seeOther(`../${token}`);
      case 'not-found':
        return message(404, fallback, (t) => t.notFound);
    }
  }

  async function optOutPage(token: string, fallback: Locale): Promise<Result> {
    const view = await openOptOut(token, deps.optOut);
    if (view.kind === 'not-found') return message(404, fallback, (t) => t.notFound);
    return pageResponse(200, view.locale, renderOptOutPage({ locale: view.locale, practiceName: deps.practiceName }));
  }

  async function postOptOut(token: string, fallback: Locale): Promise<Result> {
    // Any POST opts out, whatever its body: the page's button sends nothing, RFC 8058 one-click
    // sends `List-Unsubscribe=One-Click` as urlencoded or multipart form data, and both mean the same.
    const outcome = await optOut(token, deps.optOut);
    if (outcome.kind === 'not-found') return message(404, fallback, (t) => t.notFound);
    if (outcome.publishError !== undefined) {
      deps.logger.error('ClientUnsubscribed not published; the opt-out is stored', { clientId: outcome.clientId, error: describeError(outcome.publishError) });
    }
    deps.logger.info('client opted out', { clientId: outcome.clientId, first: outcome.first });
    if (outcome.first) metrics?.count(METRIC.clientOptedOut);
    return message(200, outcome.locale, (t) => t.optedOut);
  }

  // The acknowledge pages are the therapist's, in English like the alert email.
  const therapistPage = (status: number, text: MessageText): Result => pageResponse(status, 'en', renderMessagePage({ locale: 'en', practiceName: deps.practiceName, message: text }));

  // The zone the alert was read in (the therapist's, stored on the link); links from before: the practice's.
  const readerZone = (link: { timeZone?: string | undefined }): string => link.timeZone ?? deps.practiceTimeZone;

  async function acknowledgePage(token: string): Promise<Result> {
    const view = await openAcknowledgeLink(token, deps.acknowledge);
    switch (view.kind) {
      case 'not-found':
        return therapistPage(404, ALERT_NOT_FOUND);
      case 'expired':
        return therapistPage(410, acknowledgeLinkExpiredText(deps.acknowledge.linkDays));
      case 'acknowledged':
        return therapistPage(200, acknowledged(view.link, view.acknowledgedAt, false, readerZone(view.link)));
      case 'open':
        return pageResponse(200, 'en', renderActionPage({ locale: 'en', practiceName: deps.practiceName, message: acknowledgePrompt(view.link, readerZone(view.link)), button: ACKNOWLEDGE_BUTTON }));
    }
  }

  /** The trend page has its own stylesheet: its CSP allows that one by hash, and posts nowhere. */
  const TREND_CSP = `default-src 'none'; style-src ${TREND_CSS_HASH}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`;

  async function trendPage(token: string, record: boolean): Promise<Result> {
    if (!deps.trend) return therapistPage(404, TREND_NOT_FOUND);
    const view = await openTrendPage(token, deps.trend, { record });
    switch (view.kind) {
      case 'not-found':
        return therapistPage(404, TREND_NOT_FOUND);
      case 'expired':
        return therapistPage(410, TREND_EXPIRED);
      case 'revoked':
        return therapistPage(410, TREND_REVOKED);
      case 'page': {
        const { data } = view;
        // Ids only: the page's contents are the client's.
        if (record) deps.logger.info('trend page viewed', { therapistId: data.link.therapistId, clientId: data.clientId, sessions: data.rows.length });
        const body = renderTrendPage({
          practiceName: deps.practiceName,
          clientId: data.clientId,
          firstName: data.firstName,
          timeZone: data.timeZone,
          readerRole: data.link.recipientRole,
          itemColumns: data.itemColumns,
          itemRange: data.itemRange,
          rows: data.rows,
          linkExpiresAt: data.link.expiresAt,
          now: data.now,
        });
        return pageResponse(200, 'en', body, { 'content-security-policy': TREND_CSP });
      }
    }
  }

  async function postAcknowledge(token: string): Promise<Result> {
    const outcome = await acknowledgeLink(token, deps.acknowledge);
    if (outcome.outcome === 'not-found') return therapistPage(404, ALERT_NOT_FOUND);
    if (outcome.outcome === 'expired') {
      deps.logger.info('expired acknowledge link refused');
      return therapistPage(410, acknowledgeLinkExpiredText(deps.acknowledge.linkDays));
    }
    deps.logger.info('alert acknowledged', { sessionId: outcome.link.sessionId, kind: outcome.link.kind, first: outcome.outcome === 'acknowledged', announced: outcome.announced });
    if (outcome.outcome === 'acknowledged') {
      metrics?.count(METRIC.alertAcknowledged);
      // From the alert email to the first acknowledgement; later clicks on the link say nothing new.
      const seconds = (Date.parse(outcome.acknowledgedAt) - Date.parse(outcome.link.sentAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) metrics?.seconds(METRIC.timeToAcknowledge, seconds);
    }
    return therapistPage(200, acknowledged(outcome.link, outcome.acknowledgedAt, outcome.outcome === 'acknowledged', readerZone(outcome.link)));
  }

  return async (event) => {
    const request = readRequest(event);
    let result: Result;
    try {
      result = await route(request);
    } catch (error) {
      // Only our side fails here (the table, the bus): client input never throws.
      deps.logger.error('web request failed', { method: request.method, error: describeError(error) });
      result = message(503, negotiateLocale(request.acceptLanguage), (t) => t.unavailable, { 'retry-after': '60' });
    }
    return request.method === 'HEAD' ? { ...result, body: '' } : result;
  };
}

/** An error's name and message for a log line (SDK errors carry no request data in either). */
function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
