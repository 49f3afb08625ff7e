/**
 * Local IAM enforcement: every SDK call a local function makes is evaluated against that
 * function's IAM policy, the way AWS would evaluate it, and refused with AWS's own
 * `AccessDeniedException` when AWS would refuse it. A grant missing from the policy then fails on
 * the laptop, in the tests and in `npm start`, instead of in the first deployment.
 *
 * For each call this builds the authorization requests AWS makes (action, resource ARN, condition
 * keys such as `dynamodb:LeadingKeys`, `events:detail-type`, `ses:FromAddress`, and the implied
 * `iam:PassRole` of a schedule's target), evaluates them with `@cloud-copilot/iam-simulate`, and
 * answers a denied call through the SDK seam (sdk-seam.ts) with the error response AWS sends, so
 * the handler sees what it would see in AWS. Calls made outside a function's invocation (the CLI,
 * a test's own clients) are not enforced: they would run with someone else's credentials.
 *
 * With `encryptionKeyOf`, a call on an encrypted table or queue also needs the key (kms:Decrypt,
 * and kms:GenerateDataKey to send to a queue) through the service, as AWS checks it.
 * The bus's resource policy is evaluated with every PutEvents (`resourcePolicyOf`), and the local
 * bus asks the enforcer about the callers that are not functions too (`authorizeBusEntry`): the
 * scheduler's role, the administrator's CLI, and everyone else as the practice's EHR integration.
 * Out of scope: queue and key policies (the key policy is assumed to leave the decision to IAM, as
 * CDK's default key policy does) and service control policies.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { TABLE_KEYS } from '../../shared/adapters/table.ts';
import type { PolicyDocumentJson, PolicyStatementJson } from '../policy-document.ts';
import { LOCAL_ADMINISTRATOR_ACCESS_KEY } from './dynamodb-local.ts';
import { currentFunctionId } from './function-context.ts';
import type { LogLine } from './log.ts';
import { attachAtTransport, errorResponse, jsonResponse, operationName, type FunctionClients, type Next, type SdkCall, type SdkService, type SerializedRequest } from './sdk-seam.ts';

/**
 * A principal's identity policy by name: a function's by its id, and the bus's other callers by
 * BusCaller name (undefined: it has none, so every call is denied).
 */
export type FunctionPolicies = (functionId: string) => PolicyDocumentJson | undefined;

/** A resource policy: statements that name their principals. */
export interface ResourcePolicyJson {
  Version: '2012-10-17';
  Statement: readonly (PolicyStatementJson & { Principal: unknown })[];
}

/**
 * The local bus's callers that are not functions: the scheduler's role firing a schedule, the
 * administrator's CLI (`npx alliance erase`, signing with LOCAL_ADMINISTRATOR_CREDENTIALS), and
 * everyone else outside the stack, who is the practice's EHR integration with the integration policy.
 */
export const BUS_CALLERS = ['scheduler', 'administrator', 'integration'] as const;
export type BusCaller = (typeof BUS_CALLERS)[number];

/** The header through which the enforcer vouches for the function behind a PutEvents (the local stand-in for a signature). */
export const CALLER_HEADER = 'x-alliance-local-caller';

/** One authorization request, as AWS evaluates it. */
export interface IamRequest {
  /** `dynamodb:Query`, `events:PutEvents`, `iam:PassRole`… */
  action: string;
  resource: string;
  /** Condition keys the service sets for this request (global keys are added at evaluation). */
  context: Record<string, string | string[]>;
}

export type IamDecision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** Where the calls go: the account and region of the ARNs, and the table's partition key. */
export interface IamScope {
  region: string;
  accountId: string;
  /** Attribute name of the table's partition key (for `dynamodb:LeadingKeys`). */
  partitionKey?: string;
  /**
   * The customer managed KMS key a table or queue (by ARN) is encrypted with, if any: a call on it
   * also needs the key, through the service (`kms:ViaService`).
   */
  encryptionKeyOf?: (resourceArn: string) => string | undefined;
}

/** A denied call (or PutEvents entry): what the log says and tests count. No key values, no addresses. */
export interface IamDenial {
  functionId: string;
  action: string;
  resource: string;
  decision: Exclude<IamDecision, 'Allowed'>;
  /** A word on which condition decided, without personal data (e.g. `leading key CLIENT#…`). */
  detail?: string;
}

/** EventBridge refuses single entries whose source or detail-type the caller may not publish. */
export type EntryRefusal = 'NotAuthorizedForSourceException' | 'NotAuthorizedForDetailTypeException';

/** How the bus refuses an entry of a caller it authorizes itself (HTTP 200, a failed entry). */
export type BusEntryRefusal = EntryRefusal | 'AccessDeniedException';

export type CallVerdict =
  | { kind: 'allowed' }
  /** The whole call is refused with AccessDeniedException. */
  | { kind: 'denied'; request: IamRequest; decision: Exclude<IamDecision, 'Allowed'> }
  /** PutEvents: the call is accepted, these entries (by index) fail; the others go through. */
  | { kind: 'entries-refused'; refused: ReadonlyMap<number, { request: IamRequest; code: EntryRefusal; decision: Exclude<IamDecision, 'Allowed'> }> };

