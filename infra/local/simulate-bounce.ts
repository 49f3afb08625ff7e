/**
 * `npm run simulate-bounce`: puts the event SES would publish when a client's feedback email bounces
 * (or is reported as spam) on the local bus's `default` bus, as SES does in AWS. The client then gets
 * no further email, and the administrator's notice appears in the mail viewer.
 */
import { parseArgs } from 'node:util';
import { mailTags } from '../../shared/domain/mail-tags.ts';
import { AWS_SERVICE_EVENTS_PATH } from './event-bus.ts';

const { values } = parseArgs({
  options: {
    client: { type: 'string', default: 'c-1042' },
    address: { type: 'string' },
    complaint: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(`Usage: npm run simulate-bounce -- [--client ID] [--address EMAIL] [--complaint]

Reports a permanent bounce (or, with --complaint, a spam complaint) of a feedback email to client ID
(default c-1042), the way SES reports it: an "Email Bounced" / "Email Complaint Received" event from
aws.ses on the default bus of http://127.0.0.1:$BUS_PORT (default 4010). --address names the
recipient as SES does (bouncedRecipients / complainedRecipients); an erased client's address then
goes on the do-not-contact list.`);
  process.exit(0);
}

const busPort = process.env['BUS_PORT'] ?? '4010';
const tags = Object.fromEntries(Object.entries(mailTags('feedback-request', values.client)).map(([name, value]) => [name, [value]]));
const recipients = values.address === undefined ? [] : [{ emailAddress: values.address }];
const mail = { messageId: 'simulated', tags, ...(values.address === undefined ? {} : { destination: [values.address] }) };
const detail = values.complaint
  ? { eventType: 'Complaint', complaint: { complaintFeedbackType: 'abuse', timestamp: new Date().toISOString(), complainedRecipients: recipients }, mail }
  : { eventType: 'Bounce', bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: new Date().toISOString(), bouncedRecipients: recipients }, mail };

try {
  // SES's events come from AWS itself; the local bus takes them on its AWS-services path.
  const response = await fetch(`http://127.0.0.1:${busPort}${AWS_SERVICE_EVENTS_PATH}`, {
    method: 'POST',
    body: JSON.stringify({
      Entries: [{ EventBusName: 'default', Source: 'aws.ses', DetailType: values.complaint ? 'Email Complaint Received' : 'Email Bounced', Detail: JSON.stringify(detail) }],
    }),
  });
  const result = (await response.json()) as { FailedEntryCount?: number; Entries?: { ErrorCode?: string; ErrorMessage?: string }[] };
  if (!response.ok || result.FailedEntryCount) {
    console.error(`Not accepted: ${result.Entries?.[0]?.ErrorCode ?? response.status} ${result.Entries?.[0]?.ErrorMessage ?? ''}`);
    process.exit(1);
  }
  console.log(`${values.complaint ? 'Complaint' : 'Bounce'} for client ${values.client} reported. Its next sessions are skipped as undeliverable; see the notice at http://127.0.0.1:${process.env['SES_PORT'] ?? '8005'}.`);
} catch (error) {
  console.error(`Could not reach the local bus at http://127.0.0.1:${busPort} (${(error as Error).name}). Is \`npm start\` running?`);
  process.exit(1);
}
