import { describe, expect, it } from 'vitest';
import {
  accessOf,
  accessStatements,
  functionPolicy,
  functionVariables,
  schedulerPolicy,
  type AccessResources,
  type DerivedStatement,
} from '../../infra/function-access.ts';
import { EVENT_ROUTES, FUNCTIONS } from '../../infra/routes.ts';
import { REQUEST_SETTINGS, ALERT_SETTINGS } from '../../shared/config.ts';
import { FeedbackExpiryTimeReached, FeedbackReminderTimeReached, INBOUND_SOURCE, PRODUCT_SOURCE, SessionCompleted, sourceOf } from '../../shared/events/contracts.ts';

const RESOURCES: AccessResources = {
  region: 'eu-west-1',
  tableArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/t',
  keyArn: 'arn:aws:kms:eu-west-1:111111111111:key/k',
  busArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/b',
  sesIdentitiesArn: 'arn:aws:ses:eu-west-1:111111111111:identity/*',
  sesConfigurationSetArn: 'arn:aws:ses:eu-west-1:111111111111:configuration-set/c',
  senderAddress: 'feedback@practice.example',
  followUpSchedulesArn: 'arn:aws:scheduler:eu-west-1:111111111111:schedule/g/*',
  schedulerRoleArn: 'arn:aws:iam::111111111111:role/s',
  schedulerDeadLetterQueueArn: 'arn:aws:sqs:eu-west-1:111111111111:scheduler-dlq',
  deadLetterQueueArns: Object.fromEntries(EVENT_ROUTES.map((route) => [route.target.id, `arn:aws:sqs:eu-west-1:111111111111:${route.id}-dlq`])),
  secretArns: { webhook: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:w-AbCdEf' },
};

const statementsOf = (fn: keyof typeof FUNCTIONS) => functionPolicy(FUNCTIONS[fn], RESOURCES).Statement;
const bySid = (statements: DerivedStatement[], sid: string) => statements.find((statement) => statement.Sid === sid);
const actionsOf = (statements: DerivedStatement[]) => statements.flatMap((statement) => statement.Action).sort();

describe('functionPolicy', () => {
  it('is a plain IAM policy document', () => {
    const policy = functionPolicy(FUNCTIONS.request, RESOURCES);

    expect(policy.Version).toBe('2012-10-17');
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy);
    for (const statement of policy.Statement) expect(statement.Sid).toMatch(/^[A-Za-z0-9]+$/);
  });

  it('lets the alert function Query the session partition, where it reads the session and its evaluation in one call, and the therapist partition, where alerts wait', () => {
    expect(bySid(statementsOf('alert'), 'QueryItems')).toEqual({
      Sid: 'QueryItems',
      Effect: 'Allow',
      Action: ['dynamodb:Query'],
      Resource: [RESOURCES.tableArn],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SESSION#*', 'THERAPIST#*'] } },
    });
  });

  it('lets the request function read form-token items (its duplicate check), the do-not-contact list, profiles and the therapist directory, and write exactly the items it writes', () => {
    const statements = statementsOf('request');

    expect(bySid(statements, 'ReadItems')?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLIENT#*', 'CONTACT#*', 'THERAPIST#*', 'TOKEN#*'] } });
    expect(bySid(statements, 'PutItems')?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SESSION#*', 'THERAPIST#*', 'TOKEN#*'] } });
    expect(bySid(statements, 'UpdateItems')?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLIENT#*'] } });
    expect(bySid(statements, 'DeleteItems')?.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SESSION#*'] } });
    expect(bySid(statements, 'QueryItems')).toBeUndefined();
  });

  it('conditions every PutEvents on the source and the declared detail-types', () => {
    for (const fn of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
      for (const statement of statementsOf(fn).filter((candidate) => candidate.Action.includes('events:PutEvents'))) {
        const [source] = statement.Condition?.['StringEquals']?.['events:source'] as string[];
        expect(statement.Condition?.['StringEquals']?.['events:source'], fn).toEqual([source === INBOUND_SOURCE ? INBOUND_SOURCE : PRODUCT_SOURCE]);
        expect(statement.Condition?.['StringEquals']?.['events:detail-type'], fn).toEqual(accessOf(FUNCTIONS[fn]).publishes?.filter((event) => sourceOf(event) === source).map((event) => event.detailType));
      }
    }
    expect(bySid(statementsOf('request'), 'PublishAllianceFeedbackEvents')?.Condition).toEqual({
      StringEquals: { 'events:source': ['alliance-feedback'], 'events:detail-type': ['FeedbackRequested', 'TherapistRegistered'] },
    });
  });

  it('publishes an inbound contract under the inbound source, in a statement of its own', () => {
    const statements = accessStatements({ publishes: [FeedbackReminderTimeReached, SessionCompleted] }, RESOURCES);

    expect(statements.map((statement) => [statement.Sid, statement.Condition])).toEqual([
      ['PublishAllianceFeedbackEvents', { StringEquals: { 'events:source': ['alliance-feedback'], 'events:detail-type': ['FeedbackReminderTimeReached'] } }],
      ['PublishAllianceFeedbackInboundEvents', { StringEquals: { 'events:source': ['alliance-feedback.inbound'], 'events:detail-type': ['SessionCompleted'] } }],
    ]);
  });

  it('lets a function send mail only from the practice sender, as the identity and with the configuration set', () => {
    expect(bySid(statementsOf('deliverability'), 'SendMailAsPracticeSender')).toEqual({
      Sid: 'SendMailAsPracticeSender',
      Effect: 'Allow',
      Action: ['ses:SendEmail'],
      Resource: [RESOURCES.sesIdentitiesArn, RESOURCES.sesConfigurationSetArn],
      Condition: { StringEquals: { 'ses:FromAddress': 'feedback@practice.example' } },
    });
    expect(bySid(functionPolicy(FUNCTIONS.alert, { ...RESOURCES, sesConfigurationSetArn: undefined }).Statement, 'SendMailAsPracticeSender')?.Resource).toEqual([RESOURCES.sesIdentitiesArn]);
  });

  it('lets the follow-up function create and delete schedules in its group and pass the scheduler role to the scheduler only', () => {
    const statements = statementsOf('followUp');

    expect(bySid(statements, 'ManageFollowUpSchedules')).toMatchObject({ Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], Resource: [RESOURCES.followUpSchedulesArn] });
    expect(bySid(statements, 'PassSchedulerRole')).toMatchObject({
      Action: ['iam:PassRole'],
      Resource: [RESOURCES.schedulerRoleArn],
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });

  it('uses the key only through the services the function reaches with it', () => {
    expect(statementsOf('web').filter((statement) => statement.Action.some((action) => action.startsWith('kms:')))).toEqual([
      {
        Sid: 'UseKeyThroughDynamoDb',
        Effect: 'Allow',
        // web writes (the answer, the opt-out): DynamoDB encrypts with the caller's permission.
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: [RESOURCES.keyArn],
        Condition: { StringEquals: { 'kms:ViaService': 'dynamodb.eu-west-1.amazonaws.com' } },
      },
    ]);
    expect(bySid(statementsOf('alert'), 'UseKeyThroughSqs')?.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } });
  });

  it('lets a routed function send to its own dead-letter queue only', () => {
    expect(bySid(statementsOf('evaluate'), 'ParkInDeadLetterQueue')).toMatchObject({ Action: ['sqs:SendMessage'], Resource: [RESOURCES.deadLetterQueueArns['evaluate']] });
    expect(bySid(statementsOf('web'), 'ParkInDeadLetterQueue')).toBeUndefined();
  });

  it('grants no action outside what the code calls, and no wildcard action', () => {
    const everything = (Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]).flatMap((fn) => statementsOf(fn));

    expect([...new Set(actionsOf(everything))]).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'events:PutEvents',
      'iam:PassRole',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'secretsmanager:GetSecretValue',
      'ses:SendEmail',
      'sqs:SendMessage',
    ]);
  });

  it('lets the hooks function read the webhook secret, and decrypt it only through Secrets Manager; no other function reads a secret', () => {
    const hooks = statementsOf('hooks');

    expect(bySid(hooks, 'ReadSecrets')).toMatchObject({ Action: ['secretsmanager:GetSecretValue'], Resource: [RESOURCES.secretArns.webhook] });
    expect(bySid(hooks, 'UseKeyThroughSecretsManager')).toMatchObject({
      Action: ['kms:Decrypt'],
      Resource: [RESOURCES.keyArn],
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    });
    expect(functionVariables(FUNCTIONS.hooks).resources).toContain('webhookSecretArn');
    for (const fn of (Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]).filter((name) => name !== 'hooks')) {
      expect(actionsOf(statementsOf(fn)), fn).not.toContain('secretsmanager:GetSecretValue');
    }
  });
});