/** The service principal a schedule's role is passed to. */
const SCHEDULER_PRINCIPAL = 'scheduler.amazonaws.com';

const EVENTS_SOURCE = 'events:source';
const EVENTS_DETAIL_TYPE = 'events:detail-type';

/** The role a local function runs as, as AWS names the caller in an AccessDenied message. */
export function functionPrincipal(functionId: string, accountId: string): { roleArn: string; sessionArn: string } {
  const name = `local-${functionId}`;
  return { roleArn: `arn:aws:iam::${accountId}:role/${name}`, sessionArn: `arn:aws:sts::${accountId}:assumed-role/${name}/${name}` };
}

// ---------------------------------------------------------------------------------------------
// What AWS authorizes for each call

/**
 * The authorization requests AWS makes for one call; all of them must be allowed. PutEvents is
 * authorized per entry (see `putEventsEntryRequests`), so it yields one request per entry here.
 */
export function iamRequestsFor(call: SdkCall, scope: IamScope): IamRequest[] {
  const requests = serviceRequests(call, scope);
  return scope.encryptionKeyOf ? [...requests, ...keyRequests(call.service, requests, scope)] : requests;
}

function serviceRequests(call: SdkCall, scope: IamScope): IamRequest[] {
  switch (call.service) {
    case 'dynamodb':
      return dynamodbRequests(call, scope);
    case 'eventbridge':
      return call.operation === 'PutEvents' ? putEventsEntryRequests(call, scope) : [{ action: `events:${call.operation}`, resource: eventBusArn(call.input['EventBusName'] ?? call.input['Name'], scope), context: {} }];
    case 'ses':
      return sesRequests(call, scope);
    case 'scheduler':
      return schedulerRequests(call, scope);
    case 'sqs':
      return sqsRequests(call, scope);
    case 'secretsmanager':
      return secretsManagerRequests(call, scope);
  }
}

/** Secrets Manager authorizes on the secret's full ARN (a name is resolved to it; locally, its ARN is named as such). */
function secretsManagerRequests(call: SdkCall, scope: IamScope): IamRequest[] {
  const id = call.input['SecretId'] ?? call.input['Name'];
  const resource = typeof id !== 'string' ? '*' : id.startsWith('arn:') ? id : `arn:aws:secretsmanager:${scope.region}:${scope.accountId}:secret:${id}`;
  return [{ action: `secretsmanager:${call.operation}`, resource, context: {} }];
}

function tableArn(tableName: unknown, scope: IamScope, indexName?: unknown): string {
  if (typeof tableName !== 'string') return '*';
  const table = tableName.startsWith('arn:') ? tableName : `arn:aws:dynamodb:${scope.region}:${scope.accountId}:table/${tableName}`;
  return typeof indexName === 'string' ? `${table}/index/${indexName}` : table;
}

/** An attribute value as text, marshalled (`{ S: 'x' }`) or plain. */
function attributeText(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (value && typeof value === 'object') {
    const typed = value as { S?: string; N?: string; B?: Uint8Array };
    if (typed.S !== undefined) return typed.S;
    if (typed.N !== undefined) return typed.N;
    if (typed.B !== undefined) return Buffer.from(typed.B).toString('base64');
  }
  return undefined;
}

function partitionValues(items: readonly unknown[], partitionKey: string): string[] {
  const values = items.map((item) => attributeText((item as Record<string, unknown> | undefined)?.[partitionKey])).filter((value): value is string => value !== undefined);
  return [...new Set(values)];
}

function leadingKeys(values: readonly string[]): Record<string, string[]> {
  // Multivalued, as AWS sets it: policies match it with ForAllValues:… (absent on a Scan).
  return values.length > 0 ? { 'dynamodb:LeadingKeys': [...values] } : {};
}

