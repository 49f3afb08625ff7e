/**
 * Every kind of stored item, in one list: for export and erase (which kind is a key?), the IAM
 * declaration (which partition-key prefixes?), and tests and tools that address items directly.
 * Functions import the item modules they use, not this index.
 */
import type { AlertKind } from '../../events/contracts.ts';
import * as alertClaim from './alert-claim.ts';
import * as alertLink from './alert-link.ts';
import * as calendarFeedState from './calendar-feed-state.ts';
import * as caseload from './caseload.ts';
import * as clientHistory from './client-history.ts';
import * as clientProfile from './client-profile.ts';
import * as detectorState from './detector-state.ts';
import * as digestClaim from './digest-claim.ts';
import * as doNotContact from './do-not-contact.ts';
import * as evaluation from './evaluation.ts';
import * as fhirPollState from './fhir-poll-state.ts';
import * as formLink from './form-link.ts';
import { isKeyOf, type ItemKey, type ItemKindKeys } from './item.ts';
import * as optOutLink from './opt-out-link.ts';
import * as responseWeek from './response-week.ts';
import * as rosterClient from './roster-client.ts';
import * as session from './session.ts';
import * as therapist from './therapist.ts';
import * as therapistNotice from './therapist-notice.ts';
import * as trendLink from './trend-link.ts';
import * as trendRevocation from './trend-revocation.ts';
import * as waitingAlert from './waiting-alert.ts';
import * as webhookDelivery from './webhook-delivery.ts';

export const ITEM_KINDS = [
  session.SESSION_ITEM,
  evaluation.EVALUATION_ITEM,
  alertClaim.ALERT_CLAIM_ITEM,
  clientProfile.CLIENT_PROFILE_ITEM,
  detectorState.DETECTOR_STATE_ITEM,
  formLink.FORM_LINK_ITEM,
  alertLink.ALERT_LINK_ITEM,
  optOutLink.OPT_OUT_LINK_ITEM,
  doNotContact.DO_NOT_CONTACT_ITEM,
  rosterClient.ROSTER_CLIENT_ITEM,
  therapist.THERAPIST_ITEM,
  waitingAlert.WAITING_ALERT_ITEM,
  therapistNotice.THERAPIST_NOTICE_ITEM,
  webhookDelivery.WEBHOOK_DELIVERY_ITEM,
  calendarFeedState.CALENDAR_FEED_STATE_ITEM,
  caseload.CASELOAD_ITEM,
  responseWeek.RESPONSE_WEEK_ITEM,
  digestClaim.DIGEST_CLAIM_ITEM,
  clientHistory.CLIENT_HISTORY_ITEM,
  trendLink.TREND_LINK_ITEM,
  trendRevocation.TREND_REVOCATION_ITEM,
  fhirPollState.FHIR_POLL_STATE_ITEM,
] as const satisfies readonly ItemKindKeys[];

export type StoredItemKind = (typeof ITEM_KINDS)[number]['kind'];

/** The kind of item a key addresses, or undefined for a key no module writes. */
export function kindOfKey(key: ItemKey): ItemKindKeys | undefined {
  return ITEM_KINDS.find((kind) => isKeyOf(kind, key));
}

/** Every item's key builder, by item (for tests and tools that read the table directly). */
export const keys = {
  session: (sessionId: string) => session.key(sessionId),
  evaluation: (sessionId: string) => evaluation.key(sessionId),
  alert: (sessionId: string, kind: AlertKind) => alertClaim.key(sessionId, kind),
  client: (clientId: string) => clientProfile.key(clientId),
  detector: (clientId: string, instrumentId: string) => detectorState.key(clientId, instrumentId),
  formToken: (tokenHash: string) => formLink.key(tokenHash),
  alertLink: (ackTokenHash: string) => alertLink.key(ackTokenHash),
  optOutLink: (tokenHash: string) => optOutLink.key(tokenHash),
  doNotContact: (addressHash: string) => doNotContact.key(addressHash),
  rosterClient: (clientId: string) => rosterClient.key(clientId),
  therapist: (therapistId: string) => therapist.key(therapistId),
  waitingAlert: (therapistId: string, sessionId: string, kind: AlertKind) => waitingAlert.key(therapistId, sessionId, kind),
  therapistNotice: (therapistId: string) => therapistNotice.key(therapistId),
  webhookDelivery: (webhookId: string) => webhookDelivery.key(webhookId),
  calendarFeedState: (feedId: string) => calendarFeedState.key(feedId),
  caseload: (therapistId: string, clientId: string) => caseload.key(therapistId, clientId),
  responseWeek: (therapistId: string, week: string) => responseWeek.key(therapistId, week),
  digestClaim: (therapistId: string, digestId: string) => digestClaim.key(therapistId, digestId),
  clientHistory: (clientId: string, endedAt: string, sessionId: string) => clientHistory.key({ clientId, endedAt, sessionId }),
  trendLink: (tokenHash: string) => trendLink.key(tokenHash),
  trendRevocation: (therapistId: string, clientId?: string) => trendRevocation.key(therapistId, clientId),
  fhirPollState: (sourceId: string) => fhirPollState.key(sourceId),
};
