import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { API_THROTTLE } from '../../infra/stack.ts';
import { claimLeaseSeconds, EVENT_ROUTES, FUNCTIONS, visibilityTimeoutSeconds } from '../../infra/routes.ts';
import { TABLE_KEYS, TTL_ATTRIBUTE } from '../../shared/adapters/table.ts';
import { ConfigurationError, REQUEST_SETTINGS, RESOURCE_ENV } from '../../shared/config.ts';
import { DEFAULT_BUS_NAME, SessionCompleted } from '../../shared/events/contracts.ts';
import { newApp, SYNTH_TIMEOUT, synthStack } from './synth.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const { stack, template, logicalId, resource } = synthStack();

function getAtt(construct: IConstruct): unknown {
  return { 'Fn::GetAtt': [logicalId(construct), 'Arn'] };
}

function statementsOf(fn: keyof typeof FUNCTIONS): Statement[] {
  return resource(stack.functions[fn].role.policy).Properties['PolicyDocument'].Statement as Statement[];
}

function environmentOf(fn: keyof typeof FUNCTIONS): Record<string, unknown> {
  return resource(stack.functions[fn].function).Properties['Environment'].Variables;
}

describe('event routing', () => {
  it('routes on a custom bus named by default after the product', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: DEFAULT_BUS_NAME });
  });

  it('matches SessionCompleted with the pattern from its contract, on the custom bus', () => {
    const route = stack.routes.find((candidate) => candidate.route.contract === SessionCompleted)!;
    const rule = resource(route.rule);

    expect(rule.Properties['EventPattern']).toEqual(SessionCompleted.pattern);
    expect(rule.Properties['EventBusName']).toEqual({ Ref: logicalId(stack.bus) });
  });

  it('builds one rule per route in the routing table, each with its contract pattern', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule'));

    // SES's rule on the account's default bus also names this stack's configuration set.
    const ownConfigurationSet = { detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: logicalId(stack.mailConfiguration) }] } } } };
    expect(rules.map((rule) => rule['Properties'].EventPattern)).toEqual(
      EVENT_ROUTES.map((route) => (route.bus === 'default' ? { ...route.contract.pattern, ...ownConfigurationSet } : route.contract.pattern)),
    );
  });

  it.each(EVENT_ROUTES.map((route, index) => [route.id, index] as const))('%s: the rule targets the queue, with a dead-letter queue of its own', (_, index) => {
    const route = stack.routes[index]!;
    const [target] = resource(route.rule).Properties['Targets'];

    expect(target.Arn).toEqual(getAtt(route.queue));
    expect(target.DeadLetterConfig).toEqual({ Arn: getAtt(route.deliveryDeadLetterQueue) });
  });

  it.each(EVENT_ROUTES.map((route, index) => [route.id, index] as const))('%s: the queue redrives to a DLQ with the route’s receive count and timeout', (_, index) => {
    const route = stack.routes[index]!;
    const queue = resource(route.queue).Properties;

    expect(queue['RedrivePolicy']).toEqual({ deadLetterTargetArn: getAtt(route.deadLetterQueue), maxReceiveCount: route.route.maxReceiveCount });
    expect(queue['VisibilityTimeout']).toBe(visibilityTimeoutSeconds(route.route));
  });

  it.each(EVENT_ROUTES.map((route, index) => [route.id, index] as const))('%s: the function reads the queue with maximum concurrency and partial batch failures', (_, index) => {
    const route = stack.routes[index]!;

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(route.queue),
      FunctionName: { Ref: logicalId(stack.functionFor(route.route.target).function) },
      BatchSize: route.route.batchSize,
      ScalingConfig: { MaximumConcurrency: route.route.maxConcurrency },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('encrypts every queue with the customer-managed key and refuses plain HTTP', () => {
    const queues = template.findResources('AWS::SQS::Queue');

    // Per route: the queue and its two dead-letter queues; plus the scheduler's dead-letter queue.
    expect(Object.keys(queues)).toHaveLength(EVENT_ROUTES.length * 3 + 1);
    for (const queue of Object.values(queues)) {
      expect(queue['Properties'].KmsMasterKeyId).toEqual(getAtt(stack.key));
    }
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    const guarded = policies.flatMap((policy) => policy['Properties'].Queues);
    for (const id of Object.keys(queues)) {
      expect(guarded).toContainEqual({ Ref: id });
    }
    for (const policy of policies) {
      expect(policy['Properties'].PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('lets EventBridge use the key only for this account and for rules on this bus', () => {
    const keyPolicy = resource(stack.key).Properties['KeyPolicy'].Statement as (Statement & { Principal: any })[];
    const forEvents = keyPolicy.filter((statement) => statement.Principal?.Service === 'events.amazonaws.com');

    expect(forEvents.length).toBeGreaterThan(0);
    for (const statement of forEvents) expect(statement.Condition).toBeDefined();
  });
});

describe('table', () => {
  it('has the shared key schema, on-demand billing, PITR, KMS encryption and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
        // The therapist directory's sparse index (the digest dispatch's; test/infra/client-data.test.ts).
        { AttributeName: 'registeredBy', AttributeType: 'S' },
        { AttributeName: 'therapistId', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: getAtt(stack.key) },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    });
  });

  it('survives deleting the stack, and so does its key', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
  });
});

