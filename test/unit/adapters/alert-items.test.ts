/**
 * The alert's records (the once-only claim and the acknowledge link) follow the retention setting
 * like the session they are about: a TTL on the writes that create them, none under `keep`.
 */
import { describe, expect, it } from 'vitest';
import * as alertClaimItem from '../../../shared/adapters/items/alert-claim.ts';
import * as alertLinkItem from '../../../shared/adapters/items/alert-link.ts';

const NOW = new Date('2026-11-25T21:00:00.000Z');
const DAY_S = 86_400;
const CLAIM = { sessionId: 's-1', clientId: 'c-1', kind: 'rupture' as const, ackTokenHash: 'h', now: NOW, leaseSeconds: 60 };
const LINK = { sessionId: 's-1', clientId: 'c-1', therapistId: 't-1', kind: 'rupture' as const, sentAt: NOW.toISOString() };

describe('alert records under a retention period', () => {
  it('puts a TTL on the claim, counted from the alert', () => {
    const request = alertClaimItem.claim(CLAIM, 400);

    expect(request.UpdateExpression).toContain('#ttl = :ttl');
    expect(request.ExpressionAttributeNames).toMatchObject({ '#ttl': 'ttl' });
    expect(request.ExpressionAttributeValues).toMatchObject({ ':ttl': NOW.getTime() / 1000 + 400 * DAY_S });
  });

  it('puts a TTL on the acknowledge link, counted from when the alert was sent', () => {
    expect(alertLinkItem.put('h', LINK, 400).Item).toMatchObject({ ttl: NOW.getTime() / 1000 + 400 * DAY_S });
  });

  it('keeps both under `keep`', () => {
    const claim = alertClaimItem.claim(CLAIM, 'keep');
    expect(claim.UpdateExpression).not.toContain('ttl');
    expect(claim.ExpressionAttributeValues).not.toHaveProperty(':ttl');
    expect(alertLinkItem.put('h', LINK, 'keep').Item).not.toHaveProperty('ttl');
  });
});
