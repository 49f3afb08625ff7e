/**
 * Bad input, as property tests with fast-check: random and mutated SessionCompleted details put on
 * the local bus, and random form posts to the local web server. The properties: nothing crashes,
 * no 5xx, no record left half-written, and every rejection says why (the bus's error code, the
 * dead-letter reason naming the field, the form page naming the question).
 */
import fc from 'fast-check';
import { DynamoDbSessionStore } from '../../../shared/adapters/dynamodb-session-store.ts';
import { randomTokens } from '../../../shared/adapters/form-tokens.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import { parseFeedbackForm } from '../../../shared/domain/form/parse-form.ts';
import { SessionCompleted, SessionCompletedDetailSchema } from '../../../shared/events/contracts.ts';
import { INJECTION_CORPUS } from './corpus.ts';
import { allMail, pool, post, putOnBus, sessionOfMail, snapshot, type PostResult, type ReliabilityStack } from './harness.ts';
import type { Figure } from './report.ts';

const MINUTE = 60_000;

// --- SessionCompleted ---------------------------------------------------------------------

const idArbitrary = fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/);
const weirdString = fc.oneof(
  fc.constantFrom(...INJECTION_CORPUS),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', ' ', '\t', 'null', 'undefined', '[object Object]', '__proto__'),
);
const nameArbitrary = fc.oneof({ arbitrary: fc.constantFrom('Ana', 'José', 'Nguyễn', 'O’Neil'), weight: 4 }, { arbitrary: weirdString, weight: 1 });
const emailArbitrary = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_+-]{0,15}[a-z0-9]@(example\.(com|org)|mail\.example\.co\.uk)$/), weight: 16 },
  { arbitrary: fc.emailAddress(), weight: 1 },
  { arbitrary: fc.constantFrom('ana@example.com', 'a@b', 'no-at-sign', 'x@example.com\r\nBcc: y@example.com', '"quoted"@example.com', 'ünï@exämple.com', `${'l'.repeat(250)}@example.com`), weight: 1 },
  { arbitrary: weirdString, weight: 1 },
);

/** A timestamp around `now`: mostly recent, some stale, some in the future, with various offsets; some not timestamps at all. */
function endedAtArbitrary(now: Date) {
  return fc.oneof(
    {
      arbitrary: fc.tuple(fc.integer({ min: -200 * 60, max: 120 }), fc.constantFrom('Z', '+00:00', '-05:00', '+05:30', '+14:00', '-12:00')).map(([minutes, offset]) => {
        const date = new Date(now.getTime() + minutes * MINUTE);
        if (offset === 'Z') return date.toISOString();
        const sign = offset.startsWith('-') ? -1 : 1;
        const [hours, mins] = offset.slice(1).split(':').map(Number) as [number, number];
        const local = new Date(date.getTime() + sign * (hours * 60 + mins) * MINUTE);
        return `${local.toISOString().slice(0, 19)}${offset}`;
      }),
      weight: 20,
    },
    { arbitrary: fc.constantFrom('2026-13-45T25:61:00Z', 'yesterday', '2026-11-25', '2026-11-25T10:00:00', '', '0'), weight: 1 },
    { arbitrary: weirdString, weight: 1 },
  ).map((value) => value);
}

interface DetailSample {
  /** What goes into PutEvents' Detail (usually JSON). */
  text: string;
}

