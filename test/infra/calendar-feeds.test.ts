/**
 * The calendar feed poller's AWS side (infra/constructs/calendar-feeds.ts), on with the
 * `calendarFeeds` context key: the feed list's secret, the schedule, and the grants that follow from
 * FUNCTION_ACCESS.feeds.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../shared/config.ts';
import { SYNTH_TIMEOUT, synthStack } from './synth.ts';

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

describe('calendar feeds (context calendarFeeds)', () => {
  it(
    'is off by default: no secret, no schedule, and the poller may read no secret',
    () => {
      const { stack, template, resource } = synthStack();

      expect(stack.calendarFeeds).toBeUndefined();
      // Only the signed webhook's secret.
      template.resourceCountIs('AWS::SecretsManager::Secret', 1);
      // Only the weekly digest's hourly schedule.
      template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 * * * ? *)' });
      const statements = resource(stack.functions.feeds.role.policy).Properties['PolicyDocument'].Statement as Statement[];
      expect(JSON.stringify(statements)).not.toContain('secretsmanager');
      expect(resource(stack.functions.feeds.function).Properties['Environment'].Variables).not.toHaveProperty('CALENDAR_FEEDS_SECRET_ARN');
    },
    SYNTH_TIMEOUT,
  );

  it(
    'with `true`: a KMS-encrypted secret the poller alone reads, and a schedule every 15 minutes that invokes it',
    () => {
      const { stack, template, resource, logicalId } = synthStack({ context: { calendarFeeds: 'true' } });
      const feeds = stack.calendarFeeds!;

      expect(resource(feeds.secret).Properties['KmsKeyId']).toEqual({ 'Fn::GetAtt': [logicalId(stack.key), 'Arn'] });
      const schedule = template.findResources('AWS::Scheduler::Schedule');
      const [properties] = Object.values(schedule).map((entry) => entry['Properties']).filter((candidate) => candidate.ScheduleExpression !== 'cron(0 * * * ? *)');
      expect(properties.ScheduleExpression).toBe('rate(15 minutes)');
      expect(properties.Target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.functions.feeds.function), 'Arn'] });
      expect(properties.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });

      const invoke = resource(feeds.schedulerRole.policy).Properties['PolicyDocument'].Statement as Statement[];
      expect(invoke).toEqual([expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [logicalId(stack.functions.feeds.function), 'Arn'] } })]);

      const statements = resource(stack.functions.feeds.role.policy).Properties['PolicyDocument'].Statement as Statement[];
      expect(statements.find((statement) => statement.Sid === 'ReadSecrets')).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: logicalId(feeds.secret) } });
      expect(statements.find((statement) => statement.Sid === 'UseKeyThroughSecretsManager')?.Condition).toEqual({
        StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      });
      expect(resource(stack.functions.feeds.function).Properties['Environment'].Variables['CALENDAR_FEEDS_SECRET_ARN']).toEqual({ Ref: logicalId(feeds.secret) });
      // No other function may read it (the hooks function reads the webhook's secret only).
      for (const [key, fn] of Object.entries(stack.functions)) {
        if (key === 'feeds') continue;
        expect(JSON.stringify(resource(fn.role.policy).Properties['PolicyDocument']), key).not.toContain(logicalId(feeds.secret));
      }
      template.hasOutput('CalendarFeedsSecretArn', { Value: { Ref: logicalId(feeds.secret) } });
    },
    SYNTH_TIMEOUT,
  );

  it(
    'takes the minutes between polls from the same key',
    () => {
      const { template } = synthStack({ context: { calendarFeeds: '60' } });

      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(60 minutes)' });
    },
    SYNTH_TIMEOUT,
  );

  it('refuses an interval it cannot schedule, naming the key', () => {
    expect(() => synthStack({ context: { calendarFeeds: '2' } })).toThrow(ConfigurationError);
    expect(() => synthStack({ context: { calendarFeeds: 'often' } })).toThrow(/context "calendarFeeds"/);
  });
});
