/**
 * The local stack: the product's whole pipeline on a laptop, with real stand-ins — DynamoDB Local,
 * the SES emulator, an EventBridge-compatible bus with a queue per route, and a web server in
 * front of the web function. The topology comes from infra/routes.ts and the event contracts, the
 * same sources the CDK stack is built from. `npm start` and the integration tests both use it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EVENT_ROUTES, FUNCTIONS, HTTP_ROUTES, type EventRoute } from '../routes.ts';
import { productPublisherOf } from '../function-access.ts';
import { DEFAULT_BUS_NAME } from '../../shared/events/contracts.ts';
import { setClock, systemClock } from '../../shared/adapters/clock.ts';
import { DEFAULT_TABLE_NAME } from '../../shared/adapters/table.ts';
import type { Clock } from '../../shared/use-cases/ports.ts';
import type { PolicyDocumentJson } from '../policy-document.ts';
import { describeBody, redriveDeadLetters, type DeadLetter } from './dead-letters.ts';
import { faultInjectorFromEnv, type FaultInjector } from './faults.ts';
import { feedPollMinutes, LocalFeedPoller, type FeedsHandler } from './feed-poller.ts';
import { LocalDigestClock, type DigestDispatchHandler } from './digest-clock.ts';
import type { DispatchReport } from '../../shared/use-cases/send-digest.ts';
import type { PollReport } from '../../shared/use-cases/poll-calendar-feeds.ts';
import { asFunction } from './function-context.ts';
import { localIam } from './function-policies.ts';
import { BUS_CALLERS, iamEnforcementFromEnv, IamEnforcer, validatePolicy, type FunctionPolicies, type IamDenial, type IamEnforcementStats } from './iam-enforcement.ts';
import { functionClients } from './sdk-seam.ts';
import { createTable, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.ts';
import { LocalStackError } from './errors.ts';
import { LocalEventBus, type EntryResult, type EventEnvelope } from './event-bus.ts';
import { assertSupportedPattern } from './event-pattern.ts';
import { deadLetterQueueName, functionEnvironment, functionsToRun, loadFunction, type StackEnvironment } from './functions.ts';
import { DEFAULT_RETRY, lambdaContext, LocalQueue, type QueueStats, type RetryPolicy, type SqsHandler } from './local-queue.ts';
import { consoleLog, silentLog, type LogLine } from './log.ts';
import { assertPortFree, findFreePort, LOCAL_HOST, PORT_SETTINGS, type LocalPorts } from './ports.ts';
import { LocalScheduler, type LocalSchedule } from './scheduler.ts';
import { startSesEmulator, type SesEmulator } from './ses-emulator.ts';
import { LocalSecretsManager, LOCAL_SECRET_NAMES, localSecretArn } from './secrets-emulator.ts';
import { generateWebhookSecret, isWebhookSecret } from '../../shared/adapters/webhook-secret.ts';
import { waitFor } from './wait.ts';
import { exportJWK, generateKeyPair } from 'jose';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTherapistDirectory } from '../../shared/adapters/dynamodb-therapist-directory.ts';
import type { FhirPollResult } from '../../shared/use-cases/poll-fhir-encounters.ts';
import { LOCAL_CREDENTIALS } from './dynamodb-local.ts';
import { LOCAL_FHIR_CLIENT_ID, LocalFhirServer } from './fhir/fhir-server.ts';
import { fhirPollMinutes, LocalFhirPoller, type FhirHandler } from './fhir/fhir-poller.ts';
import { LocalWebServer, type HealthReport, type HttpHandler } from './web-server.ts';

/** The account id local ARNs and queue URLs carry (the one AWS's own local tools use). */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LocalStackOptions {
  /** Ports per part; missing ones default to PORT_SETTINGS' defaults; 0 picks any free port. */
  ports?: Partial<LocalPorts>;
  /** Keep DynamoDB data in memory (default) or in `dataDir` across restarts. */
  inMemory?: boolean;
  dataDir?: string;
  /** The clock the functions see (e.g. a ManualClock in tests). Queue timing stays real. */
  clock?: Clock;
  /** No console lines from the stack, and the functions' own logs silenced unless POWERTOOLS_LOG_LEVEL is set. */
  quiet?: boolean;
  /** Where console lines go (default: console.log). */
  write?: (line: string) => void;
  /** Backoff of failed messages before they become visible again. */
  retry?: RetryPolicy;
  region?: string;
  /** How often the scheduler stand-in looks for due schedules (real time; the clock decides what is due). */
  schedulerIntervalMs?: number;
  /** Sees every event the bus accepts, with its bus (tests use it to check what was published). */
  onEvent?: (event: EventEnvelope, bus: string) => void;
  /** Called when a part stops on its own after start-up (today: the DynamoDB Local process). */
  onPartExit?: (part: 'dynamodb', exit: { code: number | null; signal: NodeJS.Signals | null }) => void;
  /** Tests only: faults injected into the functions' SDK calls (see faults.ts); default from ALLIANCE_FAULTS. */
  faults?: FaultInjector;
  /**
   * Evaluate every SDK call of a function against its IAM policy and refuse what AWS would refuse
   * (iam-enforcement.ts). Default: on, unless `ALLIANCE_IAM=off`.
   */
  iam?: boolean;
  /**
   * Each function's IAM policy (default: the local stack's policies, function-policies.ts).
   * `defaults` is that default, e.g. to take one statement out in a test.
   */
  functionPolicies?: (functionId: string, defaults: FunctionPolicies) => PolicyDocumentJson | undefined;
  /** The sources the integration policy allows callers from outside the stack (default: any but the product's), as `-c integrationSources`. */
  integrationSources?: readonly string[];
  /** The signed webhook's `whsec_` secret (npm start: WEBHOOK_SECRET); default: a new one each start. */
  webhookSecret?: string;
  /**
   * The calendar feeds the feeds function reads, as ICS_FEEDS. Given here (tests), they are polled
   * only by `pollFeeds()`; taken from ICS_FEEDS (`npm start`), also at start and every ICS_POLL_MINUTES.
   */
  icsFeeds?: string;
  /**
   * Runs the local FHIR R4 stand-in (infra/local/fhir/fhir-server.ts) and points the fhir function
   * at it, with a backend app key made at start (its private half in the Secrets Manager stand-in,
   * its public half registered with the stand-in). `poll`: also poll at start and every
   * FHIR_POLL_MINUTES (npm start); tests poll with `pollFhir()`. `registerFixtureTherapists`: put
   * the fixtures' Practitioner in the therapist directory (npm start's demo). `subscription`: the
   * stand-in subscribes the notification route (handshake at start, then a notification of that
   * content each time a PUT finishes an Encounter), as an EHR's Subscription would.
   */
  fhir?: { port: number; tokenLifetimeSeconds?: number; fixtures?: boolean | 'rebase'; poll?: boolean; registerFixtureTherapists?: boolean; subscription?: 'id-only' | 'full-resource' };
}

