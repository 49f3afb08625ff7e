import { readFileSync } from 'node:fs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { functionPolicy, functionVariables, schedulerPolicy } from '../../infra/function-access.ts';
import { localFunctionPolicy } from '../../infra/local/functions.ts';
import { FUNCTIONS } from '../../infra/routes.ts';
import { RESOURCE_ENV } from '../../shared/config.ts';
import { synthStack } from './synth.ts';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const FUNCTION_KEYS = Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[];

const { stack, template, resource } = synthStack({ context: { adminEmail: 'admin@practice.example' } });

function statementsOf(fn: keyof typeof FUNCTIONS): Statement[] {
  return resource(stack.functions[fn].role.policy).Properties['PolicyDocument'].Statement as Statement[];
}

/** The derived statements as CloudFormation has them (CDK writes one-element lists as single values). */
function derived(statements: ReturnType<typeof schedulerPolicy>['Statement']): Statement[] {
  return statements.map((statement) => stack.resolve(PolicyStatement.fromJson(statement).toStatementJson()) as Statement);
}

/** What the platform needs to run a function, wired by the constructs, not by the declaration. */
const PLATFORM_ACTIONS = new Set([
  // The function's own log group.
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  // Active tracing.
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  // Lambda polling the route's queue with the function's role.
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'kms:Decrypt',
]);

