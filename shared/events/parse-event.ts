/**
 * Reads an EventBridge event (as a queue delivers it, JSON in a message body) against a contract.
 * Anything that does not fit becomes a reason a person can act on, naming fields, never values.
 */
import * as z from 'zod/mini';
import { describeIssues, type EventContract } from './contracts.ts';

const EnvelopeSchema = z.object({
  id: z.optional(z.string()),
  source: z.string(),
  'detail-type': z.string(),
  detail: z.unknown(),
});

export type ParsedEvent<T> = { ok: true; eventId: string | undefined; source: string; detail: T } | { ok: false; reason: string };

export function parseEvent<Schema extends z.ZodMiniType>(body: string, contract: EventContract<Schema>): ParsedEvent<z.infer<Schema>> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'message body is not JSON' };
  }
  const envelope = EnvelopeSchema.safeParse(json);
  if (!envelope.success) return { ok: false, reason: `not an EventBridge event: ${describeIssues(envelope.error)}` };
  const detailTypes = contract.pattern['detail-type'] ?? [contract.detailType];
  if (!detailTypes.includes(envelope.data['detail-type'])) {
    return { ok: false, reason: `detail-type is not ${detailTypes.join(' or ')}` };
  }
  const detail = contract.schema.safeParse(envelope.data.detail);
  if (!detail.success) return { ok: false, reason: `invalid ${contract.detailType} detail: ${describeIssues(detail.error)}` };
  return { ok: true, eventId: envelope.data.id, source: envelope.data.source, detail: detail.data };
}
