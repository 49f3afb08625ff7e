/**
 * Builds the app the way infra/app.ts does, for the infra tests. Bundling is skipped (no esbuild
 * run per test) unless a test asks for it; the synth still runs the cdk-nag packs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type BuildAppOptions } from '../../infra/app.ts';
import type { AllianceFeedbackStack } from '../../infra/stack.ts';

export interface SynthOptions extends BuildAppOptions {
  context?: Record<string, unknown>;
  /** Run esbuild for real (slow); otherwise assets are left unbundled. */
  bundle?: boolean;
}

export function newApp(options: SynthOptions = {}): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'alliance-feedback-cdk-')),
    context: {
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

/** The stack and its template. */
export function synthStack(options: SynthOptions = {}): { stack: AllianceFeedbackStack; template: Template } {
  const stack = buildApp(newApp(options), options);
  return { stack, template: Template.fromStack(stack) };
}

/** One finding in CDK's validation report. */
export interface ReportedViolation {
  plugin: string;
  ruleName: string;
  severity: string;
  constructPaths: string[];
}

/**
 * Synthesizes and returns every violation in CDK's validation report (every plugin: the cdk-nag
 * packs and CloudFormation's own template checks), errors and warnings alike. Synth throws when
 * there are errors; the report is written first, so it is read either way. Warnings never make the
 * synth throw, which is why tests look at the report and not only at the exception.
 */
export function synthValidationReport(options: SynthOptions = {}): {
  stack: AllianceFeedbackStack;
  violations: ReportedViolation[];
  error: Error | undefined;
} {
  const app = newApp(options);
  const stack = buildApp(app, options);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (caught) {
    error = caught as Error;
  }
  const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  const violations = report.pluginReports.flatMap((pluginReport) =>
    pluginReport.violations.map((violation) => ({
      plugin: pluginReport.pluginName,
      ruleName: violation.ruleName,
      severity: violation.severity,
      constructPaths: violation.violatingConstructs.map((construct) => construct.constructPath),
    })),
  );
  return { stack, violations, error };
}