describe('IAM derived from infra/function-access.ts', () => {
  it('lets the alert function Query the session partition (its first call reads the session and evaluation in one Query) and the therapist partition (the alerts waiting for them)', () => {
    const queries = statementsOf('alert').filter((statement) => asArray(statement.Action).includes('dynamodb:Query'));

    expect(queries).toHaveLength(1);
    expect(queries[0]!.Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(stack.table.node.defaultChild as never), 'Arn'] });
    expect(queries[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SESSION#*', 'THERAPIST#*'] } });
  });

  it("lets the request function GetItem the form-token item (a duplicate's check that its email went out), the do-not-contact list, the profile (erased?) and the therapist directory", () => {
    const reads = statementsOf('request').filter((statement) => asArray(statement.Action).includes('dynamodb:GetItem'));

    expect(reads).toHaveLength(1);
    expect(reads[0]!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CLIENT#*', 'CONTACT#*', 'THERAPIST#*', 'TOKEN#*'] } });
  });

  it('conditions every PutEvents statement of the product’s roles on its detail-types and source', () => {
    // The integration policy is the EHR's, not a role's of the product (test/infra/bus-policy.test.ts).
    const integrationPolicy = JSON.stringify(resource(stack.integrationPolicy).Properties['PolicyDocument']);
    const putEvents = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter((policy) => JSON.stringify(policy['Properties'].PolicyDocument) !== integrationPolicy)
      .flatMap((policy) => policy['Properties'].PolicyDocument.Statement as Statement[])
      .filter((statement) => asArray(statement.Action).includes('events:PutEvents'));

    expect(putEvents.length).toBeGreaterThanOrEqual(6);
    for (const statement of putEvents) {
      const detailTypes = statement.Condition?.['StringEquals']?.['events:detail-type'];
      expect(detailTypes).toEqual(expect.arrayContaining([expect.any(String)]));
      // The inbound adapters (hooks, appointment-import, feeds) publish SessionCompleted, and only it, with their own source.
      const inbound = JSON.stringify(detailTypes) === JSON.stringify(['SessionCompleted']);
      expect(statement.Condition?.['StringEquals']?.['events:source']).toEqual([inbound ? 'alliance-feedback.inbound' : 'alliance-feedback']);
    }
  });

  it('grants no action the code never calls, and no wildcard action', () => {
    const actions = new Set(
      Object.values(template.findResources('AWS::IAM::ManagedPolicy')).flatMap((policy) =>
        (policy['Properties'].PolicyDocument.Statement as Statement[]).flatMap((statement) => asArray(statement.Action)),
      ),
    );

    for (const never of ['ses:SendRawEmail', 'scheduler:UpdateSchedule', 'sqs:GetQueueUrl', 'sqs:ChangeMessageVisibility', 'dynamodb:Scan', 'dynamodb:BatchWriteItem', 'kms:ReEncryptFrom', 'kms:CreateGrant']) {
      expect(actions, never).not.toContain(never);
    }
    for (const action of actions) expect(action).not.toContain('*');
  });

  it.each(FUNCTION_KEYS)("%s: the role's policy is exactly the derived statements plus the platform's (no hand-written grant)", (fn) => {
    const expected = derived(functionPolicy(FUNCTIONS[fn], stack.accessResources).Statement);
    const actual = statementsOf(fn);
    const platform = actual.filter((statement) => !expected.some((candidate) => JSON.stringify(candidate) === JSON.stringify(statement)));

    expect(actual).toEqual(expect.arrayContaining(expected));
    expect(actual).toHaveLength(expected.length + platform.length);
    for (const statement of platform) {
      for (const action of asArray(statement.Action)) expect(PLATFORM_ACTIONS, `${fn}: ${action}`).toContain(action);
      if (asArray(statement.Action).includes('kms:Decrypt')) expect(JSON.stringify(statement.Condition)).toContain('"sqs."');
    }
  });

  it.each(FUNCTION_KEYS)('%s: the local stack enforces the same statements, with local ARNs', (fn) => {
    const local = localFunctionPolicy(FUNCTIONS[fn], { region: 'us-east-1', accountId: '000000000000', tableName: 'alliance-feedback', busName: 'alliance-feedback' }, {});
    const inTemplate = statementsOf(fn).filter((statement) => local.Statement.some((candidate) => candidate.Sid === statement.Sid));
    const shape = (statement: { Sid?: string; Action: string | string[]; Condition?: unknown }) => ({
      Sid: statement.Sid,
      Action: asArray(statement.Action),
      // Condition keys and operators; values name the region or the sender, which differ locally.
      Condition: Object.fromEntries(Object.entries(statement.Condition ?? {}).map(([operator, keys]) => [operator, Object.keys(keys as object)])),
    });

    expect(local.Statement.map(shape)).toEqual(inTemplate.map(shape));
  });

  it("gives the scheduler's role exactly its derived statements", () => {
    expect(resource(stack.schedulerRole.policy).Properties['PolicyDocument'].Statement).toEqual(derived(schedulerPolicy(stack.accessResources).Statement));
  });

  it.each(FUNCTION_KEYS)('%s: the environment is exactly the declared settings and resources', (fn) => {
    const declared = functionVariables(FUNCTIONS[fn]);
    const variables = Object.keys(resource(stack.functions[fn].function).Properties['Environment'].Variables);
    // ICS_FEEDS is the local stack's; the feed list's secret exists only with calendarFeeds (test/infra/calendar-feeds.test.ts),
    // the FHIR settings and key only with fhirBaseUrl (test/infra/fhir-inbound.test.ts).
    const optional = ['icsFeeds', 'calendarFeedsSecretArn', 'fhirBaseUrl', 'fhirTokenUrl', 'fhirClientId', 'fhirClientKeySecretArn', 'fhirNotificationSecretArn'];
    const resources = declared.resources.filter((name) => !optional.includes(name));

    expect(variables.sort()).toEqual(
      ['NODE_OPTIONS', ...declared.settings.map((setting) => setting.env), ...resources.map((name) => RESOURCE_ENV[name])].sort(),
    );
  });

  it('leaves no hand-written grant for what a function calls in the stack or its constructs', () => {
    const sources = ['../../infra/stack.ts', '../../infra/constructs/event-route-queue.ts', '../../infra/constructs/product-function.ts'].map((path) =>
      readFileSync(new URL(path, import.meta.url), 'utf8'),
    );

    for (const source of sources) {
      expect(source).not.toMatch(/\.grant\((?!\s*new ServicePrincipal)|grantPutEventsTo|addToRolePolicy|grants\.\w+Schedules|grantPassRole|grantEncryptDecrypt|grantSendMessages|grantReadWriteData|new SqsEventSource/);
    }
  });
});
