/**
 * Local IAM enforcement: the authorization requests AWS makes for each SDK call the functions make,
 * their evaluation against a function's policy, and the answer the SDK gets when one is refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { asFunction } from '../../../infra/local/function-context.ts';
import { localIam } from '../../../infra/local/function-policies.ts';
import type { StackEnvironment } from '../../../infra/local/functions.ts';
import { iamEnforcementFromEnv, IamEnforcer, iamRequestsFor, withoutConditionKeys } from '../../../infra/local/iam-enforcement.ts';
import type { FunctionClients, SdkCall } from '../../../infra/local/sdk-seam.ts';
import type { PolicyDocumentJson, PolicyStatementJson } from '../../../infra/policy-document.ts';
import { EVENT_ROUTES } from '../../../infra/routes.ts';
import { LOCAL_SECRET_NAMES, localSecretArn } from '../../../infra/local/secrets-emulator.ts';

const SCOPE = { region: 'us-east-1', accountId: '000000000000' };
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/alliance-feedback';
const BUS = 'arn:aws:events:us-east-1:000000000000:event-bus/alliance-feedback';
const IDENTITY = 'arn:aws:ses:us-east-1:000000000000:identity/practice.example';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const KEY = 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-4000-8000-000000000000';
/** The table and every queue encrypted with KEY, as in the stack. */
const ENCRYPTED = { ...SCOPE, encryptionKeyOf: (resource: string) => (resource === TABLE || resource.startsWith('arn:aws:sqs:') ? KEY : undefined) };

function call(service: SdkCall['service'], operation: string, input: Record<string, unknown>): SdkCall {
  return { service, operation, input };
}

function policy(...statements: PolicyStatementJson[]): PolicyDocumentJson {
  return { Version: '2012-10-17', Statement: statements };
}

function enforcer(statements: PolicyStatementJson[], lines: string[] = []): IamEnforcer {
  return new IamEnforcer({ policies: () => policy(...statements), ...SCOPE, log: (tag, message) => lines.push(`[${tag}] ${message}`) });
}