describe('schedulerPolicy', () => {
  it('lets the scheduler put only the follow-up events on the bus and park in its own dead-letter queue', () => {
    const statements = schedulerPolicy(RESOURCES).Statement;

    expect(bySid(statements, 'PublishAllianceFeedbackEvents')?.Condition).toEqual({
      StringEquals: { 'events:source': [PRODUCT_SOURCE], 'events:detail-type': [FeedbackReminderTimeReached.detailType, FeedbackExpiryTimeReached.detailType] },
    });
    expect(bySid(statements, 'ParkInDeadLetterQueue')?.Resource).toEqual([RESOURCES.schedulerDeadLetterQueueArn]);
    expect(actionsOf(statements)).toEqual(['events:PutEvents', 'kms:Decrypt', 'kms:GenerateDataKey', 'sqs:SendMessage']);
  });
});

describe('functionVariables', () => {
  it('gives the web function its table, its bus, the practice name and zone, the acknowledge link’s life and the trend page’s first-name choice, nothing else', () => {
    const variables = functionVariables(FUNCTIONS.web);

    expect(variables.resources.sort()).toEqual(['busName', 'tableName']);
    expect(variables.settings.map((setting) => setting.env)).toEqual([
      REQUEST_SETTINGS.practiceName.env,
      REQUEST_SETTINGS.practiceTimeZone.env,
      ALERT_SETTINGS.acknowledgeLinkDays.env,
      ALERT_SETTINGS.trendShowsFirstName.env,
    ]);
  });

  it('gives the follow-up function what a schedule targets', () => {
    expect(functionVariables(FUNCTIONS.followUp).resources.sort()).toEqual([
      'busArn',
      'busName',
      'deadLetterQueueUrl',
      'scheduleGroupName',
      'schedulerDeadLetterQueueArn',
      'schedulerRoleArn',
      'sesConfigurationSet',
      'tableName',
    ]);
  });

  it('gives the alert function no bus (it publishes nothing), and the administrator\'s address for the unregistered-therapist notice', () => {
    expect(functionVariables(FUNCTIONS.alert).resources.sort()).toEqual(['adminEmail', 'claimLeaseSeconds', 'deadLetterQueueUrl', 'sesConfigurationSet', 'tableName']);
  });
});
