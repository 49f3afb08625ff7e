/**
 * FHIR R4 inbound's AWS side (infra/constructs/fhir-inbound.ts), on with the fhirBaseUrl,
 * fhirTokenUrl and fhirClientId context keys: the key's secret, the schedule, the fhir function's
 * settings, and the grants that follow from FUNCTION_ACCESS.fhir.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../shared/config.ts';
import { SYNTH_TIMEOUT, synthStack } from './synth.ts';

const FHIR = { fhirBaseUrl: 'https://ehr.example.org/fhir/r4', fhirTokenUrl: 'https://ehr.example.org/oauth2/token', fhirClientId: 'alliance-app' };

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}

describe('FHIR inbound (context fhirBaseUrl)', () => {
  it(
    'is off by default: no key secret, no schedule, no FHIR settings, and the fhir function may read no secret',
    () => {
      const { stack, template, resource } = synthStack();

      expect(stack.fhirInbound).toBeUndefined();
      template.resourceCountIs('AWS::Scheduler::Schedule', 0);
      expect(JSON.stringify(resource(stack.functions.fhir.role.policy).Properties['PolicyDocument'])).not.toContain('secretsmanager');
      expect(resource(stack.functions.fhir.function).Properties['Environment'].Variables).not.toHaveProperty('FHIR_BASE_URL');
    },
    SYNTH_TIMEOUT,
  );

  it(
    'with the three settings: an encrypted key secret only the fhir function reads, its settings, and a schedule every 15 minutes',
    () => {
      const { stack, template, resource, logicalId } = synthStack({ context: FHIR });
      const fhir = stack.fhirInbound!;

      expect(resource(fhir.clientKeySecret).Properties['KmsKeyId']).toEqual({ 'Fn::GetAtt': [logicalId(stack.key), 'Arn'] });
      const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((entry) => entry['Properties']);
      expect(schedule.ScheduleExpression).toBe('rate(15 minutes)');
      expect(schedule.Target.Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.functions.fhir.function), 'Arn'] });

      const statements = resource(stack.functions.fhir.role.policy).Properties['PolicyDocument'].Statement as Statement[];
      expect(statements.find((statement) => statement.Sid === 'ReadSecrets')).toMatchObject({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: logicalId(fhir.clientKeySecret) } });
      expect(resource(stack.functions.fhir.function).Properties['Environment'].Variables).toMatchObject({
        FHIR_BASE_URL: FHIR.fhirBaseUrl,
        FHIR_TOKEN_URL: FHIR.fhirTokenUrl,
        FHIR_CLIENT_ID: FHIR.fhirClientId,
        FHIR_CLIENT_KEY_SECRET_ARN: { Ref: logicalId(fhir.clientKeySecret) },
      });
      for (const [key, fn] of Object.entries(stack.functions)) {
        if (key === 'fhir') continue;
        expect(JSON.stringify(resource(fn.role.policy).Properties['PolicyDocument']), key).not.toContain(logicalId(fhir.clientKeySecret));
      }
    },
    SYNTH_TIMEOUT,
  );

  it(
    'polls every fhirPollMinutes',
    () => {
      const { template } = synthStack({ context: { ...FHIR, fhirPollMinutes: '30' } });
      const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((entry) => entry['Properties']);
      expect(schedule.ScheduleExpression).toBe('rate(30 minutes)');
    },
    SYNTH_TIMEOUT,
  );

  it('refuses a partial FHIR configuration and a plain-http base URL', () => {
    expect(() => synthStack({ context: { fhirBaseUrl: FHIR.fhirBaseUrl } })).toThrow(ConfigurationError);
    expect(() => synthStack({ context: { ...FHIR, fhirBaseUrl: 'http://ehr.example.org/fhir/r4' } })).toThrow(/https/);
  });
});
