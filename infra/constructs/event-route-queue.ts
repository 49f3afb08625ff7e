/**
 * One entry of the routing table made real: an EventBridge rule matching the contract's pattern,
 * an encrypted SQS queue that paces the target function, and dead-letter queues for the two ways
 * an event can get stuck (EventBridge cannot deliver it; the function keeps failing on it).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { type EventPattern, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventPattern as ContractPattern } from '../../shared/events/contracts.ts';
import { type EventRoute, visibilityTimeoutSeconds } from '../routes.ts';
import type { ProductFunction } from './product-function.ts';

/** Dead letters are kept as long as SQS allows, so a holiday does not cost a practice its events. */
const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * The contract's pattern in CDK's shape. CDK only renames `detailType` back to `detail-type` and
 * passes values through untouched, so content filters like `anything-but` survive as written.
 */
export function toCdkEventPattern(pattern: ContractPattern): EventPattern {
  const { 'detail-type': detailType, source, ...rest } = pattern;
  return {
    ...rest,
    ...(source === undefined ? {} : { source: source as string[] }),
    ...(detailType === undefined ? {} : { detailType }),
  };
}

export interface EventRouteQueueProps {
  route: EventRoute;
  bus: IEventBus;
  /** Encrypts the queues: events carry client email addresses. */
  key: IKey;
}

export class EventRouteQueue extends Construct {
  readonly route: EventRoute;
  readonly rule: Rule;
  readonly queue: Queue;
  /** Messages the function failed on `maxReceiveCount` times, and events it rejected as invalid. */
  readonly deadLetterQueue: Queue;
  /** Events EventBridge could not put on the queue (after its own retries). */
  readonly deliveryDeadLetterQueue: Queue;
  private readonly key: IKey;

  constructor(scope: Construct, id: string, props: EventRouteQueueProps) {
    super(scope, id);
    const { route, bus, key } = props;
    this.route = route;
    this.key = key;
    const encrypted = { encryption: QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true } as const;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', { ...encrypted, retentionPeriod: DEAD_LETTER_RETENTION });
    this.deliveryDeadLetterQueue = new Queue(this, 'DeliveryDeadLetterQueue', { ...encrypted, retentionPeriod: DEAD_LETTER_RETENTION });

    this.queue = new Queue(this, 'Queue', {
      ...encrypted,
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(route)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: route.maxReceiveCount },
    });

    this.rule = new Rule(this, 'Rule', {
      eventBus: bus,
      description: `${route.contract.detailType} to the ${route.target.id} function (route ${route.id})`,
      eventPattern: toCdkEventPattern(route.contract.pattern),
    });
    // Without a target DLQ, EventBridge drops an event for good once its 24 h of retries run out.
    this.rule.addTarget(new SqsQueue(this.queue, { deadLetterQueue: this.deliveryDeadLetterQueue }));
    // The target's queue policy and key grant come from CDK; the DLQ's key grant does not, and
    // without it EventBridge cannot write to an encrypted dead-letter queue.
    // Scoped to rules on this bus; naming this rule's ARN would make the key depend on the rule,
    // which depends on the queue, which depends on the key.
    // Rules on the default bus have no bus name in their ARN.
    const rulesOnBus = Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: route.bus === 'default' ? '*' : `${bus.eventBusName}/*` });
    key.grant(
      new ServicePrincipal('events.amazonaws.com', { conditions: { ArnLike: { 'aws:SourceArn': rulesOnBus } } }),
      'kms:GenerateDataKey',
      'kms:Decrypt',
    );
  }

  /** Makes `target` the consumer of this route (its dead-letter queue and lease reach it through infra/function-access.ts). */
  connect(target: ProductFunction): void {
    if (target.definition.id !== this.route.target.id) {
      throw new Error(`route ${this.route.id} targets ${this.route.target.id}, not ${target.definition.id}`);
    }
    // An event source mapping instead of CDK's SqsEventSource, whose grant adds sqs:GetQueueUrl and
    // sqs:ChangeMessageVisibility, which Lambda's poller never calls.
    target.function.addEventSourceMapping('RouteQueue', {
      eventSourceArn: this.queue.queueArn,
      batchSize: this.route.batchSize,
      // Caps concurrent invocations from this queue: paces SES sends and leaves the account's
      // concurrency to everything else.
      maxConcurrency: this.route.maxConcurrency,
      // One bad record must not send the whole batch (and its emails) round again.
      reportBatchItemFailures: true,
    });
    // The platform's part, not the function code's: Lambda polls the queue with the function's role
    // (what AWS documents for an SQS event source, and a KMS-encrypted queue's decrypt through SQS).
    // What the code itself calls (its dead-letter queue, the table...) comes from
    // infra/function-access.ts.
    target.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PollRouteQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        resources: [this.queue.queueArn],
      }),
    );
    target.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'DecryptRouteQueue',
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /** Every dead-letter queue of this route; each gets an alarm. */
  get deadLetterQueues(): readonly Queue[] {
    return [this.deadLetterQueue, this.deliveryDeadLetterQueue];
  }
}
