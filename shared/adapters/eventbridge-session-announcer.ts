/**
 * SessionCompleted in batches for the appointment import: PutEvents takes up to 10 entries per call,
 * so 100,000 appointments are 10,000 calls instead of 100,000. Published with the inbound source
 * (sourceOf(SessionCompleted), as InboundEventPublisher does), each detail checked against the
 * contract first. PutEvents can accept some entries of a call and refuse others (throttling, an
 * internal failure): the refused ones are sent again, a few times with a growing pause, and those
 * still refused are returned for the report instead of failing the whole import.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describeIssues, SessionCompleted, SessionCompletedDetailSchema, sourceOf, type SessionCompletedDetail } from '../events/contracts.ts';
import type { SessionAnnouncer, UnannouncedSession } from '../use-cases/ports.ts';
import { getEventBridgeClient, PublishError } from './eventbridge-publisher.ts';

/** The most entries one PutEvents call takes. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

export interface RetryOptions {
  /** Attempts per entry, the first included. */
  attempts: number;
  baseDelayMs: number;
}

const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200 };

export class EventBridgeSessionAnnouncer implements SessionAnnouncer {
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = getEventBridgeClient(),
    private readonly retry: RetryOptions = DEFAULT_RETRY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async announce(details: readonly SessionCompletedDetail[]): Promise<UnannouncedSession[]> {
    const unannounced: UnannouncedSession[] = [];
    for (let first = 0; first < details.length; first += PUT_EVENTS_MAX_ENTRIES) {
      unannounced.push(...(await this.putBatch(details.slice(first, first + PUT_EVENTS_MAX_ENTRIES))));
    }
    return unannounced;
  }

  private async putBatch(batch: readonly SessionCompletedDetail[]): Promise<UnannouncedSession[]> {
    let pending = batch.map((detail) => ({ sessionId: detail.sessionId, entry: this.entryOf(detail), errorCode: 'unknown' }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      let results: { ErrorCode?: string | undefined }[];
      try {
        const response = await this.client.send(new PutEventsCommand({ Entries: pending.map(({ entry }) => entry) }));
        results = response.Entries ?? [];
      } catch (error) {
        // The SDK has already retried the call itself; count the batch as refused by this error.
        results = pending.map(() => ({ ErrorCode: (error as Error).name || 'Error' }));
      }
      // PutEvents answers entry by entry, in order: an entry with an ErrorCode was not put.
      pending = pending.flatMap((item, index) => {
        const code = results[index]?.ErrorCode;
        return code === undefined || code === '' ? [] : [{ ...item, errorCode: code }];
      });
      if (pending.length === 0 || attempt >= this.retry.attempts) break;
      await this.sleep(this.retry.baseDelayMs * 2 ** (attempt - 1));
    }
    return pending.map(({ sessionId, errorCode }) => ({ sessionId, errorCode }));
  }

  private entryOf(detail: SessionCompletedDetail): PutEventsRequestEntry {
    const checked = SessionCompletedDetailSchema.safeParse(detail);
    if (!checked.success) throw new PublishError(`${SessionCompleted.detailType} does not match its contract: ${describeIssues(checked.error)}`);
    return { EventBusName: this.busName, Source: sourceOf(SessionCompleted), DetailType: SessionCompleted.detailType, Detail: JSON.stringify(checked.data) };
  }
}
