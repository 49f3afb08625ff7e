/**
 * Topic-based subscription notifications as the R5 Subscriptions Backport IG sends them to an R4
 * (or R4B) `rest-hook` endpoint: a Bundle of type `history` whose first entry is the subscription's
 * status — a `Parameters` (R4: parameters `subscription`, `topic`, `status`, `type`,
 * `events-since-subscription-start` as a string, and one `notification-event` per event with parts
 * `event-number`, `timestamp`, `focus`, `additional-context`) or a `SubscriptionStatus` (R4B). With
 * `full-resource` payloads the focus resources (and often the Patient) follow as further entries;
 * with `id-only`, only the references come.
 *
 * Validated with zod at the edge; only what the product needs is read.
 */
import * as z from 'zod/mini';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

export interface NotificationEvent {
  /** The event's sequence number within the subscription, when given. */
  eventNumber: number | undefined;
  /** The focus reference (`Encounter/123`, or an absolute URL), when given. */
  focus: string | undefined;
}

export interface Notification {
  /** The Subscription's reference, as sent (its URL or `Subscription/id`). */
  subscription: string;
  type: NotificationType;
  /** Events the subscription has generated so far (inclusive), when given. */
  eventsSinceSubscriptionStart: number | undefined;
  events: NotificationEvent[];
  /** The resources that came with it (full-resource), by `Type/id`. */
  resources: Map<string, unknown>;
}

// @__NO_SIDE_EFFECTS__
function schema<T>(build: () => T): T {
  return build();
}

const Reference = z.object({ reference: z.optional(z.string()) });
const ParameterPart = z.object({
  name: z.string(),
  valueString: z.optional(z.string()),
  valueCode: z.optional(z.string()),
  valueInstant: z.optional(z.string()),
  valueCanonical: z.optional(z.string()),
  valueReference: z.optional(Reference),
});
const ParametersSchema = schema(() =>
  z.object({
    resourceType: z.literal('Parameters'),
    parameter: z.array(z.object({ ...ParameterPart.shape, part: z.optional(z.array(ParameterPart)) })),
  }),
);
const SubscriptionStatusSchema = schema(() =>
  z.object({
    resourceType: z.literal('SubscriptionStatus'),
    type: z.string(),
    eventsSinceSubscriptionStart: z.optional(z.union([z.string(), z.number()])),
    subscription: Reference,
    notificationEvent: z.optional(z.array(z.object({ eventNumber: z.union([z.string(), z.number()]), focus: z.optional(Reference) }))),
  }),
);
const BundleSchema = schema(() =>
  z.object({
    resourceType: z.literal('Bundle'),
    type: z.literal('history'),
    entry: z.array(z.object({ fullUrl: z.optional(z.string()), resource: z.optional(z.looseObject({ resourceType: z.string(), id: z.optional(z.string()) })) })).check(z.minLength(1)),
  }),
);

const TYPES: readonly NotificationType[] = ['handshake', 'heartbeat', 'event-notification', 'query-status', 'query-event'];

/** A notification, or why the body is not one (field paths only: the body may hold personal data). */
export function parseNotification(body: unknown): { ok: true; notification: Notification } | { ok: false; reason: string } {
  const bundle = BundleSchema.safeParse(body);
  if (!bundle.success) return { ok: false, reason: 'not a notification Bundle (type history, with entries)' };
  const [first, ...rest] = bundle.data.entry;
  const resources = new Map<string, unknown>();
  for (const entry of rest) {
    const resource = entry.resource;
    if (resource?.id !== undefined) resources.set(`${resource.resourceType}/${resource.id}`, resource);
  }
  const status = first?.resource;
  const parameters = ParametersSchema.safeParse(status);
  if (parameters.success) {
    const byName = (name: string) => parameters.data.parameter.find((parameter) => parameter.name === name);
    const type = byName('type')?.valueCode;
    const subscription = byName('subscription')?.valueReference?.reference;
    if (!isType(type) || subscription === undefined) return { ok: false, reason: 'the status Parameters lack type or subscription' };
    const events = parameters.data.parameter
      .filter((parameter) => parameter.name === 'notification-event')
      .map((parameter) => {
        const part = (name: string) => parameter.part?.find((candidate) => candidate.name === name);
        return { eventNumber: count(part('event-number')?.valueString), focus: part('focus')?.valueReference?.reference };
      });
    return { ok: true, notification: { subscription, type, eventsSinceSubscriptionStart: count(byName('events-since-subscription-start')?.valueString), events, resources } };
  }
  const r4b = SubscriptionStatusSchema.safeParse(status);
  if (r4b.success && isType(r4b.data.type) && r4b.data.subscription.reference !== undefined) {
    return {
      ok: true,
      notification: {
        subscription: r4b.data.subscription.reference,
        type: r4b.data.type,
        eventsSinceSubscriptionStart: count(r4b.data.eventsSinceSubscriptionStart),
        events: (r4b.data.notificationEvent ?? []).map((event) => ({ eventNumber: count(event.eventNumber), focus: event.focus?.reference })),
        resources,
      },
    };
  }
  return { ok: false, reason: 'the first entry is not a subscription status (Parameters or SubscriptionStatus)' };
}

function isType(value: string | undefined): value is NotificationType {
  return value !== undefined && (TYPES as readonly string[]).includes(value);
}

function count(value: string | number | undefined): number | undefined {
  const number = typeof value === 'number' ? value : value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
  return number !== undefined && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}
