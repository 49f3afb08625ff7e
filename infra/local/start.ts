/**
 * `npm start`: the whole pipeline on this machine, in the foreground, until Ctrl-C.
 * Ports come from DYNAMODB_PORT, SES_PORT, BUS_PORT and WEB_PORT (see infra/local/README.md).
 */
import { ConfigurationError } from '../../shared/config.ts';
import { LocalStackError } from './errors.ts';
import { feedPollMinutes } from './feed-poller.ts';
import { fhirPollMinutes } from './fhir/fhir-poller.ts';
import { FHIR_PORT_SETTING, fhirPortFromEnv, PORT_SETTINGS, portsFromEnv } from './ports.ts';
import { startLocalStack, type LocalStack } from './stack.ts';

/** A repeated signal within this window is the same Ctrl-C (tsx relays it to us a second time). */
const SAME_INTERRUPT_MS = 1_000;

async function main(): Promise<void> {
  let stack: LocalStack | undefined;
  let firstSignalAt: number | undefined;
  let stopping: Promise<void> | undefined;

  async function shutdown(code: number): Promise<void> {
    stopping ??= (async () => {
      console.log('Stopping the local stack…');
      await stack?.stop();
      console.log('Stopped.');
      process.exit(code);
    })();
    return stopping;
  }

  // Listening from the start: a Ctrl-C during start-up must still stop Java (killed on exit).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      const now = Date.now();
      if (firstSignalAt === undefined) {
        firstSignalAt = now;
        // During start-up, stop once the parts are up (startLocalStack cleans up after itself on failure).
        if (stack) void shutdown(0);
        else console.log('Stopping as soon as start-up finishes… (Ctrl-C again to exit at once)');
      } else if (now - firstSignalAt > SAME_INTERRUPT_MS) {
        // A second, deliberate Ctrl-C: stop waiting for a clean shutdown. The exit hook of the
        // DynamoDB Local process kills Java on the way out.
        console.log('Forced exit.');
        process.exit(130);
      }
    });
  }

  try {
    stack = await startLocalStack({
      ports: portsFromEnv(),
      // The FHIR R4 stand-in with its fixtures (their finished encounter moved to 30 minutes ago),
      // polled now and every FHIR_POLL_MINUTES; its Practitioner registered as a therapist.
      fhir: { port: fhirPortFromEnv(), fixtures: 'rebase', poll: true, registerFixtureTherapists: true, ...fhirSubscriptionFromEnv() },
      // The signed webhook's secret: yours (so your EHR or script keeps working across restarts), or a new one printed below.
      ...(process.env['WEBHOOK_SECRET'] ? { webhookSecret: process.env['WEBHOOK_SECRET'] } : {}),
      onPartExit: (part, exit) => {
        // A JVM that got the terminal's Ctrl-C exits with 130 just before our own handler runs.
        if (exit.code === 130 || exit.signal === 'SIGINT') return;
        console.error(`${part} stopped on its own; shutting the local stack down.`);
        void shutdown(1);
      },
    });
  } catch (error) {
    // Interrupted while starting: a Ctrl-C reaches every process of the group (tsx's esbuild
    // service, Java), so whatever failed after it is a consequence, not news.
    if (firstSignalAt !== undefined) {
      console.log('Stopped.');
      process.exit(0);
    }
    if (error instanceof LocalStackError || error instanceof ConfigurationError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  if (firstSignalAt !== undefined) return shutdown(0);
  printBanner(stack);
}

/** FHIR_SUBSCRIPTION=id-only|full-resource: the stand-in notifies as a subscribed EHR would. */
function fhirSubscriptionFromEnv(): { subscription?: 'id-only' | 'full-resource' } {
  const value = process.env['FHIR_SUBSCRIPTION'];
  if (value === undefined || value === '') return {};
  if (value === 'id-only' || value === 'full-resource') return { subscription: value };
  throw new LocalStackError(`FHIR_SUBSCRIPTION must be id-only or full-resource, got "${value}"`);
}

function printBanner(stack: LocalStack): void {
  const { endpoints } = stack;
  const row = (label: string, url: string, note: string) => `  ${label.padEnd(22)} ${url.padEnd(24)} ${note}`;
  const lines = [
    '',
    `Alliance Feedback — local stack ready in ${(stack.startupMs / 1000).toFixed(1)} s (Ctrl-C to stop)`,
    '',
    row(PORT_SETTINGS.dynamodb.label, endpoints.dynamodb, `table "${stack.tableName}", in memory`),
    row(PORT_SETTINGS.ses.label, endpoints.ses, `mail viewer ${endpoints.mailViewer} · JSON ${endpoints.mailStore}`),
    row(PORT_SETTINGS.bus.label, endpoints.bus, `bus "${stack.busName}" · dead letters ${endpoints.deadLetters} · also SQS (DLQs) and Scheduler`),
    ...[...stack.queues.values()].map(({ route }) =>
      row(
        '',
        '',
        `route ${route.id}: ${route.contract.detailType} → function "${route.target.id}" (batch ${route.batchSize}, concurrency ${route.maxConcurrency}, dead-letter after ${route.maxReceiveCount} failures)`,
      ),
    ),
    row(PORT_SETTINGS.web.label, endpoints.web, `health ${endpoints.health} · feedback links ${endpoints.web}/f/<token>`),
    ...(process.env['ICS_FEEDS'] ? [row('Calendar feeds', '', `ICS_FEEDS polled now and every ${feedPollMinutes(process.env)} min · npx alliance feeds poll polls at once`)] : []),
    row('', '', `signed webhook POST ${stack.webhook.url}`),
    ...(stack.fhir
      ? [
          row(FHIR_PORT_SETTING.label, stack.fhir.baseUrl, `FHIR R4 base (${FHIR_PORT_SETTING.env}) · token ${stack.fhir.tokenUrl} · client ${stack.fhir.clientId}`),
          row('', '', `polled now and every ${fhirPollMinutes(process.env)} min · PUT Patient/Practitioner/Encounter to add · npx alliance fhir poll polls at once`),
          row('', '', `subscription notifications POST ${stack.fhir.notificationUrl} (Authorization: Bearer <FHIR notification secret>)`),
          row('', '', process.env['FHIR_SUBSCRIPTION'] ? `subscribed (${process.env['FHIR_SUBSCRIPTION']}): a PUT that finishes an Encounter is notified at once` : 'FHIR_SUBSCRIPTION=id-only|full-resource npm start: the stand-in notifies each finished Encounter at once'),
        ]
      : []),
    '',
    // Printed only when this start made it: a WEBHOOK_SECRET of your own stays off the screen.
    process.env['WEBHOOK_SECRET'] ? 'Webhook secret: yours (WEBHOOK_SECRET)' : `Webhook secret (new each start; set WEBHOOK_SECRET to keep one): ${stack.webhook.secret}`,
    ...(stack.fhir ? [`FHIR notification secret (new each start): ${stack.fhir.notificationSecret}`] : []),
    '',
    'Send a test event:  npm run send-session',
    '',
  ];
  console.log(lines.join('\n'));
}

await main();
