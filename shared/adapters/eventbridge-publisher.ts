/**
 * The two EventPublishers on EventBridge: the product's own (its events, with PRODUCT_SOURCE) and
 * its inbound adapters' (integration events such as SessionCompleted, with INBOUND_SOURCE). Each
 * takes only its own kind of contract — by type, and again at run time — because the source
 * decides which rules see an event: SessionCompleted published with the product's source would be
 * silently dropped by its rule. Both check every detail against its contract before it leaves, so
 * a consumer never receives an event its own schema would reject.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type * as z from 'zod/mini';
import { describeIssues, sourceOf, type EventContract } from '../events/contracts.ts';
import type { EventPublisher } from '../use-cases/ports.ts';

let sharedEventBridgeClient: EventBridgeClient | undefined;

/** The container-wide EventBridge client (endpoint from `AWS_ENDPOINT_URL_EVENTBRIDGE` when set). */
export function getEventBridgeClient(): EventBridgeClient {
  sharedEventBridgeClient ??= new EventBridgeClient({});
  return sharedEventBridgeClient;
}

/** An event could not be published; the caller's platform retries. */
export class PublishError extends Error {
  override name = 'PublishError';
}

/** A contract handed to the other publisher: a mistake in the code, which no retry mends. */
export class WrongPublisherError extends Error {
  override name = 'WrongPublisherError';
}

/** Publishes one kind of contract (`accepts`) to the bus, each with its contract's source. */
class BusEventPublisher<Accepts extends 'product' | 'integrator'> implements EventPublisher<Accepts> {
  constructor(
    private readonly accepts: Accepts,
    private readonly busName: string,
    private readonly client: EventBridgeClient,
  ) {}

  async publish<Schema extends z.ZodMiniType>(contract: EventContract<Schema, Accepts>, detail: z.infer<Schema>): Promise<void> {
    await putContractEvent(this.client, this.busName, this.accepts, contract, detail);
  }
}

/** Publishes the product's own events, with the source `alliance-feedback` (PRODUCT_SOURCE). */
export class ProductEventPublisher extends BusEventPublisher<'product'> {
  constructor(busName: string, client: EventBridgeClient = getEventBridgeClient()) {
    super('product', busName, client);
  }
}

/**
 * Publishes integration events (SessionCompleted) for the product's inbound adapters, with the
 * source `alliance-feedback.inbound` (INBOUND_SOURCE), which the integration events' rules accept.
 */
export class InboundEventPublisher extends BusEventPublisher<'integrator'> {
  constructor(busName: string, client: EventBridgeClient = getEventBridgeClient()) {
    super('integrator', busName, client);
  }
}

const PUBLISHER_FOR = { product: 'ProductEventPublisher', integrator: 'InboundEventPublisher' } as const;
const KIND = { product: 'a product event', integrator: 'an integration event', aws: 'an AWS event' } as const;

/** Checks that the contract is this publisher's kind and the detail matches it, then puts it with the contract's source. */
async function putContractEvent(
  client: EventBridgeClient,
  busName: string,
  accepts: 'product' | 'integrator',
  contract: EventContract<z.ZodMiniType>,
  detail: unknown,
): Promise<void> {
  // Types keep the wrong contract out of TypeScript callers; this keeps it out of everything else.
  if (contract.publisher !== accepts) {
    const remedy = contract.publisher === 'aws' ? 'the product never publishes it' : `publish it with ${PUBLISHER_FOR[contract.publisher]}`;
    throw new WrongPublisherError(`${contract.detailType} is ${KIND[contract.publisher]}, not for ${PUBLISHER_FOR[accepts]}: ${remedy}`);
  }
  const checked = contract.schema.safeParse(detail);
  if (!checked.success) throw new PublishError(`${contract.detailType} does not match its contract: ${describeIssues(checked.error)}`);
  const result = await client.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: busName, Source: sourceOf(contract as EventContract<z.ZodMiniType, typeof accepts>), DetailType: contract.detailType, Detail: JSON.stringify(checked.data) }],
    }),
  );
  if ((result.FailedEntryCount ?? 0) > 0) {
    const entry = result.Entries?.[0];
    throw new PublishError(`${contract.detailType} was not accepted: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
  }
}