/** The value a Query binds to the partition key (`#pk = :pk`, `pk = :v`, or legacy KeyConditions). */
export function queryPartitionValues(input: Record<string, unknown>, partitionKey: string): string[] {
  const names = (input['ExpressionAttributeNames'] ?? {}) as Record<string, string>;
  const values = (input['ExpressionAttributeValues'] ?? {}) as Record<string, unknown>;
  const expression = input['KeyConditionExpression'];
  if (typeof expression === 'string') {
    const resolve = (token: string) => (token.startsWith('#') ? names[token] : token);
    for (const match of expression.matchAll(/([#:]?[\w.-]+)\s*=\s*([#:]?[\w.-]+)/g)) {
      const [left, right] = [match[1]!, match[2]!];
      const bound = resolve(left) === partitionKey && right.startsWith(':') ? right : resolve(right) === partitionKey && left.startsWith(':') ? left : undefined;
      const value = bound === undefined ? undefined : attributeText(values[bound]);
      if (value !== undefined) return [value];
    }
    return [];
  }
  const legacy = (input['KeyConditions'] as Record<string, { AttributeValueList?: unknown[] }> | undefined)?.[partitionKey];
  const value = attributeText(legacy?.AttributeValueList?.[0]);
  return value === undefined ? [] : [value];
}

function dynamodbRequests(call: SdkCall, scope: IamScope): IamRequest[] {
  const { input, operation } = call;
  const partitionKey = scope.partitionKey ?? TABLE_KEYS.partitionKey;
  const table = tableArn(input['TableName'], scope);
  switch (operation) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ action: `dynamodb:${operation}`, resource: table, context: leadingKeys(partitionValues([input['Key']], partitionKey)) }];
    case 'PutItem':
      return [{ action: 'dynamodb:PutItem', resource: table, context: leadingKeys(partitionValues([input['Item']], partitionKey)) }];
    case 'Query':
      return [{ action: 'dynamodb:Query', resource: tableArn(input['TableName'], scope, input['IndexName']), context: leadingKeys(queryPartitionValues(input, partitionKey)) }];
    case 'Scan':
      return [{ action: 'dynamodb:Scan', resource: tableArn(input['TableName'], scope, input['IndexName']), context: {} }];
    case 'BatchGetItem':
      // One request per table, with the partition keys of every item asked for in it.
      return Object.entries((input['RequestItems'] ?? {}) as Record<string, { Keys?: unknown[] }>).map(([name, request]) => ({
        action: 'dynamodb:BatchGetItem',
        resource: tableArn(name, scope),
        context: leadingKeys(partitionValues(request.Keys ?? [], partitionKey)),
      }));
    case 'BatchWriteItem':
      return Object.entries((input['RequestItems'] ?? {}) as Record<string, { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[]>).map(([name, requests]) => ({
        action: 'dynamodb:BatchWriteItem',
        resource: tableArn(name, scope),
        context: leadingKeys(partitionValues(requests.map((request) => request.PutRequest?.Item ?? request.DeleteRequest?.Key), partitionKey)),
      }));
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      // Each item of a transaction is authorized as the single-item action it performs.
      const actions: Record<string, [string, 'Key' | 'Item']> = {
        Put: ['PutItem', 'Item'],
        Update: ['UpdateItem', 'Key'],
        Delete: ['DeleteItem', 'Key'],
        ConditionCheck: ['ConditionCheckItem', 'Key'],
        Get: ['GetItem', 'Key'],
      };
      return ((input['TransactItems'] ?? []) as Record<string, Record<string, unknown>>[]).flatMap((item) =>
        Object.entries(item).flatMap(([kind, detail]) => {
          const [action, keyField] = actions[kind] ?? [kind, 'Key'];
          return [{ action: `dynamodb:${action}`, resource: tableArn(detail['TableName'], scope), context: leadingKeys(partitionValues([detail[keyField]], partitionKey)) }];
        }),
      );
    }
    default:
      return [{ action: `dynamodb:${operation}`, resource: table, context: {} }];
  }
}

function eventBusArn(bus: unknown, scope: IamScope): string {
  const name = typeof bus === 'string' && bus !== '' ? bus : 'default';
  return name.startsWith('arn:') ? name : `arn:aws:events:${scope.region}:${scope.accountId}:event-bus/${name}`;
}

/**
 * PutEvents, one request per entry: EventBridge authorizes each entry with its own source and
 * detail-type (single values) on its own bus.
 */
export function putEventsEntryRequests(call: SdkCall, scope: IamScope): IamRequest[] {
  const entries = (call.input['Entries'] ?? []) as { EventBusName?: string; Source?: string; DetailType?: string }[];
  return entries.map((entry) => ({
    action: 'events:PutEvents',
    resource: eventBusArn(entry.EventBusName, scope),
    context: {
      ...(entry.Source === undefined ? {} : { [EVENTS_SOURCE]: entry.Source }),
      ...(entry.DetailType === undefined ? {} : { [EVENTS_DETAIL_TYPE]: entry.DetailType }),
    },
  }));
}

/** The bare address of `"Name" <address>` or `address`. */
export function bareAddress(from: string): string {
  const bracketed = /<([^<>]+)>\s*$/.exec(from);
  return (bracketed ? bracketed[1]! : from).trim();
}

