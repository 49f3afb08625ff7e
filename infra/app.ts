/**
 * CDK app entry (cdk.json runs `npx tsx infra/app.ts`). Builds the stack from CDK context and runs
 * the cdk-nag AwsSolutions and HIPAA.Security packs on it at every synth; an unacknowledged finding
 * fails the synth. Run as a program (every `cdk synth`, `diff` and `deploy`), it also refuses the
 * placeholder settings; the tests build the app through the same `buildApp` with the defaults.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { SECURITY_HEADERS } from '../functions/web/http.ts';
import { readStackConfig } from './config.ts';
import { FrontWafStack } from './constructs/front.ts';
import { acknowledgeNagFindings, NAG_ACKNOWLEDGEMENTS, type NagAcknowledgement } from './nag-acknowledgements.ts';
import { AllianceFeedbackStack } from './stack.ts';

export const STACK_NAME = 'AllianceFeedback';

/** The stack's name: a second copy in the same account and region carries its instance name. */
export function stackNameFor(instance: string | undefined): string {
  return instance ? `${STACK_NAME}-${instance}` : STACK_NAME;
}

export interface BuildAppOptions {
  /** The acknowledgements to apply; tests pass fewer to prove an unacknowledged finding fails. */
  acknowledgements?: readonly NagAcknowledgement[];
  /**
   * Refuse placeholder settings (the default sender, practice name and address key, reserved
   * domains), as the CDK CLI's run of this file does. The tests build with the defaults and leave
   * it off.
   */
  forDeployment?: boolean;
  /**
   * The product stack's region, needed only with the front (its web ACL is in us-east-1 and
   * cross-region references need both regions). The CDK CLI passes the profile's region as
   * CDK_DEFAULT_REGION, and us-east-1 when none is configured, as this default does.
   */
  region?: string;
}

/** CloudFront takes web ACLs from this region only. */
export const FRONT_WAF_REGION = 'us-east-1';

/** Adds the stack and the cdk-nag packs to `app`; throws a ConfigurationError on bad context. */
export function buildApp(app: App, options: BuildAppOptions = {}): AllianceFeedbackStack {
  const config = readStackConfig(app.node, { forDeployment: options.forDeployment ?? false });
  const stackName = stackNameFor(config.instance);
  // The front's web ACL in us-east-1, read by the product stack through CDK's cross-region
  // references (SSM parameters written in the product's region); both stacks then need a region.
  const account = process.env['CDK_DEFAULT_ACCOUNT'];
  const front =
    config.front === undefined
      ? undefined
      : {
          env: { account, region: options.region ?? process.env['CDK_DEFAULT_REGION'] ?? FRONT_WAF_REGION },
          waf: new FrontWafStack(app, `${stackName}-Waf`, {
            env: { account, region: FRONT_WAF_REGION },
            crossRegionReferences: true,
            description: 'Alliance Feedback: the web ACL of the optional front (CloudFront takes web ACLs from us-east-1 only)',
            securityHeaders: SECURITY_HEADERS,
          }),
        };
  const stack = new AllianceFeedbackStack(app, stackName, {
    config,
    description: 'Alliance Feedback: session-by-session therapeutic alliance feedback',
    ...(front === undefined ? {} : { env: front.env, crossRegionReferences: true, frontWebAcl: front.waf.webAcl }),
  });
  if (front !== undefined) stack.addDependency(front.waf, 'the distribution names the web ACL');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  acknowledgeNagFindings(stack, options.acknowledgements ?? NAG_ACKNOWLEDGEMENTS);
  return stack;
}

/** True when this file is the program (the CDK CLI's `tsx infra/app.ts`), not an import. */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href;
}

if (isEntryPoint()) {
  try {
    // Whatever this synthesizes can be deployed: placeholders are refused here, not in the stack.
    buildApp(new App(), { forDeployment: true });
  } catch (error) {
    // A configuration problem is the user's to fix: show the message, not a stack trace.
    if (error instanceof Error && error.name === 'ConfigurationError') {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
