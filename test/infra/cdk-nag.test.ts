import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NAG_ACKNOWLEDGEMENTS, renderNagTable } from '../../infra/nag-acknowledgements.ts';
import { SYNTH_TIMEOUT, synthValidationReport } from './synth.ts';

/** Every optional part of the stack switched on, so every resource a deployment can have is checked. */
const EVERY_OPTION = { context: { calendarFeeds: 'true' } };

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
    'acknowledges nothing that is not found: without acknowledgements exactly the listed rules fire',
    () => {
      const { violations } = synthValidationReport({ ...EVERY_OPTION, acknowledgements: [] });

      const fired = [...new Set(violations.map((violation) => violation.ruleName))].sort();
      expect(fired).toEqual(NAG_ACKNOWLEDGEMENTS.map((entry) => entry.id).sort());
    },
    SYNTH_TIMEOUT,
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
