/**
 * TEMPORARY: the IAM policy of each function in the local stack, written by hand from the grants in
 * infra/stack.ts (as of issue 11), with the two grants AWS showed missing added: the alert function
 * queries the table (dynamodb:Query), the request function reads the form-token item
 * (dynamodb:GetItem).
 *
 * This file goes away when each function's access is declared once (issue 11, item 1): then
 * `localIam` returns the declaration's policy for the local resources, the same statements the CDK
 * stack synthesizes. Nothing else in the local stack knows where policies come from.
 */
import { REQUEST_SETTINGS, RESOURCE_ENV } from '../../shared/config.ts';
import { EVENT_ROUTES, FUNCTIONS, type EventRoute } from '../routes.ts';
import type { PolicyDocumentJson, PolicyStatementJson } from '../policy-document.ts';
import { deadLetterQueueName, functionEnvironment, type StackEnvironment } from './functions.ts';
import type { FunctionPolicies } from './iam-enforcement.ts';

/** The id of the local stand-in for the stack's data key (in ARNs only: nothing encrypts locally). */
export const LOCAL_DATA_KEY_ID = '00000000-0000-4000-8000-000000000000';

/** What IAM enforcement needs to know about the local stack: each function's policy, and which key encrypts what. */
export interface LocalIam {
  policies: FunctionPolicies;
  encryptionKeyOf: (resourceArn: string) => string | undefined;
}

export function localIam(stack: StackEnvironment, env: NodeJS.ProcessEnv = process.env): LocalIam {
  const { region, accountId } = stack;
  const followUp = functionEnvironment(FUNCTIONS.followUp, EVENT_ROUTES, stack, env);
  const senderAddress = env[REQUEST_SETTINGS.senderAddress.env] || REQUEST_SETTINGS.senderAddress.defaultValue || '';
  const tableArn = `arn:aws:dynamodb:${region}:${accountId}:table/${stack.tableName}`;
  // Like the deployed stack, one customer managed key encrypts the table and every queue.
  const dataKeyArn = `arn:aws:kms:${region}:${accountId}:key/${LOCAL_DATA_KEY_ID}`;
  return {
    policies: localFunctionPolicies({
      region,
      accountId,
      tableName: stack.tableName,
      busName: stack.busName,
      deadLetterQueueArn: (route) => `arn:aws:sqs:${region}:${accountId}:${deadLetterQueueName(route)}`,
      scheduleGroupName: followUp[RESOURCE_ENV.scheduleGroupName] ?? '',
      schedulerRoleArn: followUp[RESOURCE_ENV.schedulerRoleArn] ?? '',
      sesIdentity: senderAddress.split('@').pop() ?? '',
      dataKeyArn,
    }),
    encryptionKeyOf: (resource) => (resource === tableArn || resource.startsWith(`arn:aws:sqs:${region}:${accountId}:`) ? dataKeyArn : undefined),
  };
}

/** The local stack's resources, as ARNs and names the policies name. */
export interface LocalPolicyResources {
  region: string;
  accountId: string;
  tableName: string;
  busName: string;
  /** The queue the function of a route parks invalid events in. */
  deadLetterQueueArn: (route: EventRoute) => string;
  scheduleGroupName: string;
  schedulerRoleArn: string;
  /** The SES identity the functions send as (a domain or an address). */
  sesIdentity: string;
  /** The customer managed key of the table and the queues. */
  dataKeyArn: string;
}

export function localFunctionPolicies(resources: LocalPolicyResources): FunctionPolicies {
  const { region, accountId } = resources;
  const table = `arn:aws:dynamodb:${region}:${accountId}:table/${resources.tableName}`;
  const bus = `arn:aws:events:${region}:${accountId}:event-bus/${resources.busName}`;
  const items = (...actions: string[]): PolicyStatementJson => ({ Effect: 'Allow', Action: actions.map((action) => `dynamodb:${action}`), Resource: table });
  const publish: PolicyStatementJson = { Effect: 'Allow', Action: 'events:PutEvents', Resource: bus };
  // The stack also names the configuration set; the local functions send without one.
  const sendEmail: PolicyStatementJson = { Effect: 'Allow', Action: ['ses:SendEmail', 'ses:SendRawEmail'], Resource: `arn:aws:ses:${region}:${accountId}:identity/${resources.sesIdentity}` };
  const deadLetters = (functionId: string): PolicyStatementJson[] =>
    EVENT_ROUTES.filter((route) => route.target.id === functionId).map((route) => ({
      Effect: 'Allow',
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      Resource: resources.deadLetterQueueArn(route),
    }));
  const schedules = `arn:aws:scheduler:${region}:${accountId}:schedule/${resources.scheduleGroupName}/*`;
  // key.grantEncryptDecrypt (and the queues' grantSendMessages) in the stack: no kms:ViaService yet.
  const useKey: PolicyStatementJson = { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'], Resource: resources.dataKeyArn };

  const statements: Record<string, PolicyStatementJson[]> = {
    [FUNCTIONS.web.id]: [items('GetItem', 'UpdateItem'), publish],
    [FUNCTIONS.request.id]: [items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'), publish, sendEmail],
    [FUNCTIONS.followUp.id]: [
      items('GetItem', 'UpdateItem', 'PutItem'),
      publish,
      { Effect: 'Allow', Action: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'], Resource: schedules },
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: resources.schedulerRoleArn, Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
      sendEmail,
    ],
    [FUNCTIONS.evaluate.id]: [items('GetItem', 'PutItem'), publish],
    [FUNCTIONS.deliverability.id]: [items('UpdateItem'), publish, sendEmail],
    [FUNCTIONS.alert.id]: [items('GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'), sendEmail],
  };
  return (functionId) => {
    const own = statements[functionId];
    if (own === undefined) return undefined;
    const policy: PolicyDocumentJson = { Version: '2012-10-17', Statement: [...own, ...deadLetters(functionId), useKey] };
    return policy;
  };
}
