/**
 * A client's right of access and to erasure on the local stack: data made by the real pipeline
 * (sessions, answers with comments, an alert), exported by the CLI as a subprocess, erased by it,
 * and the retention period's TTL on what the pipeline writes. The table has no client index: both
 * commands scan it, so the table also holds other clients' items spread over several scan pages.
 * Then that the erasure is final (redelivered and late events, new sessions), that an opt-out
 * outlives it on the do-not-contact list, and that `alliance clients` lifts a restriction, audited.
 */
import { spawn } from 'node:child_process';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchWriteCommand, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import type { EventEnvelope } from '../../infra/local/event-bus.ts';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { DynamoDbClientDataStore } from '../../shared/adapters/dynamodb-client-data-store.ts';
import { keys } from '../../shared/adapters/items/index.ts';
import { TTL_ATTRIBUTE } from '../../shared/adapters/table.ts';
import { RETENTION_SETTINGS } from '../../shared/config.ts';
import { spawnCli } from './support/cli.ts';
import { awaitMail, mailbox, mailedLink, mailTo, postAnswers, sendSession, sessionDetail, waitFor } from './support/local-stack.ts';
import { useLocalStack } from './support/use-local-stack.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
const RETENTION_DAYS = 400;
const COMMENT = 'My sister Rosa says I should quit';

let dir: string;
const clock = new ManualClock(new Date('2026-11-02T12:00:00Z'));
const local = useLocalStack({
  clock,
  retry: { baseDelayMs: 20, maxDelayMs: 100 },
  schedulerIntervalMs: 3_600_000,
  // Read by the functions when the stack loads them.
  env: { [RETENTION_SETTINGS.retentionDays.env]: String(RETENTION_DAYS) },
});

/** The CLI as a practice runs it, asynchronously: the local bus answers from this process. */
const alliance = (...args: string[]) => spawnCli(local.stack, args);

interface Client {
  clientId: string;
  email: string;
  sessionIds: string[];
  links: string[];
  optOutLinks: string[];
  ackLinks: string[];
}

/** One client's sessions, a day apart, each answered from the mailed link. */
async function course(answers: readonly { talk?: boolean; comment?: string }[]): Promise<Client> {
  const base = sessionDetail(clock.now());
  const therapist = `t-${base.clientId}@practice.example`;
  const client: Client = { clientId: base.clientId, email: base.client.email, sessionIds: [], links: [], optOutLinks: [], ackLinks: [] };
  for (const [index, answer] of answers.entries()) {
    const sessionId = `${base.clientId}-s${index + 1}`;
    await sendSession(local.events, { ...base, sessionId, endedAt: new Date(clock.now().getTime() - 3_600_000).toISOString(), therapistId: `t-${base.clientId}`, therapist: { email: therapist, name: 'Dr. Lee' } });
    const mail = await awaitMail(local.stack, client.email, { nth: index + 1, description: `feedback email ${index + 1}` });
    const link = mailedLink(mail, 'f');
    client.optOutLinks.push(mailedLink(mail, 'u'));
    await postAnswers(local.stack, link, { relationship: 9, goals: 9, approach: 9, overall: 9, ...(answer.talk ? { talk: 'yes' } : {}), ...(answer.comment ? { comment: answer.comment } : {}) });
    client.sessionIds.push(sessionId);
    client.links.push(link);
    clock.advance(DAY);
  }
  for (const mail of await mailTo(local.stack, therapist)) client.ackLinks.push(mailedLink(mail, 'a'));
  return client;
}

