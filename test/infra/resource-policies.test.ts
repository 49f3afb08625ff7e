/**
 * Resource policies that AWS services must get through. `enforceSSL` writes a policy onto a topic
 * or queue, and on SNS that policy replaces the default one that let the account publish: every
 * service that delivers to such a resource needs an Allow of its own, or it is silently refused.
 */
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { synthStack } from './synth.ts';

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const { stack, template, logicalId } = synthStack();

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The statements of the policy resource of `type` that names `target` (by Ref) in `property`. */
function policyOf(type: string, property: string, target: IConstruct): Statement[] {
  const policies = Object.values(template.findResources(type)).filter((policy) =>
    asArray(policy['Properties'][property]).some((ref: unknown) => JSON.stringify(ref) === JSON.stringify({ Ref: logicalId(target) })),
  );
  expect(policies, `${type} of ${target.node.path}`).toHaveLength(1);
  return policies[0]!['Properties'].PolicyDocument.Statement as Statement[];
}

const sslOnly = (statement: Statement) => statement.Effect === 'Deny' && statement.Condition?.['Bool']?.['aws:SecureTransport'] === 'false';
const allowsService = (service: string, action: string) => (statement: Statement) =>
  statement.Effect === 'Allow' && JSON.stringify(statement.Principal) === JSON.stringify({ Service: service }) && asArray(statement.Action).includes(action);

describe('the alarm topic', () => {
  const statements = policyOf('AWS::SNS::TopicPolicy', 'Topics', stack.alarmTopic);

  it('lets CloudWatch publish, for this account’s alarms of this stack only, named one by one', () => {
    const allows = statements.filter(allowsService('cloudwatch.amazonaws.com', 'sns:Publish'));
    expect(allows).toHaveLength(1);
    const [allow] = allows;

    expect(allow!.Resource).toEqual({ Ref: logicalId(stack.alarmTopic) });
    expect(allow!.Condition?.['StringEquals']).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    // Every alarm in the template, and nothing else (no wildcard that a second copy's alarms match).
    const alarmArns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    expect(alarmArns).toHaveLength(stack.deadLetterQueues.length + stack.operations.alarms.length);
    expect(asArray(allow!.Condition?.['ArnLike']?.['aws:SourceArn'])).toEqual(expect.arrayContaining(alarmArns));
    expect(asArray(allow!.Condition?.['ArnLike']?.['aws:SourceArn'])).toHaveLength(alarmArns.length);
    expect(Object.keys(allow!.Condition ?? {}).sort()).toEqual(['ArnLike', 'StringEquals']);
  });

  it('still refuses publishing without TLS, and allows nothing else', () => {
    expect(statements.filter(sslOnly)).toHaveLength(1);
    expect(statements).toHaveLength(2);
  });

  it('lets CloudWatch use the topic’s key (an encrypted topic takes no message otherwise)', () => {
    const keyPolicy = Object.values(template.findResources('AWS::KMS::Key'))[0]!['Properties'].KeyPolicy.Statement as Statement[];
    const cloudWatch = keyPolicy.filter((statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));

    expect(cloudWatch.flatMap((statement) => asArray(statement.Action)).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });
});

describe('queues that EventBridge delivers to', () => {
  it.each(stack.routes.map((route) => [route.route.id, route] as const))('%s: the queue and its delivery dead-letter queue let EventBridge send, within TLS', (_, route) => {
    for (const queue of [route.queue, route.deliveryDeadLetterQueue]) {
      const statements = policyOf('AWS::SQS::QueuePolicy', 'Queues', queue);
      const allows = statements.filter(allowsService('events.amazonaws.com', 'sqs:SendMessage'));

      expect(statements.filter(sslOnly), queue.node.path).toHaveLength(1);
      expect(allows, queue.node.path).toHaveLength(1);
      // Scoped: to this account (the target queue) or to the very rule (its dead-letter queue).
      expect(allows[0]!.Condition, queue.node.path).toEqual(
        queue === route.queue
          ? { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }
          : { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(route.rule), 'Arn'] } } },
      );
    }
  });

  it('the other dead-letter queues need no service in their policy: only this account’s roles and SQS’s own redrive write there', () => {
    const others = [...stack.routes.map((route) => route.deadLetterQueue), stack.schedulerDeadLetterQueue];

    for (const queue of others) {
      const statements = policyOf('AWS::SQS::QueuePolicy', 'Queues', queue);
      expect(statements.filter((statement) => statement.Effect === 'Allow'), queue.node.path).toEqual([]);
      expect(statements.filter(sslOnly), queue.node.path).toHaveLength(1);
    }
  });
});
