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

/** What a redrive moved back to its route's queue, and what it could not. */
export interface DeadLetterRedrive {
  dryRun: boolean;
  moved: DeadLetter[];
  kept: (DeadLetter & { why: string })[];
}

/**
 * Sends parked messages (all, or those of one dead-letter queue) back through `send`, and takes
 * the ones it moved out of `parked`; a dry run only says what it would move.
 */
export function redriveDeadLetters(
  parked: DeadLetter[],
  bodies: Map<string, string>,
  request: { queue: string | undefined; dryRun: boolean },
  send: (entry: DeadLetter, body: string) => string | undefined,
): DeadLetterRedrive {
  const result: DeadLetterRedrive = { dryRun: request.dryRun, moved: [], kept: [] };
  for (const entry of parked.filter((candidate) => request.queue === undefined || candidate.queue === request.queue)) {
    const body = bodies.get(entry.messageId);
    if (body === undefined) {
      result.kept.push({ ...entry, why: 'its body was not kept' });
      continue;
    }
    if (!request.dryRun) {
      if (send(entry, body) === undefined) {
        result.kept.push({ ...entry, why: 'its route has no queue (or the stack is stopping)' });
        continue;
      }
      parked.splice(parked.indexOf(entry), 1);
      bodies.delete(entry.messageId);
    }
    result.moved.push(entry);
  }
  return result;
}