/** The fixtures' Practitioner (infra/local/fhir/fixtures.json), as npm start registers it. */
const FIXTURE_THERAPIST = { therapistId: 'pr-dana', email: 'dana@practice.example', name: 'Dana Rivera' };

export interface LocalStack {
  endpoints: {
    dynamodb: string;
    ses: string;
    /** The SES emulator's mail viewer (a web page) and its JSON listing. */
    mailViewer: string;
    mailStore: string;
    bus: string;
    deadLetters: string;
    web: string;
    health: string;
  };
  ports: LocalPorts;
  region: string;
  tableName: string;
  busName: string;
  /** Everything parked in the local dead-letter queues, oldest first (live, read-only view). */
  deadLetters: readonly DeadLetter[];
  /** Each route's queue with its counters, by route id. */
  queues: ReadonlyMap<string, { route: EventRoute; url: string; deadLetterQueueUrl: string; stats(): QueueStats }>;
  /** The EventBridge Scheduler stand-in: its schedules, and a way to fire the due ones now (after advancing a ManualClock). */
  scheduler: { list(): LocalSchedule[]; fireDue(): Promise<number> };
  /** SDK calls of the functions refused by IAM enforcement, oldest first (empty when it is off). */
  iamDenials(): readonly IamDenial[];
  /** What IAM enforcement evaluated and how long it took (undefined when it is off). */
  iamStats(): IamEnforcementStats | undefined;
  /**
   * Test seam: puts product events on the bus as the product's own role that publishes each one (a
   * function, or the scheduler's), held to that role's policy and the bus's, as when the product
   * publishes it again (a redelivery, a schedule firing). Outside callers cannot: the bus refuses
   * the product's source to them.
   */
  putEventsAsProduct(entries: readonly PutEntry[]): Promise<{ FailedEntryCount: number; Entries: EntryResult[] }>;
  /**
   * The signed webhook: its URL, the secret it verifies with at start (rotations go through the
   * Secrets Manager stand-in, as `npx alliance webhook-secret rotate` does), and that secret's ARN.
   */
  webhook: { url: string; secret: string; secretArn: string };
  /** Runs one poll of the calendar feeds now (the feeds function, as its schedule would), and returns its report. */
  pollFeeds(): Promise<PollReport>;
  /** Runs the weekly digest's hourly dispatch now (the digest-dispatch function, as its schedule would), and returns its report. */
  dispatchDigests(): Promise<DispatchReport>;
  /** The FHIR stand-in (with the `fhir` option): its base and token URLs, and the server itself (tests add resources, expire tokens, inject failures). */
  fhir: { baseUrl: string; tokenUrl: string; clientId: string; server: LocalFhirServer; notificationUrl: string; notificationSecret: string } | undefined;
  /** Runs one poll of the FHIR source now (the fhir function, as its schedule would); rejects, with the report on the error, when the poll failed. */
  pollFhir(): Promise<FhirPollResult | { status: 'not-configured' }>;
  /** Process id of DynamoDB Local's Java process. */
  dynamoDbPid: number | undefined;
  /** Milliseconds from the call to ready. */
  startupMs: number;
  health(): HealthReport;
  /** Resolves once every queue is empty and no function is running (bounded: rejects after `timeoutMs`). */
  waitForIdle(timeoutMs?: number): Promise<void>;
  /** Stops every part (idempotent: later calls return the same promise). */
  stop(): Promise<void>;
}