/** Valid-looking details with a unique session id, then often broken on purpose. */
export function sessionCompletedArbitrary(now: Date, prefix: string): fc.Arbitrary<DetailSample> {
  let counter = 0;
  const base = fc
    .record({
      clientId: fc.oneof({ arbitrary: idArbitrary, weight: 12 }, { arbitrary: weirdString, weight: 1 }),
      therapistId: fc.oneof({ arbitrary: idArbitrary, weight: 12 }, { arbitrary: weirdString, weight: 1 }),
      endedAt: endedAtArbitrary(now),
      email: emailArbitrary,
      firstName: fc.option(nameArbitrary, { nil: undefined }),
      locale: fc.option(fc.oneof(fc.constantFrom('en', 'es', 'fr', 'EN', 'es-MX', ''), weirdString), { nil: undefined }),
      therapistEmail: emailArbitrary,
      therapistName: fc.option(nameArbitrary, { nil: undefined }),
      extra: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { nil: undefined }),
    })
    .map((fields) => ({
      sessionId: `${prefix}-${counter++}`,
      clientId: fields.clientId,
      therapistId: fields.therapistId,
      endedAt: fields.endedAt,
      client: { email: fields.email, firstName: fields.firstName, locale: fields.locale },
      therapist: { email: fields.therapistEmail, name: fields.therapistName },
      ...(fields.extra ?? {}),
    }));
  const mutation = fc.oneof(
    { arbitrary: fc.constant('none' as const), weight: 6 },
    { arbitrary: fc.constantFrom('drop', 'replace', 'huge', 'proto', 'duplicate-key') , weight: 4 },
    { arbitrary: fc.constantFrom('random-json', 'not-json', 'not-object'), weight: 1 },
  );
  return fc.tuple(base, mutation, fc.constantFrom('sessionId', 'clientId', 'therapistId', 'endedAt', 'client', 'therapist', 'client.email', 'client.firstName', 'client.locale', 'therapist.email', 'therapist.name'), fc.anything({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 3 })).map(
    ([detail, kind, path, anything, json]) => {
      switch (kind) {
        case 'none':
          return { text: JSON.stringify(detail) };
        case 'drop':
          return { text: JSON.stringify(setPath(detail, path, undefined)) };
        case 'replace':
          return { text: JSON.stringify(setPath(detail, path, jsonSafe(anything))) };
        case 'huge':
          return { text: JSON.stringify(setPath(detail, path, 'A'.repeat(20_000 + (counter % 50_000)))) };
        case 'proto':
          return { text: JSON.stringify(detail).replace(/^\{/, '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"polluted":1}},') };
        case 'duplicate-key':
          return { text: JSON.stringify(detail).replace(/^\{/, `{"sessionId":${JSON.stringify(String(anything))},`) };
        case 'random-json':
          return { text: JSON.stringify(json) };
        case 'not-json':
          return { text: JSON.stringify(detail).slice(0, -1) };
        case 'not-object':
          return { text: JSON.stringify([detail]) };
      }
    },
  );
}

function setPath(detail: Record<string, any>, path: string, value: unknown): Record<string, any> {
  const copy = structuredClone(detail);
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) {
    if (value === undefined) delete copy[head];
    else copy[head] = value;
  } else if (typeof copy[head] === 'object' && copy[head] !== null) {
    if (value === undefined) delete copy[head][tail];
    else copy[head][tail] = value;
  }
  return copy;
}

