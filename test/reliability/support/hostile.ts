/**
 * A hostile practice on the local stack: the injection corpus as every client's first name, the
 * therapist's name, the client's comment and the ids, and the practice name itself from
 * PRACTICE_NAME; alerts that show the first name and the comment. Every email and page the loop
 * produces is checked: nothing rendered unescaped, no added tag or attribute, no script link, no
 * bidirectional override, no way to add a mail header. The same run carries clearly personal data
 * through every path (and through failures), for the log check.
 */
import { escapeHtml, stripBidiControls } from '../../../shared/domain/html.ts';
import { IdSchema, SessionCompleted } from '../../../shared/events/contracts.ts';
import type { StoredMail } from '../../integration/support/local-stack.ts';
import { INJECTION_CORPUS, isAcceptableName } from './corpus.ts';
import { ackToken, allMail, formToken, optOutToken, pool, post, putOnBus, type ReliabilityStack } from './harness.ts';
import { itemsFor } from './pipeline-scenario.ts';
import type { Figure } from './report.ts';

const HOUR = 3_600_000;

/** The practice name a hostile instance runs with: markup, quotes, an override, non-BMP text. */
export const HOSTILE_PRACTICE_NAME = '<script>alert("p")</script> "Smith & Jones" \u202Eevil 😀 </title>';

/** The environment a hostile instance needs, set before the stack loads the functions. */
export const HOSTILE_ENVIRONMENT = {
  PRACTICE_NAME: HOSTILE_PRACTICE_NAME,
  ALERT_INCLUDES_COMMENT: 'true',
  ALERT_SHOWS_FIRST_NAME: 'true',
} as const;

const SENDER = 'feedback@practice.example';
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;
const PAGE_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'h1', 'h2', 'p', 'a', 'ul', 'li', 'div', 'form', 'fieldset', 'legend', 'span', 'label', 'input', 'textarea', 'button', 'strong', 'em', 'br', 'dl', 'dt', 'dd']);
const EMAIL_TAGS = new Set(['html', 'head', 'meta', 'title', 'body', 'table', 'tr', 'td', 'p', 'a', 'h1', 'h2', 'ul', 'li', 'strong', 'em', 'br', 'span']);
const ALLOWED_ATTRIBUTES = new Set([
  'lang', 'charset', 'name', 'content', 'style', 'role', 'width', 'height', 'cellpadding', 'cellspacing', 'border', 'align', 'bgcolor', 'href', 'class', 'id',
  'tabindex', 'autofocus', 'method', 'novalidate', 'for', 'type', 'value', 'checked', 'aria-describedby', 'aria-invalid', 'rows', 'maxlength', 'action', 'disabled',
]);

