/**
 * The stack a practice deploys: a custom bus, one table, the functions from the FUNCTIONS registry,
 * one rule → queue → function path per EVENT_ROUTES entry, SES sending scoped to one identity, the
 * HTTP API in front of the web function, and alarms on every dead-letter queue.
 *
 * Idle cost is the design constraint (a practice with no sessions this week should pay under
 * $5/month): one KMS key ($1) encrypts everything, alarms are $0.10 each, all else is per request.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, PolicyDocument, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, ConfigurationSetTlsPolicy, EmailSendingEvent, EventDestination, SuppressionReasons } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { EVENTS_TARGET_QUEUE_SAME_ACCOUNT } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import { SECURITY_HEADERS } from '../functions/web/http.ts';
import { ALERT_SETTINGS, DETECTOR_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS, type Setting } from '../shared/config.ts';
import { INSTRUMENT_ENV } from '../shared/adapters/instrument-catalogue.ts';
import { TABLE_KEYS, TTL_ATTRIBUTE } from '../shared/adapters/table.ts';
import { SES_CONFIGURATION_SET_TAG } from '../shared/domain/mail-tags.ts';
import { SesDeliveryProblem } from '../shared/events/contracts.ts';
import { clientLinks } from '../shared/use-cases/client-email.ts';
import type { StackConfig } from './config.ts';
import { AppointmentDrop } from './constructs/appointment-drop.ts';
import { CalendarFeeds } from './constructs/calendar-feeds.ts';
import { THERAPIST_INDEX } from '../shared/adapters/items/therapist.ts';
import { DigestSchedule } from './constructs/digest-schedule.ts';
import { FhirInbound } from './constructs/fhir-inbound.ts';
import { EventRouteQueue } from './constructs/event-route-queue.ts';
import { Front, OriginCheck } from './constructs/front.ts';
import { FunctionRole } from './constructs/function-role.ts';
import { Operations } from './constructs/operations.ts';
import { ProductFunction } from './constructs/product-function.ts';
import { type AccessResources, busPolicy, functionPolicy, functionVariables, integrationPolicy, productPublishers, schedulerPolicy } from './function-access.ts';
import { pascalCase } from './names.ts';
import { claimLeaseSeconds, EVENT_ROUTES, FUNCTIONS, HTTP_ROUTES, type FunctionDefinition } from './routes.ts';

/**
 * Stage throttling for the client-facing API: a cost cap shared by everyone, not a per-client limit
 * (that is the optional front's WAF rule, infra/constructs/front.ts).
 *
 * Not hit by a backlog: an EHR flushing 500 sessions gets 500 emails out at SES's starting rate
 * (14/s), and mail gateways open each one's links within seconds, about 3 requests per email (form
 * and opt-out link, a retry): ~42 requests/s for as long as the sends last, under the rate of 50,
 * and 1,500 at once if a gateway holds the batch and scans it together, inside the burst of 2,000.
 * The burst costs nothing over a month; only the rate does.
 *
 * Capping the bill: a request that reaches the web function costs about $2 per million (HTTP API
 * $1.00, Lambda $0.20 plus 256 MB for ~100 ms $0.33, a DynamoDB read $0.125, logs and traces the
 * rest; prices as in bench/cost/prices.ts). A flood held at 50 requests/s for a whole month is
 * 130 million requests, about $260 (~$9 a day); without a stage limit the account's default
 * (10,000 requests/s) would allow ~$50,000.
 */
export const API_THROTTLE = { rateLimit: 50, burstLimit: 2_000 } as const;

/**
 * The schedule group of the reminder and expiry schedules: one per copy of the product in an account
 * and region. The first copy's name never changes: a renamed group is a replaced group, and its
 * pending schedules would go with it.
 */
export function followUpScheduleGroupName(instance: string | undefined): string {
  return instance ? `alliance-feedback-${instance}-follow-ups` : 'alliance-feedback-follow-ups';
}

