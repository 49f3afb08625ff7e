/**
 * Every cdk-nag finding the stack acknowledges instead of fixing, with its reason. One list serves
 * three readers: the app (which applies it), the tests (which prove that removing an entry fails the
 * synth) and docs/cdk-nag.md (whose table must match `renderNagTable()`).
 */
import { Token, Validations } from 'aws-cdk-lib';
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

/** How cdk-nag writes the stack's region in a finding: a token, or the region itself when the stack has one (with the front). */
function regionIn(stack: AllianceFeedbackStack): string {
  return Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
}

/** cdk-nag's finding for the follow-up function's create and delete access to every schedule in its group. */
function scheduleWildcardFinding(groupName: string, region = '<AWS::Region>'): string {
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:${region}:<AWS::AccountId>:schedule/${groupName}/*]`;
}

/** cdk-nag's finding for sending as any SES identity of the account (with the ses:FromAddress condition). */
function sesIdentityWildcardFinding(region = '<AWS::Region>'): string {
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ses:${region}:<AWS::AccountId>:identity/*]`;
}

/** The front's distribution and web ACL, when the stack has the front. */
const frontDistribution = (stack: AllianceFeedbackStack) => (stack.front === undefined ? [] : [stack.front.distribution]);

/** cdk-nag's finding for the appointment-import function's access to one prefix of the drop bucket (named per copy). */
function dropPrefixFinding(instance: string | undefined, prefix: 'incoming' | 'reports'): string {
  // The bucket's name carries AWS::Region as a token even where the stack's region is known.
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::alliance-drop-<AWS::AccountId>-<AWS::Region>${instance ? `-${instance}` : ''}/${prefix}/*]`;
}

/** The drop bucket, when the stack has one (appointmentDropDays). */
const dropBucket = (stack: AllianceFeedbackStack) => (stack.appointmentDrop ? [stack.appointmentDrop.bucket] : []);

/** The stack's Secrets Manager secrets: the webhook's, the calendar feed list's and the FHIR client key's when it has them. */
const secretsOf = (stack: AllianceFeedbackStack) => [stack.webhookSecret, ...(stack.calendarFeeds ? [stack.calendarFeeds.secret] : []), ...(stack.fhirInbound ? [stack.fhirInbound.clientKeySecret, stack.fhirInbound.notificationSecret] : [])];

const everyFunction = (stack: AllianceFeedbackStack) => [...Object.values(stack.functions).map((fn) => fn.function), ...(stack.originCheck === undefined ? [] : [stack.originCheck.function])];

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
    idIn: (stack) => scheduleWildcardFinding(stack.followUpScheduleGroupName, regionIn(stack)),
    appliesTo: 'the follow-up function role\'s policy',
    reason:
      'The follow-up function creates one one-time schedule per request (named after the session, deleted after it fires) and deletes an answered request\'s schedules, so it needs CreateSchedule and DeleteSchedule (nothing else) on schedules whose names are not known in advance. The wildcard is limited to the product\'s own schedule group (a second copy\'s is `alliance-feedback-<instance>-follow-ups`, acknowledged by its own name).',
    targets: (stack) => [stack.functions.followUp.role.policy],
  },
  {
    id: sesIdentityWildcardFinding(),
    idIn: (stack) => sesIdentityWildcardFinding(regionIn(stack)),
    appliesTo: 'the policies of the functions that send email (request, follow-up, alert, deliverability, digest)',
    reason:
      'In the SES sandbox, SES checks the sender\'s permission on each recipient\'s identity as well as on the sender\'s, so a practice testing with a verified mailbox at another provider needs every identity of the account. The statement allows ses:SendEmail only, and only with ses:FromAddress equal to senderAddress; out of the sandbox SES checks the sender\'s identity alone, so the grant is sending as the practice sender and nothing more.',
    targets: (stack) => [stack.functions.request, stack.functions.followUp, stack.functions.alert, stack.functions.deliverability, stack.functions.digest].map((fn) => fn.role.policy),
  },
  {
    id: dropPrefixFinding(undefined, 'incoming'),
    idIn: (stack) => dropPrefixFinding(stack.appointmentDrop?.instance, 'incoming'),
    appliesTo: 'the appointment-import function role\'s policy (with appointmentDropDays)',
    reason:
      'The function reads the file whose upload invoked it, whatever the practice named it, so it needs s3:GetObject (nothing else) on the objects under the drop bucket\'s incoming/ prefix; it may not list the bucket or read the reports.',
    targets: (stack) => (stack.appointmentDrop ? [stack.functions.appointmentImport.role.policy] : []),
  },
  {
    id: dropPrefixFinding(undefined, 'reports'),
    idIn: (stack) => dropPrefixFinding(stack.appointmentDrop?.instance, 'reports'),
    appliesTo: 'the appointment-import function role\'s policy (with appointmentDropDays)',
    reason: 'Each file\'s report is written beside it under the drop bucket\'s reports/ prefix, named after the file: s3:PutObject (nothing else) on that prefix only.',
    targets: (stack) => (stack.appointmentDrop ? [stack.functions.appointmentImport.role.policy] : []),
  },
  {
    id: 'AwsSolutions-S1',
    appliesTo: 'the appointment drop bucket (with appointmentDropDays)',
    reason:
      'Server access logs would need a second bucket (which would need logs of its own) and would record every file name and requester for as long as that bucket keeps them. Who put or read a file is in CloudTrail (enable S3 data events for the bucket where an audit needs every read); the function logs each import with its key and counts.',
    targets: dropBucket,
  },
  {
    id: 'HIPAA.Security-S3BucketLoggingEnabled',
    appliesTo: 'the appointment drop bucket (with appointmentDropDays)',
    reason: 'As AwsSolutions-S1: object-level access is audited with CloudTrail S3 data events, not server access logs.',
    targets: dropBucket,
  },
  {
    id: 'HIPAA.Security-S3BucketReplicationEnabled',
    appliesTo: 'the appointment drop bucket (with appointmentDropDays)',
    reason:
      'The files are transient copies of the EHR\'s own export, deleted after appointmentDropDays; the EHR is the record. Replicating them would make a second copy of health information to secure and expire, for data nobody needs to recover.',
    targets: dropBucket,
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
    appliesTo: 'the HTTP API routes (GET /, ANY /{proxy+}, POST /hooks/v1/sessions, POST /fhir/r4/notifications); with the front, only the opt-out route, the signed webhook and the FHIR notifications',
    reason:
      'The API serves pages to clients, who have no accounts to log in with. A form is opened by the single-use token in the emailed link (at least 128 random bits, stored only as its SHA-256, expiring), which the web function verifies; an API Gateway authorizer has nothing to check. Stage throttling limits guessing. The signed webhook is authenticated by its Standard Webhooks HMAC-SHA256 signature over the body, id and timestamp (±5 minutes), which the hooks function verifies against the secret in Secrets Manager; an EHR cannot sign with IAM or a JWT. FHIR subscription notifications are authenticated by the header secret the practice set on the EHR\'s Subscription (compared in constant time with the secret in Secrets Manager), the one authentication a FHIR rest-hook channel offers. With the optional front, every other route takes its origin check (which only tells the front from a direct caller); the opt-out route skips it so that opt-out links in emails sent before the front was switched on, which name the API\'s own URL, keep working, and the webhook and the FHIR notifications skip it because their signature or secret already authenticates each call and an EHR\'s integration keeps the URL it was given.',
    targets: (stack) => [stack.api],
  },
  {
    id: 'AwsSolutions-SMG4',
    appliesTo: 'the signed webhook secret; the calendar feed list\'s secret (with calendarFeeds); the FHIR backend app\'s key and the FHIR notification secret (with fhirBaseUrl)',
    reason:
      'The webhook secret is shared with the practice\'s EHR, which signs with it: a rotation Lambda would change it without the EHR knowing and every delivery would fail. It is rotated by the administrator with `npx alliance webhook-secret rotate`, which keeps the previous secret valid (for 7 days, or until retire-previous) while the EHR switches. The calendar feed list holds the practice\'s feed URLs, which the calendar service issues: nothing in AWS can rotate them; the practice replaces a URL (and the secret\'s value) when it resets the feed in its calendar, as docs/integrate.md says. The FHIR backend app\'s private key pairs with the public key registered in the EHR: a rotation Lambda cannot register a new public key there; the practice rotates the pair by registering the new public key (or publishing it in its JWKS) and then replacing the secret, as docs/integrate.md says. The FHIR notification secret is set on the EHR\'s Subscription (its channel header), which a rotation Lambda cannot change: the practice puts a new value and updates the Subscription.',
    targets: secretsOf,
  },
  {
    id: 'HIPAA.Security-SecretsManagerRotationEnabled',
    appliesTo: 'the signed webhook secret; the calendar feed list\'s secret (with calendarFeeds); the FHIR backend app\'s key and the FHIR notification secret (with fhirBaseUrl)',
    reason: 'As AwsSolutions-SMG4: the webhook secret is shared with the EHR, so it is rotated by hand with `npx alliance webhook-secret rotate`, two secrets valid during the switch; the feed URLs are issued by the practice\'s calendar service and can only be changed there; the FHIR key\'s public half is registered in the EHR, so the pair is rotated there first, and the FHIR notification secret is set on the EHR\'s Subscription.',
    targets: secretsOf,
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
    appliesTo: 'every function (with the front, its origin check too)',
    reason: `Reserved concurrency is carved out of the account's pool, and Lambda refuses a reservation that leaves fewer than 10 unreserved executions; new accounts often start with a limit of 10, so the deploy would fail. Concurrency is bounded where it matters instead: the request function by its SQS event source's maximum concurrency (infra/routes.ts), the web function (and the optional front's origin check, which API Gateway calls once an hour per header value) by the API stage's throttle (${API_THROTTLE.rateLimit} requests/s, burst ${API_THROTTLE.burstLimit}).`,
    targets: everyFunction,
  },
  {
    id: 'HIPAA.Security-LambdaDLQ',
    appliesTo: 'every function (with the front, its origin check too)',
    reason:
      'A function\'s dead-letter setting only catches failed asynchronous invocations. The queue-fed functions are polled from SQS: failed messages return to the queue and move to its alarmed redrive dead-letter queue after maxReceiveCount attempts. The web and hooks functions, and the optional front\'s origin check (a Lambda authorizer), answer API Gateway synchronously. Three are invoked asynchronously and have nothing a dead-letter queue could keep: the calendar feed poller\'s and the FHIR poller\'s scheduled invocations carry no data (`{}`), and the next poll covers everything since the last successful one; the appointment-import function\'s S3 notification only names a file that stays in the bucket, and importing it again sends nothing twice. A failure of any of them raises the function-error alarm.',
    targets: everyFunction,
  },
  {
    id: 'HIPAA.Security-LambdaInsideVPC',
    appliesTo: 'every function (with the front, its origin check too)',
    reason:
      'The functions accept no inbound connections and call only AWS public endpoints (DynamoDB, SQS, SES, EventBridge) over TLS with IAM-signed requests. A VPC would need a NAT gateway (about $32/month per AZ) or interface endpoints (about $7-15 per endpoint per AZ per month) against an idle budget under $5/month, without changing who can reach the data. VPC placement can be added later as an opt-in context switch.',
    targets: everyFunction,
  },
  {
    id: 'AwsSolutions-CFR1',
    appliesTo: 'the optional front\'s CloudFront distribution',
    reason:
      'No geo restriction: a practice\'s clients travel, move and use VPNs, and a client abroad must still be able to answer or opt out. Abuse is limited per address by the web ACL\'s rate-based rule instead, whatever the country.',
    targets: frontDistribution,
  },
  {
    id: 'AwsSolutions-CFR3',
    appliesTo: 'the optional front\'s CloudFront distribution',
    reason:
      'No CloudFront access logs: each would record a client\'s address next to the path, which carries the client\'s personal link token, and keep both in an S3 bucket outside the stack\'s retention. The API\'s own access log records every request without address or path, and the web ACL\'s CloudWatch metrics count what the rate limit blocks.',
    targets: frontDistribution,
  },
  {
    id: 'AwsSolutions-CFR4',
    appliesTo: 'the optional front\'s CloudFront distribution, on its own cloudfront.net domain',
    reason:
      'On the distribution\'s own *.cloudfront.net name CloudFront uses its default certificate, whose security policy (TLSv1) cannot be changed; browsers negotiate TLS 1.2 or 1.3 with it anyway. With formBaseUrl on the practice\'s own domain and frontCertificateArn, the stack sets TLSv1.2_2021 and this finding does not arise.',
    targets: frontDistribution,
  },
  {
    id: 'HIPAA.Security-WAFv2LoggingEnabled',
    appliesTo: 'the optional front\'s web ACL (stack AllianceFeedback-Waf in us-east-1)',
    reason:
      'WAF logs record each request\'s client address, path (with the client\'s personal link token) and headers: logging them would copy personal data into a second store for a control that only counts requests. The rule\'s CloudWatch metrics show what it allowed and blocked, and sampled requests (kept by WAF for 3 hours) show examples when an attack needs looking at.',
    targets: (stack) => (stack.front === undefined ? [] : [stack.front.webAcl]),
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
