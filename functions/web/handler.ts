/**
 * Web function: the client-facing pages (feedback form, thank-you, opt-out) and the therapist's
 * alert acknowledgement, behind API Gateway
 * HTTP API (`ANY /{proxy+}`) in AWS and behind the local web server on :3000. Wiring only; the
 * routes are in app.ts.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbCaseloadStore, DynamoDbResponseCounter } from '../../shared/adapters/dynamodb-caseload-store.ts';
import { DynamoDbAlertStore } from '../../shared/adapters/dynamodb-alert-store.ts';
import { DynamoDbClientHistoryStore } from '../../shared/adapters/dynamodb-client-history-store.ts';
import { DynamoDbFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store.ts';
import { DynamoDbTrendStore } from '../../shared/adapters/dynamodb-trend-store.ts';
import { ProductEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { createLogger, createMetrics, httpHandler, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { ALERT_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { createWebApp } from './app.ts';
import { loadInstruments } from '../../shared/adapters/instrument-catalogue.ts';

const logger = createLogger('web');
const metrics = createMetrics('web', logger);
const { practiceName, practiceTimeZone, acknowledgeLinkDays, trendShowsFirstName } = readSettingsFromEnv({
  practiceName: REQUEST_SETTINGS.practiceName,
  practiceTimeZone: REQUEST_SETTINGS.practiceTimeZone,
  acknowledgeLinkDays: ALERT_SETTINGS.acknowledgeLinkDays,
  trendShowsFirstName: ALERT_SETTINGS.trendShowsFirstName,
});
const tableName = requireEnv(RESOURCE_ENV.tableName);
const store = new DynamoDbFeedbackStore(tableName);
const publisher = new ProductEventPublisher(requireEnv(RESOURCE_ENV.busName));

const instruments = loadInstruments();
const trendStore = new DynamoDbTrendStore(tableName);
const caseload = new DynamoDbCaseloadStore(tableName);

const app = createWebApp({
  feedback: { store, publisher, clock, instruments },
  optOut: { store, publisher, clock },
  acknowledge: {
    store: new DynamoDbAlertStore(tableName),
    publisher,
    clock,
    linkDays: acknowledgeLinkDays,
    // The weekly digest's view: the alert is no longer open, and the therapist's response rate counts it.
    caseload,
    responses: new DynamoDbResponseCounter(tableName),
    // The trend page shows the acknowledgement on the session's row.
    history: new DynamoDbClientHistoryStore(tableName),
  },
  trend: {
    links: trendStore,
    pages: trendStore,
    publisher,
    clock,
    practiceTimeZone,
    showsFirstName: trendShowsFirstName,
    instrument: (id) => instruments.find(id),
    // The therapist read the client's words: the weekly digest no longer counts them as waiting.
    onViewed: { trendViewed: (view) => caseload.markTrendViewed(view.therapistId, view.clientId, new Date(view.viewedAt)) },
    onViewedError: (error, view) => logger.error('trend view listener failed', { therapistId: view.therapistId, clientId: view.clientId, error: error instanceof Error ? error.name : String(error) }),
  },
  practiceName,
  practiceTimeZone,
  logger,
  metrics: metricsRecorder(metrics),
});

export const handler: (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2> = httpHandler(app, logger, metrics);
