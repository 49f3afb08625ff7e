/**
 * The IAM side of the local stack: each function's policy is its declaration in
 * infra/function-access.ts with local ARNs (`localFunctionPolicy`), so the laptop checks the very
 * statements the CDK stack synthesizes; and, as in the stack, one data key encrypts the table and
 * every queue, so a call on either also needs that key through the service.
 *
 * The bus's callers that are not functions have their policies here too, from the same module:
 * the scheduler's role, the EHR integration (the integration policy the stack outputs) and the
 * administrator; and the bus has the stack's resource policy, with local role ARNs.
 */
import { busPolicy, integrationPolicy, productPublishers, schedulerPolicy } from '../function-access.ts';
import type { PolicyDocumentJson } from '../policy-document.ts';
import { FUNCTIONS } from '../routes.ts';
import { localAccessResources, localFunctionPolicy, localSenderAddress, type StackEnvironment } from './functions.ts';
import { functionPrincipal, type BusCaller, type FunctionPolicies, type ResourcePolicyJson } from './iam-enforcement.ts';

/** What IAM enforcement needs to know about the local stack: each principal's policy, the bus's, and which key encrypts what. */
export interface LocalIam {
  policies: FunctionPolicies;
  resourcePolicyOf: (resourceArn: string) => ResourcePolicyJson | undefined;
  encryptionKeyOf: (resourceArn: string) => string | undefined;
  busArn: string;
}

export interface LocalIamOptions {
  /** The sources the integration policy allows (default: any but the product's), as `-c integrationSources` does. */
  integrationSources?: readonly string[];
}

export function localIam(stack: StackEnvironment, env: NodeJS.ProcessEnv = process.env, options: LocalIamOptions = {}): LocalIam {
  const resources = localAccessResources(stack, localSenderAddress(env));
  const queueArnPrefix = `arn:aws:sqs:${stack.region}:${stack.accountId}:`;
  const publishers = productPublishers();
  const bus = busPolicy({
    busArn: resources.busArn,
    // The local roles are named after their principal (functionPrincipal): `local-request`, `local-scheduler`.
    productRoleArns: [...publishers.functions.map((fn) => functionPrincipal(fn.id, stack.accountId).roleArn), ...(publishers.scheduler ? [resources.schedulerRoleArn] : [])],
    ...(options.integrationSources ? { integrationSources: options.integrationSources } : {}),
  });
  // The administrator's own policy is the account's to write; locally it may put anything on the bus.
  const administrator: PolicyDocumentJson = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['events:PutEvents'], Resource: [resources.busArn] }] };
  const callers: Record<BusCaller, PolicyDocumentJson> = {
    scheduler: schedulerPolicy(resources),
    integration: integrationPolicy(resources.busArn, options.integrationSources),
    administrator,
  };
  return {
    policies: (name) => {
      const fn = Object.values(FUNCTIONS).find((candidate) => candidate.id === name);
      if (fn !== undefined) return localFunctionPolicy(fn, stack, env);
      return Object.hasOwn(callers, name) ? callers[name as BusCaller] : undefined;
    },
    resourcePolicyOf: (resource) => (resource === resources.busArn ? bus : undefined),
    // The stack's secrets are encrypted with the same key (infra/stack.ts).
    encryptionKeyOf: (resource) => (resource === resources.tableArn || resource.startsWith(`${resources.tableArn}/index/`) || resource.startsWith(queueArnPrefix) || Object.values(resources.secretArns).includes(resource) ? resources.keyArn : undefined),
    busArn: resources.busArn,
  };
}
