/**
 * The local dead-letter queues' contents, as the console and `GET /dead-letters` show them:
 * where each message came from and why it was parked, never its body.
 */

export interface DeadLetter {
  /** Id of the dead-letter message. */
  messageId: string;
  /** Name of the dead-letter queue. */
  queue: string;
  /** Route whose queue this dead-letter queue belongs to. */
  route: string | undefined;
  /** `function`: the handler parked it itself (it can never succeed); `max-receive-count`: it failed too often. */
  origin: 'function' | 'max-receive-count';
  reason: string;
  /** Envelope fields of the event, when the body is an EventBridge event (no detail, no personal data). */
  detailType?: string;
  eventId?: string;
  source?: string;
  /** Deliveries of the original message before it was parked. */
  receiveCount?: number;
  at: string;
}

/** Envelope fields that are safe to show; anything odd-looking is left out rather than echoed. */
export function describeBody(body: string): Pick<DeadLetter, 'detailType' | 'eventId' | 'source'> {
  const safe = (value: unknown) => (typeof value === 'string' && /^[A-Za-z0-9._:/-]{1,128}$/.test(value) ? value : undefined);
  try {
    const event = JSON.parse(body) as Record<string, unknown>;
    if (typeof event !== 'object' || event === null) return {};
    const described = { detailType: safe(event['detail-type']), eventId: safe(event['id']), source: safe(event['source']) };
    return Object.fromEntries(Object.entries(described).filter(([, value]) => value !== undefined));
  } catch {
    return {};
  }
}
