/**
 * R4 backport notification bundles for tests, in the shape of the R5 Subscriptions Backport IG's
 * published R4 examples (a `history` Bundle whose first entry is the status `Parameters`), written
 * for this project.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, Encounter, Parameters, Patient } from '@medplum/fhirtypes';

export const SUBSCRIPTION = 'https://ehr.example.org/fhir/Subscription/encounter-complete';
// The IG's own example topic; an EHR publishes its own canonical URL.
export const ENCOUNTER_COMPLETE_TOPIC = 'http://example.org/FHIR/SubscriptionTopic/encounter-complete';

export interface NotificationOptions {
  type: 'handshake' | 'heartbeat' | 'event-notification';
  eventsSinceSubscriptionStart: number;
  /** The events: their number and focus Encounter id. */
  events?: { number: number; encounterId: string }[];
  /** full-resource: the resources that come with the notification. */
  resources?: (Encounter | Patient)[];
  subscription?: string;
}

export function notificationBundle(options: NotificationOptions): Bundle {
  const status: Parameters = {
    resourceType: 'Parameters',
    id: randomUUID(),
    meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] },
    parameter: [
      { name: 'subscription', valueReference: { reference: options.subscription ?? SUBSCRIPTION } },
      { name: 'topic', valueCanonical: ENCOUNTER_COMPLETE_TOPIC },
      { name: 'status', valueCode: options.type === 'handshake' ? 'requested' : 'active' },
      { name: 'type', valueCode: options.type },
      { name: 'events-since-subscription-start', valueString: String(options.eventsSinceSubscriptionStart) },
      ...(options.events ?? []).map((event) => ({
        name: 'notification-event',
        part: [
          { name: 'event-number', valueString: String(event.number) },
          { name: 'timestamp', valueInstant: '2026-10-12T11:55:00Z' },
          { name: 'focus', valueReference: { reference: `https://ehr.example.org/fhir/Encounter/${event.encounterId}` } },
        ],
      })),
    ],
  };
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: '2026-10-12T11:55:01Z',
    entry: [
      { fullUrl: `urn:uuid:${status.id}`, resource: status, request: { method: 'GET', url: `${options.subscription ?? SUBSCRIPTION}/$status` }, response: { status: '200' } },
      ...(options.resources ?? []).map((resource) => ({
        fullUrl: `https://ehr.example.org/fhir/${resource.resourceType}/${resource.id}`,
        resource,
        request: { method: 'PUT' as const, url: `${resource.resourceType}/${resource.id}` },
        response: { status: '200' },
      })),
    ],
  };
}