describe('the requests AWS authorizes', () => {
  it('names the table and the item partition key of a single-item call (marshalled, as sent)', async () => {
    const get = iamRequestsFor(call('dynamodb', 'GetItem', { TableName: 'alliance-feedback', Key: { pk: { S: 'TOKEN#abc' }, sk: { S: 'TOKEN' } } }), SCOPE);
    const put = iamRequestsFor(call('dynamodb', 'PutItem', { TableName: 'alliance-feedback', Item: { pk: { S: 'SESSION#s1' }, sk: { S: 'SESSION' } } }), SCOPE);

    expect(get).toEqual([{ action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['TOKEN#abc'] } }]);
    expect(put).toEqual([{ action: 'dynamodb:PutItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['SESSION#s1'] } }]);
  });

  it('takes a Query’s leading key from the value its key condition binds to the partition key', async () => {
    const named = { KeyConditionExpression: '#pk = :pk AND sk BETWEEN :from AND :to', ExpressionAttributeNames: { '#pk': 'pk' }, ExpressionAttributeValues: { ':pk': { S: 'SESSION#s1' }, ':from': { S: 'EVALUATION' }, ':to': { S: 'SESSION' } } };
    const reversed = { KeyConditionExpression: 'sk >= :sk AND :v = pk', ExpressionAttributeValues: { ':v': { S: 'CLIENT#c1' }, ':sk': { S: 'A' } } };

    expect(iamRequestsFor(call('dynamodb', 'Query', { TableName: 'alliance-feedback', ...named }), SCOPE)).toEqual([
      { action: 'dynamodb:Query', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['SESSION#s1'] } },
    ]);
    expect(iamRequestsFor(call('dynamodb', 'Query', { TableName: 'alliance-feedback', IndexName: 'by-client', ...reversed }), SCOPE)).toEqual([
      { action: 'dynamodb:Query', resource: `${TABLE}/index/by-client`, context: { 'dynamodb:LeadingKeys': ['CLIENT#c1'] } },
    ]);
  });

  it('authorizes a batch per table with every partition key in it, and a Scan with none', async () => {
    const batch = iamRequestsFor(
      call('dynamodb', 'BatchWriteItem', {
        RequestItems: { 'alliance-feedback': [{ PutRequest: { Item: { pk: { S: 'CLIENT#c1' } } } }, { DeleteRequest: { Key: { pk: { S: 'SESSION#s1' } } } }, { DeleteRequest: { Key: { pk: { S: 'CLIENT#c1' } } } }] },
      }),
      SCOPE,
    );

    expect(batch).toEqual([{ action: 'dynamodb:BatchWriteItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['CLIENT#c1', 'SESSION#s1'] } }]);
    expect(iamRequestsFor(call('dynamodb', 'Scan', { TableName: 'alliance-feedback' }), SCOPE)).toEqual([{ action: 'dynamodb:Scan', resource: TABLE, context: {} }]);
  });

  it('authorizes each PutEvents entry with its own source, detail-type and bus', async () => {
    const requests = iamRequestsFor(
      call('eventbridge', 'PutEvents', {
        Entries: [
          { EventBusName: 'alliance-feedback', Source: 'alliance-feedback', DetailType: 'FeedbackRequested' },
          { EventBusName: 'arn:aws:events:eu-west-1:111111111111:event-bus/other', Source: 'x', DetailType: 'Y' },
          { Source: 'aws.ses', DetailType: 'Z' },
        ],
      }),
      SCOPE,
    );

    expect(requests).toEqual([
      { action: 'events:PutEvents', resource: BUS, context: { 'events:source': 'alliance-feedback', 'events:detail-type': 'FeedbackRequested' } },
      { action: 'events:PutEvents', resource: 'arn:aws:events:eu-west-1:111111111111:event-bus/other', context: { 'events:source': 'x', 'events:detail-type': 'Y' } },
      { action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:000000000000:event-bus/default', context: { 'events:source': 'aws.ses', 'events:detail-type': 'Z' } },
    ]);
  });

  it('authorizes SendEmail on the From domain’s identity, and on the configuration set only when the call names one', async () => {
    const input = { FromEmailAddress: '"Your practice" <feedback@practice.example>', Destination: { ToAddresses: ['client@example.com'] } };

    const plain = iamRequestsFor(call('ses', 'SendEmail', input), SCOPE);
    const withSet = iamRequestsFor(call('ses', 'SendEmail', { ...input, ConfigurationSetName: 'mail' }), SCOPE);

    expect(plain).toEqual([
      { action: 'ses:SendEmail', resource: IDENTITY, context: { 'ses:FromAddress': 'feedback@practice.example', 'ses:ApiVersion': '2', 'ses:Recipients': ['client@example.com'] } },
    ]);
    expect(withSet.map((request) => request.resource)).toEqual([IDENTITY, 'arn:aws:ses:us-east-1:000000000000:configuration-set/mail']);
  });

  it('adds the iam:PassRole a CreateSchedule makes for its target’s role, passed to the scheduler', async () => {
    const create = iamRequestsFor(call('scheduler', 'CreateSchedule', { Name: 'reminder-s1', GroupName: 'follow-ups', Target: { RoleArn: 'arn:aws:iam::000000000000:role/scheduler' } }), SCOPE);
    const remove = iamRequestsFor(call('scheduler', 'DeleteSchedule', { Name: 'reminder-s1', GroupName: 'follow-ups' }), SCOPE);

    expect(create).toEqual([
      { action: 'scheduler:CreateSchedule', resource: 'arn:aws:scheduler:us-east-1:000000000000:schedule/follow-ups/reminder-s1', context: {} },
      { action: 'iam:PassRole', resource: 'arn:aws:iam::000000000000:role/scheduler', context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    ]);
    expect(remove).toEqual([{ action: 'scheduler:DeleteSchedule', resource: 'arn:aws:scheduler:us-east-1:000000000000:schedule/follow-ups/reminder-s1', context: {} }]);
  });

  it('reads the queue ARN from a queue URL, local or AWS’s', async () => {
    const local = iamRequestsFor(call('sqs', 'SendMessage', { QueueUrl: 'http://127.0.0.1:4010/000000000000/alerts-to-therapists-dlq' }), SCOPE);
    const aws = iamRequestsFor(call('sqs', 'SendMessageBatch', { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q' }), SCOPE);

    expect(local).toEqual([{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:alerts-to-therapists-dlq', context: {} }]);
    expect(aws).toEqual([{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:123456789012:q', context: {} }]);
  });
});

describe('the key behind an encrypted table or queue', () => {
  it('adds the kms:Decrypt DynamoDB makes as the caller, through DynamoDB, with the table as encryption context', async () => {
    const requests = iamRequestsFor(call('dynamodb', 'Query', { TableName: 'alliance-feedback', IndexName: 'i', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'SESSION#s' } } }), ENCRYPTED);

    expect(requests.slice(1)).toEqual([
      {
        action: 'kms:Decrypt',
        resource: KEY,
        context: {
          'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com',
          'kms:CallerAccount': '000000000000',
          'kms:EncryptionContext:aws:dynamodb:tableName': 'alliance-feedback',
          'kms:EncryptionContext:aws:dynamodb:subscriberId': '000000000000',
        },
      },
    ]);
  });

  it('adds kms:GenerateDataKey and kms:Decrypt through SQS for a message sent to an encrypted queue', async () => {
    const requests = iamRequestsFor(call('sqs', 'SendMessage', { QueueUrl: 'http://127.0.0.1:4010/000000000000/q-dlq' }), ENCRYPTED);

    expect(requests.slice(1).map(({ action, context }) => [action, context['kms:ViaService']])).toEqual([
      ['kms:GenerateDataKey', 'sqs.us-east-1.amazonaws.com'],
      ['kms:Decrypt', 'sqs.us-east-1.amazonaws.com'],
    ]);
  });

  it('refuses a call whose key the policy grants only through another service', async () => {
    const statements = (viaService: string): PolicyStatementJson[] => [
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'sqs:SendMessage'], Resource: [TABLE, 'arn:aws:sqs:us-east-1:000000000000:*'] },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY, Condition: { StringEquals: { 'kms:ViaService': [viaService, 'sqs.us-east-1.amazonaws.com'] } } },
    ];
    const get = call('dynamodb', 'GetItem', { TableName: 'alliance-feedback', Key: { pk: { S: 'SESSION#s' } } });
    const viaDynamoDb = new IamEnforcer({ policies: () => policy(...statements('dynamodb.us-east-1.amazonaws.com')), ...ENCRYPTED });
    const viaOtherRegion = new IamEnforcer({ policies: () => policy(...statements('dynamodb.eu-west-1.amazonaws.com')), ...ENCRYPTED });

    expect(await viaDynamoDb.authorize('web', get)).toEqual({ kind: 'allowed' });
    expect(await viaOtherRegion.authorize('web', get)).toMatchObject({ kind: 'denied', request: { action: 'kms:Decrypt', resource: KEY } });
  });
});

describe('allow and deny', () => {
  const get = call('dynamodb', 'GetItem', { TableName: 'alliance-feedback', Key: { pk: { S: 'SESSION#s1' }, sk: { S: 'SESSION' } } });
  const query = call('dynamodb', 'Query', { TableName: 'alliance-feedback', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'SESSION#s1' } } });

  it('refuses an action the policy does not grant, and a resource it does not name', async () => {
    const readsItems = enforcer([{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: TABLE }]);
    const otherTable = enforcer([{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: `${TABLE}-other` }]);

    expect(await readsItems.authorize('alert', get)).toEqual({ kind: 'allowed' });
    expect(await readsItems.authorize('alert', query)).toMatchObject({ kind: 'denied', decision: 'ImplicitlyDenied', request: { action: 'dynamodb:Query', resource: TABLE } });
    expect(await otherTable.authorize('alert', get)).toMatchObject({ kind: 'denied', request: { action: 'dynamodb:GetItem' } });
  });

  it('refuses a partition key outside dynamodb:LeadingKeys', async () => {
    const sessionsOnly = enforcer([{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: TABLE, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SESSION#*'] } } }]);
    const clientItem = call('dynamodb', 'GetItem', { TableName: 'alliance-feedback', Key: { pk: { S: 'CLIENT#c1' }, sk: { S: 'PROFILE' } } });

    expect(await sessionsOnly.authorize('follow-up', get)).toEqual({ kind: 'allowed' });
    expect(await sessionsOnly.authorize('follow-up', clientItem)).toMatchObject({ kind: 'denied', request: { context: { 'dynamodb:LeadingKeys': ['CLIENT#c1'] } } });
  });

  it('lets an explicit Deny win over an Allow', async () => {
    const denied = enforcer([
      { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
      { Effect: 'Deny', Action: 'dynamodb:Query', Resource: TABLE },
    ]);

    expect(await denied.authorize('alert', query)).toMatchObject({ kind: 'denied', decision: 'ExplicitlyDenied' });
  });

  describe('PutEvents', () => {
    const publishes = (detailType: string, source = 'alliance-feedback') =>
      call('eventbridge', 'PutEvents', { Entries: [{ EventBusName: 'alliance-feedback', Source: source, DetailType: detailType, Detail: '{}' }] });
    const scoped = enforcer([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS, Condition: { StringEquals: { 'events:detail-type': ['FeedbackRequested', 'FeedbackExpired'], 'events:source': 'alliance-feedback' } } },
    ]);

    it('accepts the detail-types and source the condition lists', async () => {
      expect(await scoped.authorize('follow-up', publishes('FeedbackExpired'))).toEqual({ kind: 'allowed' });
    });

    it('fails an entry of another detail-type with NotAuthorizedForDetailTypeException, and one of another source with NotAuthorizedForSourceException', async () => {
      const detailType = await scoped.authorize('follow-up', publishes('AllianceRuptureDetected'));
      const source = await scoped.authorize('follow-up', publishes('FeedbackExpired', 'ehr.example'));

      expect(detailType.kind === 'entries-refused' && [...detailType.refused.entries()].map(([index, { code }]) => [index, code])).toEqual([[0, 'NotAuthorizedForDetailTypeException']]);
      expect(source.kind === 'entries-refused' && [...source.refused.values()].map(({ code }) => code)).toEqual(['NotAuthorizedForSourceException']);
    });

    it('refuses the whole call when the function may not put events on the bus at all', async () => {
      const other = enforcer([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: `${BUS}-other` }]);

      expect(await other.authorize('evaluate', publishes('FeedbackExpired'))).toMatchObject({ kind: 'denied', request: { action: 'events:PutEvents', resource: BUS } });
    });
  });

  it('checks ses:FromAddress', async () => {
    const fromFeedback = enforcer([{ Effect: 'Allow', Action: 'ses:SendEmail', Resource: IDENTITY, Condition: { StringEquals: { 'ses:FromAddress': 'feedback@practice.example' } } }]);
    const send = (from: string) => call('ses', 'SendEmail', { FromEmailAddress: `"Practice" <${from}>`, Destination: { ToAddresses: ['client@example.com'] } });

    expect(await fromFeedback.authorize('request', send('feedback@practice.example'))).toEqual({ kind: 'allowed' });
    expect(await fromFeedback.authorize('request', send('someone@practice.example'))).toMatchObject({ kind: 'denied', request: { action: 'ses:SendEmail', resource: IDENTITY } });
  });

  it('checks iam:PassedToService on the role a schedule passes', async () => {
    const statements = (service: string): PolicyStatementJson[] => [
      { Effect: 'Allow', Action: 'scheduler:CreateSchedule', Resource: 'arn:aws:scheduler:us-east-1:000000000000:schedule/follow-ups/*' },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::000000000000:role/scheduler', Condition: { StringEquals: { 'iam:PassedToService': service } } },
    ];
    const create = call('scheduler', 'CreateSchedule', { Name: 'r-1', GroupName: 'follow-ups', Target: { RoleArn: 'arn:aws:iam::000000000000:role/scheduler' } });

    expect(await enforcer(statements('scheduler.amazonaws.com')).authorize('follow-up', create)).toEqual({ kind: 'allowed' });
    expect(await enforcer(statements('lambda.amazonaws.com')).authorize('follow-up', create)).toMatchObject({ kind: 'denied', request: { action: 'iam:PassRole' } });
  });

  it('denies everything to a function without a policy', async () => {
    const none = new IamEnforcer({ policies: () => undefined, ...SCOPE });

    expect(await none.authorize('web', get)).toMatchObject({ kind: 'denied', decision: 'ImplicitlyDenied' });
  });

  it('takes the conditions on given keys out of Allow statements and drops the Deny statements that test them', async () => {
    const relaxed = withoutConditionKeys(
      policy(
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS, Condition: { StringEquals: { 'events:detail-type': 'A', 'aws:SourceAccount': '1' } } },
        { Effect: 'Deny', Action: 'events:PutEvents', Resource: BUS, Condition: { StringEquals: { 'events:source': 'x' } } },
      ),
      ['events:detail-type', 'events:source'],
    );

    expect(relaxed.Statement).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS, Condition: { StringEquals: { 'aws:SourceAccount': '1' } } }]);
  });
});

describe('the local policies (each function\'s declaration with local ARNs)', () => {
  const { policies } = localIam({ region: 'us-east-1', accountId: '000000000000', tableName: 'alliance-feedback', busName: 'alliance-feedback' } as StackEnvironment, {});

  it('let the alert function query the table and the request function read an item (the two grants AWS showed missing)', async () => {
    const enforce = new IamEnforcer({ policies, ...ENCRYPTED });
    const query = call('dynamodb', 'Query', { TableName: 'alliance-feedback', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'SESSION#s' } } });
    const get = call('dynamodb', 'GetItem', { TableName: 'alliance-feedback', Key: { pk: { S: 'TOKEN#t' } } });

    expect(await enforce.authorize('alert', query)).toEqual({ kind: 'allowed' });
    expect(await enforce.authorize('request', get)).toEqual({ kind: 'allowed' });
    expect(await enforce.authorize('evaluate', query)).toMatchObject({ kind: 'denied' });
  });

  it('let each routed function park a message in its own dead-letter queue only', async () => {
    const enforce = new IamEnforcer({ policies, ...ENCRYPTED });
    const park = (queue: string) => call('sqs', 'SendMessage', { QueueUrl: `http://127.0.0.1:4010/000000000000/${queue}` });

    for (const route of EVENT_ROUTES) expect(await enforce.authorize(route.target.id, park(`${route.id}-dlq`))).toEqual({ kind: 'allowed' });
    expect(await enforce.authorize('alert', park('session-completed-to-request-dlq'))).toMatchObject({ kind: 'denied' });
  });

  it('let the hooks function alone read the webhook secret, with the key through Secrets Manager', async () => {
    const secretArn = localSecretArn(SCOPE, LOCAL_SECRET_NAMES.webhook);
    const { encryptionKeyOf } = localIam({ region: 'us-east-1', accountId: '000000000000', tableName: 'alliance-feedback', busName: 'alliance-feedback' } as StackEnvironment, {});
    const enforce = new IamEnforcer({ policies, ...SCOPE, encryptionKeyOf });
    const read = call('secretsmanager', 'GetSecretValue', { SecretId: secretArn });

    expect(iamRequestsFor(read, { ...SCOPE, encryptionKeyOf })).toEqual([
      { action: 'secretsmanager:GetSecretValue', resource: secretArn, context: {} },
      { action: 'kms:Decrypt', resource: KEY, context: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com', 'kms:CallerAccount': '000000000000', 'kms:EncryptionContext:SecretARN': secretArn } },
    ]);
    expect(await enforce.authorize('hooks', read)).toEqual({ kind: 'allowed' });
    expect(await enforce.authorize('web', read)).toMatchObject({ kind: 'denied' });
    expect(await enforce.authorize('hooks', call('secretsmanager', 'PutSecretValue', { SecretId: secretArn }))).toMatchObject({ kind: 'denied' });
  });
});

describe('a refused call, as the SDK sees it', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  /** Real clients of every service, pointed at `endpoint`, with one attempt each. */
  function clients(endpoint: string) {
    const options = { endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 1 };
    const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(options));
    const eventbridge = new EventBridgeClient(options);
    const ses = new SESv2Client(options);
    const all = { dynamodb, eventbridge, ses, sqs: new SQSClient(options), scheduler: new SchedulerClient(options), secretsmanager: new SecretsManagerClient(options) };
    return { ...all, functionClients: all as unknown as FunctionClients };
  }

  it('gets AWS’s AccessDeniedException, naming the function’s role, the action and the resource, and the stack logs one line without the key', async () => {
    const lines: string[] = [];
    const sdk = clients('http://127.0.0.1:9');
    const detach = enforcer([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }], lines).attach(sdk.functionClients);
    const queryAsAlert = asFunction('alert', () => sdk.dynamodb.send(new QueryCommand({ TableName: 'alliance-feedback', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'CLIENT#c-4711' } })));

    const error = (await queryAsAlert().then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error & { $metadata: { httpStatusCode: number } };
    detach();

    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    expect(error.message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/local-alert/local-alert is not authorized to perform: dynamodb:Query on resource: ${TABLE} because no identity-based policy allows the dynamodb:Query action`,
    );
    expect(lines).toEqual([`[iam] IAM denied alert dynamodb:Query on ${TABLE} (leading key CLIENT#…)`]);
  });

  it('leaves calls made outside any function alone (the CLI, a test’s own clients)', async () => {
    const sdk = clients('http://127.0.0.1:9');
    const detach = enforcer([]).attach(sdk.functionClients);

    const error = (await sdk.dynamodb.send(new QueryCommand({ TableName: 't', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'x' } })).then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error;
    detach();

    // It went to the (closed) endpoint instead of being refused.
    expect(error.name).not.toBe('AccessDeniedException');
  });

  it('refuses SendEmail with SES’s 403 and logs no address', async () => {
    const lines: string[] = [];
    const sdk = clients('http://127.0.0.1:9');
    const detach = enforcer([{ Effect: 'Allow', Action: 'ses:SendEmail', Resource: 'arn:aws:ses:us-east-1:000000000000:identity/other.example' }], lines).attach(sdk.functionClients);
    const send = asFunction('request', () =>
      sdk.ses.send(new SendEmailCommand({ FromEmailAddress: 'feedback@practice.example', Destination: { ToAddresses: ['ana@example.com'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 't' } } } } })),
    );

    const error = (await send().then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error & { $metadata: { httpStatusCode: number } };
    detach();

    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect(lines).toEqual([`[iam] IAM denied request ses:SendEmail on ${IDENTITY}`]);
    expect(lines.join('\n')).not.toContain('@');
  });

  it('gets SQS’s KmsAccessDenied when the function may send to an encrypted queue but not use its key', async () => {
    const lines: string[] = [];
    const sdk = clients('http://127.0.0.1:9');
    const keyless = new IamEnforcer({ policies: () => policy({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }), ...ENCRYPTED, log: (tag, message) => lines.push(`[${tag}] ${message}`) });
    const detach = keyless.attach(sdk.functionClients);

    const error = (await asFunction('alert', () => sdk.sqs.send(new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:9/000000000000/q-dlq', MessageBody: '{}' })))().then(
      () => undefined,
      (caught: unknown) => caught,
    )) as Error;
    detach();

    expect(error.name).toBe('KmsAccessDenied');
    expect(lines).toEqual([`[iam] IAM denied alert kms:GenerateDataKey on ${KEY} (via sqs.us-east-1.amazonaws.com)`]);
  });

  it('sends the allowed PutEvents entries on and answers the refused ones as failed entries in their places', async () => {
    const received: unknown[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const entries = (JSON.parse(body) as { Entries: unknown[] }).Entries;
        received.push(...entries);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries.map((_, index) => ({ EventId: `e-${index}` })) }));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const sdk = clients(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const lines: string[] = [];
    const detach = enforcer([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: BUS, Condition: { StringEquals: { 'events:detail-type': 'FeedbackExpired' } } }], lines).attach(sdk.functionClients);
    const entry = (detailType: string) => ({ EventBusName: 'alliance-feedback', Source: 'alliance-feedback', DetailType: detailType, Detail: '{}' });

    const result = await asFunction('follow-up', () => sdk.eventbridge.send(new PutEventsCommand({ Entries: [entry('AllianceRuptureDetected'), entry('FeedbackExpired')] })))();
    detach();

    expect(received).toEqual([entry('FeedbackExpired')]);
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries).toEqual([
      { ErrorCode: 'NotAuthorizedForDetailTypeException', ErrorMessage: 'You do not have permissions to publish events with this detail type onto this event bus.' },
      { EventId: 'e-0' },
    ]);
    expect(lines).toEqual([`[iam] IAM denied follow-up events:PutEvents on ${BUS} (source alliance-feedback, detail-type AllianceRuptureDetected: NotAuthorizedForDetailTypeException)`]);
  });
});

describe('the switch', () => {
  it('is on unless ALLIANCE_IAM says off', async () => {
    expect(iamEnforcementFromEnv({})).toBe(true);
    expect(iamEnforcementFromEnv({ ALLIANCE_IAM: 'on' })).toBe(true);
    expect(iamEnforcementFromEnv({ ALLIANCE_IAM: 'off' })).toBe(false);
    expect(iamEnforcementFromEnv({ ALLIANCE_IAM: 'OFF' })).toBe(false);
  });
});