function sesRequests(call: SdkCall, scope: IamScope): IamRequest[] {
  const { input, operation } = call;
  if (operation !== 'SendEmail') return [{ action: `ses:${operation}`, resource: '*', context: {} }];
  const from = typeof input['FromEmailAddress'] === 'string' ? bareAddress(input['FromEmailAddress']) : '';
  const identity =
    typeof input['FromEmailAddressIdentityArn'] === 'string' ? input['FromEmailAddressIdentityArn'] : `arn:aws:ses:${scope.region}:${scope.accountId}:identity/${from.split('@').pop() ?? ''}`;
  const destination = (input['Destination'] ?? {}) as { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  const recipients = [...(destination.ToAddresses ?? []), ...(destination.CcAddresses ?? []), ...(destination.BccAddresses ?? [])].map(bareAddress);
  const context: Record<string, string | string[]> = { 'ses:FromAddress': from, 'ses:ApiVersion': '2', ...(recipients.length > 0 ? { 'ses:Recipients': recipients } : {}) };
  const configurationSet = input['ConfigurationSetName'];
  // SES authorizes the sending identity, and the configuration set when the call names one.
  return [
    { action: 'ses:SendEmail', resource: identity, context },
    ...(typeof configurationSet === 'string' && configurationSet !== ''
      ? [{ action: 'ses:SendEmail', resource: `arn:aws:ses:${scope.region}:${scope.accountId}:configuration-set/${configurationSet}`, context }]
      : []),
  ];
}

function schedulerRequests(call: SdkCall, scope: IamScope): IamRequest[] {
  const { input, operation } = call;
  if (typeof input['Name'] !== 'string') return [{ action: `scheduler:${operation}`, resource: '*', context: {} }];
  const group = typeof input['GroupName'] === 'string' && input['GroupName'] !== '' ? input['GroupName'] : 'default';
  const schedule = { action: `scheduler:${operation}`, resource: `arn:aws:scheduler:${scope.region}:${scope.accountId}:schedule/${group}/${input['Name']}`, context: {} };
  const roleArn = (input['Target'] as { RoleArn?: unknown } | undefined)?.RoleArn;
  // Creating (or changing) a schedule hands its target's role to the scheduler: iam:PassRole.
  if ((operation === 'CreateSchedule' || operation === 'UpdateSchedule') && typeof roleArn === 'string') {
    return [schedule, { action: 'iam:PassRole', resource: roleArn, context: { 'iam:PassedToService': SCHEDULER_PRINCIPAL } }];
  }
  return [schedule];
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or a local stand-in's `/<account>/<name>`) → queue ARN. */
export function queueArnFromUrl(queueUrl: string, scope: IamScope): string {
  const url = new URL(queueUrl);
  const [account, name] = url.pathname.split('/').filter(Boolean);
  const region = /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? scope.region;
  return `arn:aws:sqs:${region}:${account ?? scope.accountId}:${name ?? ''}`;
}

function sqsRequests(call: SdkCall, scope: IamScope): IamRequest[] {
  const { input, operation } = call;
  // A batch is authorized as the single action it repeats.
  const action = `sqs:${operation.replace(/Batch$/, '')}`;
  if (typeof input['QueueUrl'] === 'string') return [{ action, resource: queueArnFromUrl(input['QueueUrl'], scope), context: {} }];
  if (operation === 'GetQueueUrl' && typeof input['QueueName'] === 'string') {
    const owner = typeof input['QueueOwnerAWSAccountId'] === 'string' ? input['QueueOwnerAWSAccountId'] : scope.accountId;
    return [{ action, resource: `arn:aws:sqs:${scope.region}:${owner}:${input['QueueName']}`, context: {} }];
  }
  return [{ action, resource: '*', context: {} }];
}

/**
 * The KMS use a call on an encrypted table or queue implies, which AWS authorizes against the
 * caller's own permissions: DynamoDB decrypts the table key as the caller (reads and writes alike),
 * SQS has the sender generate and decrypt data keys. Each comes through the service, with its
 * encryption context.
 */
function keyRequests(service: SdkService, requests: readonly IamRequest[], scope: IamScope): IamRequest[] {
  if (service === 'secretsmanager') return secretKeyRequests(requests, scope);
  if (service !== 'dynamodb' && service !== 'sqs') return [];
  const viaService = `${service}.${scope.region}.amazonaws.com`;
  const seen = new Set<string>();
  return requests.flatMap((request) => {
    const resource = service === 'dynamodb' ? request.resource.replace(/\/index\/.*$/, '') : request.resource;
    const key = request.action.startsWith(`${service}:`) ? scope.encryptionKeyOf?.(resource) : undefined;
    if (key === undefined || seen.has(resource)) return [];
    seen.add(resource);
    const context: Record<string, string> =
      service === 'dynamodb'
        ? { 'kms:ViaService': viaService, 'kms:CallerAccount': scope.accountId, 'kms:EncryptionContext:aws:dynamodb:tableName': resource.split('/').pop() ?? '', 'kms:EncryptionContext:aws:dynamodb:subscriberId': scope.accountId }
        : { 'kms:ViaService': viaService, 'kms:CallerAccount': scope.accountId, 'kms:EncryptionContext:aws:sqs:arn': resource };
    const actions = service === 'dynamodb' ? ['kms:Decrypt'] : request.action === 'sqs:SendMessage' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : request.action === 'sqs:ReceiveMessage' ? ['kms:Decrypt'] : [];
    return actions.map((action) => ({ action, resource: key, context }));
  });
}

/** Reading a secret has Secrets Manager decrypt it with the reader's permission, with the secret's ARN as encryption context. */
function secretKeyRequests(requests: readonly IamRequest[], scope: IamScope): IamRequest[] {
  return requests.flatMap((request) => {
    const key = request.action === 'secretsmanager:GetSecretValue' ? scope.encryptionKeyOf?.(request.resource) : undefined;
    if (key === undefined) return [];
    const context = { 'kms:ViaService': `secretsmanager.${scope.region}.amazonaws.com`, 'kms:CallerAccount': scope.accountId, 'kms:EncryptionContext:SecretARN': request.resource };
    return [{ action: 'kms:Decrypt', resource: key, context }];
  });
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * Evaluates one request against one identity policy. The simulator's validating entry point
 * coerces every context key to the type AWS's reference lists, which makes `events:detail-type`
 * multivalued and fails a plain `StringEquals` on it; EventBridge itself authorizes each entry
 * with single values, and that `StringEquals` works in AWS. So requests are evaluated as built
 * here (the policy is validated once, by `validatePolicy`).
 */
export async function evaluate(
  policy: PolicyDocumentJson | undefined,
  principal: { roleArn: string; sessionArn: string },
  request: IamRequest,
  scope: IamScope,
  resourcePolicy?: ResourcePolicyJson,
): Promise<IamDecision> {
  if (policy === undefined && resourcePolicy === undefined) return 'ImplicitlyDenied';
  if (!request.action.startsWith('kms:')) {
    const withResourcePolicy: Simulation = {
      ...simulation(policy, principal, request, scope),
      // The unvalidating entry point loads a resource policy without a name, and then fails reading
      // it; a validated policy (iam-policy's ValidatedPolicy, a plain object) carries its name.
      ...(resourcePolicy ? { resourcePolicy: { __validated: true, policyDocument: resourcePolicy, metadata: { name: 'resource-policy' }, errors: [] } } : {}),
    };
    return runUnsafeSimulation(withResourcePolicy, {});
  }
  if (policy === undefined) return 'ImplicitlyDenied';
  // A key answers to its key policy first, which the unevaluating entry point cannot take (it fails
  // on a matching resource policy); KMS's condition keys are all single strings, so the validating
  // one evaluates them as AWS does.
  const result = await runSimulation({ ...simulation(policy, principal, request, scope), resourcePolicy: keyPolicyDelegatingToIam(scope.accountId) }, {});
  if (result.resultType === 'error') throw new Error(`IAM simulation of ${request.action} failed: ${result.errors.message}`);
  return result.overallResult;
}

function simulation(policy: PolicyDocumentJson | undefined, principal: { roleArn: string; sessionArn: string }, request: IamRequest, scope: IamScope): Simulation {
  return {
    request: {
      principal: principal.sessionArn,
      action: request.action,
      resource: { resource: request.resource, accountId: scope.accountId },
      contextVariables: {
        // What every call of a Lambda function in AWS carries: HTTPS, its region, its role.
        'aws:SecureTransport': 'true',
        'aws:RequestedRegion': scope.region,
        'aws:PrincipalArn': principal.roleArn,
        'aws:PrincipalAccount': scope.accountId,
        'aws:PrincipalType': 'AssumedRole',
        ...request.context,
      },
    },
    identityPolicies: policy === undefined ? [] : [{ name: 'function-policy', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
}

/** CDK's default key policy: the account decides, through IAM policies. */
function keyPolicyDelegatingToIam(accountId: string): { Version: '2012-10-17'; Statement: (PolicyStatementJson & { Principal: { AWS: string } })[] } {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }] };
}

/** The policy's syntax errors (empty when it is a valid identity policy). */
export async function validatePolicy(policy: PolicyDocumentJson): Promise<string[]> {
  const result = await runSimulation(
    {
      request: { principal: 'arn:aws:sts::000000000000:assumed-role/check/check', action: 'sts:GetCallerIdentity', resource: { resource: '*', accountId: '000000000000' }, contextVariables: {} },
      identityPolicies: [{ name: 'function-policy', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType !== 'error') return [];
  return Object.values(result.errors.identityPolicyErrors ?? {}).flatMap((errors) => errors.map((error) => `${error.path}: ${error.message}`));
}

/**
 * The policy with the conditions on `keys` taken out of its Allow statements, and its Deny
 * statements that test them dropped: "would the caller be allowed, whatever these keys said?"
 */
export function withoutConditionKeys(policy: PolicyDocumentJson, keys: readonly string[]): PolicyDocumentJson {
  const lowered = keys.map((key) => key.toLowerCase());
  const tests = (statement: PolicyStatementJson) => Object.values(statement.Condition ?? {}).some((block) => Object.keys(block).some((key) => lowered.includes(key.toLowerCase())));
  const statements = policy.Statement.filter((statement) => statement.Effect === 'Allow' || !tests(statement)).map((statement) => {
    if (!statement.Condition || !tests(statement)) return statement;
    const condition = Object.fromEntries(
      Object.entries(statement.Condition)
        .map(([operator, block]) => [operator, Object.fromEntries(Object.entries(block).filter(([key]) => !lowered.includes(key.toLowerCase())))] as const)
        .filter(([, block]) => Object.keys(block).length > 0),
    );
    const { Condition: _dropped, ...rest } = statement;
    return Object.keys(condition).length > 0 ? { ...rest, Condition: condition } : rest;
  });
  return { ...policy, Statement: statements };
}

// ---------------------------------------------------------------------------------------------
// The enforcer

export interface IamEnforcerOptions {
  policies: FunctionPolicies;
  region: string;
  accountId: string;
  /** The stack's console (denials get one line each). */
  log?: LogLine;
  /** Attributes a call to its function (default: the invocation's async context). */
  currentFunction?: () => string | undefined;
  /** The table's partition key (default TABLE_KEYS.partitionKey). */
  partitionKey?: string;
  /** The KMS key a table or queue is encrypted with (none: no KMS use is checked). */
  encryptionKeyOf?: (resourceArn: string) => string | undefined;
  /** Keep decisions per (function, request) (default true). */
  cache?: boolean;
  /** The resource policy of a resource (by ARN), if it has one: the bus's. */
  resourcePolicyOf?: (resourceArn: string) => ResourcePolicyJson | undefined;
}

export interface IamEnforcementStats {
  /** SDK calls made inside a function's invocation (each attempt counts). */
  calls: number;
  /** Requests evaluated by the simulator (cache misses). */
  evaluations: number;
  cacheHits: number;
  /** Time spent evaluating, in milliseconds. */
  evaluationMs: number;
}

const MIDDLEWARE_NAME = 'allianceLocalIamEnforcement';
/** Decisions kept before the cache starts over (each distinct partition key is its own entry). */
const CACHE_LIMIT = 20_000;

export class IamEnforcer {
  private readonly scope: IamScope;
  private readonly policyCache = new Map<string, { policy: PolicyDocumentJson | undefined; relaxed: Map<string, PolicyDocumentJson> }>();
  private readonly decisions = new Map<string, IamDecision>();
  private readonly refused: IamDenial[] = [];
  private readonly counters: IamEnforcementStats = { calls: 0, evaluations: 0, cacheHits: 0, evaluationMs: 0 };
  private readonly relaxedResourcePolicies = new Map<string, ResourcePolicyJson>();
  /** Vouches for the function behind a PutEvents the bus receives: known to this process only. */
  private readonly callerProof = randomUUID();

  constructor(private readonly options: IamEnforcerOptions) {
    this.scope = {
      region: options.region,
      accountId: options.accountId,
      ...(options.partitionKey ? { partitionKey: options.partitionKey } : {}),
      ...(options.encryptionKeyOf ? { encryptionKeyOf: options.encryptionKeyOf } : {}),
    };
  }

  /** Every denial so far, oldest first. */
  denials(): readonly IamDenial[] {
    return this.refused;
  }

  stats(): IamEnforcementStats {
    return { ...this.counters, evaluationMs: Math.round(this.counters.evaluationMs * 100) / 100 };
  }

  /** What AWS would do with this call of this function. Pure apart from the decision cache. */
  async authorize(functionId: string, call: SdkCall): Promise<CallVerdict> {
    const requests = iamRequestsFor(call, this.scope);
    if (call.service === 'eventbridge' && call.operation === 'PutEvents') return this.authorizeEntries(functionId, requests);
    for (const request of requests) {
      const decision = await this.decide(functionId, request);
      if (decision !== 'Allowed') return { kind: 'denied', request, decision };
    }
    return { kind: 'allowed' };
  }

  /** Adds the enforcing middleware to the functions' clients; returns a function that removes it. */
  attach(clients: FunctionClients): () => void {
    return attachAtTransport(clients, MIDDLEWARE_NAME, (service) => (next, context) => async (args) => {
      const functionId = (this.options.currentFunction ?? currentFunctionId)();
      if (functionId === undefined) return next(args);
      this.counters.calls += 1;
      const call: SdkCall = { service, operation: operationName(context), input: args.input ?? {} };
      const verdict = await this.authorize(functionId, call);
      // The bus authorizes each entry by its caller: tell it which function this is.
      if (service === 'eventbridge' && call.operation === 'PutEvents' && args.request) (args.request as SerializedRequest).headers[CALLER_HEADER] = `${functionId} ${this.callerProof}`;
      if (verdict.kind === 'allowed') return next(args);
      if (verdict.kind === 'denied') {
        this.record({ functionId, action: verdict.request.action, resource: verdict.request.resource, decision: verdict.decision, ...describe(verdict.request) });
        return { response: accessDeniedResponse(service, functionPrincipal(functionId, this.options.accountId).sessionArn, verdict.request, verdict.decision) };
      }
      for (const { request, code, decision } of verdict.refused.values()) {
        this.record({ functionId, action: request.action, resource: request.resource, decision, detail: `${describe(request).detail ?? ''}: ${code}` });
      }
      return putEventsWithRefusals(next, args, verdict.refused);
    });
  }

  private async authorizeEntries(functionId: string, requests: readonly IamRequest[]): Promise<CallVerdict> {
    const refused = new Map<number, { request: IamRequest; code: EntryRefusal; decision: Exclude<IamDecision, 'Allowed'> }>();
    for (const [index, request] of requests.entries()) {
      const decision = await this.decide(functionId, request);
      if (decision === 'Allowed') continue;
      // Not allowed to put events on this bus at all, whatever the source and detail-type: the
      // whole call fails. Otherwise only this entry does, with the code that names the reason.
      const code = await this.entryRefusal(functionId, request);
      if (code === 'AccessDeniedException') return { kind: 'denied', request, decision };
      refused.set(index, { request, code, decision });
    }
    return refused.size === 0 ? { kind: 'allowed' } : { kind: 'entries-refused', refused };
  }

  /**
   * Why EventBridge refuses a PutEvents entry its caller may not put: the code names what would
   * have to change, the source if another source would do, else the detail-type if another would
   * do, else (both) the source; when nothing would do, AccessDenied.
   */
  private async entryRefusal(caller: string, request: IamRequest): Promise<BusEntryRefusal> {
    if ((await this.decide(caller, request, [EVENTS_SOURCE, EVENTS_DETAIL_TYPE])) !== 'Allowed') return 'AccessDeniedException';
    if ((await this.decide(caller, request, [EVENTS_SOURCE])) === 'Allowed') return 'NotAuthorizedForSourceException';
    if ((await this.decide(caller, request, [EVENTS_DETAIL_TYPE])) === 'Allowed') return 'NotAuthorizedForDetailTypeException';
    return 'NotAuthorizedForSourceException';
  }

  private async decide(functionId: string, request: IamRequest, ignoringKeys: readonly string[] = []): Promise<IamDecision> {
    const key = `${functionId}\n${ignoringKeys.join(',')}\n${request.action}\n${request.resource}\n${JSON.stringify(request.context)}`;
    const cached = this.options.cache === false ? undefined : this.decisions.get(key);
    if (cached !== undefined) {
      this.counters.cacheHits += 1;
      return cached;
    }
    const started = performance.now();
    const decision = await evaluate(
      this.policyFor(functionId, ignoringKeys),
      functionPrincipal(functionId, this.options.accountId),
      request,
      this.scope,
      this.resourcePolicyFor(request.resource, ignoringKeys),
    );
    this.counters.evaluationMs += performance.now() - started;
    this.counters.evaluations += 1;
    if (this.options.cache !== false) {
      if (this.decisions.size >= CACHE_LIMIT) this.decisions.clear();
      this.decisions.set(key, decision);
    }
    return decision;
  }

  private policyFor(functionId: string, ignoringKeys: readonly string[]): PolicyDocumentJson | undefined {
    let entry = this.policyCache.get(functionId);
    if (!entry) {
      entry = { policy: this.options.policies(functionId), relaxed: new Map() };
      this.policyCache.set(functionId, entry);
    }
    if (ignoringKeys.length === 0 || entry.policy === undefined) return entry.policy;
    const name = ignoringKeys.join(',');
    let relaxed = entry.relaxed.get(name);
    if (!relaxed) {
      relaxed = withoutConditionKeys(entry.policy, ignoringKeys);
      entry.relaxed.set(name, relaxed);
    }
    return relaxed;
  }

  private resourcePolicyFor(resource: string, ignoringKeys: readonly string[]): ResourcePolicyJson | undefined {
    const policy = this.options.resourcePolicyOf?.(resource);
    if (policy === undefined || ignoringKeys.length === 0) return policy;
    const name = `${resource}\n${ignoringKeys.join(',')}`;
    let relaxed = this.relaxedResourcePolicies.get(name);
    if (!relaxed) {
      relaxed = withoutConditionKeys(policy as unknown as PolicyDocumentJson, ignoringKeys) as unknown as ResourcePolicyJson;
      this.relaxedResourcePolicies.set(name, relaxed);
    }
    return relaxed;
  }

  /**
   * Who sent a PutEvents the bus received: the function the enforcer's header vouches for, the
   * administrator (signing with the administrator's local access key), or else the integration.
   */
  busCallerOf(headers: IncomingHttpHeaders): string {
    const vouched = headers[CALLER_HEADER];
    const [functionId, proof] = (typeof vouched === 'string' ? vouched : '').split(' ');
    if (functionId && proof === this.callerProof) return functionId;
    const authorization = headers['authorization'];
    const accessKey = /Credential=([^/,\s]+)\//.exec(typeof authorization === 'string' ? authorization : '')?.[1];
    return accessKey === LOCAL_ADMINISTRATOR_ACCESS_KEY ? 'administrator' : 'integration';
  }

  /**
   * How EventBridge answers one entry of `caller` (a function id or a BusCaller): undefined when its
   * identity policy and the bus's policy allow it, else the failed entry's code, logged and counted
   * like every other denial. Not allowed whatever the source and detail-type said: AccessDenied.
   */
  async authorizeBusEntry(caller: string, entry: { busArn: string; source: string; detailType: string }): Promise<{ ErrorCode: BusEntryRefusal; ErrorMessage: string } | undefined> {
    const request: IamRequest = { action: 'events:PutEvents', resource: entry.busArn, context: { [EVENTS_SOURCE]: entry.source, [EVENTS_DETAIL_TYPE]: entry.detailType } };
    const decision = await this.decide(caller, request);
    if (decision === 'Allowed') return undefined;
    const code = await this.entryRefusal(caller, request);
    this.record({ functionId: caller, action: request.action, resource: request.resource, decision, detail: `${describe(request).detail ?? ''}: ${code}` });
    const message =
      code === 'AccessDeniedException'
        ? accessDeniedMessage('eventbridge', functionPrincipal(caller, this.options.accountId).sessionArn, request, decision)
        : ENTRY_REFUSAL_MESSAGES[code];
    return { ErrorCode: code, ErrorMessage: message };
  }

  private record(denial: IamDenial): void {
    this.refused.push(denial);
    this.options.log?.('iam', `IAM denied ${denial.functionId} ${denial.action} on ${denial.resource}${denial.detail ? ` (${denial.detail})` : ''}`);
  }
}

/**
 * Which condition value the denied request carried, in words safe for a log: the item kind of a
 * partition key (`CLIENT#…`, never the id), the source and detail-type of an event, the service a
 * role was passed to. Addresses are left out (the identity's domain is in the resource already).
 */
function describe(request: IamRequest): { detail?: string } {
  const context = request.context;
  const keysValue = context['dynamodb:LeadingKeys'];
  if (Array.isArray(keysValue)) {
    const kinds = [...new Set(keysValue.map((value) => (value.includes('#') ? `${value.slice(0, value.indexOf('#') + 1)}…` : '…')))];
    return { detail: `leading key ${kinds.join(', ')}` };
  }
  if (context[EVENTS_DETAIL_TYPE] !== undefined || context[EVENTS_SOURCE] !== undefined) {
    return { detail: `source ${String(context[EVENTS_SOURCE] ?? '-')}, detail-type ${String(context[EVENTS_DETAIL_TYPE] ?? '-')}` };
  }
  if (typeof context['iam:PassedToService'] === 'string') return { detail: `passed to ${context['iam:PassedToService']}` };
  if (typeof context['kms:ViaService'] === 'string') return { detail: `via ${context['kms:ViaService']}` };
  return {};
}

/** AWS's wording of a refused request. SQS names the action in lower case. */
export function accessDeniedMessage(service: SdkService, sessionArn: string, request: IamRequest, decision: Exclude<IamDecision, 'Allowed'>): string {
  const action = service === 'sqs' ? request.action.toLowerCase() : request.action;
  const because = decision === 'ExplicitlyDenied' ? 'with an explicit deny in an identity-based or resource-based policy' : `because no identity-based policy allows the ${action} action`;
  return `User: ${sessionArn} is not authorized to perform: ${action} on resource: ${request.resource} ${because}`;
}

/** The error response each service sends for a refused call, in its protocol. */
function accessDeniedResponse(service: SdkService, sessionArn: string, request: IamRequest, decision: Exclude<IamDecision, 'Allowed'>) {
  const message = accessDeniedMessage(service, sessionArn, request, decision);
  // SQS reports a refused key as its own error (KMS.AccessDeniedException in the query API).
  if (service === 'sqs' && request.action.startsWith('kms:')) {
    return errorResponse(service, 400, 'KmsAccessDenied', message, { headers: { 'x-amzn-query-error': 'KMS.AccessDeniedException;Sender' } });
  }
  switch (service) {
    case 'dynamodb':
      return errorResponse(service, 400, 'AccessDeniedException', message, { typeNamespace: 'com.amazon.coral.service' });
    case 'sqs':
      // SQS's JSON protocol also names the error as its older query API did.
      return errorResponse(service, 400, 'AccessDeniedException', message, { typeNamespace: 'com.amazon.coral.service', headers: { 'x-amzn-query-error': 'AccessDenied;Sender' } });
    case 'eventbridge':
    case 'secretsmanager':
      return errorResponse(service, 400, 'AccessDeniedException', message);
    case 'ses':
    case 'scheduler':
      return errorResponse(service, 403, 'AccessDeniedException', message);
  }
}

const ENTRY_REFUSAL_MESSAGES: Record<EntryRefusal, string> = {
  NotAuthorizedForSourceException: 'You do not have permissions to publish events with this source onto this event bus.',
  NotAuthorizedForDetailTypeException: 'You do not have permissions to publish events with this detail type onto this event bus.',
};

/**
 * PutEvents with some entries refused: the allowed ones go to the bus, and the answer lists the
 * refused ones as failed entries in their places, as EventBridge answers (HTTP 200).
 */
async function putEventsWithRefusals(next: Next, args: Parameters<Next>[0], refused: ReadonlyMap<number, { code: EntryRefusal }>) {
  const entries = (args.input['Entries'] ?? []) as unknown[];
  const failed = (index: number) => ({ ErrorCode: refused.get(index)!.code, ErrorMessage: ENTRY_REFUSAL_MESSAGES[refused.get(index)!.code] });
  if (refused.size >= entries.length) {
    return { response: jsonResponse(200, { FailedEntryCount: entries.length, Entries: entries.map((_, index) => failed(index)) }, 'application/x-amz-json-1.1') };
  }
  const request = args.request as SerializedRequest;
  const text = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array);
  const body = JSON.parse(text) as { Entries: unknown[] };
  body.Entries = body.Entries.filter((_, index) => !refused.has(index));
  request.body = JSON.stringify(body);
  request.headers['content-length'] = String(Buffer.byteLength(request.body as string));
  const result = await next(args);
  const response = result.response as { statusCode: number; body: unknown };
  if (response.statusCode !== 200) return result;
  const answer = JSON.parse(await readBody(response.body)) as { FailedEntryCount?: number; Entries?: unknown[] };
  let forwarded = 0;
  const merged = entries.map((_, index) => (refused.has(index) ? failed(index) : answer.Entries?.[forwarded++]));
  return { ...result, response: jsonResponse(200, { FailedEntryCount: (answer.FailedEntryCount ?? 0) + refused.size, Entries: merged }, 'application/x-amz-json-1.1') };
}

async function readBody(body: unknown): Promise<string> {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads `ALLIANCE_IAM`: on unless it says `off` (or `false`, `0`). */
export function iamEnforcementFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env['ALLIANCE_IAM'] ?? '').trim().toLowerCase();
  return !['off', 'false', '0', 'no'].includes(value);
}