/** fc.anything() can hold values JSON cannot (undefined, -0, NaN): what JSON would make of them. */
function jsonSafe(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

export interface BadInputOptions {
  count: number;
  seed: number;
  item: string;
  prefix: string;
}

/** Puts `count` random or mutated SessionCompleted details on the bus and checks what became of each. */
export async function runSessionCompletedProperty(harness: ReliabilityStack, options: BadInputOptions): Promise<{ figures: Figure[]; problems: string[] }> {
  const now = harness.clock.now();
  const samples = fc.sample(sessionCompletedArbitrary(now, options.prefix), { numRuns: options.count, seed: options.seed });
  const deadLettersBefore = harness.stack.deadLetters.length;
  const accepted = await putOnBus(
    harness.events,
    samples.map((sample) => ({ Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: sample.text })),
    8,
  );
  await harness.stack.waitForIdle(900_000);

  const problems: string[] = [];
  const table = await snapshot(harness);
  const mail = await allMail(harness.stack);
  const deadLetters = harness.stack.deadLetters.slice(deadLettersBefore);
  const deadLetterByEvent = new Map(deadLetters.map((letter) => [letter.eventId, letter]));
  const mailBySession = new Map<string, number>();
  for (const message of mail) {
    const sessionId = sessionOfMail(message, table);
    if (sessionId) mailBySession.set(sessionId, (mailBySession.get(sessionId) ?? 0) + 1);
  }

  const counts = { busRejected: 0, parked: 0, requested: 0, skipped: 0, duplicate: 0 };
  const skipReasons = new Map<string, number>();
  const unclear: string[] = [];
  samples.forEach((sample, index) => {
    const result = accepted[index]!;
    const what = `sample ${index} (${sample.text.slice(0, 120)}…)`;
    if ('error' in result) {
      counts.busRejected += 1;
      if (!/^[A-Za-z]+: .+/.test(result.error)) unclear.push(`${what}: the bus said "${result.error}"`);
      return;
    }
    let detail: unknown;
    try {
      detail = JSON.parse(sample.text);
    } catch {
      detail = undefined;
    }
    const parsed = SessionCompletedDetailSchema.safeParse(detail);
    const letter = deadLetterByEvent.get(result.eventId);
    if (!parsed.success) {
      if (!letter) return void problems.push(`${what}: invalid, yet no dead letter`);
      counts.parked += 1;
      if (letter.origin !== 'function') problems.push(`${what}: dead-lettered after failing (${letter.reason}), not parked with a reason`);
      if (!/^invalid SessionCompleted detail: (\(detail\)|[A-Za-z.]+): [^;]+(; (\(detail\)|[A-Za-z.]+): [^;]+)*$/.test(letter.reason)) unclear.push(`${what}: reason "${letter.reason}"`);
      for (const secret of secretsOf(detail)) if (letter.reason.includes(secret)) problems.push(`${what}: the reason echoes a value`);
      return;
    }
    if (letter) return void problems.push(`${what}: valid, yet dead-lettered (${letter.origin}: ${letter.reason})`);
    const session = table.sessions.get(parsed.data.sessionId);
    if (!session) return void problems.push(`${what}: valid, yet no session record`);
    if (session['clientId'] !== parsed.data.clientId) {
      counts.duplicate += 1;
      return;
    }
    if (session['status'] === 'requested') {
      counts.requested += 1;
      if ((mailBySession.get(parsed.data.sessionId) ?? 0) !== 1) problems.push(`${what}: requested, with ${mailBySession.get(parsed.data.sessionId) ?? 0} emails`);
      if (!session['tokenHash'] || !table.tokens.has(String(session['tokenHash']))) problems.push(`${what}: requested without its token`);
    } else if (session['status'] === 'skipped') {
      counts.skipped += 1;
      const reason = String(session['skipReason'] ?? '');
      skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
      if (!reason) unclear.push(`${what}: skipped without a reason`);
      if (mailBySession.has(parsed.data.sessionId)) problems.push(`${what}: skipped, yet mailed`);
    } else {
      problems.push(`${what}: left ${session['status']}`);
    }
  });
  const crashes = deadLetters.filter((letter) => letter.origin !== 'function');
  // A claim is the session written `requested` before the email; its token item is the mark that the email went out.
  const halfDone = [...table.sessions.values()].filter(
    (session) => String(session['sessionId']).startsWith(options.prefix) && (session['status'] === 'claimed' || (session['status'] === 'requested' && !table.tokens.has(String(session['tokenHash'])))),
  );
  const orphanTokens = [...table.tokens.values()].filter((token) => {
    const session = table.sessions.get(String(token['sessionId']));
    return String(token['sessionId']).startsWith(options.prefix) && (!session || session['status'] !== 'requested');
  });
  for (const letter of crashes) problems.push(`dead-lettered after repeated failures: ${letter.reason}`);
  if (halfDone.length > 0) problems.push(`${halfDone.length} sessions left claimed`);
  if (orphanTokens.length > 0) problems.push(`${orphanTokens.length} form tokens without a requested session`);
  problems.push(...unclear);

  const skipped = [...skipReasons.entries()].map(([reason, count]) => `${reason} ${count}`).join(', ');
  const figures: Figure[] = [
    {
      item: options.item,
      check: `${options.count} random/mutated SessionCompleted details (seed ${options.seed})`,
      figure:
        `refused by the bus ${counts.busRejected}, dead-lettered with a reason ${counts.parked}, emailed ${counts.requested}, skipped ${counts.skipped} (${skipped || 'none'}), ` +
        `same session id again ${counts.duplicate}; crashes ${crashes.length}, half-written ${halfDone.length + orphanTokens.length}, unclear reasons ${unclear.length}`,
      pass: problems.length === 0,
    },
  ];
  return { figures, problems };
}

/** The strings of a detail that could be personal data (so a reason must not contain them). */
function secretsOf(detail: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string' && value.length >= 6 && /[@A-Za-z]/.test(value)) found.push(value);
    else if (value && typeof value === 'object') for (const inner of Object.values(value)) walk(inner);
  };
  if (detail && typeof detail === 'object') {
    const record = detail as Record<string, unknown>;
    walk(record['client']);
    walk(record['therapist']);
  }
  return found;
}

