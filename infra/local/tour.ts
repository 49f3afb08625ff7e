/**
 * `npm run tour`: the clinical loop in under a minute, against a running `npm start`. A new client
 * has six daily sessions: the first five answered at their usual level, the sixth well below it.
 * Each session goes in as a SessionCompleted event; each form is opened and answered from the
 * mailed link, as a browser would. The therapist's alert then waits in the mail viewer.
 *
 * The sessions' end times lie one day apart in the last week, so the throttle (12 h by default)
 * and the stale window (7 days) let every one through. Each run uses a new client id.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../shared/adapters/items/index.ts';
import { DEFAULT_TABLE_NAME } from '../../shared/adapters/table.ts';
import { DEFAULT_INSTRUMENT } from '../../shared/domain/instruments.ts';
import { DEFAULT_BUS_NAME, SessionCompleted, type SessionCompletedDetail } from '../../shared/events/contracts.ts';
import { LOCAL_CREDENTIALS, localDynamoDbClient } from './dynamodb-local.ts';
import { LocalStackError } from './errors.ts';
import { LOCAL_HOST, portsFromEnv, type LocalPorts } from './ports.ts';
import { waitFor, WaitTimeoutError } from './wait.ts';

const HELP = `Usage: npm run tour

With \`npm start\` running in another terminal: sends six sessions of one new client to the local
bus, answers each feedback form from its emailed link (five at the client's usual level, the sixth
well below it), and says where to find the therapist's alert.

Uses the ports of \`npm start\`: BUS_PORT, WEB_PORT, SES_PORT, DYNAMODB_PORT (defaults 4010, 3000,
8005, 8000).`;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const THERAPIST = { email: 'lee@practice.example', name: 'Dr. Lee' };

/** The answers, on the built-in instrument's items (0–10 each). The last one drops, most on goals. */
const ANSWERS: readonly Record<string, number>[] = [
  { relationship: 10, goals: 9, approach: 9, overall: 10 },
  { relationship: 10, goals: 10, approach: 9, overall: 10 },
  { relationship: 10, goals: 9, approach: 9, overall: 10 },
  { relationship: 10, goals: 10, approach: 9, overall: 10 },
  { relationship: 10, goals: 9, approach: 9, overall: 10 },
  { relationship: 7, goals: 5, approach: 7, overall: 7 },
];

/** A mail as the SES emulator's `/store` lists it. */
interface StoredMail {
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
}

/** Something the tour cannot go on without, said in a sentence that tells the reader what to do. */
class TourError extends Error {
  override name = 'TourError';
}

function total(answers: Record<string, number>): number {
  return Object.values(answers).reduce((sum, value) => sum + value, 0);
}

function day(iso: string): string {
  return new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date(iso));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return;
  }

  let ports: LocalPorts;
  try {
    ports = portsFromEnv();
  } catch (error) {
    throw new TourError((error as LocalStackError).message);
  }
  const url = (port: number) => `http://${LOCAL_HOST}:${port}`;
  const endpoints = { bus: url(ports.bus), web: url(ports.web), ses: url(ports.ses), dynamodb: url(ports.dynamodb) };
  await checkStackIsUp(endpoints.web);

  const events = new EventBridgeClient({ endpoint: endpoints.bus, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const table = DynamoDBDocumentClient.from(localDynamoDbClient(endpoints.dynamodb));
  const clientId = `c-tour-${randomBytes(3).toString('hex')}`;
  const clientEmail = `${clientId}@example.com`;
  const now = Date.now();
  const ended = ANSWERS.map((_, index) => new Date(now - (ANSWERS.length - 1 - index) * DAY_MS - HOUR_MS).toISOString());

  // Alerts the therapist had before this tour (an earlier tour's): this tour's is the next one.
  const earlierAlerts = (await mailTo(endpoints.ses, THERAPIST.email)).length;
  console.log(`Client ${clientId}: ${ANSWERS.length} sessions, one a day from ${day(ended[0]!)} to ${day(ended.at(-1)!)}.\n`);
  try {
    for (const [index, answers] of ANSWERS.entries()) {
      const sessionId = `${clientId}-s${index + 1}`;
      const detail: SessionCompletedDetail = {
        sessionId,
        clientId,
        therapistId: 't-7',
        endedAt: ended[index]!,
        client: { email: clientEmail, firstName: 'Ana', locale: 'en' },
        therapist: THERAPIST,
      };
      await putSession(events, detail);
      const mail = await waitFor(async () => (await mailTo(endpoints.ses, clientEmail))[index], {
        timeoutMs: 15_000,
        intervalMs: 100,
        description: `the feedback email of session ${index + 1}`,
      });
      const link = formLink(mail);
      await answerLikeABrowser(link, answers);
      // The detector judges answers in the order it gets them: let it finish this one first.
      await waitFor(async () => (await table.send(new GetCommand({ TableName: DEFAULT_TABLE_NAME, Key: keys.evaluation(sessionId) }))).Item, {
        timeoutMs: 15_000,
        intervalMs: 100,
        description: `the evaluation of session ${index + 1}`,
      });
      const note = index === ANSWERS.length - 1 ? 'a drop' : 'usual';
      console.log(`  session ${index + 1} (${day(detail.endedAt)}): email received, form answered ${total(answers)} of 40 (${note})`);
    }

    // The subject and body name the client by the practice's label (a pseudonym by default), not by
    // id (the trend page behind the email's link does): this client's alert is the therapist's next one.
    const alert = await waitFor(async () => (await mailTo(endpoints.ses, THERAPIST.email))[earlierAlerts], {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: "the therapist's alert email",
    });
    const why = /^How this was judged: (.*)$/m.exec(alert.body.text ?? '')?.[1];
    console.log(`
The therapist's alert is in the mail viewer: ${endpoints.ses}/
  To:       ${THERAPIST.email}
  Subject:  ${alert.subject}${why ? `\n  Why:      ${why}` : ''}

Its "Open … trend" link opens the client's trend page (client ${clientId}: every session, the
usual range, the alert). Its "Acknowledge this alert" link opens a page with a button: opening
it records nothing, the button does. The client's six feedback emails are there too (to ${clientEmail}).`);
  } finally {
    events.destroy();
    table.destroy();
  }
}

async function checkStackIsUp(web: string): Promise<void> {
  let status: string | undefined;
  try {
    const response = await fetch(`${web}/health`);
    status = ((await response.json()) as { status?: string }).status;
  } catch {
    throw new TourError(`Nothing answers at ${web}/health. Start the local stack first: \`npm start\` in another terminal (same BUS_PORT, WEB_PORT, SES_PORT, DYNAMODB_PORT).`);
  }
  if (status !== 'ok') throw new TourError(`The local stack at ${web} reports "${status}"; wait until \`npm start\` says it is ready.`);
}

async function putSession(events: EventBridgeClient, detail: SessionCompletedDetail): Promise<void> {
  const result = await events.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: DEFAULT_BUS_NAME, Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) }],
    }),
  );
  const entry = result.Entries?.[0];
  if (result.FailedEntryCount) throw new TourError(`The bus did not accept session ${detail.sessionId}: ${entry?.ErrorCode} ${entry?.ErrorMessage}`);
}