describe('functions', () => {
  it('creates exactly the functions of the registry, each Node.js 24 on arm64', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));

    expect(functions).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const fn of functions) {
      expect(fn['Properties']).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    }
  });

  it.each(Object.values(FUNCTIONS).map((definition) => [definition.id, definition] as const))('%s: has its timeout, source maps, tracing and its own encrypted log group', (_id, definition) => {
    const fn = stack.functionFor(definition);
    const properties = resource(fn.function).Properties;

    expect(properties['Timeout']).toBe(fn.definition.timeoutSeconds);
    expect(properties['Environment'].Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(properties['TracingConfig']).toEqual({ Mode: 'Active' });
    expect(properties['LoggingConfig']).toEqual({ LogGroup: { Ref: logicalId(fn.logGroup) } });
    expect(resource(fn.logGroup).Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: getAtt(stack.key) });
  });

  it('gives the request function its resources, its route’s DLQ and lease, and every request setting', () => {
    const environment = environmentOf('request');
    const route = stack.routes.find((candidate) => candidate.route.target.id === FUNCTIONS.request.id)!;

    expect(environment).toMatchObject({
      [RESOURCE_ENV.tableName]: { Ref: logicalId(stack.table) },
      [RESOURCE_ENV.busName]: { Ref: logicalId(stack.bus) },
      [RESOURCE_ENV.deadLetterQueueUrl]: { Ref: logicalId(route.deadLetterQueue) },
      [RESOURCE_ENV.claimLeaseSeconds]: String(claimLeaseSeconds(route.route)),
      [RESOURCE_ENV.sesConfigurationSet]: { Ref: logicalId(stack.mailConfiguration) },
    });
    for (const setting of Object.values(REQUEST_SETTINGS)) {
      expect(environment, setting.env).toHaveProperty(setting.env);
      if (setting.defaultValue !== undefined) expect(environment[setting.env], setting.env).toBe(setting.defaultValue);
    }
  });

  it('points form links at the HTTP API when no formBaseUrl is given', () => {
    const formBaseUrl = environmentOf('request')[REQUEST_SETTINGS.formBaseUrl.env];

    expect(JSON.stringify(formBaseUrl)).toContain(logicalId(stack.api));
    expect(JSON.stringify(formBaseUrl)).toContain('execute-api');
  });

  it(
    'passes context values to the function environment',
    () => {
      const custom = synthStack({ context: { formBaseUrl: 'https://feedback.practice.example', throttleHours: '6', practiceName: 'Riverside Therapy' } });
      const variables = custom.resource(custom.stack.functions.request.function).Properties['Environment'].Variables;

      expect(variables).toMatchObject({ FORM_BASE_URL: 'https://feedback.practice.example', THROTTLE_HOURS: '6', PRACTICE_NAME: 'Riverside Therapy' });
    },
    SYNTH_TIMEOUT,
  );
});

