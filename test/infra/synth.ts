/**
 * Builds the app the way infra/app.ts does, for the infra tests. Bundling is skipped (no esbuild
 * run per test) unless a test asks for it; the synth still runs the cdk-nag packs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
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

/** Synthesizing runs both cdk-nag packs over the whole stack: a few seconds each. */
export const SYNTH_TIMEOUT = 60_000;

export interface SynthesizedStack {
  stack: AllianceFeedbackStack;
  template: Template;
  /** The logical id of a construct's CloudFormation resource (its default child). */
  logicalId: (construct: IConstruct) => string;
  /** A construct's CloudFormation resource in the template. */
  resource: (construct: IConstruct) => { Type: string; Properties: Record<string, any> };
}

/** The stack and its template, with lookups from a construct to its resource. */
export function synthStack(options: SynthOptions = {}): SynthesizedStack {
  const stack = buildApp(newApp(options), options);
  const template = Template.fromStack(stack);
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnResource);
  return { stack, template, logicalId, resource: (construct) => template.toJSON().Resources[logicalId(construct)] };
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
