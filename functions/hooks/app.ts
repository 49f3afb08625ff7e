/**
 * The hooks function's one route: `POST /hooks/v1/sessions`, a Standard Webhooks delivery whose
 * body is a SessionCompleted v1 detail (client fields optional when the roster has them).
 *
 *   202 accepted · 200 already received (same webhook-id) · 400 field list · 401 bad signature
 *   404 other paths · 405 other methods · 413 too large · 415 not JSON · 422 skipped (reason)
 *   503 no secret set yet (`npx alliance webhook-secret create`)
 *
 * Answers are small JSON objects with a `message` a person can read; the 401 says nothing more
 * (which check failed would help a forger), the 400 lists fields (path and message, never a
 * value), the 422 names completeSession's reason. Nothing personal is ever logged.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { METRIC, METRIC_DIMENSION, type MetricsRecorder } from '../../shared/metrics.ts';
import type { SkippedAppointment } from '../../shared/use-cases/complete-session.ts';
import { receiveWebhook, type ReceiveWebhookDeps, type WebhookOutcome } from '../../shared/use-cases/receive-webhook.ts';
import { WebhookSecretFormatError } from '../../shared/adapters/webhook-secret.ts';

/** The route, as infra/routes.ts declares it for the HTTP API and the local web server. */
export const SESSIONS_HOOK_PATH = '/hooks/v1/sessions';

/** Largest body read: a SessionCompleted detail is under 1 KB; 16 KB leaves room for long names and ids. */
export const MAX_HOOK_BODY_BYTES = 16 * 1024;

/** What the route logs to: ids and outcomes only. */
export type HooksLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface HooksAppDeps extends ReceiveWebhookDeps {
  logger: HooksLogger;
  metrics?: MetricsRecorder | undefined;
}

type Result = APIGatewayProxyStructuredResultV2;

const SKIP_MESSAGES: Record<SkippedAppointment, string> = {
  'client-not-on-roster': 'The client is not on the roster and the body has no client email: add them with `npx alliance clients import`, or send client.email.',
  'client-inactive': 'The client is inactive on the roster: their sessions send no feedback request.',
  'therapist-unknown': 'Nobody knows the therapist\'s address: register the therapist, or send therapist.email.',
  'invalid-details': 'The session\'s details are not valid.',
};

export function createHooksApp(deps: HooksAppDeps): (event: APIGatewayProxyEventV2) => Promise<Result> {
  return async (event) => {
    const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
    // The tail of the path, so a custom domain's base path (`/feedback/hooks/v1/sessions`) works too.
    if (!(event.rawPath ?? '').endsWith(SESSIONS_HOOK_PATH)) return json(404, { message: 'Not found.' });
    if (method !== 'POST') return json(405, { message: 'Only POST is allowed here.' }, { allow: 'POST' });
    const headers = lowerCased(event.headers ?? {});
    if (!isJson(headers['content-type'])) return json(415, { message: 'The body must be JSON (content-type: application/json).' });
    const raw = event.body ?? '';
    const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
    if (bytes.byteLength > MAX_HOOK_BODY_BYTES) return json(413, { message: `The body is larger than ${MAX_HOOK_BODY_BYTES} bytes.` });

    let outcome: WebhookOutcome;
    try {
      outcome = await receiveWebhook({ body: bytes.toString('utf8'), headers }, deps);
    } catch (error) {
      if (!(error instanceof WebhookSecretFormatError)) throw error;
      // The stack's placeholder is still in the secret: a sender's retry works once it is set.
      deps.logger.error('the webhook secret is not set: run `npx alliance webhook-secret create`', { problem: error.message });
      return json(503, { message: 'The webhook is not set up yet.' }, { 'retry-after': '300' });
    }
    switch (outcome.kind) {
      case 'unauthorized':
        deps.logger.warn('webhook signature refused');
        return json(401, { message: 'Unauthorized.' });
      case 'invalid':
        // Paths and messages only: values may be personal data.
        deps.logger.info('webhook body refused', { fields: outcome.issues.map((issue) => issue.path) });
        return json(400, { message: 'The body is not a valid session.', errors: outcome.issues });
      case 'skipped':
        deps.metrics?.count(METRIC.appointmentSkipped, { name: METRIC_DIMENSION.reason, value: outcome.reason });
        deps.logger.info('webhook session skipped', { sessionId: outcome.sessionId, reason: outcome.reason });
        return json(422, { message: SKIP_MESSAGES[outcome.reason], reason: outcome.reason, sessionId: outcome.sessionId });
      case 'duplicate':
        deps.logger.info('webhook delivery already received', { sessionId: outcome.sessionId });
        return json(200, { message: 'Already received.', sessionId: outcome.sessionId });
      case 'accepted':
        deps.metrics?.count(METRIC.sessionAnnounced);
        deps.logger.info('webhook session announced', { sessionId: outcome.sessionId });
        return json(202, { message: 'Accepted.', sessionId: outcome.sessionId });
    }
  };
}

function json(statusCode: number, body: Record<string, unknown>, extra: Record<string, string> = {}): Result {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra },
    body: JSON.stringify(body),
  };
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function lowerCased(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  // HTTP APIs lower-case header names; a local server or a test might not.
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
