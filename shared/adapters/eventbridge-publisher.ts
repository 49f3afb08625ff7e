/**
 * EventPublisher on EventBridge. Every detail is checked against its contract before it leaves,
 * so a consumer never receives an event its own schema would reject.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type * as z from 'zod/mini';
import { describeIssues, PRODUCT_SOURCE, type EventContract } from '../events/contracts.ts';
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

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = getEventBridgeClient(),
  ) {}

  async publish<Schema extends z.ZodMiniType>(contract: EventContract<Schema>, detail: z.infer<Schema>): Promise<void> {
    const checked = contract.schema.safeParse(detail);
    if (!checked.success) throw new PublishError(`${contract.detailType} does not match its contract: ${describeIssues(checked.error)}`);
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: PRODUCT_SOURCE, DetailType: contract.detailType, Detail: JSON.stringify(checked.data) }],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new PublishError(`${contract.detailType} was not accepted: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}
