import { describe, expect, it } from 'vitest';
import { functionPolicy, functionVariables } from '../../../infra/function-access.ts';
import { functionEnvironment, localAccessResources, localFunctionPolicy, type StackEnvironment } from '../../../infra/local/functions.ts';
import { EVENT_ROUTES, FUNCTIONS } from '../../../infra/routes.ts';
import { ALERT_SETTINGS, DETECTOR_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS, REQUEST_SETTINGS, RESOURCE_ENV, RETENTION_SETTINGS } from '../../../shared/config.ts';

const STACK: StackEnvironment = {
  region: 'us-east-1',
  accountId: '000000000000',
  endpoints: { dynamodb: 'http://127.0.0.1:1', ses: 'http://127.0.0.1:2', bus: 'http://127.0.0.1:3', web: 'http://127.0.0.1:4' },
  tableName: 'alliance-feedback',
  busName: 'alliance-feedback',
  queueUrl: (name) => `http://127.0.0.1:3/000000000000/${name}`,
  quiet: true,
  fhir: { baseUrl: 'http://127.0.0.1:5/fhir/r4', tokenUrl: 'http://127.0.0.1:5/fhir/r4/auth/token', clientId: 'alliance-feedback-local' },
};

/** A developer's environment with every setting set, and the instrument file. */
const DEVELOPER_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries([REQUEST_SETTINGS, DETECTOR_SETTINGS, RETENTION_SETTINGS, ALERT_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS].flatMap((group) => Object.values(group).map((setting) => [setting.env, 'from-developer']))),
  INSTRUMENT_FILE: '/tmp/instrument.json',
  ADMIN_EMAIL: 'admin@practice.example',
  ICS_FEEDS: 'test/fixtures/calendar/weekly-session.ics',
};

const SETTING_NAMES = [REQUEST_SETTINGS, DETECTOR_SETTINGS, RETENTION_SETTINGS, ALERT_SETTINGS, DIGEST_SETTINGS, PRIVACY_SETTINGS].flatMap((group) => Object.values(group).map((setting) => setting.env));

/** The names a function's environment sets (defined values only), among the settings and resource variables. */
function declaredNames(fn: (typeof FUNCTIONS)[keyof typeof FUNCTIONS]): string[] {
  const environment = functionEnvironment(fn, EVENT_ROUTES, STACK, DEVELOPER_ENV);
  return [...SETTING_NAMES, ...Object.values(RESOURCE_ENV), 'INSTRUMENT_FILE'].filter((name) => environment[name] !== undefined).sort();
}

describe('functionEnvironment', () => {
  it.each(Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[])('gives %s exactly the settings and resource variables it declares, removing the others', (key) => {
    const fn = FUNCTIONS[key];
    const declared = functionVariables(fn);
    const environment = functionEnvironment(fn, EVENT_ROUTES, STACK, DEVELOPER_ENV);

    // The SES emulator has no configuration sets: declared, but given no value locally.
    // Nor a Secrets Manager: the calendar feed poller reads ICS_FEEDS instead of its secret.
    const resources = declared.resources.filter((name) => name !== 'sesConfigurationSet' && name !== 'calendarFeedsSecretArn');
    expect(declaredNames(fn)).toEqual(
      [...declared.settings.map((setting) => setting.env), ...resources.map((name) => RESOURCE_ENV[name]), ...(declared.instruments ? ['INSTRUMENT_FILE'] : [])].sort(),
    );
    // Removed, not merely left unset: the functions share one process environment.
    for (const name of [...SETTING_NAMES, ...Object.values(RESOURCE_ENV)]) {
      if (environment[name] === undefined) expect(Object.keys(environment), name).toContain(name);
    }
  });

  it('gives the web function its table and bus, and neither the scheduler nor the sender', () => {
    const environment = functionEnvironment(FUNCTIONS.web, EVENT_ROUTES, STACK, DEVELOPER_ENV);

    expect(environment[RESOURCE_ENV.tableName]).toBe('alliance-feedback');
    expect(environment[RESOURCE_ENV.busName]).toBe('alliance-feedback');
    expect(environment[RESOURCE_ENV.schedulerRoleArn]).toBeUndefined();
    expect(environment[RESOURCE_ENV.busArn]).toBeUndefined();
    expect(environment[REQUEST_SETTINGS.senderAddress.env]).toBeUndefined();
    expect(environment[REQUEST_SETTINGS.practiceName.env]).toBe('from-developer');
  });

  it("points the request function's links at the local web server and passes the developer's settings on", () => {
    const environment = functionEnvironment(FUNCTIONS.request, EVENT_ROUTES, STACK, DEVELOPER_ENV);

    expect(environment[REQUEST_SETTINGS.formBaseUrl.env]).toBe(STACK.endpoints.web);
    expect(environment[REQUEST_SETTINGS.throttleHours.env]).toBe('from-developer');
    expect(environment[RESOURCE_ENV.deadLetterQueueUrl]).toBe(STACK.queueUrl('session-completed-to-request-dlq'));
  });
});

describe('localFunctionPolicy', () => {
  it('is the synthesized policy with local ARNs: no configuration set, any identity, only from the sender', () => {
    const policy = localFunctionPolicy(FUNCTIONS.request, STACK, { [REQUEST_SETTINGS.senderAddress.env]: 'feedback@clinic.example' });

    expect(policy).toEqual(functionPolicy(FUNCTIONS.request, localAccessResources(STACK, 'feedback@clinic.example')));
    expect(policy.Statement.find((statement) => statement.Sid === 'SendMailAsPracticeSender')).toMatchObject({
      Resource: ['arn:aws:ses:us-east-1:000000000000:identity/*'],
      Condition: { StringEquals: { 'ses:FromAddress': 'feedback@clinic.example' } },
    });
    expect(policy.Statement.find((statement) => statement.Sid === 'ParkInDeadLetterQueue')?.Resource).toEqual(['arn:aws:sqs:us-east-1:000000000000:session-completed-to-request-dlq']);
    expect(policy.Statement.find((statement) => statement.Sid === 'ReadItems')?.Resource).toEqual(['arn:aws:dynamodb:us-east-1:000000000000:table/alliance-feedback']);
  });

  it('sends as the default sender when the developer sets none', () => {
    const policy = localFunctionPolicy(FUNCTIONS.alert, STACK, {});

    expect(policy.Statement.find((statement) => statement.Sid === 'SendMailAsPracticeSender')?.Condition).toEqual({
      StringEquals: { 'ses:FromAddress': REQUEST_SETTINGS.senderAddress.defaultValue },
    });
  });
});
