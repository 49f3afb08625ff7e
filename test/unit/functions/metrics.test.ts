/**
 * The functions' metrics as CloudWatch will read them: the EMF lines Powertools writes to stdout,
 * from the real handler wiring with the AWS clients mocked.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebApp, type WebLogger } from '../../../functions/web/app.ts';
import { FUNCTIONS } from '../../../infra/routes.ts';
import { ManualClock } from '../../../shared/adapters/clock.ts';
import { hashToken, randomTokens } from '../../../shared/adapters/form-tokens.ts';
import { createLogger, createMetrics, metricsRecorder } from '../../../shared/adapters/powertools.ts';
import { keys } from '../../../shared/adapters/items/index.ts';
import { DEFAULT_INSTRUMENT } from '../../../shared/domain/instruments.ts';
import { METRIC, METRICS_NAMESPACE, type MetricName, type MetricsRecorder } from '../../../shared/metrics.ts';
import { FakeAlertStore } from '../../support/fakes.ts';
import { FakeFeedbackStore, httpEvent, RecordingPublisher } from '../web/support/fake-feedback-store.ts';

const ses = mockClient(SESv2Client);
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBDocumentClient);

type QueueHandler = (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
type WebHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2>;

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

const context = (functionName: string) => ({ functionName, awsRequestId: 'r-1', getRemainingTimeInMillis: () => 30_000 }) as unknown as Context;

let stdout: string[];

/** Every EMF line written since the test began. */
function emf(): EmfLine[] {
  return stdout
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

/** The EMF lines that carry a metric, each reduced to what CloudWatch keys it by and its value. */
function recorded(name: MetricName): { dimensions: Record<string, unknown>; value: unknown; unit: string }[] {
  return emf().flatMap((line) =>
    line._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.filter((metric) => metric.Name === name).map((metric) => {
        expect(directive.Namespace).toBe(METRICS_NAMESPACE);
        return { dimensions: Object.fromEntries(directive.Dimensions[0]!.map((dimension) => [dimension, line[dimension]])), value: line[name], unit: metric.Unit };
      }),
    ),
  );
}

function sessionRecord(messageId: string, detail: unknown): SQSRecord {
  return { messageId, body: JSON.stringify({ version: '0', id: `e-${messageId}`, 'detail-type': 'SessionCompleted', source: 'ehr.example', detail }) } as SQSRecord;
}

function session(sessionId: string, endedAt = new Date(Date.now() - 3_600_000).toISOString()) {
  return { sessionId, clientId: `c-${sessionId}`, therapistId: 't-7', endedAt, client: { email: 'ana@example.com', firstName: 'Ana' }, therapist: { email: 'lee@practice.example' } };
}

beforeAll(() => {
  vi.stubEnv('TABLE_NAME', 'table');
  vi.stubEnv('BUS_NAME', 'bus');
  vi.stubEnv('DEAD_LETTER_QUEUE_URL', 'https://sqs.local/dlq');
  vi.stubEnv('FORM_BASE_URL', 'https://forms.practice.example/');
  vi.stubEnv('PRACTICE_TIME_ZONE', 'America/New_York');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('POWERTOOLS_DEV', 'false');
  // Metrics are on in AWS; make sure nothing in the developer's environment turns them off here.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
});

afterAll(() => vi.unstubAllEnvs());

beforeEach(() => {
  for (const mock of [ses, eventBridge, sqs, dynamo]) mock.reset();
  dynamo.on(PutCommand).resolves({});
  dynamo.on(UpdateCommand).resolves({});
  // The do-not-contact list and the detector record: nothing stored.
  dynamo.on(GetCommand).resolves({});
  dynamo.on(DeleteCommand).resolves({});
  ses.on(SendEmailCommand).resolves({ MessageId: 'm' });
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'd' });
  stdout = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      if (stream === process.stdout) stdout.push(String(chunk));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('the metrics adapter', () => {
  it('emits a dimensioned count on its own line, so other counts in the batch do not take its dimension', () => {
    const metrics = createMetrics('request', createLogger('request'));
    const record = metricsRecorder(metrics);

    record.count(METRIC.feedbackRequestSent);
    record.count(METRIC.feedbackRequestSkipped, { name: 'reason', value: 'stale' });
    record.count(METRIC.feedbackRequestSkipped, { name: 'reason', value: 'throttled' });
    record.count(METRIC.feedbackRequestSent);
    metrics.publishStoredMetrics();

    expect(recorded(METRIC.feedbackRequestSkipped)).toEqual([
      { dimensions: { service: 'request', reason: 'stale' }, value: 1, unit: 'Count' },
      { dimensions: { service: 'request', reason: 'throttled' }, value: 1, unit: 'Count' },
    ]);
    expect(recorded(METRIC.feedbackRequestSent)).toEqual([{ dimensions: { service: 'request' }, value: [1, 1], unit: 'Count' }]);
  });

  it('writes nothing at all for a flush without metrics (no EMF line, no warning above debug)', () => {
    const metrics = createMetrics('web', createLogger('web'));

    metrics.publishStoredMetrics();

    expect(stdout.join('')).toBe('');
  });

  it('writes no EMF when POWERTOOLS_METRICS_DISABLED is true, as the local stack sets it', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    try {
      const metrics = createMetrics('request', createLogger('request'));
      const record = metricsRecorder(metrics);

      record.count(METRIC.feedbackRequestSent);
      record.count(METRIC.feedbackRequestSkipped, { name: 'reason', value: 'stale' });
      metrics.publishStoredMetrics();

      expect(emf()).toEqual([]);
    } finally {
      vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    }
  });
});

