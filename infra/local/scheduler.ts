/**
 * A local stand-in for EventBridge Scheduler's one-time schedules. It speaks the part of the
 * Scheduler REST API the follow-up function uses (CreateSchedule, GetSchedule, DeleteSchedule), so
 * the real `@aws-sdk/client-scheduler` talks to it unchanged, and it fires due schedules by putting
 * their event on the local bus, judged by an injectable clock: tests advance time instead of sleeping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../shared/use-cases/ports.ts';

/** A schedule as the follow-up function creates it (an EventBridge PutEvents target). */
export interface LocalSchedule {
  name: string;
  groupName: string;
  /** When it fires (parsed from `at(...)` in its time zone, UTC here). */
  at: Date;
  expression: string;
  deleteAfterCompletion: boolean;
  target: { arn: string; input: string; source: string; detailType: string };
  fired: boolean;
}

/** Puts one event on the local bus; resolves once it was accepted (and routed). */
export type PutEvent = (entry: { EventBusName: string; Source: string; DetailType: string; Detail: string }) => Promise<void>;

const SCHEDULE_PATH = /^\/schedules\/([0-9A-Za-z_.-]{1,64})$/;
const AT_EXPRESSION = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

/** Parses `at(2026-11-27T21:00:00)` in UTC, the only zone the product uses. */
export function parseAtExpression(expression: string, timeZone = 'UTC'): Date | undefined {
  const match = AT_EXPRESSION.exec(expression);
  if (!match || timeZone !== 'UTC') return undefined;
  const date = new Date(`${match[1]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export class LocalScheduler {
  private readonly schedules = new Map<string, LocalSchedule>();
  private timer: NodeJS.Timeout | undefined;
  private firing: Promise<number> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly putEvent: PutEvent,
    private readonly region = 'us-east-1',
    private readonly accountId = '000000000000',
  ) {}

  /** Every schedule not yet fired (and fired ones kept because they are not deleted after completion). */
  list(): LocalSchedule[] {
    return [...this.schedules.values()];
  }

  /** Fires every schedule that is due by the clock; returns how many fired. Never runs twice at once. */
  fireDue(): Promise<number> {
    this.firing ??= this.fire().finally(() => {
      this.firing = undefined;
    });
    return this.firing;
  }

  /** Checks for due schedules every `intervalMs` (the foreground `npm start` uses real time). */
  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => void this.fireDue().catch((error) => console.error('scheduler:', (error as Error).message)), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Handles a Scheduler API request; returns false when the path is not the Scheduler's. */
  async handle(request: IncomingMessage, response: ServerResponse, body: string): Promise<boolean> {
    const match = SCHEDULE_PATH.exec(new URL(request.url ?? '/', 'http://local').pathname);
    if (!match) return false;
    const name = match[1]!;
    const groupName = new URL(request.url ?? '/', 'http://local').searchParams.get('groupName') ?? 'default';
    if (request.method === 'POST') return this.create(name, body, response);
    if (request.method === 'GET') {
      const schedule = this.schedules.get(this.key(groupName, name));
      if (!schedule) return sendError(response, 404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
      return sendJson(response, 200, {
        Name: schedule.name,
        GroupName: schedule.groupName,
        ScheduleExpression: schedule.expression,
        State: 'ENABLED',
        Arn: this.arn(schedule.groupName, schedule.name),
        Target: { Arn: schedule.target.arn, Input: schedule.target.input },
      });
    }
    if (request.method === 'DELETE') {
      if (!this.schedules.delete(this.key(groupName, name))) return sendError(response, 404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
      return sendJson(response, 200, {});
    }
    return sendError(response, 405, 'ValidationException', `Method ${request.method} is not supported here`);
  }

  private create(name: string, body: string, response: ServerResponse): boolean {
    let input: Record<string, any>;
    try {
      input = JSON.parse(body || '{}') as Record<string, any>;
    } catch {
      return sendError(response, 400, 'ValidationException', 'Request body is not JSON');
    }
    const groupName = typeof input['GroupName'] === 'string' ? input['GroupName'] : 'default';
    const expression = String(input['ScheduleExpression'] ?? '');
    const at = parseAtExpression(expression, input['ScheduleExpressionTimezone'] ?? 'UTC');
    const target = input['Target'] as Record<string, any> | undefined;
    const parameters = target?.['EventBridgeParameters'] as Record<string, any> | undefined;
    if (!at) return sendError(response, 400, 'ValidationException', `Only one-time at(yyyy-mm-ddThh:mm:ss) expressions in UTC are supported locally, not ${expression}`);
    if (!target?.['Arn'] || !parameters?.['Source'] || !parameters?.['DetailType']) {
      return sendError(response, 400, 'ValidationException', 'Target.Arn and Target.EventBridgeParameters (Source, DetailType) are required');
    }
    if (!input['FlexibleTimeWindow']) return sendError(response, 400, 'ValidationException', 'FlexibleTimeWindow is required');
    const key = this.key(groupName, name);
    if (this.schedules.has(key)) return sendError(response, 409, 'ConflictException', `Schedule ${name} already exists.`);
    this.schedules.set(key, {
      name,
      groupName,
      at,
      expression,
      deleteAfterCompletion: input['ActionAfterCompletion'] === 'DELETE',
      target: { arn: String(target['Arn']), input: String(target['Input'] ?? '{}'), source: String(parameters['Source']), detailType: String(parameters['DetailType']) },
      fired: false,
    });
    return sendJson(response, 200, { ScheduleArn: this.arn(groupName, name) });
  }

  private async fire(): Promise<number> {
    const now = this.clock.now().getTime();
    const due = [...this.schedules.entries()].filter(([, schedule]) => !schedule.fired && schedule.at.getTime() <= now);
    for (const [key, schedule] of due) {
      await this.putEvent({
        // The target is the bus's ARN; the local bus accepts its name or ARN.
        EventBusName: schedule.target.arn,
        Source: schedule.target.source,
        DetailType: schedule.target.detailType,
        Detail: schedule.target.input,
      });
      if (schedule.deleteAfterCompletion) this.schedules.delete(key);
      else schedule.fired = true;
    }
    return due.length;
  }

  private key(groupName: string, name: string): string {
    return `${groupName}/${name}`;
  }

  private arn(groupName: string, name: string): string {
    return `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${groupName}/${name}`;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): boolean {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
  return true;
}

function sendError(response: ServerResponse, status: number, type: string, message: string): boolean {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  response.end(JSON.stringify({ message }));
  return true;
}
