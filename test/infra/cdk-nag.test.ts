import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NAG_ACKNOWLEDGEMENTS, renderNagTable } from '../../infra/nag-acknowledgements.ts';
import { SYNTH_TIMEOUT, synthValidationReport } from './synth.ts';

/** Every optional part of the stack switched on, so every resource a deployment can have is checked. */
const EVERY_OPTION = { context: { calendarFeeds: 'true', appointmentDropDays: '30', fhirBaseUrl: 'https://ehr.northside-therapy.com/fhir/r4', fhirTokenUrl: 'https://ehr.northside-therapy.com/oauth2/token', fhirClientId: 'alliance-feedback' } };

describe('cdk-nag (AwsSolutions and HIPAA.Security)', () => {
  it(
    'reports no unacknowledged finding, error or warning, from any validation plugin',
    () => {
      const { violations, error } = synthValidationReport(EVERY_OPTION);

      expect(violations).toEqual([]);
      expect(error).toBeUndefined();
    },
    SYNTH_TIMEOUT,
  );

  it(
    'fails the synth when one acknowledgement is removed',
    () => {
      const acknowledgements = NAG_ACKNOWLEDGEMENTS.filter((entry) => entry.id !== 'HIPAA.Security-LambdaInsideVPC');

      const { stack, violations, error } = synthValidationReport({ acknowledgements });

      expect(error?.message).toMatch(/HIPAA\.Security-LambdaInsideVPC/);
      expect(violations).toEqual([
        {
          plugin: 'HIPAA.Security',
          ruleName: 'HIPAA.Security-LambdaInsideVPC',
          severity: 'error',
          constructPaths: Object.values(stack.functions).map((fn) => `${fn.function.node.path}/Resource`),
        },
      ]);
    },
    SYNTH_TIMEOUT,
  );

  it(
    'reports no unacknowledged finding with the front on, in either stack',
    () => {
      const { violations, error } = synthValidationReport({ context: { ...EVERY_OPTION.context, front: 'true' }, region: 'eu-central-1' });

      expect(violations).toEqual([]);
      expect(error).toBeUndefined();
    },
    SYNTH_TIMEOUT,
  );

  it(
    'acknowledges nothing that is not found: without acknowledgements, with the front off and on, exactly the listed rules fire',
    () => {
      // With the front the stack has a region, which cdk-nag writes into some findings: each
      // build is compared with the ids as applied to it.
      const fired = [EVERY_OPTION, { context: { ...EVERY_OPTION.context, front: 'true' }, region: 'eu-central-1' }].map((options) => {
        const { stack, violations } = synthValidationReport({ ...options, acknowledgements: [] });
        const ids = new Map(NAG_ACKNOWLEDGEMENTS.map((entry) => [entry.idIn?.(stack) ?? entry.id, entry.id]));
        const rules = [...new Set(violations.map((violation) => violation.ruleName))];
        expect(rules.filter((rule) => !ids.has(rule)), 'fired but not listed').toEqual([]);
        return rules.map((rule) => ids.get(rule)!);
      });

      expect([...new Set(fired.flat())].sort()).toEqual(NAG_ACKNOWLEDGEMENTS.map((entry) => entry.id).sort());
      // The front's own findings fire only with the front.
      expect(fired[0]).not.toContain('AwsSolutions-CFR3');
      expect(fired[1]).toEqual(expect.arrayContaining(['AwsSolutions-CFR1', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4', 'HIPAA.Security-WAFv2LoggingEnabled']));
    },
    SYNTH_TIMEOUT * 2,
  );

  it('gives every acknowledgement a written reason', () => {
    for (const entry of NAG_ACKNOWLEDGEMENTS) {
      expect(entry.reason.length, entry.id).toBeGreaterThan(80);
      expect(entry.appliesTo, entry.id).not.toBe('');
    }
  });

  it('documents every acknowledgement in docs/cdk-nag.md, exactly as applied', () => {
    const docs = readFileSync(new URL('../../docs/cdk-nag.md', import.meta.url), 'utf8');

    expect(docs).toContain(renderNagTable());
  });
});
