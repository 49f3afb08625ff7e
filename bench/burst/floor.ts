/**
 * The floor of the local burst: the AWS calls one feedback request makes, made straight from the
 * bench with fresh SDK clients against the same local endpoints, with no bus routing, queue,
 * handler, use case or logging in between. What the local burst cannot beat on this machine with
 * these parts (AWS SDK v3, DynamoDB Local, the SES emulator, one Node thread), measured in the same
 * run so that the product's p99 is read as a ratio to it.
 *
 * Per session, as the product does (request function, then the follow-up function):
 *   PutEvents (ingress, 10 sessions per call) → PutItem (claim) → UpdateItem (client slot) →
 *   SendEmail (the email: latency stops here) → PutItem (form token) → PutEvents (FeedbackRequested)
 *   → CreateSchedule × 2 (reminder, expiry).
 * The events use a detail-type no route matches, and the schedules fire in 2099, so the floor
 * starts no product work of its own. Items go under a `FLOOR#` partition no product code reads.
 */
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { LOCAL_ADMINISTRATOR_CREDENTIALS, LOCAL_CREDENTIALS } from '../../infra/local/dynamodb-local.ts';
import { renderFeedbackRequestEmail } from '../../shared/domain/templates/feedback-request-email.ts';
import { startCpuMeter, type CpuPerSession } from '../lib/cpu.ts';
import type { BenchStack } from '../local/bench-stack.ts';
import { batchesOf, pool, summarize, type LatencySummary } from './burst.ts';

export interface FloorOptions {
  sessions: number;
  /** Batches of 10 sessions in flight at once (the sessions of a batch run side by side). */
  batchesInFlight: number;
}

export interface FloorResult {
  sessions: number;
  /** AWS calls per session (the ingress PutEvents counts a tenth). */
  callsPerSession: number;
  emails: { latency: LatencySummary; throughputPerSecond: number };
  /** CPU per session: this Node process (SDK clients plus the in-process stand-ins) and the DynamoDB Local JVM. */
  cpuMsPerSession: CpuPerSession;
}

const CALLS_PER_SESSION = 0.1 + 7;

export async function runFloor(bench: BenchStack, options: FloorOptions): Promise<FloorResult> {
  const { stack } = bench;
  const config = { region: stack.region, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...config, endpoint: stack.endpoints.dynamodb });
  const ses = new SESv2Client({ ...config, endpoint: stack.endpoints.ses });
  // Its own bench.floor events are no EHR's SessionCompleted: put them as the administrator, whom
  // the bus's policy lets put any event but the product's.
  const events = new EventBridgeClient({ ...config, credentials: LOCAL_ADMINISTRATOR_CREDENTIALS, endpoint: stack.endpoints.bus });
  const scheduler = new SchedulerClient({ ...config, endpoint: stack.endpoints.bus });
  const busArn = `arn:aws:events:${stack.region}:000000000000:event-bus/${stack.busName}`;
  const email = renderFeedbackRequestEmail({
    locale: 'en',
    firstName: 'Floor',
    practiceName: 'Bench Practice',
    timeZone: 'UTC',
    formUrl: `${stack.endpoints.web}/f/${'x'.repeat(43)}`,
    optOutUrl: `${stack.endpoints.web}/u/${'x'.repeat(43)}`,
    expiresAt: new Date('2099-01-01T00:00:00Z'),
  });
  const run = `${Date.now().toString(36)}`;
  const ids = Array.from({ length: options.sessions }, (_, index) => `floor-${run}-${index}`);

  const session = async (id: string): Promise<number> => {
    const key = { pk: { S: `FLOOR#${id}` }, sk: { S: 'SESSION' } };
    await dynamodb.send(
      new PutItemCommand({
        TableName: stack.tableName,
        Item: { ...key, status: { S: 'requested' }, clientId: { S: id }, tokenHash: { S: 'h'.repeat(43) }, requestedAt: { S: new Date().toISOString() } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: stack.tableName,
        Key: { pk: { S: `FLOOR#${id}` }, sk: { S: 'PROFILE' } },
        UpdateExpression: 'SET lastSessionId = :session, lastEndedAt = :ended',
        ConditionExpression: 'attribute_not_exists(lastEndedAt) OR lastEndedAt < :ended',
        ExpressionAttributeValues: { ':session': { S: id }, ':ended': { S: new Date().toISOString() } },
      }),
    );
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'feedback@practice.example',
        Destination: { ToAddresses: [`${id}@client.example`] },
        Content: { Simple: { Subject: { Data: email.subject }, Body: { Text: { Data: email.text }, Html: { Data: email.html } } } },
      }),
    );
    const emailedAt = performance.now();
    await dynamodb.send(new PutItemCommand({ TableName: stack.tableName, Item: { pk: { S: `FLOOR#${id}` }, sk: { S: 'TOKEN' }, sessionId: { S: id }, expiresAt: { S: '2099-01-01T00:00:00.000Z' } } }));
    await events.send(new PutEventsCommand({ Entries: [{ EventBusName: stack.busName, Source: 'bench.floor', DetailType: 'BenchFloorRequested', Detail: JSON.stringify({ sessionId: id }) }] }));
    await Promise.all(
      ['reminder', 'expiry'].map((kind) =>
        scheduler.send(
          new CreateScheduleCommand({
            Name: `${id}-${kind}`.slice(0, 64),
            GroupName: 'local-follow-ups',
            ScheduleExpression: 'at(2099-01-01T00:00:00)',
            ScheduleExpressionTimezone: 'UTC',
            FlexibleTimeWindow: { Mode: 'OFF' },
            ActionAfterCompletion: 'DELETE',
            Target: {
              Arn: busArn,
              RoleArn: 'arn:aws:iam::000000000000:role/local-scheduler',
              Input: JSON.stringify({ sessionId: id }),
              EventBridgeParameters: { Source: 'bench.floor', DetailType: 'BenchFloorFollowUp' },
            },
          }),
        ),
      ),
    );
    return emailedAt;
  };

  const cpu = startCpuMeter(stack.dynamoDbPid);
  const started = performance.now();
  const emailedAt: number[] = [];
  try {
    await pool(batchesOf(ids, 10), options.batchesInFlight, async (batch) => {
      await events.send(
        new PutEventsCommand({ Entries: batch.map((id) => ({ EventBusName: stack.busName, Source: 'bench.floor', DetailType: 'BenchFloorCompleted', Detail: JSON.stringify({ sessionId: id }) })) }),
      );
      emailedAt.push(...(await Promise.all(batch.map(session))));
    });
  } finally {
    for (const client of [dynamodb, ses, events, scheduler]) client.destroy();
  }
  const cpuMsPerSession = cpu.perSession(ids.length);
  const latencies = emailedAt.map((at) => at - started);
  return {
    sessions: ids.length,
    callsPerSession: CALLS_PER_SESSION,
    emails: { latency: summarize(latencies), throughputPerSecond: (ids.length / (Math.max(...latencies) || 1)) * 1000 },
    cpuMsPerSession,
  };
}