describe('request function', () => {
  let handler: QueueHandler;

  beforeAll(async () => {
    ({ handler } = (await import('../../../functions/request/handler.ts')) as unknown as { handler: QueueHandler });
  });

  it('counts sent, skipped (with the reason) and rejected events of one batch, under its FUNCTIONS id', async () => {
    await handler(
      {
        Records: [
          sessionRecord('1', session('s-1')),
          sessionRecord('2', session('s-2', '2020-01-01T10:00:00Z')),
          sessionRecord('3', { ...session('s-3'), endedAt: 'yesterday' }),
        ],
      },
      context('request'),
    );

    const service = FUNCTIONS.request.id;
    expect(recorded(METRIC.feedbackRequestSent)).toEqual([{ dimensions: { service }, value: 1, unit: 'Count' }]);
    expect(recorded(METRIC.feedbackRequestSkipped)).toEqual([{ dimensions: { service, reason: 'stale' }, value: 1, unit: 'Count' }]);
    expect(recorded(METRIC.eventRejected)).toEqual([{ dimensions: { service }, value: 1, unit: 'Count' }]);
    expect(recorded(METRIC.feedbackRequestDuplicate)).toEqual([]);
  });

  it('counts a session it already handled as a duplicate, not as sent', async () => {
    dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {}, Item: { status: { S: 'requested' } } }));

    await handler({ Records: [sessionRecord('1', session('s-1'))] }, context('request'));

    expect(recorded(METRIC.feedbackRequestDuplicate)).toEqual([{ dimensions: { service: FUNCTIONS.request.id }, value: 1, unit: 'Count' }]);
    expect(recorded(METRIC.feedbackRequestSent)).toEqual([]);
  });
});

