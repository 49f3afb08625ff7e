/**
 * Two copies of the product in one account and region (staging next to production): every name
 * that is unique per account carries the `instance`, the first copy's names never change (a renamed
 * bus or schedule group would be a replaced one), and SES's account-wide bounce events reach only
 * the copy whose configuration set sent the email.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../shared/config.ts';
import { buildApp } from '../../infra/app.ts';
import { newApp, SYNTH_TIMEOUT, synthStack, synthValidationReport } from './synth.ts';

const namesOf = (context: Record<string, unknown>) => {
  const { stack, template } = synthStack({ context });
  const [bus] = Object.values(template.findResources('AWS::Events::EventBus')) as { Properties: { Name: string } }[];
  const [group] = Object.values(template.findResources('AWS::Scheduler::ScheduleGroup')) as { Properties: { Name: string } }[];
  return { stack: stack.stackName, bus: bus!.Properties.Name, scheduleGroup: group!.Properties.Name };
};

describe('copies of the product in one account', () => {
  it('keeps the first copy’s names as they always were', () => {
    expect(namesOf({})).toEqual({ stack: 'AllianceFeedback', bus: 'alliance-feedback', scheduleGroup: 'alliance-feedback-follow-ups' });
  }, SYNTH_TIMEOUT);

  it('gives a second copy its own stack, bus and schedule group from one `instance` value', () => {
    expect(namesOf({ instance: 'staging' })).toEqual({ stack: 'AllianceFeedback-staging', bus: 'alliance-feedback-staging', scheduleGroup: 'alliance-feedback-staging-follow-ups' });
    expect(namesOf({ instance: 'staging', busName: 'ehr-staging' }).bus).toBe('ehr-staging');
  }, SYNTH_TIMEOUT);

  it('passes cdk-nag as a second copy: the schedule-group acknowledgement follows the group’s name', () => {
    const { violations, error } = synthValidationReport({ context: { instance: 'staging' } });

    expect(violations).toEqual([]);
    expect(error).toBeUndefined();
  }, SYNTH_TIMEOUT);

  it('takes from the default bus only the SES events of its own configuration set', () => {
    const { stack, template, logicalId } = synthStack({ context: { instance: 'staging' } });
    const rules = Object.values(template.findResources('AWS::Events::Rule')) as { Properties: { EventPattern: { source?: string[]; detail?: unknown } } }[];
    const sesRules = rules.filter((rule) => rule.Properties.EventPattern.source?.includes('aws.ses'));

    expect(sesRules).toHaveLength(1);
    expect(sesRules[0]!.Properties.EventPattern.detail).toEqual({ mail: { tags: { 'ses:configuration-set': [{ Ref: logicalId(stack.mailConfiguration) }] } } });
  }, SYNTH_TIMEOUT);

  it('refuses an instance name that cannot be part of the names, naming the context key', () => {
    expect(() => buildApp(newApp({ context: { instance: 'Staging Copy' } }))).toThrow(ConfigurationError);
    expect(() => buildApp(newApp({ context: { instance: 'a'.repeat(21) } }))).toThrow(/context "instance" \(-c instance=\.\.\.\)/);
  });
});
