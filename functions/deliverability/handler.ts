/**
 * Deliverability function: SES bounce and complaint events (default bus) → the client's address
 * is blocked and the administrator told. Wiring only.
 */
import { PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, readSettingsFromEnv, requireEnv } from '../../shared/config.ts';
import { SesDeliveryProblem } from '../../shared/events/contracts.ts';
import { on } from '../../shared/events/dispatch.ts';
import { HmacAddressHasher } from '../../shared/adapters/address-hash.ts';
import { clock } from '../../shared/adapters/clock.ts';
import { DynamoDbDeliverabilityStore } from '../../shared/adapters/dynamodb-deliverability-store.ts';
import { ProductEventPublisher } from '../../shared/adapters/eventbridge-publisher.ts';
import { createLogger } from '../../shared/adapters/powertools.ts';
import { sesMailerFromSettings } from '../../shared/adapters/ses-mailer.ts';
import { queueHandler } from '../../shared/adapters/sqs-batch.ts';
import { SqsDeadLetterSink } from '../../shared/adapters/sqs-dead-letter.ts';
import { handleDeliveryProblem, type DeliverabilityDeps } from '../../shared/use-cases/deliverability.ts';

const logger = createLogger('deliverability');
const settings = readSettingsFromEnv({ senderAddress: REQUEST_SETTINGS.senderAddress, practiceName: REQUEST_SETTINGS.practiceName, ...PRIVACY_SETTINGS });

const deps: DeliverabilityDeps = {
  store: new DynamoDbDeliverabilityStore(requireEnv(RESOURCE_ENV.tableName)),
  addressHasher: new HmacAddressHasher(settings.addressHashKey),
  mailer: sesMailerFromSettings(settings),
  publisher: new ProductEventPublisher(requireEnv(RESOURCE_ENV.busName)),
  clock,
  practiceName: settings.practiceName,
  adminEmail: process.env[RESOURCE_ENV.adminEmail] || undefined,
  // Unset locally (the emulator has no configuration sets): every event is then this stack's.
  configurationSetName: process.env[RESOURCE_ENV.sesConfigurationSet] || undefined,
};

export const handler = queueHandler({
  logger,
  deadLetters: new SqsDeadLetterSink(requireEnv(RESOURCE_ENV.deadLetterQueueUrl)),
  handlers: [
    on(SesDeliveryProblem, async (detail) => {
      const outcome = await handleDeliveryProblem(detail, deps);
      logger.info('Delivery problem handled', { eventType: detail.eventType, messageId: detail.mail.messageId, outcome });
    }),
  ],
});
