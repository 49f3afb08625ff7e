/**
 * Turns what a lifecycle on the local stack used into what it would use on AWS (cost/model.ts).
 * Durations are the one thing the laptop cannot give directly; the model takes them pessimistically
 * (see LambdaDurationModel).
 */
import type { Usage } from '../session/lifecycle.ts';
import type { SessionUsage } from './model.ts';

/**
 * How a measured invocation becomes a billed Lambda duration. The handler's own time is taken as
 * measured locally (it is mostly waiting on DynamoDB, SES and EventBridge, which are no faster in
 * AWS). A cold start adds the bundle's import CPU time (benchmark 1) slowed down by `cpuScale`: a
 * 256 MB function gets 256/1769 of a vCPU, where this machine gave the import a whole core. Every
 * invocation is taken to be cold (a practice's traffic is sparse; INIT is billed), except the web
 * requests that follow the first one of a visit (icon, post, thank-you page: same container).
 */
export interface LambdaDurationModel {
  memoryMb: number;
  cpuScale: number;
  /** Import CPU milliseconds of each function's bundle, by function id. */
  initCpuMs: Record<string, number>;
  /** Used for a function the cold-start benchmark did not measure. */
  defaultInitCpuMs: number;
  /** Lambda's START, END and REPORT lines per invocation (about 350 bytes with X-Ray). */
  platformLogBytesPerInvocation: number;
}

export function defaultDurationModel(initCpuMs: Record<string, number>): LambdaDurationModel {
  return { memoryMb: 256, cpuScale: 1769 / 256, initCpuMs, defaultInitCpuMs: 150, platformLogBytesPerInvocation: 350 };
}

/** Billed milliseconds of one invocation (Lambda bills per started millisecond). */
export function billedMs(model: LambdaDurationModel, fn: string, localMs: number, cold: boolean): number {
  const init = cold ? (model.initCpuMs[fn] ?? model.defaultInitCpuMs) * model.cpuScale : 0;
  return Math.ceil(localMs + init);
}

/** The AWS-side usage of one measured lifecycle. */
export function sessionUsageOf(usage: Usage, model: LambdaDurationModel): SessionUsage {
  const invocations = [
    ...usage.invocations.map((invocation) => ({ fn: invocation.fn, count: 1, billedMs: billedMs(model, invocation.fn, invocation.ms, true) })),
    ...usage.http.map((request, index) => ({ fn: 'web', count: 1, billedMs: billedMs(model, 'web', request.ms, index === 0) })),
  ];
  return {
    invocations,
    memoryMb: model.memoryMb,
    // A failed conditional write costs at least one write unit in AWS (DynamoDB Local reports none).
    dynamoDbWriteUnits: usage.dynamo.filter((call) => call.kind === 'write').reduce((sum, call) => sum + Math.max(call.units, call.ok ? 0 : 1), 0),
    dynamoDbReadUnits: usage.dynamo.filter((call) => call.kind === 'read').reduce((sum, call) => sum + call.units, 0),
    events: usage.events.length,
    queueMessages: usage.queueMessages,
    queueBatches: usage.queueBatches,
    emails: usage.emails,
    httpRequests: usage.http.length,
    schedulerInvocations: usage.schedulesFired,
    logBytes: usage.functionLogBytes + invocations.length * model.platformLogBytesPerInvocation,
    traces: invocations.length,
  };
}

/** `base` plus `times` × `extra` (e.g. a session plus its share of an acknowledgement). */
export function plusUsage(base: SessionUsage, extra: SessionUsage, times: number): SessionUsage {
  return {
    invocations: [...base.invocations, ...extra.invocations.map((invocation) => ({ ...invocation, count: invocation.count * times }))],
    memoryMb: base.memoryMb,
    dynamoDbWriteUnits: base.dynamoDbWriteUnits + times * extra.dynamoDbWriteUnits,
    dynamoDbReadUnits: base.dynamoDbReadUnits + times * extra.dynamoDbReadUnits,
    events: base.events + times * extra.events,
    queueMessages: base.queueMessages + times * extra.queueMessages,
    queueBatches: base.queueBatches + times * extra.queueBatches,
    emails: base.emails + times * extra.emails,
    httpRequests: base.httpRequests + times * extra.httpRequests,
    schedulerInvocations: base.schedulerInvocations + times * extra.schedulerInvocations,
    logBytes: base.logBytes + times * extra.logBytes,
    traces: base.traces + times * extra.traces,
  };
}
