/**
 * `alliance redrive`: sends the messages parked in the routes' dead-letter queues back to the
 * queue they came from, once whatever made them fail is fixed, and says why each was parked.
 *
 * On AWS every route has two dead-letter queues (infra/constructs/event-route-queue.ts): one for
 * messages the function failed on too often (an SQS redrive target, moved back with SQS's own
 * message move task), and one for events EventBridge could not deliver to the route's queue (not
 * an SQS redrive target, so its messages are received, sent to the route's queue and deleted).
 * Both are found from the stack's rules: each rule's queue target, its dead-letter config and the
 * queue's redrive policy. The scheduler's dead-letter queue holds schedule inputs, not queue
 * messages, and is not redriven here. Locally the bus stands in (`POST /dead-letters/redrive`).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describeBody, type DeadLetter, type DeadLetterRedrive } from '../infra/local/dead-letters.ts';
import { parseOptions, wholeNumber } from './args.ts';
import { connect, CONNECTION_HELP, CONNECTION_OPTIONS } from './connection.ts';
import { InputError, UsageError } from './errors.ts';

/** The CDK app's stack name (infra/app.ts STACK_NAME; not imported, it would load the CDK): CloudFormation names the rules after it. */
export const DEFAULT_STACK_NAME = 'AllianceFeedback';

export const REDRIVE_HELP = `Usage: alliance redrive (--all | --queue <url-or-name>) [--dry-run] [where]

Moves the messages parked in the routes' dead-letter queues back to the queue they came from, and
prints why each was parked. Fix the cause first (a deploy, a setting, an outage that is over):
a message that fails again is parked again. Events the function rejected as invalid are moved
too, and come straight back unless the fix changed what is valid.

Options:
  --all                Every dead-letter queue of the stack's routes
  --queue URL|NAME     Only this dead-letter queue
  --dry-run            Show what is parked and why; move nothing
  --stack NAME         On AWS: the CloudFormation stack (default ${DEFAULT_STACK_NAME})
  --wait SECONDS       On AWS: how long to wait for SQS's move tasks to finish (default 60)
  -h, --help           Show this help

${CONNECTION_HELP}
Examples:
  npx alliance redrive --all --dry-run
  npx alliance redrive --all --region eu-west-1 --table AllianceFeedback-Table-ABC123
`;

type Print = (line: string) => void;

/** Runs `alliance redrive`. */
export async function redriveCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseOptions(
    args,
    { ...CONNECTION_OPTIONS, all: { type: 'boolean' }, queue: { type: 'string' }, 'dry-run': { type: 'boolean' }, stack: { type: 'string' }, wait: { type: 'string' } },
    false,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.all === true) === (values.queue !== undefined)) throw new UsageError('give either --all or --queue <url-or-name>');
  const dryRun = values['dry-run'] === true;
  const waitSeconds = wholeNumber(values.wait, 'wait', 60, 0, 3_600);
  const connection = connect(values, { needsTable: false });
  const print: Print = (line) => process.stdout.write(`${line}\n`);
  try {
    if (connection.target === 'local') await redriveLocal(connection.localBusEndpoint!, values.queue, dryRun, print);
    else
      await redriveOnAws(
        { eventBridge: connection.eventBridge(), sqs: connection.sqs() },
        { busNames: [connection.busName, 'default'], stackName: values.stack ?? DEFAULT_STACK_NAME, queue: values.queue, dryRun, waitSeconds },
        print,
      );
  } finally {
    connection.close();
  }
}

function describeParked(entry: Pick<DeadLetter, 'detailType' | 'eventId' | 'origin' | 'reason'>): string {
  const what = [entry.detailType ?? 'message', entry.eventId?.slice(0, 8)].filter(Boolean).join(' ');
  const why = entry.origin === 'function' ? 'rejected by the function' : 'failed too often';
  return `${what} (${why}): ${entry.reason}`;
}

