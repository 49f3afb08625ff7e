/**
 * AWS's own template linter (cfn-lint, a Python tool) on the synthesized stack: it knows every
 * resource type's schema and CloudFormation's rules, which cdk-nag (a security checker) does not.
 * cfn-lint is not an npm package; it comes with the machine (`pip install cfn-lint`). Missing
 * outside CI, the test warns loudly and skips; in CI (`CI` set), a missing cfn-lint fails.
 *
 * No rule is ignored: every error and warning is fixed where it comes from (the six W3005
 * "redundant DependsOn" warnings in infra/constructs/product-function.ts), except CDK's own
 * cross-region reference functions with the optional front (reason in the test). Ignoring a rule later
 * (`--ignore-checks`) needs its reason written next to it. Informational findings are not checked:
 * I1022 (prefer Fn::Sub to Fn::Join) is how CDK writes every ARN, and I3013 asks for an explicit
 * retention on the work queues, whose messages are handled in seconds and whose failures go to
 * dead-letter queues that do set 14 days.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SYNTH_TIMEOUT, synthStack } from './synth.ts';

/** One finding in cfn-lint's JSON output. */
interface CfnLintFinding {
  Rule: { Id: string };
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Location: { Path: (string | number)[] };
}

const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const installed = version.error === undefined && version.status === 0;
const inCi = Boolean(process.env['CI']);
if (!installed && !inCi) {
  console.warn(
    '\n*** cfn-lint is not installed: the CloudFormation lint of the synthesized template is SKIPPED. ' +
      'Install it with `pip install cfn-lint` (CI fails without it). ***\n',
  );
}

/** Lints a template (any object) and returns every finding at warning level or above. */
function lint(template: unknown): CfnLintFinding[] {
  const file = join(mkdtempSync(join(tmpdir(), 'alliance-feedback-cfn-lint-')), 'template.json');
  writeFileSync(file, JSON.stringify(template, null, 1));
  const result = spawnSync('cfn-lint', ['--format', 'json', '--', file], { encoding: 'utf8' });
  // Exit codes are a bit mask of the levels found (2 error, 4 warning, 8 informational); anything
  // else, or output that is not JSON, means cfn-lint itself failed.
  if (result.error !== undefined || result.status === null || (result.status & 1) !== 0) {
    throw new Error(`cfn-lint failed to run (status ${result.status}): ${result.error?.message ?? result.stderr}`);
  }
  return JSON.parse(result.stdout) as CfnLintFinding[];
}

/** A finding as one readable line, so a failure names the rule and the resource. */
function describeFinding(finding: CfnLintFinding): string {
  return `${finding.Level} ${finding.Rule.Id} at ${finding.Location.Path.join('/')}: ${finding.Message}`;
}

describe.skipIf(!installed && !inCi)('cfn-lint on the synthesized template', () => {
  it('is installed (CI requires it)', () => {
    expect(version.error?.message, 'cfn-lint --version').toBeUndefined();
    expect(version.stdout, version.stderr).toMatch(/^cfn-lint \d+\./);
  });

  it(
    'reports no error and no warning',
    () => {
      // With adminEmail, the template also has the alarm topic's subscription; with
      // appointmentDropDays the drop bucket; with calendarFeeds, the feed list's secret and the
      // poller's schedule: every resource kind.
      const template = synthStack({ context: { adminEmail: 'it@northside-therapy.com', appointmentDropDays: '30', calendarFeeds: 'true', fhirBaseUrl: 'https://ehr.northside-therapy.com/fhir/r4', fhirTokenUrl: 'https://ehr.northside-therapy.com/oauth2/token', fhirClientId: 'alliance-feedback' } }).template.toJSON();

      expect(lint(template).map(describeFinding)).toEqual([]);
    },
    SYNTH_TIMEOUT,
  );

  it(
    'reports no error and no warning with the front on, in the product stack and the us-east-1 web ACL stack',
    () => {
      const { stack, template } = synthStack({ context: { adminEmail: 'it@northside-therapy.com', front: 'true' }, region: 'eu-central-1' });
      const wafTemplate = Template.fromStack(Stack.of(stack.front!.webAcl));

      // The one exception, with its reason: CDK creates the cross-region reference's reader and
      // writer functions itself while synthesizing, after every construct of ours has run, with a
      // DependsOn on their role that their Role GetAtt already implies (W3005). Harmless, and not
      // ours to remove; any other W3005 still fails.
      const cdkOwn = (finding: CfnLintFinding) => finding.Rule.Id === 'W3005' && /^CustomCrossRegionExport(Reader|Writer)CustomResourceProvider/.test(String(finding.Location.Path[1]));
      const findings = [...lint(template.toJSON()), ...lint(wafTemplate.toJSON())];

      expect(findings.filter((finding) => !cdkOwn(finding)).map(describeFinding)).toEqual([]);
      expect(findings.filter(cdkOwn), 'the exception still matches what it excuses').toHaveLength(2);
    },
    SYNTH_TIMEOUT,
  );

  it(
    'reports an unknown runtime and a redundant DependsOn, so the check above can fail',
    () => {
      const template = synthStack().template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] }> };
      const [functionId, fn] = Object.entries(template.Resources).find(([, resource]) => resource.Type === 'AWS::Lambda::Function')!;
      fn.Properties['Runtime'] = 'nodejs99.x';
      // What Lambda's own construct writes: DependsOn the role whose ARN the function already names.
      const roleId = (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      fn.DependsOn = [roleId];

      const findings = lint(template);

      expect(findings.filter((finding) => finding.Level === 'Error').map((finding) => finding.Location.Path.join('/'))).toEqual([`Resources/${functionId}/Properties/Runtime`]);
      expect(findings.filter((finding) => finding.Rule.Id === 'W3005')).toHaveLength(1);
    },
    SYNTH_TIMEOUT,
  );
});
