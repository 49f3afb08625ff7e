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
import { readStackConfig } from './config.ts';
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
}

/** Adds the stack and the cdk-nag packs to `app`; throws a ConfigurationError on bad context. */
export function buildApp(app: App, options: BuildAppOptions = {}): AllianceFeedbackStack {
  const config = readStackConfig(app.node, { forDeployment: options.forDeployment ?? false });
  const stack = new AllianceFeedbackStack(app, stackNameFor(config.instance), {
    config,
    description: 'Alliance Feedback: session-by-session therapeutic alliance feedback',
  });
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
