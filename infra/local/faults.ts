/**
 * Fault injection for the local stack, for tests only: SES throttling, DynamoDB throttling,
 * transient 5xx and dropped connections, permanent rejections, and replies lost after the service
 * acted, injected into the SDK calls the product's functions make.
 *
 * The seam (sdk-seam.ts): one middleware on the functions' shared SDK clients, next to the
 * transport: a fault is a real error response (429 `TooManyRequestsException`, 400
 * `ThrottlingException`, 500 `InternalFailure`…) that the SDK's own deserializer and retry strategy
 * handle as they would in AWS. It is removed again when the stack stops.
 *
 * Enabled by `startLocalStack({ faults })` or the `ALLIANCE_FAULTS` variable, e.g.
 * `ALLIANCE_FAULTS='ses:throttle:0.2,ses:transient:0.05,dynamodb:throttle:0.05'`.
 */
import {
  attachAtTransport,
  errorResponse,
  jsonResponse,
  operationName,
  SDK_SERVICES,
  type FunctionClients,
  type FakeResponse,
  type HandlerContext,
  type Next,
  type SdkCall,
  type SdkService,
} from './sdk-seam.ts';

export type { SdkCall } from './sdk-seam.ts';

export const FAULT_SERVICES = SDK_SERVICES;
export type FaultService = SdkService;

/**
 * - `throttle`: the service refuses for rate (SES `TooManyRequestsException`/`Throttling`, DynamoDB
 *   `ThrottlingException`/`ProvisionedThroughputExceededException`); nothing happened, retry later.
 * - `transient`: a 500/503 or a connection reset before the request reached the service.
 * - `reject`: a permanent refusal (SES `MessageRejected`, others `ValidationException`); retrying cannot help.
 * - `lost-response`: the service did the work, then the connection dropped before the reply arrived
 *   (the SDK sees `ECONNRESET` and retries: the ambiguous case every non-idempotent call has).
 * - `partial`: EventBridge only: PutEvents answers 200 with every entry failed (`InternalFailure`),
 *   which the SDK does not retry.
 */
export const FAULT_KINDS = ['throttle', 'transient', 'reject', 'lost-response', 'partial'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  service: FaultService;
  kind: FaultKind;
  /** Probability per call (each SDK attempt rolls again), 0–1. */
  rate: number;
  /** Only calls of these operations (default: every operation of the service). */
  operations?: readonly string[];
  /** Only calls this predicate accepts (e.g. one recipient, one update expression). */
  match?: (call: SdkCall) => boolean;
  /** Inject at most this many times in all. */
  limit?: number;
}

/** What was injected, by `service:kind:error`, and how many calls each service saw. */
export interface FaultStats {
  calls: Record<string, number>;
  injected: Record<string, number>;
}

const MIDDLEWARE_NAME = 'allianceLocalFaultInjection';
const OUTCOME_MIDDLEWARE_NAME = 'allianceLocalCallOutcome';

/**
 * SES's sending quota as a rule: SendEmail attempts beyond `perSecond` in any one-second window are
 * refused as throttled, the way SES enforces an account's maximum send rate (the random `throttle`
 * kind models a service that refuses regardless of rate). `now` is injectable for tests of the rule.
 */
export function sendingQuota(perSecond: number, now: () => number = () => performance.now()): FaultRule & { refused(): number } {
  const accepted: number[] = [];
  let refused = 0;
  return {
    service: 'ses',
    kind: 'throttle',
    rate: 1,
    operations: ['SendEmail'],
    match: () => {
      const at = now();
      while (accepted.length > 0 && accepted[0]! <= at - 1000) accepted.shift();
      if (accepted.length < perSecond) {
        accepted.push(at);
        return false;
      }
      refused += 1;
      return true;
    },
    refused: () => refused,
  };
}

/** Parses `service:kind:rate[,…]` (rate 0–1); throws with the offending part named. */
export function parseFaultSpec(spec: string): FaultRule[] {
  return spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [service, kind, rateText, extra] = part.split(':');
      const rate = Number(rateText);
      if (!(FAULT_SERVICES as readonly string[]).includes(service ?? '') || !(FAULT_KINDS as readonly string[]).includes(kind ?? '') || extra !== undefined) {
        throw new Error(`ALLIANCE_FAULTS: "${part}" is not service:kind:rate (services ${FAULT_SERVICES.join(', ')}; kinds ${FAULT_KINDS.join(', ')})`);
      }
      if (rateText === undefined || rateText === '' || !(rate >= 0 && rate <= 1)) throw new Error(`ALLIANCE_FAULTS: the rate in "${part}" must be a number from 0 to 1`);
      return { service: service as FaultService, kind: kind as FaultKind, rate };
    });
}

