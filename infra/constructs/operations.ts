/**
 * What an operator watches: one CloudWatch dashboard (the product's own metrics from
 * shared/metrics.ts, every dead-letter queue's depth, every function's errors, throttles and
 * duration, SES reputation) and the alarms beyond the dead-letter ones (those stay with their
 * queues in stack.ts), all acting on the stack's alarm topic.
 *
 * Idle cost at zero traffic (us-east-1 list prices, per month):
 * - the dashboard: $3 (CloudWatch's free tier covers 3 dashboards of up to 50 metrics; this one
 *   graphs more);
 * - four alarms: function errors, SES bounce rate, SES complaint rate, appointments skipped (four
 *   metrics: $0.40). CloudWatch prices alarms at
 *   $0.10 per alarm metric, and the errors alarm reads one metric per function plus the API's
 *   5xx, so budget $0.10 for each SES alarm and up to $0.10 per metric read for the errors alarm
 *   ($0.70 with six functions). The account's first 10 alarm metrics are free.
 * - the product metrics: nothing. CloudWatch bills a custom metric by the hours it receives data;
 *   with traffic, each of the ~30 (name, service, reason/kind) combinations costs at most $0.30.
 * DLQ depth needs no custom metric: SQS publishes ApproximateNumberOfMessagesVisible itself.
 * So this construct adds $3.20 to $3.90 a month at zero traffic. With the key ($1) and one alarm per
 * dead-letter queue ($0.10 each) the stack then idles above the $5 target unless the account's free
 * tier covers the alarms or the dashboard; the dashboard is the largest item.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
  type IAlarm,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERT_KINDS, APPOINTMENT_SKIP_REASONS, CALENDAR_SKIP_REASONS, FHIR_SKIP_REASONS, METRIC, METRIC_DIMENSION, METRICS_NAMESPACE, SERVICE_DIMENSION, SKIP_REASONS, type MetricName } from '../../shared/metrics.ts';
import type { SkippedAppointment } from '../../shared/use-cases/complete-session.ts';
import type { SkippedEncounter } from '../../shared/use-cases/poll-fhir-encounters.ts';
import { EVENT_ROUTES, FUNCTIONS } from '../routes.ts';
import type { ProductFunction } from './product-function.ts';

/** SES reviews an account whose bounce rate reaches 5 % (and may pause sending at 10 %). */
export const SES_BOUNCE_RATE_THRESHOLD = 0.05;
/** SES reviews an account whose complaint rate reaches 0.1 % (and may pause sending at 0.5 %). */
export const SES_COMPLAINT_RATE_THRESHOLD = 0.001;

export interface OperationsProps {
  /** Every function of the stack: each gets its errors, throttles and duration graphed and alarmed. */
  functions: readonly ProductFunction[];
  /** Every dead-letter queue: its depth is graphed (its alarm lives with the queue). */
  deadLetterQueues: readonly IQueue[];
  /** The client-facing API: the web function answers its own failures with 503, so Lambda counts no error. */
  api: IHttpApi;
  alarmTopic: ITopic;
  /** Alarms made elsewhere (the dead-letter ones), shown in the dashboard's alarm status. */
  otherAlarms?: readonly IAlarm[];
}

/** Business counts read best per hour at a practice's volume; operational ones per 5 minutes. */
const HOUR = Duration.hours(1);
const FIVE_MINUTES = Duration.minutes(5);
/** The most metrics an alarm's math expression may use (CloudWatch). */
const MAX_ALARM_METRICS = 10;

export class Operations extends Construct {
  readonly dashboard: Dashboard;
  /** Any error of a function (but the scheduled pollers), or any 5xx from the web API (the first of errorsAlarms). */
  readonly errorsAlarm: Alarm;
  /** The errors alarms: one per 10 metrics (CloudWatch's limit for an alarm's expression). */
  readonly errorsAlarms: readonly Alarm[];
  /** A scheduled poll (calendar feeds, FHIR) that failed; undefined when neither poller is on. */
  readonly pollErrorsAlarm: Alarm | undefined;
  /** Appointments an unattended inbound path could not turn into sessions (roster or directory missing). */
  readonly appointmentsSkippedAlarm: Alarm;
  readonly bounceRateAlarm: Alarm;
  readonly complaintRateAlarm: Alarm;
  /** The alarms this construct made. */
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const action = new SnsAction(props.alarmTopic);
    const functions = props.functions;