describe('least-privilege IAM', () => {
  const identityArn = (identity: string) => stack.resolve(stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }));

  it('uses no inline policies and no AWS managed policies', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      for (const arn of role['Properties'].ManagedPolicyArns ?? []) expect(arn).toHaveProperty('Ref');
    }
  });

  it('never grants Action "*", and grants Resource "*" only for X-Ray, which requires it', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::ManagedPolicy'))) {
      for (const statement of policy['Properties'].PolicyDocument.Statement as Statement[]) {
        const actions = asArray(statement.Action);
        for (const action of actions) expect(action).not.toMatch(/^\*$|:\*$/);
        if (asArray(statement.Resource).includes('*')) {
          expect(actions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        }
      }
    }
  });

  it('lets the request function send email only from the practice sender', () => {
    const sesStatements = statementsOf('request').filter((statement) => asArray(statement.Action).some((action) => action.startsWith('ses:')));

    expect(sesStatements).toHaveLength(1);
    const [statement] = sesStatements;
    // SendEmail with simple content is all shared/adapters/ses-mailer.ts calls.
    expect(asArray(statement!.Action)).toEqual(['ses:SendEmail']);
    expect(statement!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'feedback@practice.example' } });
    // Every identity: in the SES sandbox the recipients' identities are checked too (docs/deploy.md).
    expect(asArray(statement!.Resource)).toEqual([
      identityArn('*'),
      stack.resolve(stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: stack.mailConfiguration.configurationSetName })),
    ]);
  });

  it('lets the request function read and write items, publish to its bus and park messages in its DLQ, nothing more', () => {
    const statements = statementsOf('request');
    const actionsOn = (target: unknown) =>
      statements.filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(target) || JSON.stringify(statement.Resource) === JSON.stringify([target])).flatMap((statement) => asArray(statement.Action));
    const route = stack.routes.find((candidate) => candidate.route.target.id === FUNCTIONS.request.id)!;

    // GetItem: a redelivered session reads its form token to learn whether its email went out.
    expect(actionsOn(getAtt(stack.table)).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(actionsOn(getAtt(stack.bus))).toEqual(['events:PutEvents']);
    expect(actionsOn(getAtt(route.deadLetterQueue))).toContain('sqs:SendMessage');
    expect(actionsOn(getAtt(route.deadLetterQueue))).not.toContain('sqs:ReceiveMessage');
    expect(actionsOn(getAtt(route.deliveryDeadLetterQueue))).toEqual([]);
  });

  it('lets the web function read, query (the trend page’s history), batch-read and update items and publish to its bus, nothing more', () => {
    const statements = statementsOf('web');
    const resources = statements.flatMap((statement) => asArray(statement.Resource));
    const actions = statements.flatMap((statement) => asArray(statement.Action));

    expect(actions.filter((action) => action.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(actions.filter((action) => !/^(dynamodb|kms|logs|xray):/.test(action))).toEqual(['events:PutEvents']);
    expect(resources).toEqual(expect.arrayContaining([getAtt(stack.table), getAtt(stack.bus)]));
    expect(actions.some((action) => action.startsWith('ses:') || action.startsWith('sqs:'))).toBe(false);
  });

  it('lets the follow-up function create and delete schedules in its schedule group only', () => {
    const statements = statementsOf('followUp').filter((statement) => asArray(statement.Action).some((action) => action.startsWith('scheduler:')));
    const actions = statements.flatMap((statement) => asArray(statement.Action)).sort();
    const resources = statements.flatMap((statement) => asArray(statement.Resource)).map((resource) => JSON.stringify(resource));

    // No UpdateSchedule: a schedule is created once (a duplicate's conflict is the goal) and deleted.
    expect(actions).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) expect(resource).toMatch(new RegExp(`:schedule/${stack.scheduleGroup.scheduleGroupName}/\\*`));
  });

  it(
    'lets the functions send only From the practice sender, to any identity the SES sandbox checks',
    () => {
      const custom = synthStack({ context: { senderAddress: 'feedback@mail.practice.example', sesIdentity: 'mail.practice.example' } });
      const statement = custom.resource(custom.stack.functions.request.role.policy).Properties['PolicyDocument'].Statement.find(
        (candidate: Statement) => asArray(candidate.Action).includes('ses:SendEmail'),
      );

      // In the sandbox SES checks the recipient's identity too, so the resource is every identity;
      // the From address is what limits the grant.
      expect(JSON.stringify(statement.Resource)).toContain(':identity/*');
      expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'feedback@mail.practice.example' } });
    },
    SYNTH_TIMEOUT,
  );
});

