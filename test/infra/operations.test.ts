import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { SES_BOUNCE_RATE_THRESHOLD, SES_COMPLAINT_RATE_THRESHOLD } from '../../infra/constructs/operations.ts';
import { FUNCTIONS } from '../../infra/routes.ts';
import { ALERT_KINDS, METRIC, METRICS_NAMESPACE, SKIP_REASONS } from '../../shared/metrics.ts';
import { SYNTH_TIMEOUT, synthStack } from './synth.ts';

interface MetricDataQuery {
  Id: string;
  Expression?: string;
  MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: unknown }[] }; Stat: string; Period: number };
}

// Every optional part on (calendarFeeds and fhirBaseUrl add the pollers to the alarms and the dashboard).
const FHIR = { fhirBaseUrl: 'https://ehr.example.org/fhir/r4', fhirTokenUrl: 'https://ehr.example.org/oauth2/token', fhirClientId: 'alliance-app' };
const { stack, template, logicalId, resource } = synthStack({ context: { calendarFeeds: 'true', ...FHIR } });
const POLLERS: readonly string[] = [FUNCTIONS.feeds.id, FUNCTIONS.fhir.id];

function alarmProperties(construct: IConstruct): Record<string, any> {
  return resource(construct).Properties;
}

/** The dashboard body as CloudFormation holds it (JSON text joined with references), as one string. */
function dashboardBody(): string {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  return JSON.stringify(dashboards[0]!['Properties'].DashboardBody);
}

describe('operations dashboard', () => {
  it('graphs every function by reference', () => {
    const body = dashboardBody();

    for (const fn of Object.values(stack.functions)) {
      expect(body, fn.definition.id).toContain(JSON.stringify({ Ref: logicalId(fn.function) }));
    }
  });

  it('graphs the depth of every dead-letter queue', () => {
    const body = dashboardBody();

    expect(stack.deadLetterQueues).toContain(stack.schedulerDeadLetterQueue);
    for (const queue of stack.deadLetterQueues) {
      expect(body, queue.node.path).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(queue), 'QueueName'] }));
    }
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
  });

  it('graphs every product metric, skipped requests by each reason and alerts by each kind', () => {
    const body = dashboardBody();

    expect(body).toContain(METRICS_NAMESPACE);
    // Quoted once in the dashboard's JSON, or twice inside a SEARCH expression (the inbound graph).
    for (const name of Object.values(METRIC)) expect(body, name).toMatch(new RegExp(`\\\\+"${name}\\\\+"`));
    for (const reason of SKIP_REASONS) expect(body, reason).toContain(`\\"reason\\",\\"${reason}\\"`);
    for (const kind of ALERT_KINDS) expect(body, kind).toContain(`\\"kind\\",\\"${kind}\\"`);
    // The functions record under their FUNCTIONS id as the `service` dimension.
    expect(body).toContain(`\\"service\\",\\"${FUNCTIONS.request.id}\\"`);
    expect(body).toContain('p50');
  });

  it('graphs SES bounce and complaint rates and every function’s errors, throttles and duration', () => {
    const body = dashboardBody();

    for (const name of ['Reputation.BounceRate', 'Reputation.ComplaintRate', 'Errors', 'Throttles', 'Duration']) expect(body, name).toContain(`\\"${name}\\"`);
  });
});

