import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../shared/adapters/clock.ts';
import { mailTags, readMailTags, SES_CONFIGURATION_SET_TAG } from '../../shared/domain/mail-tags.ts';
import type { SesDeliveryProblemDetail } from '../../shared/events/contracts.ts';
import { handleDeliveryProblem, type DeliverabilityDeps } from '../../shared/use-cases/deliverability.ts';
import { FakeMailer, FakePublisher } from '../support/fakes.ts';

/** Tags as SES reports them: each a list of values. */
function reported(tags: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(tags).map(([name, value]) => [name, [value]]));
}

function bounce(purpose: Parameters<typeof mailTags>[0], clientId: string, bounceType = 'Permanent'): SesDeliveryProblemDetail {
  return { eventType: 'Bounce', bounce: { bounceType, bouncedRecipients: [{ emailAddress: 'Ana@Client.example' }] }, mail: { messageId: 'm-1', tags: reported(mailTags(purpose, clientId)) } };
}

describe('mail tags', () => {
  it('carry any client id through SES’s tag alphabet and back', () => {
    const tags = mailTags('reminder', 'c:1042.x');
    expect(Object.values(tags).every((value) => /^[A-Za-z0-9_-]+$/.test(value))).toBe(true);
    expect(readMailTags(reported(tags))).toEqual({ purpose: 'reminder', clientId: 'c:1042.x' });
  });

  it('ignore tags that are not the product’s', () => {
    expect(readMailTags({ purpose: ['marketing'], client: ['not base64!'] })).toEqual({});
  });
});

describe('handleDeliveryProblem', () => {
  let deps: DeliverabilityDeps;
  let blocked: Map<string, string>;
  let erased: Set<string>;
  let doNotContact: Map<string, string>;
  let mailer: FakeMailer;
  let publisher: FakePublisher;

  beforeEach(() => {
    blocked = new Map();
    erased = new Set();
    doNotContact = new Map();
    mailer = new FakeMailer();
    publisher = new FakePublisher();
    deps = {
      store: {
        markUndeliverable: async (clientId, reason) => {
          if (erased.has(clientId)) return 'erased';
          if (blocked.has(clientId)) return 'already-marked';
          blocked.set(clientId, reason);
          return 'marked';
        },
        addDoNotContact: async (hash, entry) => {
          if (!doNotContact.has(hash)) doNotContact.set(hash, entry.reason);
        },
      },
      addressHasher: { hash: async (address) => `hash(${address.trim().toLowerCase()})` },
      mailer,
      publisher,
      clock: new ManualClock(new Date('2026-11-25T21:00:00Z')),
      practiceName: 'Riverside Practice',
      adminEmail: 'admin@practice.example',
    };
  });

  it('acts only on its own configuration set’s events: another copy of the product sharing the account’s bus blocks nobody here', async () => {
    deps.configurationSetName = 'production-set';
    const ours = bounce('feedback-request', 'c-1042');
    ours.mail.tags = { ...ours.mail.tags, [SES_CONFIGURATION_SET_TAG]: ['production-set'] };
    const theirs = bounce('feedback-request', 'c-2000');
    theirs.mail.tags = { ...theirs.mail.tags, [SES_CONFIGURATION_SET_TAG]: ['staging-set'] };

    expect(await handleDeliveryProblem(theirs, deps)).toBe('other-configuration-set');
    expect(await handleDeliveryProblem(bounce('feedback-request', 'c-3000'), deps)).toBe('other-configuration-set');
    expect(await handleDeliveryProblem(ours, deps)).toBe('client-suppressed');

    expect([...blocked.keys()]).toEqual(['c-1042']);
    expect(mailer.sent).toHaveLength(1);
  });

  it('blocks a client whose feedback email bounced for good, once, and tells the administrator once', async () => {
    expect(await handleDeliveryProblem(bounce('feedback-request', 'c-1042'), deps)).toBe('client-suppressed');
    expect(await handleDeliveryProblem(bounce('reminder', 'c-1042'), deps)).toBe('already-suppressed');

    expect(blocked.get('c-1042')).toBe('bounce');
    expect(publisher.published).toEqual([{ detailType: 'ClientEmailSuppressed', detail: { clientId: 'c-1042', reason: 'bounce', markedAt: '2026-11-25T21:00:00.000Z' } }]);
    expect(mailer.sent.map((mail) => [mail.to, mail.subject])).toEqual([['admin@practice.example', 'Feedback emails stopped for client c-1042']]);
  });

  it('lists an erased client’s bounced address as a hash, and adds nothing to their tombstone, announces nothing, mails nobody', async () => {
    erased.add('c-1042');
    expect(await handleDeliveryProblem(bounce('feedback-request', 'c-1042'), deps)).toBe('erased-client-address-listed');
    const complaint: SesDeliveryProblemDetail = { eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'bo@client.example' }] }, mail: { tags: reported(mailTags('reminder', 'c-1042')) } };
    expect(await handleDeliveryProblem(complaint, deps)).toBe('erased-client-address-listed');

    expect([...doNotContact]).toEqual([['hash(ana@client.example)', 'bounce'], ['hash(bo@client.example)', 'complaint']]);
    expect(blocked.size).toBe(0);
    expect(publisher.published).toEqual([]);
    expect(mailer.sent).toEqual([]);
  });

  it('ignores a transient bounce', async () => {
    expect(await handleDeliveryProblem(bounce('feedback-request', 'c-1042', 'Transient'), deps)).toBe('transient');
    expect(blocked.size).toBe(0);
  });

  it('blocks a client who reported the email as spam', async () => {
    const complaint: SesDeliveryProblemDetail = { eventType: 'Complaint', mail: { tags: reported(mailTags('feedback-request', 'c-7')) } };
    expect(await handleDeliveryProblem(complaint, deps)).toBe('client-suppressed');
    expect(blocked.get('c-7')).toBe('complaint');
  });

  it('reports a bounced alert as the therapist’s address, without blocking the client', async () => {
    expect(await handleDeliveryProblem(bounce('alert', 'c-1042'), deps)).toBe('therapist-bounce-reported');
    expect(blocked.size).toBe(0);
    expect(mailer.sent[0]!.subject).toBe('An alert email did not reach a therapist (client c-1042)');
  });

  it('never reacts to its own notices bouncing (no loop)', async () => {
    const notice: SesDeliveryProblemDetail = { eventType: 'Bounce', bounce: { bounceType: 'Permanent' }, mail: { tags: { purpose: ['notice'] } } };
    expect(await handleDeliveryProblem(notice, deps)).toBe('untraceable');
    expect(mailer.sent).toHaveLength(0);
  });

  it('still blocks when no administrator address is configured', async () => {
    deps.adminEmail = undefined;
    expect(await handleDeliveryProblem(bounce('feedback-request', 'c-1042'), deps)).toBe('client-suppressed');
    expect(mailer.sent).toHaveLength(0);
  });
});
