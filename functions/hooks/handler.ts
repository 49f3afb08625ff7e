/**
 * Hooks function: signed webhooks from the practice's EHR (Standard Webhooks) → SessionCompleted
 * on the bus, behind the HTTP API's `POST /hooks/v1/sessions` in AWS and the local web server.
 * Its own function and role, not the web function's: it alone reads the webhook secret and
 * publishes SessionCompleted, and the client-facing pages can do neither. Wiring only; the route is in app.ts.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbWebhookDeliveryStore } from '../../shared/adapters/dynamodb-webhook-delivery-store.ts';
import { InboundEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { createLogger, createMetrics, httpHandler, metricsRecorder } from '../../shared/adapters/powertools.ts';
import { SecretsManagerWebhookVerifier } from '../../shared/adapters/webhook-secret.ts';
import { RESOURCE_ENV, requireEnv } from '../../shared/config.ts';
import { createHooksApp } from './app.ts';
import { inboundDirectories } from '../../shared/adapters/inbound-directories.ts';

const logger = createLogger('hooks');
const metrics = createMetrics('hooks', logger);
const tableName = requireEnv(RESOURCE_ENV.tableName);

const app = createHooksApp({
  verifier: new SecretsManagerWebhookVerifier(requireEnv(RESOURCE_ENV.webhookSecretArn), { clock }),
  deliveries: new DynamoDbWebhookDeliveryStore(tableName),
  publisher: new InboundEventPublisher(requireEnv(RESOURCE_ENV.busName)),
  clock,
  ...inboundDirectories(tableName),
  logger,
  metrics: metricsRecorder(metrics),
});

export const handler: (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2> = httpHandler(app, logger, metrics);
