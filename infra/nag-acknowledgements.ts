/**
 * Every cdk-nag finding the stack acknowledges instead of fixing, with its reason. One list serves
 * three readers: the app (which applies it), the tests (which prove that removing an entry fails the
 * synth) and docs/cdk-nag.md (whose table must match `renderNagTable()`).
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { API_THROTTLE, followUpScheduleGroupName, type AllianceFeedbackStack } from './stack.ts';

export interface NagAcknowledgement {
  /** The rule id, with the finding in brackets where the rule reports several per resource (as the docs show it). */
  id: string;
  /** The id in one stack, where the finding names something the stack's configuration names (default: `id`). */
  idIn?: (stack: AllianceFeedbackStack) => string;
  /** Where it applies, in words, for the docs table. */
  appliesTo: string;
  reason: string;
  /** The constructs it is applied to (each covers the resources beneath it). */
  targets: (stack: AllianceFeedbackStack) => IConstruct[];
}

/** cdk-nag's finding for the follow-up function's create and delete access to every schedule in its group. */
function scheduleWildcardFinding(groupName: string): string {
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${groupName}/*]`;
}

const everyFunction = (stack: AllianceFeedbackStack) => Object.values(stack.functions).map((fn) => fn.function);

export const NAG_ACKNOWLEDGEMENTS: readonly NagAcknowledgement[] = [
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    appliesTo: 'each function role\'s policy: the X-Ray statement',
    reason:
      'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which do not support resource-level permissions, so AWS requires Resource "*". It is the only statement with Resource "*" in any role (test/infra asserts this).',
    targets: (stack) => Object.values(stack.functions).map((fn) => fn.role.policy),
  },
  {
    id: scheduleWildcardFinding(followUpScheduleGroupName(undefined)),
    idIn: (stack) => scheduleWildcardFinding(stack.followUpScheduleGroupName),
    appliesTo: 'the follow-up function role\'s policy',
    reason:
      'The follow-up function creates one one-time schedule per request (named after the session, deleted after it fires) and deletes an answered request\'s schedules, so it needs CreateSchedule and DeleteSchedule (nothing else) on schedules whose names are not known in advance. The wildcard is limited to the product\'s own schedule group (a second copy\'s is `alliance-feedback-<instance>-follow-ups`, acknowledged by its own name).',
    targets: (stack) => [stack.functions.followUp.role.policy],
  },
  {
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*]',
    appliesTo: 'the policies of the functions that send email (request, follow-up, alert, deliverability)',
    reason:
      'In the SES sandbox, SES checks the sender\'s permission on each recipient\'s identity as well as on the sender\'s, so a practice testing with a verified mailbox at another provider needs every identity of the account. The statement allows ses:SendEmail only, and only with ses:FromAddress equal to senderAddress; out of the sandbox SES checks the sender\'s identity alone, so the grant is sending as the practice sender and nothing more.',
    targets: (stack) => [stack.functions.request, stack.functions.followUp, stack.functions.alert, stack.functions.deliverability].map((fn) => fn.role.policy),
  },
  {
    id: 'AwsSolutions-SQS3',
    appliesTo: 'each route\'s delivery dead-letter queue, and the scheduler\'s dead-letter queue',
    reason:
      'The queue is itself a dead-letter queue: the EventBridge rule target\'s DLQ, for events that could not be put on the route\'s queue (or the scheduler target\'s DLQ, for follow-up events it could not put on the bus). cdk-nag only recognises queues named in another queue\'s redrive policy as DLQs. Like every DLQ it has an alarm.',
    targets: (stack) => [...stack.routes.map((route) => route.deliveryDeadLetterQueue), stack.schedulerDeadLetterQueue],
  },
  {
    id: 'AwsSolutions-APIG4',
    appliesTo: 'the HTTP API routes (GET /, ANY /{proxy+})',
    reason:
      'The API serves pages to clients, who have no accounts to log in with. A form is opened by the single-use token in the emailed link (at least 128 random bits, stored only as its SHA-256, expiring), which the web function verifies; an API Gateway authorizer has nothing to check. Stage throttling limits guessing.',
    targets: (stack) => [stack.api],
  },
  {
    id: 'HIPAA.Security-DynamoDBInBackupPlan',
    appliesTo: 'the table',
    reason:
      'Point-in-time recovery is on: the table can be restored to any second of the last 35 days. An AWS Backup plan adds a vault, a service role and a long-term retention period that is each practice\'s records-retention decision; a practice can add the table to its own backup plan without changing this stack.',
    targets: (stack) => [stack.table],
  },
  {
    id: 'HIPAA.Security-LambdaConcurrency',
    appliesTo: 'every function',
    reason: `Reserved concurrency is carved out of the account's pool, and Lambda refuses a reservation that leaves fewer than 10 unreserved executions; new accounts often start with a limit of 10, so the deploy would fail. Concurrency is bounded where it matters instead: the request function by its SQS event source's maximum concurrency (infra/routes.ts), the web function by the API stage's throttle (${API_THROTTLE.rateLimit} requests/s, burst ${API_THROTTLE.burstLimit}).`,
    targets: everyFunction,
  },
  {
    id: 'HIPAA.Security-LambdaDLQ',
    appliesTo: 'every function',
    reason:
      'A function\'s dead-letter setting only catches failed asynchronous invocations, and neither function is invoked asynchronously. The request function is polled from SQS: failed messages return to the queue and move to its alarmed redrive dead-letter queue after maxReceiveCount attempts. The web function answers API Gateway synchronously. The calendar feed poller\'s scheduled invocations carry no data (`{}`): a failed one has nothing to keep, the next poll covers everything since the feed\'s last successful one, and its error raises the function-error alarm.',
    targets: everyFunction,
  },
  {
    id: 'HIPAA.Security-LambdaInsideVPC',
    appliesTo: 'every function',
    reason:
      'The functions accept no inbound connections and call only AWS public endpoints (DynamoDB, SQS, SES, EventBridge) over TLS with IAM-signed requests. A VPC would need a NAT gateway (about $32/month per AZ) or interface endpoints (about $7-15 per endpoint per AZ per month) against an idle budget under $5/month, without changing who can reach the data. VPC placement can be added later as an opt-in context switch.',
    targets: everyFunction,
  },
  {
    id: 'AwsSolutions-SMG4',
    appliesTo: 'the calendar feed list\'s secret (with calendarFeeds)',
    reason:
      'The secret holds the practice\'s calendar feed URLs, which the calendar service issues: nothing in AWS can rotate them. A rotation function would have nothing to change; the practice replaces a URL (and the secret\'s value) when it resets the feed in its calendar, as docs/integrate.md says.',
    targets: (stack) => (stack.calendarFeeds ? [stack.calendarFeeds.secret] : []),
  },
  {
    id: 'HIPAA.Security-SecretsManagerRotationEnabled',
    appliesTo: 'the calendar feed list\'s secret (with calendarFeeds)',
    reason:
      'As for AwsSolutions-SMG4: the feed URLs are issued by the practice\'s calendar service and can only be changed there; the secret is encrypted with the stack\'s key and readable only by the feeds function\'s role.',
    targets: (stack) => (stack.calendarFeeds ? [stack.calendarFeeds.secret] : []),
  },
];

/** Applies each acknowledgement to its targets. */
export function acknowledgeNagFindings(stack: AllianceFeedbackStack, acknowledgements: readonly NagAcknowledgement[]): void {
  for (const acknowledgement of acknowledgements) {
    for (const target of acknowledgement.targets(stack)) {
      Validations.of(target).acknowledge({ id: acknowledgement.idIn?.(stack) ?? acknowledgement.id, reason: acknowledgement.reason });
    }
  }
}

/** The Markdown table of acknowledgements that docs/cdk-nag.md shows. */
export function renderNagTable(acknowledgements: readonly NagAcknowledgement[] = NAG_ACKNOWLEDGEMENTS): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| Rule | Applies to | Reason |',
    '|---|---|---|',
    ...acknowledgements.map((entry) => `| \`${entry.id}\` | ${cell(entry.appliesTo)} | ${cell(entry.reason)} |`),
  ].join('\n');
}