// --- Form posts -------------------------------------------------------------------------

/** Requested sessions written with the product's own session store, as the request function leaves them. */
export async function seedRequestedSessions(harness: ReliabilityStack, count: number, prefix: string): Promise<{ sessionId: string; token: string }[]> {
  const store = new DynamoDbSessionStore(harness.stack.tableName, harness.table);
  const now = harness.clock.now();
  const expiresAt = new Date(now.getTime() + 72 * 3_600_000).toISOString();
  return pool(
    Array.from({ length: count }, (_, index) => index),
    16,
    async (index) => {
      const sessionId = `${prefix}-${index}`;
      const clientId = `${prefix}-client-${index}`;
      const { token, hash } = randomTokens.create();
      await store.claimSession(
        {
          sessionId,
          clientId,
          therapistId: 't-1',
          endedAt: new Date(now.getTime() - 3_600_000).toISOString(),
          client: { email: `${clientId}@example.com`, firstName: 'Ana', locale: index % 2 === 0 ? 'en' : 'es' },
          therapist: { email: 'therapist@practice.example' },
        },
        { tokenHash: hash, requestedAt: now.toISOString(), expiresAt },
        now,
        60,
      );
      await store.saveFormToken({ tokenHash: hash, sessionId, clientId, therapistId: 't-1', locale: index % 2 === 0 ? 'en' : 'es', expiresAt, instrumentId: DEFAULT_INSTRUMENT.id });
      return { sessionId, token };
    },
  );
}

interface FormPost {
  /** Index into the valid tokens, or a path that is not one. */
  target: { token: number } | { path: string };
  method: string;
  contentType: string | undefined;
  body: string | Uint8Array;
}

const choiceValue = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 10 }).map(String), weight: 8 },
  { arbitrary: fc.constantFrom('', '-1', '11', '5.0', ' 5', '05', '٥', '5\u0000', '1e1', 'NaN', '0x5', '+5'), weight: 1 },
  { arbitrary: weirdString, weight: 1 },
);