/** A small seeded generator (mulberry32), so a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface FaultInjectorOptions {
  /** Random source in [0, 1) (default Math.random; pass `seededRandom(seed)` to repeat a run). */
  random?: () => number;
  /** Sees every attempt as it goes to the service, with the fault injected into it, if any. */
  observe?: (call: SdkCall, fault: string | undefined) => void;
  /**
   * Sees every call once it is over, after the SDK's own retries: `error` is the name of the error
   * the function got (undefined on success, with the operation's `output`). The input here is as
   * the function passed it (DynamoDB: plain values, before marshalling).
   */
  outcome?: (call: SdkCall, error: string | undefined, output?: unknown) => void;
}

export class FaultInjector {
  private rules: FaultRule[];
  private readonly used = new Map<FaultRule, number>();
  private readonly calls = new Map<string, number>();
  private readonly injected = new Map<string, number>();
  private readonly random: () => number;

  constructor(
    rules: readonly FaultRule[] = [],
    private readonly options: FaultInjectorOptions = {},
  ) {
    this.rules = [...rules];
    this.random = options.random ?? Math.random;
  }

  /** Replaces the rules (e.g. faults on for one phase of a test, off for the next). */
  setRules(rules: readonly FaultRule[]): void {
    this.rules = [...rules];
    this.used.clear();
  }

  stats(): FaultStats {
    return { calls: Object.fromEntries(this.calls), injected: Object.fromEntries(this.injected) };
  }

  /** Total faults injected (optionally of one service and kind). */
  count(service?: FaultService, kind?: FaultKind): number {
    let total = 0;
    for (const [key, value] of this.injected) {
      const [s, k] = key.split(':');
      if ((service === undefined || s === service) && (kind === undefined || k === kind)) total += value;
    }
    return total;
  }

  /** One line for a console or a report: `ses:throttle:TooManyRequestsException 12, …`. */
  describe(): string {
    const entries = [...this.injected.entries()].sort(([a], [b]) => a.localeCompare(b));
    return entries.length > 0 ? entries.map(([key, value]) => `${key} ${value}`).join(', ') : 'none';
  }

  /** Adds the middleware to each client; returns a function that removes it again. */
  attach(clients: FunctionClients): () => void {
    const detach = attachAtTransport(clients, MIDDLEWARE_NAME, (service) => this.middleware(service));
    for (const service of FAULT_SERVICES) {
      // Outermost (before the retry middleware sees anything): the call as the function experiences it.
      clients[service].middlewareStack.add(this.outcomeMiddleware(service), { name: OUTCOME_MIDDLEWARE_NAME, step: 'initialize', priority: 'high', override: true });
    }
    return () => {
      detach();
      for (const service of FAULT_SERVICES) clients[service].middlewareStack.remove(OUTCOME_MIDDLEWARE_NAME);
    };
  }

  private middleware(service: FaultService) {
    return (next: Next, context: HandlerContext) => async (args: Parameters<Next>[0]) => {
      const call: SdkCall = { service, operation: operationName(context), input: args.input ?? {} };
      this.bump(this.calls, service);
      const rule = this.pick(call);
      const fault = rule && faultFor(rule.kind, service, call, this.random());
      this.options.observe?.(call, fault && `${rule.kind}:${fault.label}`);
      if (!rule || !fault) return next(args);
      this.bump(this.injected, `${service}:${rule.kind}:${fault.label}`);
      switch (fault.type) {
        case 'response':
          return { response: fault.response };
        case 'network':
          throw networkError();
        case 'after':
          // The service acts on the request; only its answer is lost on the way back.
          await next(args);
          throw networkError();
      }
    };
  }

  private outcomeMiddleware(service: FaultService) {
    return (next: Next, context: HandlerContext) => async (args: Parameters<Next>[0]) => {
      const report = this.options.outcome;
      if (!report) return next(args);
      const call: SdkCall = { service, operation: operationName(context), input: args.input ?? {} };
      try {
        const result = await next(args);
        report(call, undefined, result.output);
        return result;
      } catch (error) {
        report(call, error instanceof Error ? error.name : 'Error');
        throw error;
      }
    };
  }