    // One alarm for all functions: a practice's operator wants one "something failed" email, then
    // the dashboard's "Function errors" graph says which. SUM over the array (not e1 + e2) because
    // an idle function publishes no data point and `+` would make the whole sum missing. An alarm's
    // expression takes at most 10 metrics: past that, the functions are split over a second alarm
    // (ErrorsAlarm2, ...) with the same description and action. The scheduled pollers have their
    // own alarm: their failures mean something else (the next poll covers the window once the
    // source is back).
    const isPoller = (fn: ProductFunction) => fn.definition === FUNCTIONS.feeds || fn.definition === FUNCTIONS.fhir;
    const errorMetrics: [string, IMetric][] = [
      ...functions.filter((fn) => !isPoller(fn)).map((fn, index): [string, IMetric] => [`errors${index}`, fn.function.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM })]),
      ['api5xx', props.api.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM })],
    ];
    const chunks: Record<string, IMetric>[] = [];
    for (let start = 0; start < errorMetrics.length; start += MAX_ALARM_METRICS) chunks.push(Object.fromEntries(errorMetrics.slice(start, start + MAX_ALARM_METRICS)));
    this.errorsAlarms = chunks.map(
      (chunk, index) =>
        new Alarm(this, index === 0 ? 'ErrorsAlarm' : `ErrorsAlarm${index + 1}`, {
          alarmDescription:
            'A function failed (an error, a timeout, or a whole batch that failed) or the web API answered 5xx. Queued events are retried and end in a dead-letter queue if they keep failing. Open the operations dashboard: "Function errors" names the function; its log group has the error.',
          metric: new MathExpression({ expression: `SUM([${Object.keys(chunk).join(', ')}])`, usingMetrics: chunk, period: FIVE_MINUTES, label: 'Errors, all functions, and API 5xx' }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
    );
    this.errorsAlarm = this.errorsAlarms[0]!;

    const pollers = functions.filter(isPoller);
    const pollMetrics: Record<string, IMetric> = Object.fromEntries(pollers.map((fn, index) => [`pollErrors${index}`, fn.function.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM })]));
    this.pollErrorsAlarm =
      pollers.length === 0
        ? undefined
        : new Alarm(this, 'PollErrorsAlarm', {
            alarmDescription:
              'A scheduled poll failed: a calendar feed could not be read, or the FHIR server was unavailable or refused the product (token, key, scopes). Nothing is lost: the next poll covers the window since the last successful one. Open the operations dashboard ("Calendar feeds", "FHIR R4 encounters") and the feeds or fhir log group, which names the failure (never a URL or a client); docs/integrate.md has a troubleshooting table.',
            metric: new MathExpression({ expression: `SUM([${Object.keys(pollMetrics).join(', ')}])`, usingMetrics: pollMetrics, period: FIVE_MINUTES, label: 'Errors, scheduled pollers' }),
            threshold: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluationPeriods: 1,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          });

    // SES publishes the account's reputation as rates, and only while it sends: a period with no
    // data point keeps the alarm's state (an alarm stays raised until a new rate clears it).
    // No label on the alarms' metrics: CloudFormation then keeps the plain metric form.
    const bounceRate = sesMetric('Reputation.BounceRate', Stats.MAXIMUM);
    const complaintRate = sesMetric('Reputation.ComplaintRate', Stats.MAXIMUM);
    this.bounceRateAlarm = new Alarm(this, 'BounceRateAlarm', {
      alarmDescription: `The SES account's bounce rate is above ${SES_BOUNCE_RATE_THRESHOLD * 100} %: SES reviews the account from 5 % and may pause sending at 10 %. Check the client addresses your EHR sends.`,
      metric: bounceRate,
      threshold: SES_BOUNCE_RATE_THRESHOLD,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.IGNORE,
    });
    this.complaintRateAlarm = new Alarm(this, 'ComplaintRateAlarm', {
      alarmDescription: `The SES account's complaint rate is above ${SES_COMPLAINT_RATE_THRESHOLD * 100} %: SES reviews the account from 0.1 % and may pause sending at 0.5 %. Clients are marking feedback emails as spam.`,
      metric: complaintRate,
      threshold: SES_COMPLAINT_RATE_THRESHOLD,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.IGNORE,
    });
    // The unattended inbound paths (the calendar feed poller, the drop bucket's import) skip an
    // appointment whose client is not on the roster or whose therapist nobody registered: the
    // administrator hears of it here, by count only; the function's log names the appointment ids.
    // (The webhook answers its sender 422, and the CLI import prints its report.) Four alarm metrics.
    const actionable: SkippedAppointment[] = ['client-not-on-roster', 'therapist-unknown'];
    // The FHIR poller (with fhirBaseUrl) adds its own two: a Patient with no email anywhere, a Practitioner not in the directory.
    const fhirActionable: SkippedEncounter[] = ['no-email', 'therapist-unknown'];
    const skippedBy: [string, readonly string[]][] = [
      [FUNCTIONS.feeds.id, actionable],
      [FUNCTIONS.appointmentImport.id, actionable],
      ...(functions.some((fn) => fn.definition === FUNCTIONS.fhir) ? [[FUNCTIONS.fhir.id, fhirActionable] as [string, readonly string[]]] : []),
    ];
    const skipped: Record<string, IMetric> = Object.fromEntries(
      skippedBy.flatMap(([service, reasons]) =>
        reasons.map((reason) => [`${service.replace(/\W/g, '')}${reason.replace(/\W/g, '')}`, product(METRIC.appointmentSkipped, service, `${service}: ${reason}`, { [METRIC_DIMENSION.reason]: reason as SkippedEncounter })]),
      ),
    );
    this.appointmentsSkippedAlarm = new Alarm(this, 'AppointmentsSkippedAlarm', {
      alarmDescription:
        'A calendar feed, a dropped appointment file or a FHIR encounter named a client who is not on the roster (or a FHIR Patient with no email), or a therapist with no registered address: those appointments sent no feedback request. Import the client list (npx alliance clients import) or register the therapist (npx alliance therapists add; for FHIR under the Practitioner id); the feeds, appointment-import or fhir log names the session ids (never client details). The dashboard\'s inbound graphs show the counts by reason.',
      metric: new MathExpression({ expression: `SUM([${Object.keys(skipped).join(', ')}])`, usingMetrics: skipped, period: HOUR, label: 'Appointments skipped: client not on the roster, or therapist unknown' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [...this.errorsAlarms, ...(this.pollErrorsAlarm ? [this.pollErrorsAlarm] : []), this.bounceRateAlarm, this.complaintRateAlarm, this.appointmentsSkippedAlarm];
    for (const alarm of this.alarms) alarm.addAlarmAction(action);

    const queueFed = functions.filter((fn) => EVENT_ROUTES.some((route) => route.target.id === fn.definition.id));
    const widgets: IWidget[][] = [
      [
        new TextWidget({
          markdown: [
            '# Alliance Feedback',
            'Product counts are hourly sums from the functions (namespace `AllianceFeedback`); a redelivered event is not counted twice.',
            'Alarms email the alarm topic. A dead-letter message: read its `reason` attribute, fix, then redrive.',
          ].join('\n\n'),
          width: 16,
          height: 4,
        }),
        new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms, ...(props.otherAlarms ?? [])], width: 8, height: 4 }),
      ],
      [
        graph('Feedback requests', [
          product(METRIC.feedbackRequestSent, FUNCTIONS.request.id, 'Sent'),
          product(METRIC.feedbackRequestDuplicate, FUNCTIONS.request.id, 'Duplicate (already handled)'),
          ...SKIP_REASONS.map((reason) => product(METRIC.feedbackRequestSkipped, FUNCTIONS.request.id, `Skipped: ${reason}`, { [METRIC_DIMENSION.reason]: reason })),
        ], 12),
        graph('Reminders and expiries', [
          product(METRIC.reminderSent, FUNCTIONS.followUp.id, 'Reminders sent'),
          product(METRIC.feedbackExpired, FUNCTIONS.followUp.id, 'Expired unanswered'),
        ], 6),
        graph('Answers', [
          product(METRIC.answerRecorded, FUNCTIONS.web.id, 'Recorded'),
          product(METRIC.answerRejected, FUNCTIONS.web.id, 'Rejected (form errors)'),
          product(METRIC.answerEvaluated, FUNCTIONS.evaluate.id, 'Evaluated'),
          product(METRIC.answerReannounced, FUNCTIONS.followUp.id, 'Announced again (lost announcement)'),
          product(METRIC.clientOptedOut, FUNCTIONS.web.id, 'Clients opted out'),
          product(METRIC.erasedClientEventSkipped, FUNCTIONS.evaluate.id, 'Skipped (client erased)'),
        ], 6),
      ],
      [
        graph('Alerts raised, by kind', ALERT_KINDS.map((kind) => product(METRIC.alertRaised, FUNCTIONS.evaluate.id, kind, { [METRIC_DIMENSION.kind]: kind })), 8),
        graph('Alert emails sent, by kind', ALERT_KINDS.map((kind) => product(METRIC.alertEmailSent, FUNCTIONS.alert.id, kind, { [METRIC_DIMENSION.kind]: kind })), 8),
        new GraphWidget({
          title: 'Acknowledgements',
          left: [product(METRIC.alertAcknowledged, FUNCTIONS.web.id, 'Alerts acknowledged')],
          right: [
            new MathExpression({
              expression: 'seconds / 3600',
              usingMetrics: { seconds: product(METRIC.timeToAcknowledge, FUNCTIONS.web.id, 'Time to acknowledge', {}, Stats.p(50)) },
              label: 'Median hours to acknowledge',
              period: HOUR,
            }),
          ],
          rightYAxis: { label: 'hours', showUnits: false, min: 0 },
          leftYAxis: { min: 0 },
          width: 8,
        }),
      ],
      [
        graph(
          'Dead-letter queues: messages waiting',
          props.deadLetterQueues.map((queue) => queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: Stats.MAXIMUM, label: queueLabel(queue) })),
          8,
        ),
        graph('Invalid events parked (EventRejected)', queueFed.map((fn) => product(METRIC.eventRejected, fn.definition.id, fn.definition.id)), 8),
        // A product event the table does not bear out: forged, or about an erased session. Steady
        // counts mean someone is putting events on the bus as the product.
        graph('Events not matching the table (EventIgnored)', [FUNCTIONS.evaluate, FUNCTIONS.alert].map((fn) => product(METRIC.eventIgnored, fn.id, fn.id)), 8),
      ],
      // The calendar feed poller (with calendarFeeds): what each poll announced and skipped, and
      // feeds it could not read (their function error raises the errors alarm).
      ...(functions.some((fn) => fn.definition === FUNCTIONS.feeds)
        ? [[
            graph('Calendar feeds', [
              product(METRIC.sessionAnnounced, FUNCTIONS.feeds.id, 'Sessions announced'),
              ...CALENDAR_SKIP_REASONS.map((reason) => product(METRIC.appointmentSkipped, FUNCTIONS.feeds.id, `Skipped: ${reason}`, { [METRIC_DIMENSION.reason]: reason })),
              product(METRIC.calendarFeedFailed, FUNCTIONS.feeds.id, 'Feeds not read'),
            ], 24),
          ]]
        : []),
      // The FHIR poller (with fhirBaseUrl): what each poll announced and skipped, and polls that did
      // not complete (their function error raises the errors alarm).
      ...(functions.some((fn) => fn.definition === FUNCTIONS.fhir)
        ? [[
            graph('FHIR R4 encounters', [
              product(METRIC.sessionAnnounced, FUNCTIONS.fhir.id, 'Sessions announced'),
              ...FHIR_SKIP_REASONS.map((reason) => product(METRIC.appointmentSkipped, FUNCTIONS.fhir.id, `Skipped: ${reason}`, { [METRIC_DIMENSION.reason]: reason })),
              product(METRIC.fhirPollFailed, FUNCTIONS.fhir.id, 'Polls not completed'),
            ], 24),
          ]]
        : []),
      [
        graph('Function errors', functions.map((fn) => fn.function.metricErrors({ period: FIVE_MINUTES, statistic: Stats.SUM, label: fn.definition.id })), 8),
        graph('Function throttles', functions.map((fn) => fn.function.metricThrottles({ period: FIVE_MINUTES, statistic: Stats.SUM, label: fn.definition.id })), 8),
        graph('Function duration (p95, ms)', functions.map((fn) => fn.function.metricDuration({ period: FIVE_MINUTES, statistic: Stats.p(95), label: fn.definition.id })), 8),
      ],
      // The signed webhook (functions/hooks): sessions it announced, and appointments it skipped by
      // completeSession's reason (the sender got a 422 with the same reason).
      [
        graph('Signed webhook: sessions announced and skipped', [
          product(METRIC.sessionAnnounced, FUNCTIONS.hooks.id, 'Announced'),
          ...APPOINTMENT_SKIP_REASONS.map((reason) => product(METRIC.appointmentSkipped, FUNCTIONS.hooks.id, `Skipped: ${reason}`, { [METRIC_DIMENSION.reason]: reason })),
        ], 24),
      ],
      [
        new GraphWidget({
          title: 'SES reputation (account)',
          left: [bounceRate.with({ label: 'Bounce rate' }), complaintRate.with({ label: 'Complaint rate' })],
          leftAnnotations: [
            { value: SES_BOUNCE_RATE_THRESHOLD, label: 'bounce alarm' },
            { value: SES_COMPLAINT_RATE_THRESHOLD, label: 'complaint alarm' },
          ],
          leftYAxis: { min: 0 },
          width: 12,
        }),
        graph('SES messages (account)', [
          sesMetric('Send', Stats.SUM, 'Sent'),
          sesMetric('Delivery', Stats.SUM, 'Delivered'),
          sesMetric('Bounce', Stats.SUM, 'Bounced'),
          sesMetric('Complaint', Stats.SUM, 'Complaints'),
        ], 12),
      ],
      [
        // The appointment drop bucket's imports (the CLI's imports record no metrics).
        graph('Appointment import', [
          product(METRIC.sessionAnnounced, FUNCTIONS.appointmentImport.id, 'Sessions announced'),
          ...APPOINTMENT_SKIP_REASONS.map((reason) => product(METRIC.appointmentSkipped, FUNCTIONS.appointmentImport.id, `Skipped: ${reason}`, { [METRIC_DIMENSION.reason]: reason })),
        ], 12),
      ],
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-operations`,
      // A week: a practice sends a handful of requests a day, so shorter windows are mostly empty.
      defaultInterval: Duration.days(7),
      widgets,
    });
  }
}

/** A product metric of one function (`service`), summed per hour unless a statistic is given. */
function product(name: MetricName, service: string, label: string, dimensions: Record<string, string> = {}, statistic: string = Stats.SUM): Metric {
  return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { [SERVICE_DIMENSION]: service, ...dimensions }, statistic, period: HOUR, label });
}

/** An account-level SES metric (no dimensions). */
function sesMetric(metricName: string, statistic: string, label?: string): Metric {
  return new Metric({ namespace: 'AWS/SES', metricName, statistic, period: HOUR, ...(label === undefined ? {} : { label }) });
}

function graph(title: string, metrics: IMetric[], width: number): GraphWidget {
  return new GraphWidget({ title, left: metrics, leftYAxis: { min: 0 }, width, stacked: false });
}

/** `SessionCompletedToRequest/DeadLetterQueue`, or the queue's own id when the stack owns it. */
function queueLabel(queue: IQueue): string {
  const parent = queue.node.scope;
  return parent === undefined || parent instanceof Stack ? queue.node.id : `${parent.node.id}/${queue.node.id}`;
}