/** One PutEvents entry. */
export interface PutEntry {
  EventBusName?: string;
  Source: string;
  DetailType: string;
  Detail: string;
}

let running: LocalStack | undefined;

/** Starts every part, resolves once all are ready; on failure stops what had started and rethrows. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (running) throw new LocalStackError('A local stack is already running in this process; stop it before starting another.');
  const started = performance.now();
  const log: LogLine = options.quiet ? silentLog : consoleLog(options.write);
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? systemClock;
  const tableName = DEFAULT_TABLE_NAME;
  const busName = DEFAULT_BUS_NAME;
  const requested: LocalPorts = {
    dynamodb: options.ports?.dynamodb ?? PORT_SETTINGS.dynamodb.defaultPort,
    ses: options.ports?.ses ?? PORT_SETTINGS.ses.defaultPort,
    bus: options.ports?.bus ?? PORT_SETTINGS.bus.defaultPort,
    web: options.ports?.web ?? PORT_SETTINGS.web.defaultPort,
  };
  for (const route of EVENT_ROUTES) {
    try {
      assertSupportedPattern(route.contract.pattern);
    } catch (error) {
      throw new LocalStackError(`Route ${route.id} cannot run locally: ${(error as Error).message}`);
    }
  }
  // Fail on a taken port before spending four seconds starting Java.
  for (const part of Object.keys(requested) as (keyof LocalPorts)[]) {
    if (requested[part] !== 0) await assertPortFree(requested[part], part);
  }

  if (options.webhookSecret !== undefined && !isWebhookSecret(options.webhookSecret)) {
    throw new LocalStackError('WEBHOOK_SECRET must be a Standard Webhooks secret: whsec_ followed by at least 24 bytes of base64 (npx alliance webhook-secret generate makes one).');
  }
  const webhookSecret = options.webhookSecret ?? generateWebhookSecret();
  // The stack's secrets, read by the functions with the real SDK (secrets-emulator.ts).
  const secretsManager = new LocalSecretsManager({ region, accountId: LOCAL_ACCOUNT_ID, now: () => clock.now() });
  secretsManager.put(LOCAL_SECRET_NAMES.webhook, JSON.stringify({ current: webhookSecret }));

  const deadLetters: DeadLetter[] = [];
  // Bodies of the parked messages, by dead letter id: never listed, only sent again by a redrive.
  const deadLetterBodies = new Map<string, string>();
  const queues = new Map<string, { route: EventRoute; queue: LocalQueue; url: string; deadLetterQueueUrl: string }>();
  const previousEnv = { ...process.env };
  let dynamo: DynamoDbLocal | undefined;
  let ses: SesEmulator | undefined;
  let state: 'starting' | 'ready' | 'stopping' = 'starting';
  const dynamoPort = requested.dynamodb === 0 ? await findFreePort() : requested.dynamodb;
  // Java takes seconds to boot: start it first and bring up everything else meanwhile.
  const dynamoStarting = startDynamoDbLocal({
    port: dynamoPort,
    inMemory: options.inMemory ?? true,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    onUnexpectedExit: (exit) => {
      if (state === 'stopping') return;
      // 130: the JVM got SIGINT, i.e. the terminal's Ctrl-C reached it before our own shutdown.
      const interrupted = exit.code === 130 || exit.signal === 'SIGINT';
      log('dynamodb', interrupted ? 'DynamoDB Local was interrupted' : `DynamoDB Local exited unexpectedly (${exit.signal ?? `code ${exit.code}`}); /health reports degraded`);
      options.onPartExit?.('dynamodb', exit);
    },
  }).then((handle) => (dynamo = handle));
  // Keep a start-up failure from surfacing as an unhandled rejection before it is awaited.
  dynamoStarting.catch(() => undefined);

  const bus = new LocalEventBus({
    port: requested.bus,
    region,
    accountId: LOCAL_ACCOUNT_ID,
    busName,
    clock,
    log,
    recordDeadLetter: (entry, body) => {
      deadLetters.push(entry);
      deadLetterBodies.set(entry.messageId, body);
      log('dead-letter', describeDeadLetter(entry));
    },
    listDeadLetters: () => deadLetters,
    redriveDeadLetters: (request) => {
      const result = redriveDeadLetters(deadLetters, deadLetterBodies, request, (entry, body) =>
        queues.get(entry.route ?? '')?.queue.send(body, { detailType: entry.detailType ?? 'message', eventId: entry.eventId ?? entry.messageId }),
      );
      if (!request.dryRun) for (const entry of result.moved) log('dead-letter', `${entry.queue} → ${entry.route}: ${entry.detailType ?? 'message'} redriven (was: ${entry.reason})`);
      return result;
    },
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  // One-time schedules put their event on this bus when the clock says they are due.
  const scheduler = new LocalScheduler(
    clock,
    async (entry) => {
      // As the scheduler's role, which the bus's policy lets put the product's follow-up events.
      const result = await bus.putEntries([entry], { caller: 'scheduler' });
      const refused = result.Entries[0];
      if (refused && 'ErrorCode' in refused) throw new Error(`the bus refused a scheduled ${entry.DetailType}: ${refused.ErrorCode}`);
    },
    region,
    LOCAL_ACCOUNT_ID,
  );
  const web = new LocalWebServer({
    port: requested.web,
    region,
    accountId: LOCAL_ACCOUNT_ID,
    log,
    health: () => health(),
    context: () => lambdaContext(FUNCTIONS.web, { region, accountId: LOCAL_ACCOUNT_ID }),
  });

  const health = (): HealthReport => {
    const dynamoState = dynamo ? (dynamo.exited ? 'down' : 'up') : 'starting';
    const ready = state === 'ready';
    const parts: HealthReport['parts'] = {
      dynamodb: { state: dynamoState, url: `http://${LOCAL_HOST}:${dynamoPort}`, table: tableName, pid: dynamo?.pid },
      ses: { state: ses ? 'up' : 'starting', url: ses?.endpoint, mailViewer: ses ? `${ses.endpoint}/` : undefined },
      bus: {
        state: ready ? 'up' : 'starting',
        url: bus.endpoint,
        bus: busName,
        routes: [...queues.keys()],
        deadLetters: deadLetters.length,
        schedules: scheduler.list().length,
      },
      web: { state: ready ? 'up' : 'starting', url: web.endpoint },
    };
    const states = Object.values(parts).map((part) => part.state);
    const status = state === 'stopping' ? 'stopping' : states.includes('down') ? 'degraded' : states.every((part) => part === 'up') ? 'ok' : 'starting';
    return { status, parts };
  };

  const stopSteps: { name: string; run: () => Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      state = 'stopping';
      // Outside in: no new requests, then let running functions finish (they still need the bus,
      // SES and DynamoDB), then the stand-ins themselves.
      for (const step of stopSteps) {
        try {
          await step.run();
        } catch (error) {
          log('stack', `stopping ${step.name} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      await dynamoStarting.then((handle) => handle.stop()).catch(() => undefined);
      setClock(systemClock);
      restoreEnvironment(previousEnv);
      if (running === handle) running = undefined;
    })();
    return stopping;
  };
  stopSteps.push({ name: 'the web server', run: () => web.stop() });
  stopSteps.push({ name: 'the scheduler', run: async () => scheduler.stop() });
  stopSteps.push({
    name: 'the queues',
    run: () => withTimeout(Promise.all([...queues.values()].map(({ queue }) => queue.stop())).then(() => undefined), 10_000),
  });
  stopSteps.push({ name: 'the bus', run: () => bus.stop() });
  stopSteps.push({ name: 'the SES emulator', run: async () => ses?.stop() });

  let handle: LocalStack | undefined;
  try {
    await bus.listen();
    await web.listen();
    ses = await startSesEmulator({ port: requested.ses });
    let fhirServer: LocalFhirServer | undefined;
    let fhirNotificationSecret = '';
    if (options.fhir) {
      fhirServer = new LocalFhirServer({
        port: options.fhir.port,
        now: () => clock.now(),
        log,
        ...(options.fhir.tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds: options.fhir.tokenLifetimeSeconds }),
        fixtures: options.fhir.fixtures ?? true,
      });
      const server = fhirServer;
      stopSteps.push({ name: 'the FHIR stand-in', run: () => server.stop() });
      await fhirServer.listen();
      // The practice's registration of the backend app: its public key with the EHR, its private key in Secrets Manager.
      const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
      const kid = randomUUID();
      fhirServer.registerClient({ clientId: LOCAL_FHIR_CLIENT_ID, publicJwk: { ...(await exportJWK(publicKey)), alg: 'ES384', kid } });
      secretsManager.put(LOCAL_SECRET_NAMES.fhirClientKey, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES384', kid }));
      fhirNotificationSecret = randomBytes(24).toString('base64url');
      secretsManager.put(LOCAL_SECRET_NAMES.fhirNotification, fhirNotificationSecret);
    }
    const ports: LocalPorts = { dynamodb: dynamoPort, ses: ses.port, bus: bus.port, web: web.port };
    const endpoints = { dynamodb: `http://${LOCAL_HOST}:${dynamoPort}`, ses: ses.endpoint, bus: bus.endpoint, web: web.endpoint };

    const stackEnvironment = {
      region,
      accountId: LOCAL_ACCOUNT_ID,
      endpoints,
      tableName,
      busName,
      queueUrl: (name: string) => bus.queueUrl(name),
      quiet: options.quiet ?? false,
      fhir: fhirServer ? { baseUrl: fhirServer.baseUrl, tokenUrl: fhirServer.tokenUrl, clientId: LOCAL_FHIR_CLIENT_ID } : undefined,
    };
    if (options.clock) setClock(options.clock);
    const developerEnv = options.icsFeeds === undefined ? previousEnv : { ...previousEnv, ICS_FEEDS: options.icsFeeds };
    // One function at a time: each module reads its environment while it is being imported.
    const handlers = new Map<string, unknown>();
    for (const fn of functionsToRun(EVENT_ROUTES)) {
      handlers.set(fn.id, await loadFunction(fn, functionEnvironment(fn, EVENT_ROUTES, stackEnvironment, developerEnv)));
    }
    const faults = options.faults ?? faultsFromEnvironment(previousEnv);
    if (faults) {
      // The functions' SDK clients live as long as this process; the middleware goes when the stack does.
      const detach = faults.attach(functionClients());
      stopSteps.push({ name: 'fault injection', run: async () => detach() });
      log('stack', 'fault injection is on: SDK calls of the functions may fail on purpose');
    }
    const iam = (options.iam ?? iamEnforcementFromEnv(previousEnv)) ? await iamEnforcer(options, stackEnvironment, log) : undefined;
    if (iam) {
      const detach = iam.attach(functionClients());
      stopSteps.push({ name: 'IAM enforcement', run: async () => detach() });
      // The bus authorizes each entry by its caller, with the stack's bus policy: a caller from
      // outside the stack is the EHR integration, and may put SessionCompleted only.
      bus.setAuthorization({ callerOf: (headers) => iam.busCallerOf(headers), refuse: (caller, entry) => iam.authorizeBusEntry(caller, entry) });
      log('stack', "IAM is enforced: each function's AWS calls are checked against its policy, and the bus's policy holds callers from outside to the integration policy (ALLIANCE_IAM=off turns this off)");
    }

    const retry = options.retry ?? DEFAULT_RETRY;
    for (const route of EVENT_ROUTES) {
      const dlqName = deadLetterQueueName(route);
      const queue: LocalQueue = new LocalQueue({
        name: route.id,
        route,
        // Each invocation runs as its function, so IAM enforcement knows whose policy applies.
        handler: asFunction(route.target.id, handlers.get(route.target.id) as SqsHandler),
        region,
        accountId: LOCAL_ACCOUNT_ID,
        clock,
        retry,
        log,
        moveToDeadLetterQueue: ({ body, reason, receiveCount }) => {
          const entry: DeadLetter = {
            messageId: randomUUID(),
            queue: dlqName,
            route: route.id,
            origin: 'max-receive-count',
            reason,
            ...describeBody(body),
            receiveCount,
            at: clock.now().toISOString(),
          };
          deadLetters.push(entry);
          deadLetterBodies.set(entry.messageId, body);
          log('dead-letter', describeDeadLetter(entry));
        },
      });
      queues.set(route.id, { route, queue, url: bus.queueUrl(route.id), deadLetterQueueUrl: bus.queueUrl(dlqName) });
    }
    bus.setTargets({
      routes: [...queues.values()].map(({ route, queue }) => ({ route, queue })),
      deadLetterQueues: new Map([...queues.values()].map(({ route, queue }) => [deadLetterQueueName(route), { route, queue }])),
      restServices: [(request, response, body) => scheduler.handle(request, response, body)],
      jsonServices: [(target, input) => secretsManager.handle(target, input)],
    });
    web.setHandler(asFunction(FUNCTIONS.web.id, handlers.get(FUNCTIONS.web.id) as HttpHandler));
    web.setRoutes(
      HTTP_ROUTES.map((route) => ({
        method: route.method,
        path: route.path,
        handler: asFunction(route.target.id, handlers.get(route.target.id) as HttpHandler),
        context: () => lambdaContext(route.target, { region, accountId: LOCAL_ACCOUNT_ID }),
      })),
    );

    await dynamoStarting;
    await createTable(endpoints.dynamodb, tableName);
    scheduler.start(options.schedulerIntervalMs ?? 1_000);
    const feedPoller = new LocalFeedPoller(handlers.get(FUNCTIONS.feeds.id) as FeedsHandler, log);
    stopSteps.unshift({ name: 'the feed poller', run: () => feedPoller.stop() });
    if (developerEnv['ICS_FEEDS'] && options.icsFeeds === undefined) feedPoller.start(feedPollMinutes(previousEnv));
    const digestClock = new LocalDigestClock(handlers.get(FUNCTIONS.digestDispatch.id) as DigestDispatchHandler, clock, log);
    stopSteps.unshift({ name: 'the digest clock', run: () => digestClock.stop() });
    // Tests dispatch by hand (a ManualClock's hours do not pass by themselves); npm start every hour.
    if (!options.clock) digestClock.start();
    if (options.fhir?.registerFixtureTherapists) {
      const table = DynamoDBDocumentClient.from(new DynamoDBClient({ region, endpoint: endpoints.dynamodb, credentials: LOCAL_CREDENTIALS }));
      try {
        await new DynamoDbTherapistDirectory(tableName, table).save(FIXTURE_THERAPIST, clock.now().toISOString());
      } finally {
        table.destroy();
      }
    }
    const fhirPoller = new LocalFhirPoller(handlers.get(FUNCTIONS.fhir.id) as FhirHandler, log);
    stopSteps.unshift({ name: 'the FHIR poller', run: () => fhirPoller.stop() });
    if (options.fhir?.poll) fhirPoller.start(fhirPollMinutes(previousEnv));
    if (fhirServer && options.fhir?.subscription) {
      const endpoint = `${endpoints.web}${HTTP_ROUTES.find((route) => route.target === FUNCTIONS.fhir)!.path}`;
      const handshake = await fhirServer.subscribe({ endpoint, secret: fhirNotificationSecret, content: options.fhir.subscription });
      if (handshake !== 200) throw new LocalStackError(`The FHIR stand-in's subscription handshake was answered ${handshake}, not 200`);
    }
    state = 'ready';

    handle = {
      endpoints: {
        dynamodb: endpoints.dynamodb,
        ses: endpoints.ses,
        mailViewer: `${endpoints.ses}/`,
        mailStore: `${endpoints.ses}/store`,
        bus: endpoints.bus,
        deadLetters: `${endpoints.bus}/dead-letters`,
        web: endpoints.web,
        health: `${endpoints.web}/health`,
      },
      ports,
      region,
      tableName,
      busName,
      deadLetters,
      queues: new Map(
        [...queues.entries()].map(([id, { route, queue, url, deadLetterQueueUrl }]) => [id, { route, url, deadLetterQueueUrl, stats: () => queue.stats() }]),
      ),
      scheduler: { list: () => scheduler.list(), fireDue: () => scheduler.fireDue() },
      iamDenials: () => iam?.denials() ?? [],
      iamStats: () => iam?.stats(),
      putEventsAsProduct: async (entries) => {
        const results: EntryResult[] = [];
        for (const entry of entries) {
          const caller = productPublisherOf(entry.DetailType);
          if (caller === undefined) throw new LocalStackError(`No product principal publishes ${entry.DetailType}`);
          results.push(...(await bus.putEntries([{ EventBusName: busName, ...entry }], { caller })).Entries);
        }
        return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
      },
      webhook: { url: `${endpoints.web}${HTTP_ROUTES.find((route) => route.target === FUNCTIONS.hooks)!.path}`, secret: webhookSecret, secretArn: localSecretArn({ region, accountId: LOCAL_ACCOUNT_ID }, LOCAL_SECRET_NAMES.webhook) },
      pollFeeds: () => feedPoller.poll(),
      dispatchDigests: () => digestClock.dispatch(),
      fhir: fhirServer
        ? {
            baseUrl: fhirServer.baseUrl,
            tokenUrl: fhirServer.tokenUrl,
            clientId: LOCAL_FHIR_CLIENT_ID,
            server: fhirServer,
            notificationUrl: `${endpoints.web}${HTTP_ROUTES.find((route) => route.target === FUNCTIONS.fhir)!.path}`,
            notificationSecret: fhirNotificationSecret,
          }
        : undefined,
      pollFhir: () => fhirPoller.poll(),
      dynamoDbPid: dynamo?.pid,
      startupMs: Math.round(performance.now() - started),
      health,
      waitForIdle: async (timeoutMs = 15_000) => {
        await waitFor(() => [...queues.values()].every(({ queue }) => queue.isIdle()), { timeoutMs, intervalMs: 20, description: 'the local queues to drain' });
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
  running = handle;
  return handle;
}

function describeDeadLetter(entry: DeadLetter): string {
  const what = [entry.detailType ?? 'message', entry.eventId ? entry.eventId.slice(0, 8) : undefined].filter(Boolean).join(' ');
  const by = entry.origin === 'function' ? 'parked by the function' : 'moved after too many failures';
  return `${entry.queue} ← ${what} (${by}): ${entry.reason}`;
}

/**
 * The enforcer with each function's policy, checked before any function runs: a policy AWS would
 * reject must not quietly deny everything.
 */