describe('dead letters are heard', () => {
  it('raises an alarm on any visible message in every dead-letter queue, to the encrypted topic', () => {
    const deadLetterQueues = stack.deadLetterQueues;
    expect(deadLetterQueues).toContain(stack.schedulerDeadLetterQueue);

    // One per dead-letter queue, plus the operations alarms (test/infra/operations.test.ts).
    template.resourceCountIs('AWS::CloudWatch::Alarm', deadLetterQueues.length + stack.operations.alarms.length);
    for (const queue of deadLetterQueues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(queue), 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: logicalId(stack.alarmTopic) }],
      });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(stack.key) });
  });

  it('subscribes nobody unless adminEmail is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it(
    'subscribes adminEmail to the alarm topic',
    () => {
      const custom = synthStack({ context: { adminEmail: 'admin@practice.example' } });

      custom.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'admin@practice.example' });
    },
    SYNTH_TIMEOUT,
  );
});

describe('HTTP API', () => {
  it('routes GET / and ANY /{proxy+} to the web function, POST /hooks/v1/sessions to the hooks function and POST /fhir/r4/notifications to the fhir function', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route['Properties'].RouteKey);

    expect(routeKeys.sort()).toEqual(['ANY /{proxy+}', 'GET /', 'POST /fhir/r4/notifications', 'POST /hooks/v1/sessions']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(stack.functions.fhir.function),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(stack.functions.web.function),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(stack.functions.hooks.function),
    });
  });

  it('keeps the webhook secret in Secrets Manager under the stack key, readable by the hooks role alone', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: getAtt(stack.key) });
    const readers = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([, policy]) =>
      JSON.stringify(policy['Properties'].PolicyDocument).includes('secretsmanager:GetSecretValue'),
    );

    expect(readers.map(([id]) => id)).toEqual([expect.stringMatching(/^HooksRolePolicy/)]);
  });

  it('throttles and access-logs its default stage, without IPs or paths', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: API_THROTTLE.burstLimit, ThrottlingRateLimit: API_THROTTLE.rateLimit },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    const format = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!['Properties'].AccessLogSettings.Format as string;
    expect(format).not.toMatch(/sourceIp|\$context\.path/);
  });
});

describe('configuration from context', () => {
  const build = (context: Record<string, unknown>) => () => buildApp(newApp({ context }));

  it('refuses a sender that is not an email address, naming the context key', () => {
    expect(build({ senderAddress: 'not-an-email' })).toThrow(ConfigurationError);
    expect(build({ senderAddress: 'not-an-email' })).toThrow(/context "senderAddress" \(-c senderAddress=\.\.\.\) must be an email address.*\(got "not-an-email"\)/);
  });

  it('refuses a negative throttle, naming the context key', () => {
    expect(build({ throttleHours: '-1' })).toThrow(/context "throttleHours" \(-c throttleHours=\.\.\.\) must be a number of hours above 0.*\(got "-1"\)/);
  });

  it('lists every problem in one error', () => {
    expect(build({ senderAddress: 'nope', formBaseUrl: 'ftp://x', logRetentionDays: 42, busName: 'default' })).toThrow(
      /senderAddress[\s\S]*formBaseUrl[\s\S]*busName[\s\S]*logRetentionDays/,
    );
  });

  it('refuses a sender outside the SES identity it may send as', () => {
    expect(build({ senderAddress: 'feedback@other.example', sesIdentity: 'practice.example' })).toThrow(
      /senderAddress.*must belong to the SES identity "practice\.example"/,
    );
  });

  it('accepts numbers from cdk.json as well as strings from -c', () => {
    expect(build({ throttleHours: 6, logRetentionDays: 90 })).not.toThrow();
  });
});

describe('deliverability', () => {
  it('publishes SES bounces and complaints to the default bus, where a rule takes them to the deliverability function', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint'],
        EventBridgeDestination: { EventBusArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] } },
      },
    });
    const route = stack.routes.find((candidate) => candidate.route.bus === 'default')!;
    const rule = resource(route.rule).Properties;
    expect(rule['EventBusName']).toBe('default');
    expect(rule['EventPattern']).toEqual({
      source: ['aws.ses'],
      'detail-type': ['Email Bounced', 'Email Complaint Received'],
      detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: logicalId(stack.mailConfiguration) }] } } },
    });
  });
});