function formBodyArbitrary(): fc.Arbitrary<string | Uint8Array> {
  const items = fc.record(
    Object.fromEntries(DEFAULT_INSTRUMENT.items.map((item) => [item.id, fc.oneof({ arbitrary: fc.array(choiceValue, { minLength: 1, maxLength: 1 }), weight: 8 }, { arbitrary: fc.array(choiceValue, { maxLength: 3 }), weight: 1 })])),
  );
  const comment = fc.option(
    fc.oneof(
      fc.constantFrom(...INJECTION_CORPUS),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: 'grapheme', minLength: 1_990, maxLength: 2_010 }),
      fc.constant('x'.repeat(40_000)),
    ),
    { nil: undefined },
  );
  const talk = fc.option(fc.oneof({ arbitrary: fc.constant(['yes']), weight: 4 }, { arbitrary: fc.array(fc.constantFrom('yes', 'no', 'on', ''), { maxLength: 3 }), weight: 1 }), { nil: undefined });
  const structured = fc.record({ items, comment, talk, extra: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 2 }) }).map(({ items, comment, talk, extra }) => {
    const form = new URLSearchParams();
    for (const [id, values] of Object.entries(items)) for (const value of values as string[]) form.append(id, value);
    if (comment !== undefined) form.append('comment', comment);
    for (const value of talk ?? []) form.append('talk', value);
    for (const [key, value] of Object.entries(extra)) form.append(key, value);
    return form.toString();
  });
  const raw = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom('relationship=%ZZ&goals=%E0%A4&approach=%&overall=%0', '%FF%FE%00', '=&=&&==', 'relationship=5&relationship=5&goals=5&approach=5&overall=5'),
    fc.uint8Array({ maxLength: 200 }),
  );
  return fc.oneof({ arbitrary: structured, weight: 8 }, { arbitrary: raw, weight: 2 });
}

export function formPostArbitrary(tokens: number): fc.Arbitrary<FormPost> {
  const target = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: Math.max(0, tokens - 1) }).map((token) => ({ token })), weight: 8 },
    {
      arbitrary: fc
        .oneof(
          fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((token) => `/f/${token}`),
          fc.string({ maxLength: 60 }).map((text) => `/f/${encodeURIComponent(text)}`),
          fc.constantFrom('/f/', '/f', '/', '/f/x/thanks', '/u/not-a-token', '/a/not-a-token', '/f/%00', '/f/..%2F..%2Fetc%2Fpasswd', '/favicon.ico'),
        )
        .map((path) => ({ path })),
      weight: 2,
    },
  );
  const method = fc.oneof({ arbitrary: fc.constant('POST'), weight: 9 }, { arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'HEAD'), weight: 1 });
  const contentType = fc.oneof(
    { arbitrary: fc.constant('application/x-www-form-urlencoded'), weight: 8 },
    { arbitrary: fc.constantFrom(undefined, 'APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8', 'multipart/form-data; boundary=x', 'application/json', 'text/plain', 'text/html', ';;;'), weight: 2 },
  );
  return fc.record({ target, method, contentType, body: formBodyArbitrary() });
}

const ALLOWED_STATUS = new Set([200, 204, 303, 400, 404, 405, 409, 410, 413, 415]);