async function allItems(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await local.table.send(new ScanCommand({ TableName: local.stack.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Items that belong to the client: carry their id, live in one of their sessions' or their own partition, or name one of their sessions (links). */
function itemsOf(items: Record<string, unknown>[], client: Client): Record<string, unknown>[] {
  const partitions = new Set([keys.client(client.clientId).pk, ...client.sessionIds.map((id) => keys.session(id).pk)]);
  const sessions = new Set(client.sessionIds);
  return items.filter((item) => item['clientId'] === client.clientId || partitions.has(String(item['pk'])) || sessions.has(String(item['sessionId'])));
}

/** All an erased client leaves: their id and when they were erased, on the profile's key. */
function tombstoneOf(client: Client) {
  return { ...keys.client(client.clientId), type: 'Client', clientId: client.clientId, erasedAt: expect.any(String) };
}

/** Where a value holds binary data (a B or BS attribute, as the document client reads them), by path. */
function binaryPaths(value: unknown, path: string): string[] {
  if (value instanceof Uint8Array) return [path];
  if (value instanceof Set) return [...value].some((member) => member instanceof Uint8Array) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((element, index) => binaryPaths(element, `${path}[${index}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([name, inner]) => binaryPaths(inner, `${path}.${name}`));
  return [];
}

let ana: Client;
let ben: Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'alliance-client-data-'));
  ana = await course([{ comment: COMMENT }, { talk: true }, {}]);
  ben = await course([{ comment: 'Ben’s own words' }]);
  await fillWithOtherClients();
}, 180_000);

/** Other clients' items, about 4 KB each, so that a scan of the table takes several 1 MB pages. */
async function fillWithOtherClients(): Promise<void> {
  const padding = 'x'.repeat(4_000);
  const filler = Array.from({ length: 400 }, (_, index) => ({ ...keys.session(`other-${index}`), clientId: `other-${index % 7}`, sessionId: `other-${index}`, padding }));
  for (let start = 0; start < filler.length; start += 25) {
    await local.table.send(new BatchWriteCommand({ RequestItems: { [local.stack.tableName]: filler.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
}

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('retention on the local stack', () => {
  it('sets the TTL of session records and evaluations to the retention period after the session ended', async () => {
    const sessionId = ana.sessionIds[0]!;
    const session = (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.session(sessionId) }))).Item!;
    const evaluation = (await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.evaluation(sessionId) }))).Item!;
    const expected = Math.floor((new Date(String(session['endedAt'])).getTime() + RETENTION_DAYS * DAY) / 1000);

    expect(session['answer']).toBeDefined();
    expect(session[TTL_ATTRIBUTE]).toBe(expected);
    expect(evaluation[TTL_ATTRIBUTE]).toBe(expected);
  });
});

describe('the table after the pipeline', () => {
  it('holds only attributes a person can read in the console: no binary (B or BS) attribute anywhere', async () => {
    const items = await allItems();

    expect(itemsOf(items, ana).length).toBeGreaterThan(0);
    expect(items.flatMap((item) => binaryPaths(item, `${String(item['pk'])}|${String(item['sk'])}`))).toEqual([]);
  });

  it('gives every item of the client its clientId: sessions, evaluations, alert claims and links, form links, profile, detector, caseload summary, trend history and trend link', async () => {
    const items = itemsOf(await allItems(), ana);
    const kinds = new Set(items.map((item) => String(item['sk']).replace(/#.*/, '#')));

    // CLIENT#: the caseload summary; TREND#: the trend page's history rows; TREND: the alert's trend link (a token item).
    expect(kinds).toEqual(new Set(['SESSION', 'EVALUATION', 'ALERT#', 'PROFILE', 'DETECTOR#', 'TOKEN', 'OPTOUT', 'ALERT', 'CLIENT#', 'TREND#', 'TREND']));
    expect(items.filter((item) => item['clientId'] !== ana.clientId).map((item) => `${String(item['pk'])}|${String(item['sk'])}`)).toEqual([]);
  });
});

describe('alliance export on the local stack', () => {
  let exported: { clientId: string; sessions: { sessionId: string; answer?: { comment?: string; items?: unknown }; evaluation: unknown; alerts: { kind: string; sentAt?: string }[] }[]; profile: unknown; detectors: unknown[]; caseload: { therapistId: string; commentSessions?: string[] }[]; omitted: { formLinks: number; optOutLinks: number } };
  let text: string;
  let out: string;

  beforeAll(async () => {
    out = join(dir, 'ana.json');
    const result = await alliance('export', ana.clientId, '--out', out);
    expect(result.stderr).toMatch(/wrote 3 sessions/);
    expect(result.code).toBe(0);
    text = readFileSync(out, 'utf8');
    exported = JSON.parse(text);
  }, 60_000);

  it('writes every session of the client with its answer, evaluation and alerts', () => {
    expect(exported.clientId).toBe(ana.clientId);
    expect(exported.sessions.map((session) => session.sessionId)).toEqual(ana.sessionIds);
    expect(exported.sessions[0]!.answer?.comment).toBe(COMMENT);
    expect(exported.sessions.every((session) => session.answer?.items && session.evaluation)).toBe(true);
    expect(exported.sessions[1]!.alerts).toEqual([expect.objectContaining({ kind: 'client-asked', sentAt: expect.any(String) })]);
    expect(exported.profile).not.toBeNull();
    expect(exported.detectors).toHaveLength(1);
    // The therapist's caseload summary (the weekly digest's), its sets as lists.
    expect(exported.caseload).toHaveLength(1);
    expect(Array.isArray(exported.caseload[0]!.commentSessions)).toBe(true);
    expect((exported as unknown as { trendHistory: { sessionId: string }[] }).trendHistory.map((row) => row.sessionId)).toEqual(ana.sessionIds);
    expect(exported.omitted.formLinks).toBe(3);
    expect(exported.omitted.optOutLinks).toBe(3);
  });

  it('contains nothing of another client and no link hashes', () => {
    expect(text).not.toContain(ben.clientId);
    expect(text).not.toContain('Ben’s own words');
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('creates the file readable by its owner only', () => {
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});

describe('finding a client’s items without an index', () => {
  it('finds every item of the client across every page of the scan, and nothing of anyone else', async () => {
    const firstPage = await local.table.send(new ScanCommand({ TableName: local.stack.tableName, ConsistentRead: true }));
    expect(firstPage.LastEvaluatedKey).toBeDefined();
    const expected = itemsOf(await allItems(), ana).map((item) => `${item['pk']}|${item['sk']}`).sort();
    expect(expected.length).toBeGreaterThanOrEqual(3 * 4);

    const found = await new DynamoDbClientDataStore(local.stack.tableName, local.table).findClientItems(ana.clientId);

    expect(found.map((item) => `${item.key['pk']}|${item.key['sk']}`).sort()).toEqual(expected);
    expect(found.filter((item) => item.kind === 'session').map((item) => item.sessionId).sort()).toEqual([...ana.sessionIds].sort());
  });
});

describe('alliance erase on the local stack', () => {
  let before: Record<string, unknown>[];
  let erased: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    before = await allItems();
    erased = await alliance('erase', ana.clientId, '--yes');
  }, 60_000);

  it('deletes every item of the client and reports the count, leaving only the tombstone', async () => {
    const found = itemsOf(before, ana).length;

    expect(erased.code).toBe(0);
    expect(erased.stdout).toContain(`Deleted ${found} items`);
    expect(itemsOf(await allItems(), ana)).toEqual([tombstoneOf(ana)]);
  });

  it('leaves other clients untouched', async () => {
    expect(itemsOf(await allItems(), ben)).toEqual(itemsOf(before, ben));
  });

  it('makes the form, opt-out and acknowledge links of the client answer 404', async () => {
    expect(ana.ackLinks).toHaveLength(1);
    expect(ana.optOutLinks).toHaveLength(3);
    for (const link of [...ana.links, ...ana.optOutLinks, ...ana.ackLinks]) {
      expect((await fetch(link)).status, link).toBe(404);
    }
    expect((await fetch(ben.links[0]!)).status).not.toBe(404);
  });

  it('publishes ClientErased with ids and counts only', () => {
    const erasedEvents = local.published.filter((event) => event['detail-type'] === 'ClientErased');

    expect(erasedEvents).toHaveLength(1);
    expect(erasedEvents[0]!.source).toBe('alliance-feedback');
    expect(erasedEvents[0]!.detail).toEqual({ clientId: ana.clientId, erasedAt: expect.any(String), itemsDeleted: itemsOf(before, ana).length });
    const text = JSON.stringify(erasedEvents[0]);
    for (const personal of [ana.email, 'Ana', COMMENT, 'Dr. Lee']) expect(text).not.toContain(personal);
  });

  it('can be run again: deletes nothing more and announces again', async () => {
    const again = await alliance('erase', ana.clientId, '--yes');

    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Deleted 0 items');
    expect(local.published.filter((event) => event['detail-type'] === 'ClientErased').at(-1)!.detail).toMatchObject({ clientId: ana.clientId, itemsDeleted: 0 });
  });
});

/** Puts events in the evaluate route's dead-letter queue, as its function parks them, and redrives them: a real redelivery. */
async function redeliverToEvaluate(envelopes: readonly EventEnvelope[]): Promise<void> {
  const dlq = local.stack.queues.get('feedback-to-evaluate')!.deadLetterQueueUrl;
  const sqs = new SQSClient({ endpoint: local.stack.endpoints.bus, region: local.stack.region, credentials: LOCAL_CREDENTIALS });
  try {
    for (const envelope of envelopes) {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: JSON.stringify(envelope), MessageAttributes: { reason: { DataType: 'String', StringValue: 'test: parked during the erase' } } }));
    }
  } finally {
    sqs.destroy();
  }
  const redriven = await alliance('redrive', '--queue', dlq);
  expect(redriven.stdout).toContain(`Moved ${envelopes.length} message`);
  await local.stack.waitForIdle();
}

/** Mail to an address, however its letters are cased (the newcomer's is upper-cased). */
async function mailToAnyCase(address: string) {
  return (await mailbox(local.stack)).filter((mail) => mail.destination.to.some((to) => to.toLowerCase() === address.toLowerCase()));
}

/** The opt-out link of a client's feedback email. */
async function optOutLinkOf(address: string): Promise<string> {
  const text = (await mailTo(local.stack, address))[0]!.body.text ?? '';
  return /http:\/\/127\.0\.0\.1:\d+\/u\/[^\s">]+/.exec(text)![0];
}

describe('an erasure is final', () => {
  it('recreates nothing from a redelivered FeedbackSubmitted or a late FeedbackExpired: no detector record, no evaluation', async () => {
    const answered = local.published.find((event) => event['detail-type'] === 'FeedbackSubmitted' && (event.detail as { sessionId?: string }).sessionId === ana.sessionIds[0])!;
    const detail = answered.detail as { sessionId: string; clientId: string; therapistId: string; sessionEndedAt?: string };
    expect(detail.sessionEndedAt).toBeDefined();
    const expired: EventEnvelope = {
      ...answered,
      id: `${answered.id.slice(0, -4)}beef`,
      'detail-type': 'FeedbackExpired',
      detail: { sessionId: ana.sessionIds[2], clientId: detail.clientId, therapistId: detail.therapistId, sessionEndedAt: detail.sessionEndedAt },
    };
    const alertsBefore = local.published.filter((event) => event['detail-type'] === 'AllianceRuptureDetected').length;

    await redeliverToEvaluate([answered, expired]);

    expect(itemsOf(await allItems(), ana)).toEqual([tombstoneOf(ana)]);
    expect(local.published.filter((event) => event['detail-type'] === 'AllianceRuptureDetected')).toHaveLength(alertsBefore);
    expect(local.stack.deadLetters).toHaveLength(0);
  }, 60_000);

  it('skips a new session of the erased client id: no email, nothing stored', async () => {
    const mailBefore = (await mailTo(local.stack, ana.email)).length;

    await sendSession(local.events, { ...sessionDetail(clock.now()), sessionId: `${ana.clientId}-late`, clientId: ana.clientId, client: { email: ana.email, firstName: 'Ana', locale: 'en' } });
    await local.stack.waitForIdle();

    expect(await mailTo(local.stack, ana.email)).toHaveLength(mailBefore);
    expect(itemsOf(await allItems(), { ...ana, sessionIds: [...ana.sessionIds, `${ana.clientId}-late`] })).toEqual([tombstoneOf(ana)]);
  }, 60_000);

  it('finds nothing but the tombstone on a second erase, and export says the client was erased', async () => {
    const again = await alliance('erase', ana.clientId, '--yes');
    const exported = await alliance('export', ana.clientId);

    expect(again.stdout).toContain(`Client ${ana.clientId} in`);
    expect(again.stdout).toContain(': 0 items (nothing).');
    expect(itemsOf(await allItems(), ana)).toEqual([tombstoneOf(ana)]);
    expect(JSON.parse(exported.stdout)).toMatchObject({ clientId: ana.clientId, erasedAt: expect.any(String), profile: null, sessions: [], detectors: [] });
  }, 60_000);
});

describe('an opt-out outlives the erasure', () => {
  let cara: Client;
  let newcomer: ReturnType<typeof sessionDetail>;

  beforeAll(async () => {
    cara = await course([{}]);
    const optedOut = await fetch(await optOutLinkOf(cara.email), { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(optedOut.status).toBe(200);
    await local.stack.waitForIdle();
    expect((await alliance('erase', cara.clientId, '--yes')).stdout).toContain('1 address kept on the do-not-contact list');
    // The EHR registers the same person again, under a new id.
    newcomer = { ...sessionDetail(clock.now()), client: { email: cara.email.toUpperCase(), firstName: 'Cara', locale: 'en' } };
  }, 120_000);

  it('keeps the address only as a keyed hash: nothing in the table names it or the client', async () => {
    const text = JSON.stringify(await allItems());

    expect(text).not.toContain(cara.email);
    expect(itemsOf(await allItems(), cara)).toEqual([tombstoneOf(cara)]);
    expect((await allItems()).filter((item) => String(item['pk']).startsWith('CONTACT#'))).toEqual([
      { pk: expect.stringMatching(/^CONTACT#[0-9a-f]{64}$/), sk: 'DO-NOT-CONTACT', type: 'DoNotContact', reason: 'opted-out', recordedAt: expect.any(String) },
    ]);
  });

  it('emails nobody when the EHR sends the same address under a new client id, and records why', async () => {
    const mailBefore = (await mailToAnyCase(cara.email)).length;

    await sendSession(local.events, newcomer);
    await local.stack.waitForIdle();

    expect(await mailToAnyCase(cara.email)).toHaveLength(mailBefore);
    const session = await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.session(newcomer.sessionId) }));
    expect(session.Item).toMatchObject({ status: 'skipped', skipReason: 'do-not-contact' });
  }, 60_000);

  it('emails the address again once the administrator allows it, with an audit event that does not name it', async () => {
    const allowed = await alliance('clients', 'allow', cara.email);
    const mailBefore = (await mailToAnyCase(cara.email)).length;

    await sendSession(local.events, { ...newcomer, sessionId: `${newcomer.sessionId}-2` });
    await waitFor(async () => (await mailToAnyCase(cara.email)).length > mailBefore, { description: 'the feedback email to the allowed address' });

    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('Took the address off the do-not-contact list');
    const audit = local.published.filter((event) => event['detail-type'] === 'ClientContactRestored');
    expect(audit.map((event) => [event.source, event.detail])).toEqual([['alliance-feedback', { scope: 'address', lifted: ['do-not-contact'], restoredAt: expect.any(String) }]]);
    expect(JSON.stringify(audit)).not.toContain(cara.email);
  }, 60_000);
});

describe('alliance clients unblock on the local stack', () => {
  it('lifts a living client’s opt-out, publishes ClientContactRestored, and refuses an erased client', async () => {
    const optedOut = await fetch(await optOutLinkOf(ben.email), { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(optedOut.status).toBe(200);
    await local.stack.waitForIdle();

    const lifted = await alliance('clients', 'unblock', ben.clientId);
    const refused = await alliance('clients', 'unblock', ana.clientId);

    expect(lifted.code).toBe(0);
    expect(lifted.stdout).toContain(`Lifted opted-out for client ${ben.clientId}`);
    const profile = await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.client(ben.clientId) }));
    expect(profile.Item?.['optedOutAt']).toBeUndefined();
    expect(local.published.filter((event) => event['detail-type'] === 'ClientContactRestored').at(-1)!.detail).toEqual({
      scope: 'client',
      clientId: ben.clientId,
      lifted: ['opted-out'],
      restoredAt: expect.any(String),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('was erased');
  }, 60_000);
});

describe('a bounce that arrives after the erasure', () => {
  let dana: Client;

  beforeAll(async () => {
    dana = await course([{}]);
    expect((await alliance('erase', dana.clientId, '--yes')).code).toBe(0);
    // SES reports the last email's bounce only now: as a user would, through the npm script.
    const bounced = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/simulate-bounce.ts', '--client', dana.clientId, '--address', dana.email], { cwd: ROOT, env: { ...process.env, BUS_PORT: String(local.stack.ports.bus) } });
    expect(await new Promise((done) => bounced.on('close', done))).toBe(0);
    await local.stack.waitForIdle();
  }, 120_000);

  it('adds nothing to the tombstone, and keeps the address only as a keyed hash on the do-not-contact list', async () => {
    const items = await allItems();

    expect(itemsOf(items, dana)).toEqual([tombstoneOf(dana)]);
    expect(JSON.stringify(items)).not.toContain(dana.email);
    expect(items.filter((item) => String(item['pk']).startsWith('CONTACT#') && item['reason'] === 'bounce')).toHaveLength(1);
    expect(local.published.filter((event) => event['detail-type'] === 'ClientEmailSuppressed' && JSON.stringify(event.detail).includes(dana.clientId))).toEqual([]);
  });

  it('emails nobody when the EHR sends the bounced address again under a new client id', async () => {
    const newcomer = { ...sessionDetail(clock.now()), client: { email: dana.email, firstName: 'Dana', locale: 'en' as const } };
    const mailBefore = (await mailToAnyCase(dana.email)).length;

    await sendSession(local.events, newcomer);
    await local.stack.waitForIdle();

    expect(await mailToAnyCase(dana.email)).toHaveLength(mailBefore);
    const session = await local.table.send(new GetCommand({ TableName: local.stack.tableName, Key: keys.session(newcomer.sessionId) }));
    expect(session.Item).toMatchObject({ status: 'skipped', skipReason: 'do-not-contact' });
  }, 60_000);
});