async function iamEnforcer(options: LocalStackOptions, stack: StackEnvironment, log: LogLine): Promise<IamEnforcer> {
  const local = localIam(stack, process.env, options.integrationSources ? { integrationSources: options.integrationSources } : {});
  const chosen = options.functionPolicies;
  const policies: FunctionPolicies = chosen ? (functionId) => chosen(functionId, local.policies) : local.policies;
  const principals = [
    ...functionsToRun(EVENT_ROUTES).map((fn) => ({ id: fn.id, name: `function ${fn.id}` })),
    ...BUS_CALLERS.map((caller) => ({ id: caller, name: `the bus's caller ${caller}` })),
  ];
  for (const { id, name } of principals) {
    const policy = policies(id);
    const problems = policy === undefined ? [] : await validatePolicy(policy);
    if (problems.length > 0) throw new LocalStackError(`The IAM policy of ${name} is not valid: ${problems.join('; ')}`);
  }
  return new IamEnforcer({ policies, region: stack.region, accountId: stack.accountId, log, encryptionKeyOf: local.encryptionKeyOf, resourcePolicyOf: local.resourcePolicyOf });
}

function faultsFromEnvironment(env: NodeJS.ProcessEnv): FaultInjector | undefined {
  try {
    return faultInjectorFromEnv(env);
  } catch (error) {
    throw new LocalStackError((error as Error).message);
  }
}

function restoreEnvironment(previous: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in previous)) delete process.env[name];
  for (const [name, value] of Object.entries(previous)) process.env[name] = value;
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}