describe('operations alarms', () => {
  it(
    'leaves the pollers out of the alarms and the dashboard while calendarFeeds and fhirBaseUrl are off',
    () => {
      const off = synthStack();
      const metrics = off.stack.operations.errorsAlarms.flatMap((alarm) => off.resource(alarm).Properties['Metrics'] as MetricDataQuery[]);

      expect(JSON.stringify(metrics)).not.toContain(off.logicalId(off.stack.functions.feeds.function));
      expect(JSON.stringify(metrics)).not.toContain(off.logicalId(off.stack.functions.fhir.function));
      expect(metrics.filter((query) => query.MetricStat?.Metric.MetricName === 'Errors')).toHaveLength(Object.keys(FUNCTIONS).length - 2);
      expect(off.stack.operations.pollErrorsAlarm).toBeUndefined();
    },
    SYNTH_TIMEOUT,
  );


  it('raises alarms on the sum of every function’s errors and the web API’s 5xx (one per 10 metrics, CloudWatch’s limit), and one on the scheduled pollers’ errors', () => {
    expect(stack.operations.errorsAlarms.length).toBe(Math.ceil((Object.keys(FUNCTIONS).length - POLLERS.length + 1) / 10));
    const alarms = stack.operations.errorsAlarms.map((alarm) => alarmProperties(alarm));
    const metrics: MetricDataQuery[] = [];
    for (const alarm of alarms) {
      const queries = alarm['Metrics'] as MetricDataQuery[];
      const expression = queries.find((query) => query.Expression !== undefined)!;
      const own = queries.filter((query) => query.MetricStat !== undefined);
      expect(own.length).toBeLessThanOrEqual(10);
      expect(expression.Expression).toBe(`SUM([${own.map((query) => query.Id).join(', ')}])`);
      expect(alarm['AlarmDescription']).toBe(alarms[0]!['AlarmDescription']);
      metrics.push(...own);
    }
    const properties = alarms[0]!;
    const pollQueries = alarmProperties(stack.operations.pollErrorsAlarm!)['Metrics'] as MetricDataQuery[];
    const pollErrors = pollQueries.filter((query) => query.MetricStat !== undefined);
    const errors = metrics.filter((query) => query.MetricStat!.Metric.MetricName === 'Errors');
    expect(errors).toHaveLength(Object.keys(FUNCTIONS).length - POLLERS.length);
    expect(pollErrors).toHaveLength(POLLERS.length);
    for (const fn of Object.values(stack.functions)) {
      const alarmed = POLLERS.includes(fn.definition.id) ? pollErrors : errors;
      expect(alarmed.map((query) => query.MetricStat!.Metric.Dimensions), fn.definition.id).toContainEqual([{ Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } }]);
    }
    for (const query of metrics) expect(query.MetricStat).toMatchObject({ Stat: 'Sum', Period: 300 });
    expect(metrics.map((query) => query.MetricStat!.Metric)).toContainEqual({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack.api) } }],
    });
    expect(properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
  });

  it('raises an alarm when the SES account bounce rate passes 5 %', () => {
    expect(SES_BOUNCE_RATE_THRESHOLD).toBe(0.05);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.BounceRate',
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('raises an alarm when the SES account complaint rate passes 0.1 %', () => {
    expect(SES_COMPLAINT_RATE_THRESHOLD).toBe(0.001);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SES',
      MetricName: 'Reputation.ComplaintRate',
      Threshold: 0.001,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('tells the administrator when an unattended inbound path skips appointments for a missing roster entry or therapist, by count only', () => {
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((resource) => JSON.stringify(resource).includes('AppointmentSkipped'))!;
    const metrics = (alarm['Properties'].Metrics as { MetricStat?: { Metric: { Dimensions: { Name: string; Value: string }[] } } }[]).filter((entry) => entry.MetricStat);
    const pairs = metrics.map((entry) => Object.fromEntries(entry.MetricStat!.Metric.Dimensions.map((dimension) => [dimension.Name, dimension.Value])));

    expect(pairs).toEqual(expect.arrayContaining([
      { service: 'feeds', reason: 'client-not-on-roster' },
      { service: 'feeds', reason: 'therapist-unknown' },
      { service: 'appointment-import', reason: 'client-not-on-roster' },
      { service: 'appointment-import', reason: 'therapist-unknown' },
      { service: 'fhir', reason: 'no-email' },
      { service: 'fhir', reason: 'therapist-unknown' },
    ]));
    expect(alarm['Properties']).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
  });

  it('sends every alarm in the stack to the alarm topic, and only there', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    // Bounce rate, complaint rate, appointments skipped, the pollers' errors, and the errors alarms.
    expect(alarms).toHaveLength(stack.deadLetterQueues.length + 4 + stack.operations.errorsAlarms.length);
    for (const alarm of alarms) {
      expect(alarm['Properties'].AlarmActions).toEqual([{ Ref: logicalId(stack.alarmTopic) }]);
      expect(alarm['Properties'].ActionsEnabled ?? true).toBe(true);
    }
  });

  it('shows every alarm on the dashboard', () => {
    const body = dashboardBody();

    for (const alarm of [...stack.operations.alarms, ...stack.alarms]) {
      expect(body).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(alarm), 'Arn'] }));
    }
  });

  it(
    'emails the alarm topic to adminEmail when it is given',
    () => {
      const custom = synthStack({ context: { adminEmail: 'admin@practice.example' } });

      custom.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'admin@practice.example',
        TopicArn: { Ref: custom.logicalId(custom.stack.alarmTopic) },
      });
    },
    SYNTH_TIMEOUT,
  );
});
