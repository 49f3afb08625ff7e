/**
 * The IAM side of the local stack: each function's policy is its declaration in
 * infra/function-access.ts with local ARNs (`localFunctionPolicy`), so the laptop checks the very
 * statements the CDK stack synthesizes; and, as in the stack, one data key encrypts the table and
 * every queue, so a call on either also needs that key through the service.
 */
import { FUNCTIONS } from '../routes.ts';
import { localAccessResources, localFunctionPolicy, localSenderAddress, type StackEnvironment } from './functions.ts';
import type { FunctionPolicies } from './iam-enforcement.ts';

/** What IAM enforcement needs to know about the local stack: each function's policy, and which key encrypts what. */
export interface LocalIam {
  policies: FunctionPolicies;
  encryptionKeyOf: (resourceArn: string) => string | undefined;
}

export function localIam(stack: StackEnvironment, env: NodeJS.ProcessEnv = process.env): LocalIam {
  const resources = localAccessResources(stack, localSenderAddress(env));
  const queueArnPrefix = `arn:aws:sqs:${stack.region}:${stack.accountId}:`;
  return {
    policies: (functionId) => {
      const fn = Object.values(FUNCTIONS).find((candidate) => candidate.id === functionId);
      return fn === undefined ? undefined : localFunctionPolicy(fn, stack, env);
    },
    encryptionKeyOf: (resource) => (resource === resources.tableArn || resource.startsWith(queueArnPrefix) ? resources.keyArn : undefined),
  };
}