async function mailTo(ses: string, address: string): Promise<StoredMail[]> {
  const response = await fetch(`${ses}/store`);
  const { emails } = (await response.json()) as { emails: StoredMail[] };
  return emails.filter((mail) => mail.destination.to.includes(address));
}

function formLink(mail: StoredMail): string {
  const link = /https?:\/\/\S+\/f\/[A-Za-z0-9_-]+/.exec(mail.body.text ?? '')?.[0];
  if (!link) throw new TourError(`The feedback email "${mail.subject}" has no form link.`);
  return link;
}

/** Opens the form, checks it asks the built-in questions, posts the answers and follows the redirect. */
async function answerLikeABrowser(link: string, answers: Record<string, number>): Promise<void> {
  // The link's token is written just after SES accepted the email, so the link may need a moment
  // (no reader is that fast; the tour is).
  const page = await waitFor(
    async () => {
      const response = await fetch(link);
      return response.status === 404 ? (await response.arrayBuffer(), undefined) : response;
    },
    { timeoutMs: 5_000, intervalMs: 100, description: 'the form link to open' },
  ).catch(() => fetch(link));
  const html = await page.text();
  if (page.status !== 200) throw new TourError(`Opening the form at ${link} gave HTTP ${page.status}.`);
  const fields = [...new Set([...html.matchAll(/type="radio"[^>]*\bname="([^"]+)"/g)].map((match) => match[1]!))];
  const expected = DEFAULT_INSTRUMENT.items.map((item) => item.id);
  if (fields.join(',') !== expected.join(',')) {
    throw new TourError(`The form asks ${fields.join(', ')}; the tour answers the built-in instrument (${expected.join(', ')}). Run \`npm start\` without a practice instrument for the tour.`);
  }

  const body = new URLSearchParams(Object.entries(answers).map(([item, value]): [string, string] => [item, String(value)]));
  const posted = await fetch(link, {
    method: 'POST',
    body,
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  const location = posted.headers.get('location');
  if (posted.status !== 303 || !location) throw new TourError(`Posting the form at ${link} gave HTTP ${posted.status}, not a redirect to the thank-you page.`);
  // A browser follows the 303 with a GET; the relative Location resolves against the form's URL.
  const thanks = await fetch(new URL(location, link));
  if (thanks.status !== 200) throw new TourError(`The thank-you page gave HTTP ${thanks.status}.`);
}

try {
  await main();
} catch (error) {
  if (error instanceof TourError) {
    console.error(error.message);
  } else if (error instanceof WaitTimeoutError) {
    console.error(
      `${error.message}.\nLook at the \`npm start\` terminal for errors and at its dead letters (/dead-letters on the bus port). ` +
        'If you started it with THROTTLE_HOURS above 24 or MAX_SESSION_AGE_HOURS below 121, the tour’s daily sessions are skipped.',
    );
  } else {
    const code = (error as { code?: string }).code;
    console.error(code === 'ECONNREFUSED' ? 'Lost the connection to the local stack: is `npm start` still running?' : error);
  }
  process.exitCode = 1;
}
