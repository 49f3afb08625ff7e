/**
 * The evaluation item beside a session: written by the evaluate function, read by the alert
 * function (with the session, in one query) and by the evaluate function on a redelivered event.
 * Its own module, importing only types from the use cases, so the alert bundle does not carry the
 * detector.
 */
import type { StoredEvaluation } from '../use-cases/evaluate-feedback.ts';
import { pack, unpack } from './packed-json.ts';
import { keys, retentionTtl, TTL_ATTRIBUTE, type RetentionDays } from './table.ts';

/** The stored evaluation item (exported for the item-size tests). */
export function evaluationItem(sessionId: string, evaluation: StoredEvaluation, retentionDays: RetentionDays): Record<string, unknown> {
  const endedAt = evaluation.kind === 'answered' ? evaluation.evaluation.endedAt : evaluation.outcome.endedAt;
  // The session id is the key's: left out of the packed body and put back on reading.
  const body =
    evaluation.kind === 'answered'
      ? { ...evaluation, evaluation: { ...evaluation.evaluation, sessionId: undefined } }
      : { ...evaluation, outcome: { ...evaluation.outcome, sessionId: undefined } };
  // kind and instrumentId stay readable in the table (operators and the redrive check look at them).
  return { ...keys.evaluation(sessionId), type: 'Evaluation', kind: evaluation.kind, instrumentId: evaluation.instrumentId, packed: pack(body), ...retentionTtl(endedAt, retentionDays) };
}

/** Reads an evaluation item, packed or in the earlier plain shape. */
export function readEvaluationItem(sessionId: string, item: Record<string, unknown>): StoredEvaluation {
  if (item['packed'] instanceof Uint8Array) {
    const stored = unpack<StoredEvaluation>(item['packed']);
    if (stored.kind === 'answered') stored.evaluation.sessionId = sessionId;
    else stored.outcome.sessionId = sessionId;
    return stored;
  }
  const { pk: _pk, sk: _sk, type: _type, [TTL_ATTRIBUTE]: _ttl, ...stored } = item;
  return stored as unknown as StoredEvaluation;
}