  /**
   * One roll per attempt against the rules that apply, their rates laid end to end: rules of
   * 0.15 and 0.05 fail 20 % of the calls, 15 % one way and 5 % the other.
   */
  private pick(call: SdkCall): FaultRule | undefined {
    const applicable = this.rules.filter(
      (rule) =>
        rule.service === call.service &&
        (!rule.operations || rule.operations.includes(call.operation)) &&
        (rule.limit === undefined || (this.used.get(rule) ?? 0) < rule.limit) &&
        (!rule.match || rule.match(call)),
    );
    if (applicable.length === 0) return undefined;
    const roll = this.random();
    let edge = 0;
    for (const rule of applicable) {
      edge += rule.rate;
      if (roll < edge) {
        this.used.set(rule, (this.used.get(rule) ?? 0) + 1);
        return rule;
      }
    }
    return undefined;
  }

  private bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

/** Reads `ALLIANCE_FAULTS`; undefined when it is unset or empty. */
export function faultInjectorFromEnv(env: NodeJS.ProcessEnv = process.env): FaultInjector | undefined {
  const spec = env['ALLIANCE_FAULTS'];
  return spec ? new FaultInjector(parseFaultSpec(spec)) : undefined;
}

type Fault = { type: 'response'; label: string; response: FakeResponse } | { type: 'network'; label: string } | { type: 'after'; label: string };

/** The error a real service answers with, in its protocol's shape. */
function faultFor(kind: FaultKind, service: FaultService, call: SdkCall, roll: number): Fault {
  switch (kind) {
    case 'throttle': {
      const [status, name] = THROTTLES[service][roll < 0.5 ? 0 : 1];
      return { type: 'response', label: name, response: errorResponse(service, status, name, 'Rate exceeded (injected by the local stack)') };
    }
    case 'transient':
      if (roll < 1 / 3) return { type: 'network', label: 'ECONNRESET' };
      return roll < 2 / 3
        ? { type: 'response', label: 'InternalFailure', response: errorResponse(service, 500, 'InternalFailure', 'Internal failure (injected by the local stack)') }
        : { type: 'response', label: 'ServiceUnavailable', response: errorResponse(service, 503, 'ServiceUnavailable', 'Service unavailable (injected by the local stack)') };
    case 'reject': {
      if (service === 'ses') {
        // As the SES sandbox words it: the message names the address, so it must never reach a log line.
        const destination = call.input['Destination'] as { ToAddresses?: string[] } | undefined;
        const message = `Email address is not verified. The following identities failed the check in region US-EAST-1: ${(destination?.ToAddresses ?? []).join(', ')}`;
        return { type: 'response', label: 'MessageRejected', response: errorResponse(service, 400, 'MessageRejected', message) };
      }
      return { type: 'response', label: 'ValidationException', response: errorResponse(service, 400, 'ValidationException', 'Rejected (injected by the local stack)') };
    }
    case 'lost-response':
      return { type: 'after', label: 'ECONNRESET-after-success' };
    case 'partial': {
      if (service !== 'eventbridge' || call.operation !== 'PutEvents') return faultFor('transient', service, call, roll);
      const entries = Array.isArray(call.input['Entries']) ? call.input['Entries'].length : 1;
      const body = {
        FailedEntryCount: entries,
        Entries: Array.from({ length: entries }, () => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal failure (injected by the local stack)' })),
      };
      return { type: 'response', label: 'FailedEntry', response: jsonResponse(200, body, 'application/x-amz-json-1.1') };
    }
  }
}

const THROTTLES: Record<FaultService, readonly [readonly [number, string], readonly [number, string]]> = {
  // SES v2 answers 429 TooManyRequestsException; the v1 API (and the sending quota) say Throttling.
  ses: [
    [429, 'TooManyRequestsException'],
    [400, 'Throttling'],
  ],
  dynamodb: [
    [400, 'ThrottlingException'],
    [400, 'ProvisionedThroughputExceededException'],
  ],
  eventbridge: [
    [400, 'ThrottlingException'],
    [400, 'ThrottlingException'],
  ],
  sqs: [
    [400, 'RequestThrottled'],
    [400, 'RequestThrottled'],
  ],
  scheduler: [
    [429, 'ThrottlingException'],
    [429, 'ThrottlingException'],
  ],
  secretsmanager: [
    [400, 'ThrottlingException'],
    [400, 'ThrottlingException'],
  ],
};

function networkError(): Error {
  // What Node's HTTP client raises when the peer drops the connection; the SDK retries it.
  return Object.assign(new Error('socket hang up (connection reset, injected by the local stack)'), { code: 'ECONNRESET' });
}
