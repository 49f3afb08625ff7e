/**
 * The environment each function gets when deployed, read from the CDK stack itself (built with
 * bundling skipped), with plausible stand-ins for the values CloudFormation fills in at deploy
 * time — the same approach as test/infra/bundling.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { buildApp } from '../../infra/app.ts';
import { FUNCTIONS } from '../../infra/routes.ts';

export type FunctionKey = keyof typeof FUNCTIONS;

/** Variables the Lambda runtime itself sets for every function (a subset the code may read). */
export function lambdaRuntimeVariables(functionName: string, region = 'us-east-1'): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  };
}

/** Each function's environment as deployed (stack variables plus the runtime's own). */
export function deployedEnvironments(): Record<FunctionKey, Record<string, string>> {
  const outdir = mkdtempSync(join(tmpdir(), 'alliance-bench-cdk-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = buildApp(app);
    const environments = {} as Record<FunctionKey, Record<string, string>>;
    for (const key of Object.keys(FUNCTIONS) as FunctionKey[]) {
      const cfn = stack.functions[key].function.node.defaultChild as CfnFunction;
      const resolved = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
      environments[key] = { ...lambdaRuntimeVariables(`AllianceFeedback-${FUNCTIONS[key].id}`), ...deployedValues(resolved?.variables ?? {}) };
    }
    return environments;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Literal values stay; references (`{ Ref }`, `{ Fn::GetAtt }`) become plausible stand-ins. */
export function deployedValues(variables: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : name.endsWith('_URL') ? 'https://deployed.example/' : name.endsWith('_ARN') ? `arn:aws:service:us-east-1:123456789012:${name.toLowerCase()}` : `deployed-${name.toLowerCase()}`,
    ]),
  );
}