/** Posts `count` random forms (at most `concurrency` at once) and checks every answer and what was stored. */
export async function runFormPostProperty(
  harness: ReliabilityStack,
  options: BadInputOptions & { tokens: readonly { sessionId: string; token: string }[]; concurrency?: number },
): Promise<{ figures: Figure[]; problems: string[] }> {
  const posts = fc.sample(formPostArbitrary(options.tokens.length), { numRuns: options.count, seed: options.seed });
  const publishedBefore = harness.published.length;
  const results = await pool(posts, options.concurrency ?? 16, async (sample): Promise<PostResult & { path: string }> => {
    const path = 'token' in sample.target ? `/f/${options.tokens[sample.target.token]!.token}` : sample.target.path;
    try {
      return { ...(await post(harness.stack, path, sample.body, { method: sample.method, contentType: sample.contentType })), path };
    } catch (error) {
      return { status: 0, body: String(error), headers: new Headers(), ms: 0, path };
    }
  });
  await harness.stack.waitForIdle(600_000);

  const problems: string[] = [];
  const statuses = new Map<number, number>();
  const winners = new Map<string, { index: number }[]>();
  results.forEach((result, index) => {
    statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
    const sample = posts[index]!;
    const what = `post ${index} ${sample.method} ${result.path.slice(0, 60)} (${String(sample.contentType)})`;
    if (!ALLOWED_STATUS.has(result.status)) problems.push(`${what}: status ${result.status}`);
    if (result.status === 303) {
      if (!('token' in sample.target)) problems.push(`${what}: 303 without a valid token`);
      else winners.set(options.tokens[sample.target.token]!.sessionId, [...(winners.get(options.tokens[sample.target.token]!.sessionId) ?? []), { index }]);
    }
    if (result.status >= 400 && result.status !== 405 && sample.method !== 'HEAD' && !/<main>[\s\S]*<\/main>/.test(result.body)) problems.push(`${what}: ${result.status} without a page saying why`);
    if (result.status === 400 && !/role="alert"[\s\S]*<li><a href="#[a-z-]+">[^<]+<\/a><\/li>/.test(result.body)) problems.push(`${what}: 400 without the field errors`);
  });

  const table = await snapshot(harness);
  let stored = 0;
  let halfWritten = 0;
  for (const { sessionId } of options.tokens) {
    const session = table.sessions.get(sessionId);
    const won = winners.get(sessionId) ?? [];
    if (won.length > 1) problems.push(`${sessionId}: ${won.length} posts accepted`);
    if (session?.['answer'] || session?.['answeredAt']) stored += 1;
    if (Boolean(session?.['answer']) !== Boolean(session?.['answeredAt'])) halfWritten += 1;
    if (won.length === 0 && (session?.['answer'] || session?.['answeredAt'])) problems.push(`${sessionId}: an answer stored without an accepted post`);
    if (won.length === 1) {
      const sample = posts[won[0]!.index]!;
      const body = typeof sample.body === 'string' ? sample.body : Buffer.from(sample.body).toString('utf8');
      const parsed = parseFeedbackForm(body, DEFAULT_INSTRUMENT);
      const answer = session?.['answer'] as { items?: Record<string, number>; talk?: boolean; comment?: string } | undefined;
      if (!parsed.ok || !answer) problems.push(`${sessionId}: accepted post not stored as parsed`);
      else if (JSON.stringify(sortKeys(answer.items ?? {})) !== JSON.stringify(sortKeys(parsed.answer.items)) || answer.talk !== parsed.answer.talk || answer.comment !== parsed.answer.comment) {
        problems.push(`${sessionId}: stored answer differs from the accepted post`);
      }
      if (Object.keys(answer?.items ?? {}).length !== DEFAULT_INSTRUMENT.items.length) halfWritten += 1;
    }
  }
  if (halfWritten > 0) problems.push(`${halfWritten} half-written answers`);
  const announced = harness.published.slice(publishedBefore).filter((event) => event.detailType === 'FeedbackSubmitted');
  const announcedSessions = new Set(announced.map((event) => JSON.parse(event.detail).sessionId));
  if (announced.length !== winners.size || announcedSessions.size !== winners.size) {
    const extra = announced.map((event) => JSON.parse(event.detail).sessionId as string).filter((sessionId, index, all) => !winners.has(sessionId) || all.indexOf(sessionId) !== index);
    problems.push(`FeedbackSubmitted published ${announced.length} times for ${winners.size} accepted answers (extra: ${extra.join(', ')})`);
    for (const sessionId of extra) {
      const token = options.tokens.find((entry) => entry.sessionId === sessionId);
      results.forEach((result, index) => {
        const sample = posts[index]!;
        if ('token' in sample.target && options.tokens[sample.target.token]!.sessionId === sessionId) problems.push(`  ${sessionId} ${token ? '' : '?'}post ${index}: ${sample.method} ${String(sample.contentType)} → ${result.status}`);
      });
    }
  }

  const serverErrors = [...statuses.entries()].filter(([status]) => status >= 500 || status === 0).reduce((sum, [, count]) => sum + count, 0);
  const byStatus = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`).join(', ');
  return {
    figures: [
      {
        item: options.item,
        check: `${options.count} random form posts to ${options.tokens.length} links (seed ${options.seed})`,
        figure: `${byStatus}; 5xx or no answer ${serverErrors}; answers stored ${stored} (one per accepted post ${winners.size}), half-written ${halfWritten}`,
        pass: problems.length === 0,
      },
    ],
    problems,
  };
}

function sortKeys(value: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}

