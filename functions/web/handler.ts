/**
 * Web function: the client-facing pages (feedback form, thank-you, opt-out) behind API Gateway
 * HTTP API (`ANY /{proxy+}`) in AWS and behind the local web server on :3000. Wiring only; the
 * routes are in app.ts.
 */
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbFeedbackStore } from '../../shared/adapters/dynamodb-feedback-store.ts';
import { EventBridgePublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { createLogger } from '../../shared/adapters/powertools.ts';
import { REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { createWebApp } from './app.ts';
import { loadInstruments } from './instruments.ts';

const logger = createLogger('web');
const { practiceName } = readSettingsFromEnv({ practiceName: REQUEST_SETTINGS.practiceName });
const store = new DynamoDbFeedbackStore(requireEnv(RESOURCE_ENV.tableName));
const publisher = new EventBridgePublisher(requireEnv(RESOURCE_ENV.busName));

export const handler = createWebApp({
  feedback: { store, publisher, clock, instruments: loadInstruments() },
  optOut: { store, publisher, clock },
  practiceName,
  logger,
});