/** Everything wrong with one HTML document: tags and attributes outside the product's own, script links, overrides. */
export function htmlProblems(document: string, kind: 'page' | 'email'): string[] {
  const problems: string[] = [];
  const allowed = kind === 'page' ? PAGE_TAGS : EMAIL_TAGS;
  // The client's own text echoed back in the textarea is theirs, shown as text: leave it out of the override check.
  const outsideTextarea = document.replace(/<textarea\b[^>]*>[\s\S]*?<\/textarea>/g, '<textarea></textarea>');
  for (const match of document.matchAll(/<\s*\/?\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)) {
    const tag = match[1]!.toLowerCase();
    if (tag === 'doctype' || match[0].startsWith('<!')) continue;
    if (!allowed.has(tag)) problems.push(`unexpected <${tag}>`);
    for (const attribute of match[2]!.matchAll(/([^\s=/"']+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/g)) {
      const name = attribute[1]!.toLowerCase();
      const value = attribute[2]!.replace(/^["']|["']$/g, '');
      if (!ALLOWED_ATTRIBUTES.has(name)) problems.push(`unexpected attribute ${name}`);
      if ((name === 'href' || name === 'action') && /^\s*(javascript|data|vbscript):/i.test(value)) problems.push(`${name}="${value.slice(0, 40)}"`);
    }
  }
  if ((document.match(/<style\b/g) ?? []).length > (kind === 'page' ? 1 : 0)) problems.push('more <style> than the product puts there');
  if (BIDI.test(outsideTextarea)) problems.push('a bidirectional override control');
  return problems;
}

/** Everything that would let a value add or change a mail header, or send the mail elsewhere. */
export function headerProblems(mail: StoredMail, expectedTo: string): string[] {
  const problems: string[] = [];
  if (/[\r\n\u0000\u2028\u2029]/.test(mail.subject)) problems.push('a line break in the subject');
  if (!/^"[^"\r\n\\<>]*" <feedback@practice\.example>$/.test(mail.from) && mail.from !== SENDER) problems.push(`From is ${JSON.stringify(mail.from)}`);
  if (mail.destination.to.length !== 1 || mail.destination.to[0] !== expectedTo) problems.push(`To is ${JSON.stringify(mail.destination.to)}`);
  if (mail.destination.cc.length > 0 || mail.destination.bcc.length > 0) problems.push('Cc or Bcc set');
  for (const header of mail.headers ?? []) {
    if (!['List-Unsubscribe', 'List-Unsubscribe-Post'].includes(header.name)) problems.push(`header ${header.name}`);
    if (/[\r\n]/.test(header.value)) problems.push(`a line break in ${header.name}`);
    if (header.name === 'List-Unsubscribe' && !/^<http:\/\/127\.0\.0\.1:\d+\/u\/[A-Za-z0-9_-]{43}>$/.test(header.value)) problems.push(`List-Unsubscribe is ${header.value.slice(0, 80)}`);
  }
  return problems;
}

/** The value as the product shows it in HTML: bidi controls removed, escaped. */
function rendered(value: string): string {
  return escapeHtml(stripBidiControls(value));
}

export interface HostileResult {
  figures: Figure[];
  problems: string[];
  /** Personal data the run carried, for the log check. */
  personal: { emails: string[]; names: string[]; comments: string[] };
  /** A session id the functions must have logged (the log capture saw their lines). */
  loggedSessionId: string;
}

export async function runHostileScenario(harness: ReliabilityStack, options: { item: string; prefix: string }): Promise<HostileResult> {
  const { stack, clock, events } = harness;
  const problems: string[] = [];
  const now = clock.now();
  const practice = rendered(HOSTILE_PRACTICE_NAME);
  const documents = { emails: 0, pages: 0 };
  const personal = { emails: [] as string[], names: [] as string[], comments: [] as string[] };

  // One session per corpus entry: the entry as first name and therapist name, and (later) as comment.
  const sessions = INJECTION_CORPUS.map((value, index) => {
    const clientId = `${options.prefix}-c${index}`;
    return {
      value,
      accepted: isAcceptableName(value),
      detail: {
        sessionId: `${clientId}-s`,
        clientId,
        therapistId: `t-${clientId}`,
        endedAt: new Date(now.getTime() - HOUR).toISOString(),
        client: { email: `${clientId}@example.com`, firstName: value, locale: index % 2 === 0 ? 'en' : 'es' },
        therapist: { email: `t-${clientId}@practice.example`, name: value },
      },
    };
  });
  // A client whose data is unmistakably personal, through every path, including failures.
  const marker = Math.random().toString(36).slice(2, 10);
  const pii = {
    email: `pii.person.${marker}@example.com`,
    name: `Quillon${marker}`,
    comment: `my private words about therapy ${marker}`,
  };
  personal.emails.push(pii.email);
  personal.names.push(pii.name);
  personal.comments.push(pii.comment);
  const piiSession = {
    value: pii.name,
    accepted: true,
    detail: {
      sessionId: `${options.prefix}-pii-s`,
      clientId: `${options.prefix}-pii`,
      therapistId: `t-${options.prefix}-pii`,
      endedAt: new Date(now.getTime() - HOUR).toISOString(),
      client: { email: pii.email, firstName: pii.name, locale: 'en' },
      therapist: { email: `t-${options.prefix}-pii@practice.example`, name: 'Dr. Reyes' },
    },
  };
  for (const session of sessions) {
    personal.emails.push(session.detail.client.email);
    // A name that is also a valid id (a hundred x's) may rightly appear in a log line as an id.
    if (session.value.trim().length >= 5 && !IdSchema.safeParse(session.value.trim()).success) personal.names.push(session.value.trim());
  }
  // Ids from the corpus: the contract refuses them, with a reason naming the field.
  const badIds = INJECTION_CORPUS.map((value, index) => ({
    sessionId: value,
    clientId: `${options.prefix}-id${index}`,
    therapistId: value,
    endedAt: new Date(now.getTime() - HOUR).toISOString(),
    client: { email: `${options.prefix}-id${index}@example.com`, firstName: 'Ana', locale: 'en' },
    therapist: { email: 'lee@practice.example' },
  }));
  // Personal data in an event the contract refuses (the therapist's address is not one) and in
  // one SES refuses with a message that names the address, as the SES sandbox does.
  const piiRefused = { ...piiSession.detail, sessionId: `${options.prefix}-pii-bad`, therapist: { email: `not an address ${pii.name}` } };
  const rejectedAddress = `reject-${pii.email}`;
  personal.emails.push(rejectedAddress);
  const piiRejected = { ...piiSession.detail, sessionId: `${options.prefix}-pii-rejected`, clientId: `${options.prefix}-pii-rejected`, client: { ...piiSession.detail.client, email: rejectedAddress } };
  harness.faults.setRules([{ service: 'ses', kind: 'reject', rate: 1, match: (call) => JSON.stringify(call.input['Destination'] ?? {}).includes(rejectedAddress) }]);

  const all = [...sessions, piiSession];
  const deadLettersBefore = stack.deadLetters.length;
  const eventIds = await putOnBus(
    events,
    [...all.map((session) => session.detail), ...badIds, piiRefused, piiRejected].map((detail) => ({ Source: 'ehr.example', DetailType: SessionCompleted.detailType, Detail: JSON.stringify(detail) })),
  );
  await stack.waitForIdle(120_000);

  // Names the contract refuses (control characters, line breaks) end in the dead-letter queue, naming the field.
  const letters = stack.deadLetters.slice(deadLettersBefore);
  const letterOf = (index: number) => {
    const result = eventIds[index];
    return result && 'eventId' in result ? letters.find((letter) => letter.eventId === result.eventId) : undefined;
  };
  let refusedWithReason = 0;
  all.forEach((session, index) => {
    if (session.accepted) return;
    const letter = letterOf(index);
    if (letter && /client\.firstName|therapist\.name/.test(letter.reason)) refusedWithReason += 1;
    else problems.push(`first name ${JSON.stringify(session.value).slice(0, 40)}: refused without a reason naming it (${letter?.reason ?? 'no dead letter'})`);
  });
  badIds.forEach((_, offset) => {
    // Some corpus entries (a hundred x's) are valid ids; those are simply sessions.
    if (IdSchema.safeParse(INJECTION_CORPUS[offset]).success) return;
    const letter = letterOf(all.length + offset);
    if (letter && /sessionId|therapistId/.test(letter.reason)) refusedWithReason += 1;
    else problems.push(`id ${JSON.stringify(INJECTION_CORPUS[offset]).slice(0, 40)}: ${letter?.reason ?? 'no dead letter'}`);
  });
  const rejectedLetter = stack.deadLetters.slice(deadLettersBefore).find((letter) => letter.origin === 'max-receive-count');
  if (!rejectedLetter) problems.push('the session SES refused did not end in the dead-letter queue');

  // The client emails: headers, and the name rendered escaped.
  let mail = await allMail(stack);
  const tokens = new Map<string, string>();
  const optOutTokens = new Map<string, string>();
  for (const session of all.filter((entry) => entry.accepted)) {
    const received = mail.filter((message) => message.destination.to.includes(session.detail.client.email));
    if (received.length !== 1) {
      problems.push(`${JSON.stringify(session.value).slice(0, 40)}: ${received.length} client emails`);
      continue;
    }
    const message = received[0]!;
    documents.emails += 1;
    const what = `client email to ${JSON.stringify(session.value).slice(0, 30)}`;
    for (const problem of [...headerProblems(message, session.detail.client.email), ...htmlProblems(message.body.html ?? '', 'email')]) problems.push(`${what}: ${problem}`);
    if (!(message.body.html ?? '').includes(rendered(session.value.trim()))) problems.push(`${what}: the name is not shown escaped`);
    if (!(message.body.html ?? '').includes(practice)) problems.push(`${what}: the practice name is not shown escaped`);
    if (!(message.body.text ?? '').includes(stripBidiControls(session.value.trim()))) problems.push(`${what}: the text part lacks the name`);
    const token = formToken(message);
    if (token) tokens.set(session.detail.sessionId, token);
    const optOut = optOutToken(message);
    if (optOut) optOutTokens.set(session.detail.sessionId, optOut);
  }

  // The pages, and the comment: an invalid post echoes it; a valid low answer carries it into the alert.
  const comments = new Map<string, string>();
  await pool(all.filter((entry) => entry.accepted), 4, async (session, index) => {
    const token = tokens.get(session.detail.sessionId);
    if (!token) return;
    const comment = session === piiSession ? pii.comment : INJECTION_CORPUS[index % INJECTION_CORPUS.length]!;
    comments.set(session.detail.sessionId, comment);
    const form = await post(stack, `/f/${token}`, '', { method: 'GET' });
    const rejected = await post(stack, `/f/${token}`, new URLSearchParams({ relationship: '3', comment }).toString());
    const pages = [
      { what: 'form page', response: form, expected: 200 },
      { what: 'form with errors', response: rejected, expected: 400 },
    ];
    // Every other session answers (low, asks to talk, with the comment); the rest get a reminder.
    if (index % 2 === 0 || session === piiSession) {
      const answer = new URLSearchParams({ ...Object.fromEntries(Object.entries(itemsFor(8)).map(([id, value]) => [id, String(value)])), talk: 'yes', comment });
      const accepted = await post(stack, `/f/${token}`, answer.toString());
      if (accepted.status !== 303) problems.push(`answer with comment ${JSON.stringify(comment).slice(0, 30)}: ${accepted.status}`);
      pages.push({ what: 'thank-you page', response: await post(stack, `/f/${token}/thanks`, '', { method: 'GET' }), expected: 200 });
    }
    pages.push({ what: 'opt-out page', response: await post(stack, `/u/${optOutTokens.get(session.detail.sessionId) ?? 'missing'}`, '', { method: 'GET' }), expected: 200 });
    for (const page of pages) {
      documents.pages += 1;
      const what = `${page.what} for ${JSON.stringify(session.value).slice(0, 30)}`;
      if (page.response.status !== page.expected) problems.push(`${what}: status ${page.response.status}`);
      for (const problem of htmlProblems(page.response.body, 'page')) problems.push(`${what}: ${problem}`);
      if (!page.response.body.includes(practice)) problems.push(`${what}: the practice name is not shown escaped`);
      if (!/default-src 'none'/.test(page.response.headers.get('content-security-policy') ?? '')) problems.push(`${what}: no content security policy`);
    }
    const normalised = comment.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, '').trim();
    if (normalised && !rejected.body.includes(escapeHtml(normalised))) problems.push(`form with errors for ${JSON.stringify(comment).slice(0, 30)}: the comment is not echoed escaped`);
  });
  await stack.waitForIdle(120_000);

  // Reminders for the sessions left unanswered.
  clock.advance(48 * HOUR + 60_000);
  await stack.scheduler.fireDue();
  await stack.waitForIdle(120_000);

  // Alerts (first name and comment shown), and their acknowledge pages.
  mail = await allMail(stack);
  let alerts = 0;
  let reminders = 0;
  for (const session of all.filter((entry) => entry.accepted)) {
    for (const message of mail.filter((entry) => entry.destination.to.includes(session.detail.client.email) && /^(Reminder|Recordatorio)/.test(entry.subject))) {
      reminders += 1;
      documents.emails += 1;
      for (const problem of [...headerProblems(message, session.detail.client.email), ...htmlProblems(message.body.html ?? '', 'email')]) problems.push(`reminder to ${JSON.stringify(session.value).slice(0, 30)}: ${problem}`);
      if (!(message.body.html ?? '').includes(rendered(session.value.trim()))) problems.push(`reminder to ${JSON.stringify(session.value).slice(0, 30)}: the name is not shown escaped`);
    }
    const comment = comments.get(session.detail.sessionId);
    for (const message of mail.filter((entry) => entry.destination.to.includes(session.detail.therapist.email))) {
      alerts += 1;
      documents.emails += 1;
      const what = `alert for ${JSON.stringify(session.value).slice(0, 30)}`;
      for (const problem of [...headerProblems(message, session.detail.therapist.email), ...htmlProblems(message.body.html ?? '', 'email')]) problems.push(`${what}: ${problem}`);
      if (!(message.body.html ?? '').includes(rendered(session.value.trim()))) problems.push(`${what}: the first name is not shown escaped`);
      const shownComment = comment ? stripBidiControls(comment.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, '').trim()) : '';
      if (shownComment && !(message.body.html ?? '').includes(escapeHtml(shownComment.split('\n')[0]!))) problems.push(`${what}: the comment is not shown escaped`);
      const token = ackToken(message);
      if (!token) continue;
      for (const [method, expected] of [['GET', 200], ['POST', 200]] as const) {
        const page = await post(stack, `/a/${token}`, '', { method });
        documents.pages += 1;
        if (page.status !== expected) problems.push(`acknowledge page (${method}) for ${what}: ${page.status}`);
        for (const problem of htmlProblems(page.body, 'page')) problems.push(`acknowledge page (${method}) for ${what}: ${problem}`);
      }
    }
  }
  await stack.waitForIdle(120_000);
  if (alerts === 0) problems.push('no alert email to check');
  if (reminders === 0) problems.push('no reminder to check');

  const figures: Figure[] = [
    {
      item: options.item,
      check: `injection corpus (${INJECTION_CORPUS.length} values) in names, therapist names, comments, ids, practice name`,
      figure:
        `${documents.emails} emails (${alerts} alerts, ${reminders} reminders) and ${documents.pages} pages checked; refused with a reason ${refusedWithReason}; ` +
        `unescaped or added markup, script links, overrides, added headers: ${problems.length}`,
      pass: problems.length === 0,
    },
  ];
  personal.comments.push(...[...comments.values()].filter((comment) => comment.trim().length >= 8));
  return { figures, problems, personal, loggedSessionId: piiSession.detail.sessionId };
}