async function redriveLocal(busEndpoint: string, queue: string | undefined, dryRun: boolean, print: Print): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${busEndpoint}/dead-letters/redrive`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...(queue ? { queue } : {}), dryRun }),
    });
  } catch {
    throw new InputError(`cannot reach the local bus at ${busEndpoint}: is the local stack running (npm start)?`);
  }
  if (!response.ok) throw new InputError(`the local bus at ${busEndpoint} answered ${response.status} to the redrive`);
  const result = (await response.json()) as DeadLetterRedrive;
  for (const entry of result.moved) print(`${entry.queue} → ${entry.route ?? '?'}: ${describeParked(entry)}`);
  for (const entry of result.kept) print(`${entry.queue}: kept ${describeParked(entry)} — ${entry.why}`);
  const count = result.moved.length;
  const messages = `${count} message${count === 1 ? '' : 's'}`;
  print(dryRun ? `Dry run: would move ${messages}; moved nothing.` : `Moved ${messages} back to ${count === 1 ? 'its queue' : 'their queues'}.`);
}

/** A dead-letter queue of one route, and where its messages go back to. */
export interface DeadLetterQueuePair {
  /** `failed`: the function failed on the message too often; `undelivered`: EventBridge could not deliver the event to the queue. */
  kind: 'failed' | 'undelivered';
  deadLetterArn: string;
  deadLetterUrl: string;
  sourceArn: string;
  sourceUrl: string;
  rule: string;
}

export interface AwsClients {
  eventBridge: EventBridgeClient;
  sqs: SQSClient;
}

export interface AwsRedriveOptions {
  /** Buses whose rules may target the stack's queues (the product's and `default`, where SES publishes). */
  busNames: readonly string[];
  /** Only rules CloudFormation named after this stack. */
  stackName: string;
  queue: string | undefined;
  dryRun: boolean;
  waitSeconds: number;
  /** Between polls of a move task (tests pass 0). */
  pollMs?: number;
}

/** Finds the routes' dead-letter queues from the stack's rules: each queue target's delivery DLQ and the queue's redrive policy. */
export async function discoverDeadLetterQueues(clients: AwsClients, busNames: readonly string[], stackName: string): Promise<DeadLetterQueuePair[]> {
  const pairs: DeadLetterQueuePair[] = [];
  const urls = new Map<string, string>();
  const urlOf = async (arn: string) => {
    const known = urls.get(arn);
    if (known) return known;
    const [, , , , account, name] = arn.split(':');
    const { QueueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
    if (!QueueUrl) throw new InputError(`SQS returned no URL for ${arn}`);
    urls.set(arn, QueueUrl);
    return QueueUrl;
  };
  for (const bus of busNames) {
    let rulesToken: string | undefined;
    do {
      const rules = await clients.eventBridge.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: `${stackName}-`, NextToken: rulesToken }));
      for (const rule of rules.Rules ?? []) {
        let targetsToken: string | undefined;
        do {
          const targets = await clients.eventBridge.send(new ListTargetsByRuleCommand({ Rule: rule.Name, EventBusName: bus, NextToken: targetsToken }));
          for (const target of targets.Targets ?? []) {
            if (!/^arn:[^:]+:sqs:/.test(target.Arn ?? '')) continue;
            const sourceArn = target.Arn!;
            const sourceUrl = await urlOf(sourceArn);
            const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: sourceUrl, AttributeNames: ['RedrivePolicy'] }));
            const policy = attributes.Attributes?.['RedrivePolicy'];
            const failedArn = policy ? (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn : undefined;
            const base = { sourceArn, sourceUrl, rule: rule.Name ?? '?' };
            if (failedArn) pairs.push({ kind: 'failed', deadLetterArn: failedArn, deadLetterUrl: await urlOf(failedArn), ...base });
            const undeliveredArn = target.DeadLetterConfig?.Arn;
            if (undeliveredArn) pairs.push({ kind: 'undelivered', deadLetterArn: undeliveredArn, deadLetterUrl: await urlOf(undeliveredArn), ...base });
          }
          targetsToken = targets.NextToken;
        } while (targetsToken);
      }
      rulesToken = rules.NextToken;
    } while (rulesToken);
  }
  return pairs;
}

function queueName(urlOrArn: string): string {
  return urlOrArn.replace(/\/+$/, '').split(/[/:]/).pop() ?? urlOrArn;
}

/** Why a message was parked, from what its dead-letter queue's writer attached. */
export function reasonOf(message: Message): string {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  // Our functions' own dead-lettering (shared/adapters/sqs-dead-letter.ts).
  const reason = attribute('reason');
  if (reason) return `rejected by the function: ${reason}`;
  // EventBridge's target dead-letter queue.
  const code = attribute('ERROR_CODE');
  if (code) return `not delivered by EventBridge: ${code}${attribute('ERROR_MESSAGE') ? ` ${attribute('ERROR_MESSAGE')}` : ''}`;
  return 'failed too often (maxReceiveCount; the function’s logs say why)';
}

/** Looks at up to 30 messages without taking them (visibility 0) and counts their reasons. */
async function peek(sqs: SQSClient, queueUrl: string): Promise<Map<string, number>> {
  const seen = new Map<string, Message>();
  for (let round = 0; round < 3; round += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    for (const message of Messages) if (message.MessageId) seen.set(message.MessageId, message);
    if (Messages.length < 10) break;
  }
  const reasons = new Map<string, number>();
  for (const message of seen.values()) {
    const key = `${describeBody(message.Body ?? '').detailType ?? 'message'}: ${reasonOf(message)}`;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  return reasons;
}

/** Receives, resends to the route's queue and deletes, ten at a time, until the queue is empty. */
async function moveByHand(sqs: SQSClient, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: from, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0) return moved;
    const sent = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: to, Entries: Messages.map((message, index) => ({ Id: String(index), MessageBody: message.Body ?? '' })) }),
    );
    const ok = new Set((sent.Successful ?? []).map((entry) => Number(entry.Id)));
    // Only what arrived is deleted: a message that could not be sent stays and is received again.
    const done = Messages.filter((_, index) => ok.has(index));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: from, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
    }
    if ((sent.Failed ?? []).length > 0) throw new InputError(`${queueName(to)} refused ${sent.Failed!.length} message(s): ${sent.Failed![0]!.Code ?? 'error'}; ${moved + done.length} moved so far, run redrive again`);
    moved += done.length;
  }
}

/** SQS's own move task back to the source queue; waits for it to finish (bounded). */
async function moveWithTask(sqs: SQSClient, pair: DeadLetterQueuePair, waitSeconds: number, pollMs: number): Promise<string> {
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: pair.deadLetterArn, DestinationArn: pair.sourceArn }));
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: pair.deadLetterArn, MaxResults: 1 }));
    const task = Results.find((result) => result.TaskHandle === TaskHandle) ?? Results[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    if (task && task.Status !== 'RUNNING') {
      if (task.Status !== 'COMPLETED') throw new InputError(`the move task from ${queueName(pair.deadLetterUrl)} ended ${task.Status}: ${task.FailureReason ?? 'no reason given'}`);
      return `moved ${moved}`;
    }
    if (Date.now() >= deadline) return `moving (${moved} so far; SQS finishes the task on its own)`;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Redrives the stack's dead-letter queues on AWS (or shows what they hold, with --dry-run). */
export async function redriveOnAws(clients: AwsClients, options: AwsRedriveOptions, print: Print): Promise<void> {
  const pairs = await discoverDeadLetterQueues(clients, options.busNames, options.stackName);
  if (pairs.length === 0) throw new InputError(`no rules of stack ${options.stackName} with queue targets on bus ${options.busNames.join(' or ')}: check --stack, --bus and --region`);
  const wanted = options.queue === undefined ? pairs : pairs.filter((pair) => [pair.deadLetterUrl, pair.deadLetterArn, queueName(pair.deadLetterUrl)].includes(options.queue!));
  if (wanted.length === 0) throw new InputError(`${options.queue} is not a dead-letter queue of stack ${options.stackName}; these are:\n${pairs.map((pair) => `  ${pair.deadLetterUrl}`).join('\n')}`);
  let total = 0;
  for (const pair of wanted) {
    const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: pair.deadLetterUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const waiting = Number(attributes.Attributes?.['ApproximateNumberOfMessages'] ?? 0);
    const label = `${queueName(pair.deadLetterUrl)} → ${queueName(pair.sourceUrl)} (${pair.kind === 'failed' ? 'failed in the function' : 'not delivered by EventBridge'})`;
    if (waiting === 0) {
      print(`${label}: empty`);
      continue;
    }
    print(`${label}: about ${waiting} message${waiting === 1 ? '' : 's'}`);
    for (const [reason, count] of await peek(clients.sqs, pair.deadLetterUrl)) print(`  ${count} × ${reason}`);
    total += waiting;
    if (options.dryRun) continue;
    const outcome =
      pair.kind === 'failed'
        ? await moveWithTask(clients.sqs, pair, options.waitSeconds, options.pollMs ?? 2_000)
        : `moved ${await moveByHand(clients.sqs, pair.deadLetterUrl, pair.sourceUrl)}`;
    print(`  ${outcome}`);
  }
  const messages = `about ${total} message${total === 1 ? '' : 's'}`;
  print(options.dryRun ? `Dry run: ${messages} parked; moved nothing.` : `Sent back ${messages} (each queue's line says how far its move got).`);
}
