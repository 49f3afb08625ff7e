/**
 * Packs a JSON value into a few hundred bytes for one binary DynamoDB attribute: deflate with a
 * preset dictionary of the field names, states and reason phrases the detector writes. A 1–2 KB
 * record has too little text of its own for a compressor to learn from; the dictionary supplies
 * it, so what remains is mostly the numbers, times and ids (a third of what plain deflate leaves).
 *
 * The first byte names the format. A dictionary, once items are written with it, never changes:
 * improve it as a new format and keep reading the old ones (a test pins format 1's digest).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

/** Format 1: raw deflate, level 9, with DICTIONARY_1. */
const FORMAT_1 = 1;

/** The preset dictionary of format 1. Frozen: items written with it must stay readable. */
export const DICTIONARY_1: string = [
  // Reason phrases (shared/domain/detector/reason.ts), rarest first: deflate reaches the end cheapest.
  'The feedback request expired unanswered; the session is skipped, not counted.',
  'The last requests in a row expired unanswered: the client may be going quiet.',
  "; this client's baseline so far, needed before comparing with their own usual score.",
  ', the session in a row below the usual from before the decline began (z = ',
  ' (higher is worse on this item)',
  ' after the alert and not yet back to or more; the alert stands, no new one is sent.',
  ': back in the usual range ( or more) sessions after the alert.',
  ' after the alert and still below : the drop has not come back.',
  ": lower than usual (z = ) but not enough for an alert; watch of in a row.",
  " is low: at or below , and below the instrument's concern level of ",
  ' (a spread this small counts as points)',
  "at or past this client's alert line of −",
  'The client asked to talk about how therapy is going.',
  " 'Relationship' of 10 against a usual ; 'Goals' of 10 against a usual ; 'Approach' of 10 against a usual ; 'Overall' of 10 against a usual . Moved most: ",
  'Total of 40, in line with a usual ± over the last 10 sessions: z = −',
  // Field names and values of the detector record and the stored evaluation.
  '{"state":{"format":1,"version":,"instrument":{"id":"alliance-check-v1","version":1},"baseline":[[100,90,80,70,60,50,40,30,20,10,0],',
  '"watch":{"count":,"frozen":{"m":,"sEff":,"n":}},"repair":null,"repair":{"openedBy":["rupture","sustained-decline","item-drop","low-rating"],',
  '"sessionId":"","basis":"baseline","basis":"low-rating","threshold":,"seen":0},"expiredInARow":0,',
  '"trend":[{"endedAt":"2026-01-01T00:00:00.000Z","p":,"state":"insufficient-baseline"},{"endedAt":"2026-","p":,"state":"normal"},',
  '"state":"watch"},"state":"alert"},"state":"continuing"},"state":"repaired"},"state":"unrepaired"}],"applied":["',
  '{"kind":"expired","outcome":{"endedAt":"2026-","expiredInARow":1,"alerts":[{"kind":"going-quiet","expiredInARow":2}],"reason":"',
  '{"kind":"answered","evaluation":{"endedAt":"2026-01-01T00:00:00.000Z","p":,',
  '"items":{"relationship":100,"goals":100,"approach":100,"overall":100},"n":10,"m":null,"s":null,"sEff":null,"k":null,"z":null,',
  '"state":"normal","watches":0,"flagged":false,"flagged":true,"alerts":[],"alerts":[{"kind":"rupture","p":,"m":,"s":,"sEff":,"n":,"k":,"z":-},',
  '{"kind":"sustained-decline","watches":3,"p":,"m":,"sEff":,"n":,"z":-},{"kind":"item-drop","items":[{"itemId":"relationship","value":,"baselineMean":,"drop":},',
  '{"kind":"low-rating","p":,"threshold":50,"cutoff":null},{"kind":"unrepaired","openedBy":["low-rating"],"alertSessionId":"","sessionsSince":3,"p":,"threshold":},{"kind":"client-asked"}],',
  '"reason":"Total of 40 against a usual ± over the last 10 sessions","mostMovedComponent":null,"mostMovedComponent":{"itemId":"goals","value":,"baselineMean":,"drop":,"component":"goals"}},',
  '"instrumentId":"alliance-check-v1","chart":{"trend":[{"endedAt":"2026-01-01T00:00:00.000Z","p":97.5},{"endedAt":"2026-","p":}],"itemMeans":null,"itemMeans":[100,',
].join('');

const dictionary1 = /* @__PURE__ */ (() => Buffer.from(DICTIONARY_1, 'utf8'))();

/** Packs a JSON value (format 1). */
export function pack(value: unknown): Uint8Array {
  const body = deflateRawSync(Buffer.from(JSON.stringify(value), 'utf8'), { level: 9, dictionary: dictionary1 });
  const bytes = new Uint8Array(body.length + 1);
  bytes[0] = FORMAT_1;
  bytes.set(body, 1);
  return bytes;
}

/** Reads back what `pack` wrote, in any format it ever wrote. */
export function unpack<T>(bytes: Uint8Array): T {
  if (bytes[0] !== FORMAT_1) throw new RangeError(`unknown packed format ${bytes[0]}`);
  return JSON.parse(inflateRawSync(bytes.subarray(1), { dictionary: dictionary1 }).toString('utf8')) as T;
}
