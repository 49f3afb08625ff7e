/**
 * The seam between the local stack and the SDK calls of the product's functions, shared by fault
 * injection (faults.ts) and IAM enforcement (iam-enforcement.ts).
 *
 * The functions' SDK clients are container-wide singletons (`getSesClient()` and its siblings in
 * shared/adapters), so the local stack, which loads the functions into its own process, reaches
 * the very clients the handlers use and adds middleware to their stacks. Middleware placed right
 * after the deserializer sits next to the transport: what it answers instead of the service is a
 * real error response that the SDK's own deserializer and retry strategy handle as in AWS. Nothing
 * in shared/ or functions/ knows about it.
 */
import { getDocumentClient } from '../../shared/adapters/dynamodb-table.ts';
import { getEventBridgeClient } from '../../shared/adapters/eventbridge-publisher.ts';
import { getSchedulerClient } from '../../shared/adapters/eventbridge-scheduler.ts';
import { getSesClient } from '../../shared/adapters/ses-mailer.ts';
import { getSqsClient } from '../../shared/adapters/sqs-dead-letter.ts';
import { getSecretsManagerClient } from '../../shared/adapters/secrets-manager.ts';

export const SDK_SERVICES = ['ses', 'dynamodb', 'eventbridge', 'sqs', 'scheduler', 'secretsmanager'] as const;
export type SdkService = (typeof SDK_SERVICES)[number];

/** One SDK call a function makes, as the middleware sees it. */
export interface SdkCall {
  service: SdkService;
  /** The API operation, e.g. `SendEmail`, `UpdateItem`, `PutEvents`. */
  operation: string;
  /** The operation's input as sent (DynamoDB: marshalled attribute values). */
  input: Record<string, unknown>;
}

/** The SDK clients the functions share, by service. */
export type FunctionClients = Record<SdkService, { middlewareStack: MiddlewareStackLike }>;

export interface MiddlewareStackLike {
  add(middleware: unknown, options: { name: string; step: 'initialize'; priority: 'high'; override?: boolean }): void;
  addRelativeTo(middleware: unknown, options: { name: string; relation: 'before' | 'after'; toMiddleware: string; override?: boolean }): void;
  remove(toRemove: string): boolean;
}

/** The HTTP request the serializer built (only what the middleware reads or rewrites). */
export interface SerializedRequest {
  headers: Record<string, string>;
  body?: unknown;
}

export type Next = (args: { input: Record<string, unknown>; request?: unknown }) => Promise<{ response: unknown; output?: unknown }>;
export type HandlerContext = { commandName?: string };
/** A middleware for the transport position: sees every attempt, may answer instead of the service. */
export type TransportMiddleware = (next: Next, context: HandlerContext) => (args: Parameters<Next>[0]) => Promise<{ response: unknown; output?: unknown }>;

export function operationName(context: HandlerContext): string {
  return (context.commandName ?? 'Unknown').replace(/Command$/, '');
}

/** The clients the product's functions use in this process (created by the adapters, shared per container). */
export function functionClients(): FunctionClients {
  return {
    ses: getSesClient(),
    dynamodb: getDocumentClient(),
    eventbridge: getEventBridgeClient(),
    sqs: getSqsClient(),
    scheduler: getSchedulerClient(),
    secretsmanager: getSecretsManagerClient(),
  } as unknown as FunctionClients;
}

/**
 * Adds a middleware right after each client's deserializer (next to the transport); returns a
 * function that removes it again.
 */
export function attachAtTransport(clients: FunctionClients, name: string, middleware: (service: SdkService) => TransportMiddleware): () => void {
  for (const service of SDK_SERVICES) {
    clients[service].middlewareStack.addRelativeTo(middleware(service), { name, relation: 'after', toMiddleware: 'deserializerMiddleware', override: true });
  }
  return () => {
    for (const service of SDK_SERVICES) clients[service].middlewareStack.remove(name);
  };
}

/** An HTTP response as the SDK's deserializer reads it. */
export interface FakeResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * An error answer in the service's protocol: JSON 1.0/1.1 name the error in `__type`, REST-JSON
 * (SES v2, Scheduler) in a header. `typeNamespace` overrides the service's own `__type` prefix
 * (AWS answers AccessDeniedException from its common layer, `com.amazon.coral.service`).
 */
export function errorResponse(
  service: SdkService,
  statusCode: number,
  name: string,
  message: string,
  options: { typeNamespace?: string; headers?: Record<string, string> } = {},
): FakeResponse {
  const extra = options.headers ?? {};
  switch (service) {
    case 'dynamodb':
      return jsonResponse(statusCode, { __type: `${options.typeNamespace ?? 'com.amazonaws.dynamodb.v20120810'}#${name}`, message }, 'application/x-amz-json-1.0', extra);
    case 'sqs':
      return jsonResponse(statusCode, { __type: `${options.typeNamespace ?? 'com.amazonaws.sqs'}#${name}`, message }, 'application/x-amz-json-1.0', extra);
    case 'eventbridge':
    case 'secretsmanager':
      return jsonResponse(statusCode, { __type: options.typeNamespace ? `${options.typeNamespace}#${name}` : name, message }, 'application/x-amz-json-1.1', extra);
    case 'ses':
    case 'scheduler':
      return jsonResponse(statusCode, { message }, 'application/json', { 'x-amzn-errortype': `${name}:`, ...extra });
  }
}

export function jsonResponse(statusCode: number, body: unknown, contentType: string, extra: Record<string, string> = {}): FakeResponse {
  return {
    statusCode,
    headers: { 'content-type': contentType, 'x-amzn-requestid': `local-${Math.random().toString(36).slice(2, 10)}`, ...extra },
    body: new TextEncoder().encode(JSON.stringify(body)),
  };
}