describe('evaluate function', () => {
  const answerEvent = (instrumentId: string) => ({
    Records: [
      {
        messageId: '1',
        body: JSON.stringify({
          version: '0',
          id: 'e-1',
          'detail-type': 'FeedbackSubmitted',
          source: 'alliance-feedback',
          detail: { sessionId: 's-9', clientId: 'c-9', therapistId: 't-7', instrumentId, items: { relationship: 0, goals: 0, approach: 0, overall: 0 }, talk: true, hasComment: false, submittedAt: '2026-11-25T21:00:00.000Z' },
        }),
      } as SQSRecord,
    ],
  });

  it('counts an answer the stored session does not hold as ignored, and evaluates nothing', async () => {
    dynamo.on(GetCommand).resolves({ Item: { sessionId: 's-9', clientId: 'c-9', therapistId: 't-7', endedAt: '2026-11-25T20:00:00.000Z' } });
    const { handler } = (await import('../../../functions/evaluate/handler.ts')) as unknown as { handler: QueueHandler };

    const result = await handler(answerEvent(DEFAULT_INSTRUMENT.id), context('evaluate'));

    expect(result.batchItemFailures).toEqual([]);
    expect(recorded(METRIC.eventIgnored)).toEqual([{ dimensions: { service: FUNCTIONS.evaluate.id }, value: 1, unit: 'Count' }]);
    expect(recorded(METRIC.answerEvaluated)).toEqual([]);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('parks an answer naming an unknown instrument at once, with the reason, and counts it as rejected', async () => {
    const { handler } = (await import('../../../functions/evaluate/handler.ts')) as unknown as { handler: QueueHandler };

    const result = await handler(answerEvent('retired-v0'), context('evaluate'));

    expect(result.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.MessageAttributes?.['reason']?.StringValue)).toEqual([
      'unknown instrument retired-v0: the instrument catalogue does not define it',
    ]);
    expect(recorded(METRIC.eventRejected)).toEqual([{ dimensions: { service: FUNCTIONS.evaluate.id }, value: 1, unit: 'Count' }]);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });
});

describe('alert function', () => {
  const sessionItem = { sk: keys.session('s-9').sk, sessionId: 's-9', clientId: 'c-9', therapistId: 't-7', endedAt: '2026-11-25T20:00:00.000Z', therapist: { email: 'lee@practice.example' } };
  const alertEvent = (kind: string) => ({
    Records: [
      {
        messageId: '1',
        body: JSON.stringify({ version: '0', id: 'e-1', 'detail-type': 'AllianceRuptureDetected', source: 'alliance-feedback', detail: { sessionId: 's-9', clientId: 'c-9', therapistId: 't-7', kind, reason: 'below the floor', score: null, baseline: null } }),
      } as SQSRecord,
    ],
  });

  it('counts the email it sent under the alert kind', async () => {
    // The session and its evaluation come in one query of the session's partition.
    const evaluation = { sessionId: 's-9', endedAt: '2026-11-25T20:00:00.000Z', p: 20, items: {}, n: 0, m: null, s: null, sEff: null, k: null, z: null, alerts: [{ kind: 'low-rating' }], reason: 'below the floor', mostMovedComponent: null };
    dynamo.on(QueryCommand).resolves({ Items: [{ sk: keys.evaluation('s-9').sk, kind: 'answered', instrumentId: DEFAULT_INSTRUMENT.id, evaluation }, sessionItem] });
    // The therapist's address comes from the directory.
    dynamo.on(GetCommand, { Key: keys.therapist('t-7') }).resolves({ Item: { ...keys.therapist('t-7'), therapistId: 't-7', email: 'lee@practice.example', registeredAt: '2026-01-01T00:00:00.000Z', registeredBy: 'administrator' } });
    const { handler } = (await import('../../../functions/alert/handler.ts')) as unknown as { handler: QueueHandler };

    const result = await handler(alertEvent('low-rating'), context('alert'));

    expect(result.batchItemFailures).toEqual([]);
    expect(ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input.Destination?.ToAddresses)).toEqual([['lee@practice.example']]);
    expect(recorded(METRIC.alertEmailSent)).toEqual([{ dimensions: { service: FUNCTIONS.alert.id, kind: 'low-rating' }, value: 1, unit: 'Count' }]);
  });

  it('counts no email for an alert whose therapist is not registered: it waits (no ADMIN_EMAIL here: no notice either)', async () => {
    const evaluation = { sessionId: 's-9', endedAt: '2026-11-25T20:00:00.000Z', p: 20, items: {}, n: 0, m: null, s: null, sEff: null, k: null, z: null, alerts: [{ kind: 'low-rating' }], reason: 'below the floor', mostMovedComponent: null };
    dynamo.on(QueryCommand).resolves({ Items: [{ sk: keys.evaluation('s-9').sk, kind: 'answered', instrumentId: DEFAULT_INSTRUMENT.id, evaluation }, sessionItem] });
    const { handler } = (await import('../../../functions/alert/handler.ts')) as unknown as { handler: QueueHandler };

    const result = await handler(alertEvent('low-rating'), context('alert'));

    expect(result.batchItemFailures).toEqual([]);
    expect(recorded(METRIC.alertEmailSent)).toEqual([]);
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.['type'])).toEqual(['WaitingAlert']);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('counts an alert no stored evaluation raised as ignored, and sends nothing', async () => {
    dynamo.on(QueryCommand).resolves({ Items: [sessionItem] });
    const { handler } = (await import('../../../functions/alert/handler.ts')) as unknown as { handler: QueueHandler };

    const result = await handler(alertEvent('low-rating'), context('alert'));

    expect(result.batchItemFailures).toEqual([]);
    expect(recorded(METRIC.eventIgnored)).toEqual([{ dimensions: { service: FUNCTIONS.alert.id }, value: 1, unit: 'Count' }]);
    expect(recorded(METRIC.alertEmailSent)).toEqual([]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});

describe('web function', () => {
  let handler: WebHandler;
  const { token } = randomTokens.create();
  const ack = randomTokens.create().token;

  beforeAll(async () => {
    ({ handler } = await import('../../../functions/web/handler.ts'));
  });

  it('counts a recorded answer, and writes no EMF for a page view', async () => {
    dynamo.on(GetCommand, { Key: keys.formToken(hashToken(token)) }).resolves({
      Item: { type: 'FormToken', sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', locale: 'en', expiresAt: '2099-01-01T00:00:00.000Z' },
    });
    dynamo.on(GetCommand, { Key: keys.session('s-1') }).resolves({ Item: { pk: 'SESSION#s-1' } });

    await handler(httpEvent('GET', `/f/${token}`));
    expect(emf()).toEqual([]);

    const response = await handler(httpEvent('POST', `/f/${token}`, { body: 'relationship=1&goals=2&approach=3&overall=4', contentType: 'application/x-www-form-urlencoded' }));

    expect(response.statusCode).toBe(303);
    expect(recorded(METRIC.answerRecorded)).toEqual([{ dimensions: { service: FUNCTIONS.web.id }, value: 1, unit: 'Count' }]);
  });

  it('counts the first acknowledgement of an alert with the seconds since its email', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-25T21:30:00.000Z'));
    // The link is read first (has it outlived acknowledgeLinkDays?); the acknowledging update answers with it as it was.
    const link = { type: 'AlertLink', sessionId: 's-6', clientId: 'c-1', therapistId: 't-7', kind: 'rupture', sentAt: '2026-11-25T20:00:00.000Z' };
    dynamo.on(GetCommand, { Key: keys.alertLink(hashToken(ack)) }).resolves({ Item: link });
    dynamo.on(UpdateCommand, { Key: keys.alertLink(hashToken(ack)) }).resolves({ Attributes: link });

    const response = await handler(httpEvent('POST', `/a/${ack}`, { body: '', contentType: 'application/x-www-form-urlencoded' }));

    expect(response.statusCode).toBe(200);
    expect(recorded(METRIC.alertAcknowledged)).toEqual([{ dimensions: { service: FUNCTIONS.web.id }, value: 1, unit: 'Count' }]);
    expect(recorded(METRIC.timeToAcknowledge)).toEqual([{ dimensions: { service: FUNCTIONS.web.id }, value: 5400, unit: 'Seconds' }]);
  });
});

describe('web routes (the counts behind each outcome)', () => {
  let counted: string[];
  let seconds: [string, number][];
  let app: ReturnType<typeof createWebApp>;
  let alerts: FakeAlertStore;
  let feedback: FakeFeedbackStore;
  const clock = new ManualClock(new Date('2026-11-25T21:00:00Z'));

  beforeEach(() => {
    counted = [];
    seconds = [];
    const metrics: MetricsRecorder = {
      count: (name, dimension) => void counted.push(dimension ? `${name}[${dimension.value}]` : name),
      seconds: (name, value) => void seconds.push([name, value]),
    };
    alerts = new FakeAlertStore();
    alerts.links.set('hash-of-ack-1', { sessionId: 's-6', clientId: 'c-1042', therapistId: 't-7', kind: 'rupture', sentAt: '2026-11-25T20:00:00.000Z' });
    feedback = new FakeFeedbackStore();
    const publisher = new RecordingPublisher();
    app = createWebApp({
      feedback: { store: feedback, publisher, clock, instruments: { active: DEFAULT_INSTRUMENT, find: () => DEFAULT_INSTRUMENT } },
      optOut: { store: feedback, publisher, clock },
      acknowledge: { store: alerts, publisher, clock, linkDays: 30 },
      practiceName: 'Riverside Practice',
      practiceTimeZone: 'UTC',
      logger: { info: vi.fn(), error: vi.fn() } as unknown as WebLogger,
      metrics,
    });
  });

  it('counts an acknowledgement and its time once, however often the button is pressed', async () => {
    const post = () => app(httpEvent('POST', '/a/ack-1', { body: '', contentType: 'application/x-www-form-urlencoded' }));

    await post();
    await post();

    expect(counted).toEqual([METRIC.alertAcknowledged]);
    expect(seconds).toEqual([[METRIC.timeToAcknowledge, 3600]]);
  });

  it('counts a post the form cannot take as rejected, and a page view as nothing', async () => {
    feedback.addLink('f-1', { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', locale: 'en', expiresAt: '2099-01-01T00:00:00.000Z' });

    await app(httpEvent('GET', '/f/f-1'));
    await app(httpEvent('POST', '/f/f-1', { body: 'relationship=9', contentType: 'application/x-www-form-urlencoded' }));
    await app(httpEvent('POST', '/f/f-1', { body: 'relationship=1', contentType: 'text/plain' }));

    expect(counted).toEqual([METRIC.answerRejected, METRIC.answerRejected]);
  });

  it('counts a client’s opt-out once, however often the link is used', async () => {
    feedback.addOptOutLink('u-1', { clientId: 'c-1', locale: 'en' });

    await app(httpEvent('POST', '/u/u-1'));
    await app(httpEvent('POST', '/u/u-1'));

    expect(counted).toEqual([METRIC.clientOptedOut]);
  });
});