export interface AllianceFeedbackStackProps extends StackProps {
  config: StackConfig;
  /** With config.front: the web ACL of the us-east-1 stack (infra/constructs/front.ts), referenced across regions. */
  frontWebAcl?: CfnWebACL;
}

type FunctionId = keyof typeof FUNCTIONS;

export class AllianceFeedbackStack extends Stack {
  readonly key: Key;
  readonly bus: EventBus;
  readonly defaultBus: IEventBus;
  readonly table: Table;
  readonly functions: Record<FunctionId, ProductFunction>;
  readonly routes: readonly EventRouteQueue[];
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The CloudFront + WAF front, when context `front` is on. */
  readonly front: Front | undefined;
  /** With the front: the API's authorizer that refuses requests not sent by the front. */
  readonly originCheck: OriginCheck | undefined;
  readonly alarmTopic: Topic;
  readonly alarms: readonly Alarm[];
  readonly mailConfiguration: ConfigurationSet;
  readonly scheduleGroup: ScheduleGroup;
  /** The schedule group's name as a plain string (IAM resources and nag findings name it). */
  readonly followUpScheduleGroupName: string;
  /** Follow-up events the scheduler could not put on the bus. */
  readonly schedulerDeadLetterQueue: Queue;
  readonly schedulerRole: FunctionRole;
  /** Every dead-letter queue in the stack; each has an alarm. */
  readonly deadLetterQueues: readonly Queue[];
  /** The dashboard, and the function-error and SES reputation alarms. */
  readonly operations: Operations;
  /** What the roles' policies name, as infra/function-access.ts derives them from each declaration. */
  readonly accessResources: AccessResources;
  /** For the practice's EHR integration role: PutEvents of SessionCompleted on the bus, nothing else. */
  readonly integrationPolicy: ManagedPolicy;
  /** The signed webhook's secrets (`npx alliance webhook-secret create|rotate` writes them). */
  readonly webhookSecret: Secret;
  /** The appointment drop bucket, when `appointmentDropDays` is set. */
  readonly appointmentDrop: AppointmentDrop | undefined;
  /** The calendar feed poller's secret and schedule (context calendarFeeds); undefined when off. */
  readonly calendarFeeds: CalendarFeeds | undefined;
  /** The weekly digest's hourly schedule. */
  readonly digestSchedule: DigestSchedule;
  /** FHIR R4 inbound's key secret and schedule (context fhirBaseUrl); undefined when off. */
  readonly fhirInbound: FhirInbound | undefined;

  /** Every alarm that publishes to the alarm topic: the dead-letter alarms and the operations ones. */
  get alarmsOnTopic(): readonly Alarm[] {
    return [...this.alarms, ...this.operations.alarms];
  }

  /** The deployed function of a registry entry. */
  functionFor(definition: FunctionDefinition): ProductFunction {
    const found = Object.values(this.functions).find((fn) => fn.definition === definition);
    if (found === undefined) throw new Error(`${definition.id} is not in FUNCTIONS`);
    return found;
  }

  constructor(scope: Construct, id: string, props: AllianceFeedbackStackProps) {
    super(scope, id, props);
    // Scope EventBridge's use of the queue key to this account (CDK leaves it unconditioned for
    // KMS-encrypted queues unless this flag is on). Context must be set before any child exists.
    this.node.setContext(EVENTS_TARGET_QUEUE_SAME_ACCOUNT, true);
    const { config } = props;

    // One customer-managed key for all data at rest: the table, the queues (events carry client
    // email addresses), the alarm topic and the logs. One key is $1/month; a key per resource
    // would be most of the idle budget. Retained: a retained table is unreadable without it.
    this.key = new Key(this, 'DataKey', {
      description: 'Alliance Feedback: data at rest (table, queues, alarm topic, logs)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch Logs encrypts each log group with the key, limited to this account's log groups.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': this.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    // Alarms publish to the encrypted topic only if CloudWatch may use the key.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');

    this.bus = new EventBus(this, 'Bus', { eventBusName: config.busName });
    // AWS services (SES's bounce and complaint events) publish only to the account's default bus.
    this.defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      // On demand: no idle cost, and a practice's traffic is far too spiky for provisioned capacity.
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // Clinical feedback outlives any one deployment: deleting the stack must not delete it.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    // No client index: `npx alliance export|erase <clientId>` scan the table for the client's
    // items instead (shared/adapters/dynamodb-client-data-store.ts). A client index cost one write
    // unit per session, form link and alert link (3 per session); a scan costs a few reads per MB
    // of table a few times a year. The one index is the therapist directory's (sparse: therapist
    // items only, written when the directory changes), for the hourly digest dispatch, which must
    // not scan every client's history every hour (items/therapist.ts THERAPIST_INDEX).
    this.table.addGlobalSecondaryIndex({
      indexName: THERAPIST_INDEX.name,
      partitionKey: { name: THERAPIST_INDEX.partitionKey, type: AttributeType.STRING },
      sortKey: { name: THERAPIST_INDEX.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...THERAPIST_INDEX.projected],
    });

    this.functions = Object.fromEntries(
      Object.entries(FUNCTIONS).map(([key, definition]) => [
        key,
        new ProductFunction(this, pascalCase(definition.id), {
          definition,
          logKey: this.key,
          logRetention: config.logRetention,
        }),
      ]),
    ) as Record<FunctionId, ProductFunction>;

    this.routes = EVENT_ROUTES.map((route) => {
      const routeQueue = new EventRouteQueue(this, pascalCase(route.id), { route, bus: route.bus === 'default' ? this.defaultBus : this.bus, key: this.key });
      routeQueue.connect(this.functionFor(route.target));
      return routeQueue;
    });

    // The client-facing web function behind an HTTP API. The stage is declared explicitly because
    // the API's implicit default stage takes neither throttling nor access logging.
    const web = this.functions.web;
    // With the front, every route (also ones added later) lets only the front's requests through.
    this.originCheck = config.front === undefined ? undefined : new OriginCheck(this, 'OriginCheck', { logKey: this.key, logRetention: config.logRetention });
    this.api = new HttpApi(this, 'Api', {
      description: 'Alliance Feedback: client-facing pages (feedback form, opt-out)',
      createDefaultStage: false,
      ...(this.originCheck === undefined ? {} : { defaultAuthorizer: this.originCheck.authorizer }),
    });
    const webIntegration = new HttpLambdaIntegration('Web', web.function);
    this.api.addRoutes({ path: '/', methods: [HttpMethod.GET], integration: webIntegration });
    this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration: webIntegration });
    if (this.originCheck !== undefined) {
      // Opt-out links must keep working in every email already sent, including those sent before
      // the front was switched on, which name the API's own URL (and mail providers' one-click
      // posts to List-Unsubscribe). Only this route skips the origin check: a direct flood of it
      // still meets the stage's cost cap, and the form and acknowledge links expire anyway.
      const optOutPath = clientLinks('', { form: '{token}', optOut: '{token}' }).optOutUrl;
      this.api.addRoutes({ path: optOutPath, methods: [HttpMethod.GET, HttpMethod.POST], integration: webIntegration, authorizer: new HttpNoneAuthorizer() });
    }
    // Routes with their own function (the signed webhook, FHIR notifications): more specific than /{proxy+}, so they win.
    // With the front, they skip the origin check: every call is authenticated by its signature (or
    // the FHIR Subscription's header secret), and the EHR keeps the URL it was configured with.
    for (const route of HTTP_ROUTES) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(pascalCase(route.target.id), this.functionFor(route.target).function),
        ...(this.originCheck === undefined ? {} : { authorizer: new HttpNoneAuthorizer() }),
      });
    }
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: config.logRetention, encryptionKey: this.key });
    this.stage = new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No source IP and no path: paths carry single-use form tokens, and neither is needed to
        // see what the API is doing.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            httpMethod: '$context.httpMethod',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    // The optional front: links must lead through it, to the distribution's domain or the
    // practice's own (readStackConfig refuses any other formBaseUrl with the front on).
    if (config.front !== undefined && props.frontWebAcl === undefined) throw new Error('the front needs the web ACL of its us-east-1 stack');
    this.front =
      this.originCheck === undefined
        ? undefined
        : new Front(this, 'Front', {
            api: this.api,
            originCheck: this.originCheck,
            webAcl: props.frontWebAcl!,
            securityHeaders: SECURITY_HEADERS,
            ...(config.front?.certificateArn !== undefined && config.request.formBaseUrl !== undefined
              ? { ownDomain: { hostName: new URL(config.request.formBaseUrl).hostname, certificateArn: config.front.certificateArn } }
              : {}),
          });
    const formBaseUrl = config.request.formBaseUrl ?? this.front?.url ?? this.stage.url;

    // SES: the configuration set requires TLS to the recipient's server (the email names the
    // practice, which is health information) and explicitly turns off open/click tracking, which
    // would rewrite the form link through a tracking domain.
    this.mailConfiguration = new ConfigurationSet(this, 'MailConfiguration', {
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      vdmOptions: { engagementMetrics: false },
    });

    // The follow-up schedules: one-time schedules for the reminder and the expiry, which put their
    // event on the bus at the time (and delete themselves) unless the answer deleted them first.
    // Named, so the IAM statement that lets the follow-up function write schedules in it reads plainly.
    this.followUpScheduleGroupName = followUpScheduleGroupName(config.instance);
    this.scheduleGroup = new ScheduleGroup(this, 'FollowUpSchedules', { scheduleGroupName: this.followUpScheduleGroupName, removalPolicy: RemovalPolicy.DESTROY });
    this.schedulerDeadLetterQueue = new Queue(this, 'SchedulerDeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.schedulerRole = new FunctionRole(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: 'Alliance Feedback scheduler: puts follow-up events on the product bus',
    });

    // Bounces and complaints: SES publishes them to the default bus, where a route takes them to the
    // deliverability function, which blocks the client's address and tells the administrator.
    this.mailConfiguration.addEventDestination('DeliveryProblems', {
      destination: EventDestination.eventBus(this.defaultBus),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    // The default bus carries every SES event of the account: another copy of the product (or any
    // other sender with event publishing) must not block this copy's clients. SES tags each event
    // with its configuration set, so the rule takes only this stack's.
    for (const route of this.routes.filter((candidate) => candidate.route.contract === SesDeliveryProblem)) {
      route.rule.addEventPattern({ detail: { mail: { tags: { [SES_CONFIGURATION_SET_TAG]: [this.mailConfiguration.configurationSetName] } } } });
    }

    // What each function may touch is declared once (infra/function-access.ts); its role's policy
    // and its environment are derived from that declaration here, and nowhere written by hand. The
    // local stack derives the same policy with local ARNs and enforces it. What the platform needs
    // to run a function (its log group, X-Ray, polling its route's queue) is wired by the constructs.
    this.appointmentDrop = config.appointmentDropDays === undefined ? undefined : new AppointmentDrop(this, 'AppointmentDrop', { key: this.key, expiryDays: config.appointmentDropDays, instance: config.instance });
    this.calendarFeeds = config.calendarFeedIntervalMinutes === undefined
      ? undefined
      : new CalendarFeeds(this, 'CalendarFeeds', { poller: this.functions.feeds, key: this.key, intervalMinutes: config.calendarFeedIntervalMinutes, account: this.account });
    this.digestSchedule = new DigestSchedule(this, 'DigestSchedule', { dispatcher: this.functions.digestDispatch, account: this.account });
    this.fhirInbound = config.fhir === undefined
      ? undefined
      : new FhirInbound(this, 'FhirInbound', { poller: this.functions.fhir, key: this.key, intervalMinutes: config.fhir.intervalMinutes, account: this.account });
    const routeOf = (fn: ProductFunction) => this.routes.find((routeQueue) => routeQueue.route.target.id === fn.definition.id);
    // The signed webhook's secret, with the stack's key. CloudFormation fills it with a random
    // placeholder that verifies nothing (the hooks function answers 503 until then);
    // `npx alliance webhook-secret create` puts the first whsec_ secret in and prints it once, so
    // the secret never appears in a template, a parameter or a deployment log.
    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      description: 'Alliance Feedback: the signed webhook secrets ({"current","previous"}); set with npx alliance webhook-secret create|rotate',
      encryptionKey: this.key,
    });
    const accessResources: AccessResources = (this.accessResources = {
      region: this.region,
      tableArn: this.table.tableArn,
      keyArn: this.key.keyArn,
      busArn: this.bus.eventBusArn,
      sesIdentitiesArn: this.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' }),
      sesConfigurationSetArn: this.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.mailConfiguration.configurationSetName }),
      senderAddress: config.request.senderAddress,
      followUpSchedulesArn: this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.followUpScheduleGroupName}/*` }),
      schedulerRoleArn: this.schedulerRole.roleArn,
      schedulerDeadLetterQueueArn: this.schedulerDeadLetterQueue.queueArn,
      deadLetterQueueArns: Object.fromEntries(this.routes.map((routeQueue) => [routeQueue.route.target.id, routeQueue.deadLetterQueue.queueArn])),
      secretArns: { webhook: this.webhookSecret.secretArn, ...(this.calendarFeeds === undefined ? {} : { calendarFeeds: this.calendarFeeds.secret.secretArn }), ...(this.fhirInbound === undefined ? {} : { fhirClientKey: this.fhirInbound.clientKeySecret.secretArn, fhirNotification: this.fhirInbound.notificationSecret.secretArn }) },
      appointmentDropBucketArn: this.appointmentDrop?.bucketArn,
    });
    for (const statement of schedulerPolicy(accessResources).Statement) this.schedulerRole.addToPrincipalPolicy(PolicyStatement.fromJson(statement));

    // The bus is a trust boundary: its policy refuses the product's source to every principal but
    // the roles that publish product events (derived from their declarations), whatever their own
    // policies allow; an EHR integration gets the managed policy below, another account the same
    // conditions through the bus policy (infra/function-access.ts derives both).
    const publishers = productPublishers();
    const productRoleArns = [...publishers.functions.map((definition) => this.functionFor(definition).role.roleArn), ...(publishers.scheduler ? [this.schedulerRole.roleArn] : [])];
    for (const statement of busPolicy({ busArn: this.bus.eventBusArn, productRoleArns, integrationAccounts: config.integration.accounts, integrationSources: config.integration.sources, administratorPrincipals: config.administratorPrincipals }).Statement) {
      this.bus.addToResourcePolicy(PolicyStatement.fromJson(statement));
    }
    this.integrationPolicy = new ManagedPolicy(this, 'IntegrationPolicy', {
      description: 'Alliance Feedback: attach to your EHR integration role; puts SessionCompleted on the product bus, nothing else',
      document: PolicyDocument.fromJson(integrationPolicy(this.bus.eventBusArn, config.integration.sources)),
    });

    const requestSettings = { ...config.request, formBaseUrl };
    // Every setting's value by its variable: a function gets the ones it declared it reads.
    const settingValues = new Map<string, string>();
    const addValues = <T extends Record<string, Setting>>(settings: T, values: { [K in keyof T]: unknown }) => {
      for (const [key, setting] of Object.entries(settings)) settingValues.set(setting.env, String(values[key as keyof T]));
    };
    addValues(REQUEST_SETTINGS, requestSettings);
    addValues(DETECTOR_SETTINGS, config.detector);
    addValues(RETENTION_SETTINGS, config.retention);
    addValues(ALERT_SETTINGS, config.alert);
    addValues(DIGEST_SETTINGS, config.digest);
    addValues(PRIVACY_SETTINGS, config.privacy);
    // Typed against RESOURCE_ENV: a variable added there fails `tsc` here until the stack gives it a value.
    const resourceValues: { [K in keyof typeof RESOURCE_ENV]: (fn: ProductFunction) => string | undefined } = {
      tableName: () => this.table.tableName,
      busName: () => this.bus.eventBusName,
      busArn: () => this.bus.eventBusArn,
      deadLetterQueueUrl: (fn) => routeOf(fn)?.deadLetterQueue.queueUrl,
      sesConfigurationSet: () => this.mailConfiguration.configurationSetName,
      claimLeaseSeconds: (fn) => {
        const routeQueue = routeOf(fn);
        return routeQueue === undefined ? undefined : String(claimLeaseSeconds(routeQueue.route));
      },
      scheduleGroupName: () => this.scheduleGroup.scheduleGroupName,
      schedulerRoleArn: () => this.schedulerRole.roleArn,
      schedulerDeadLetterQueueArn: () => this.schedulerDeadLetterQueue.queueArn,
      // Optional: without it, the deliverability function tells nobody.
      adminEmail: () => config.adminEmail,
      webhookSecretArn: () => this.webhookSecret.secretArn,
      calendarFeedsSecretArn: () => this.calendarFeeds?.secret.secretArn,
      // The local stack's feed list; never on AWS.
      icsFeeds: () => undefined,
      fhirBaseUrl: () => config.fhir?.baseUrl,
      fhirTokenUrl: () => config.fhir?.tokenUrl,
      fhirClientId: () => config.fhir?.clientId,
      fhirClientKeySecretArn: () => this.fhirInbound?.clientKeySecret.secretArn,
      fhirNotificationSecretArn: () => this.fhirInbound?.notificationSecret.secretArn,
    };
    // Resource variables a function may go without: the poller without calendarFeeds reads no feeds, the fhir function without fhirBaseUrl polls nothing.
    const optionalResources = new Set<keyof typeof RESOURCE_ENV>(['adminEmail', 'calendarFeedsSecretArn', 'icsFeeds', 'fhirBaseUrl', 'fhirTokenUrl', 'fhirClientId', 'fhirClientKeySecretArn', 'fhirNotificationSecretArn']);

    for (const fn of Object.values(this.functions)) {
      for (const statement of functionPolicy(fn.definition, accessResources).Statement) fn.role.addToPrincipalPolicy(PolicyStatement.fromJson(statement));
      const variables = functionVariables(fn.definition);
      for (const setting of variables.settings) {
        const value = settingValues.get(setting.env);
        if (value === undefined) throw new Error(`${fn.definition.id} reads ${setting.env}, which the stack has no value for`);
        fn.addEnvironment(setting.env, value);
      }
      for (const name of variables.resources) {
        const value = resourceValues[name](fn);
        if (value === undefined && !optionalResources.has(name)) throw new Error(`${fn.definition.id} declares ${RESOURCE_ENV[name]}, which the stack has no value for`);
        if (value !== undefined) fn.addEnvironment(RESOURCE_ENV[name], value);
      }
      // A practice's licensed instrument: every function that loads instruments must know it.
      if (variables.instruments && config.instrumentJson !== undefined) fn.addEnvironment(INSTRUMENT_ENV.json, config.instrumentJson);
    }

    this.appointmentDrop?.connect(this.functions.appointmentImport);

    // Someone has to hear about a dead letter: any visible message in any DLQ raises an alarm.
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Alliance Feedback alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (config.adminEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(config.adminEmail));
    const alarmAction = new SnsAction(this.alarmTopic);
    const schedulerAlarm = new Alarm(this, 'SchedulerDeadLetterQueueAlarm', {
      alarmDescription: 'Follow-up events (reminders, expiries) the scheduler could not put on the bus. Read the message attributes for the reason, fix, then redrive.',
      metric: this.schedulerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    schedulerAlarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms = [schedulerAlarm, ...this.routes.flatMap((routeQueue) =>
      routeQueue.deadLetterQueues.map((queue) => {
        const alarm = new Alarm(routeQueue, `${queue.node.id}Alarm`, {
          alarmDescription: `Messages in ${queue.node.path}: events of route ${routeQueue.route.id} that were not handled. Read the message attributes for the reason, fix, then redrive.`,
          metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
          threshold: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          // An empty queue publishes no data points; that is the healthy state.
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(alarmAction);
        return alarm;
      }),
    )];

    this.deadLetterQueues = [...this.routes.flatMap((routeQueue) => routeQueue.deadLetterQueues), this.schedulerDeadLetterQueue];

    // The operations dashboard, and alarms on function errors and SES reputation, to the same topic.
    this.operations = new Operations(this, 'Operations', {
      // The calendar feed poller only when it polls: unused, its error metric would cost an alarm metric for nothing.
      functions: Object.values(this.functions).filter((fn) => (fn.definition !== FUNCTIONS.feeds || this.calendarFeeds !== undefined) && (fn.definition !== FUNCTIONS.fhir || this.fhirInbound !== undefined)),
      deadLetterQueues: this.deadLetterQueues,
      api: this.api,
      alarmTopic: this.alarmTopic,
      otherAlarms: this.alarms,
    });

    // enforceSSL gives the topic a policy of its own, and a topic policy replaces SNS's default one
    // (the account's principals may publish): without this statement CloudWatch could not publish,
    // and every alarm would change state without telling anyone. Only this account's alarms, and
    // only this stack's, named one by one: a name pattern (`AllianceFeedback-*`) would also match a
    // second copy's alarms (`AllianceFeedback-staging-…`) and any alarm someone names that way.
    // (CloudWatch may use the topic's key: see the key policy above.)
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': this.alarmsOnTopic.map((alarm) => alarm.alarmArn) },
        },
      }),
    );

    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'Send SessionCompleted events to this bus' });
    new CfnOutput(this, 'EventBusArn', { value: this.bus.eventBusArn });
    new CfnOutput(this, 'IntegrationPolicyArn', {
      value: this.integrationPolicy.managedPolicyArn,
      description: 'Attach to your EHR integration role: it may put SessionCompleted on the bus, and nothing else',
    });
    new CfnOutput(this, 'FormBaseUrl', { value: formBaseUrl, description: 'Links in feedback emails start with this URL' });
    new CfnOutput(this, 'ApiUrl', { value: this.stage.url });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe to hear about dead letters, function errors, SES reputation and skipped appointments' });
    if (this.fhirInbound) new CfnOutput(this, 'FhirNotificationSecretArn', { value: this.fhirInbound.notificationSecret.secretArn, description: 'The header secret for FHIR subscriptions (docs/integrate.md, FHIR R4, Subscription mode)' });
    if (this.fhirInbound) new CfnOutput(this, 'FhirClientKeySecretArn', { value: this.fhirInbound.clientKeySecret.secretArn, description: 'Put the SMART backend app private key in this secret (docs/integrate.md, FHIR R4)' });
    if (this.calendarFeeds) new CfnOutput(this, 'CalendarFeedsSecretArn', { value: this.calendarFeeds.secret.secretArn, description: 'Put your calendar feed list in this secret (docs/integrate.md, Calendar feed)' });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });
    new CfnOutput(this, 'WebhookUrl', { value: `${this.stage.url}hooks/v1/sessions`, description: 'Signed webhooks (Standard Webhooks) with SessionCompleted go here' });
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn, description: 'npx alliance webhook-secret create|rotate --region … --secret-id <this>' });
  }
}
