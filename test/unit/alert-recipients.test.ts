/**
 * Who receives an alert (shared/domain/alert-recipients.ts): the therapist, or the covering
 * clinician instead on the days of the range (both included, in the practice's zone); the
 * supervisor's copy on the chosen kinds; unregistered or self-referencing clinicians ignored.
 */
import { describe, expect, it } from 'vitest';
import { chooseRecipients, DEFAULT_SUPERVISE_KINDS, type RoutingEntry } from '../../shared/domain/alert-recipients.ts';

const lee: RoutingEntry = { therapistId: 't-7', email: 'lee@practice.example' };
const kim: RoutingEntry = { therapistId: 't-5', email: 'kim@practice.example' };
const sam: RoutingEntry = { therapistId: 't-9', email: 'sam@practice.example' };
const covered: RoutingEntry = { ...lee, covering: { therapistId: 't-5', from: '2026-12-20', until: '2027-01-03' } };

function to(result: ReturnType<typeof chooseRecipients>): string[] {
  return result.recipients.map((recipient) => `${recipient.role}:${recipient.slot}:${recipient.email}`);
}

describe('chooseRecipients', () => {
  it('sends to the therapist alone when nobody else is named', () => {
    expect(to(chooseRecipients({ therapist: lee, kind: 'rupture', now: new Date('2026-12-01T12:00:00Z'), timeZone: 'UTC' }))).toEqual(['therapist:primary:lee@practice.example']);
  });

  it('sends to the covering clinician instead of the therapist on every day of the range, both ends included', () => {
    const at = (iso: string, timeZone = 'UTC') => to(chooseRecipients({ therapist: covered, covering: kim, kind: 'rupture', now: new Date(iso), timeZone }));
    expect(at('2026-12-19T23:59:59Z')).toEqual(['therapist:primary:lee@practice.example']);
    expect(at('2026-12-20T00:00:00Z')).toEqual(['covering:primary:kim@practice.example']);
    expect(at('2027-01-03T23:59:59Z')).toEqual(['covering:primary:kim@practice.example']);
    expect(at('2027-01-04T00:00:00Z')).toEqual(['therapist:primary:lee@practice.example']);
    // Dates are the practice's: 2027-01-04 02:00 UTC is still 3 January in New York.
    expect(at('2027-01-04T02:00:00Z', 'America/New_York')).toEqual(['covering:primary:kim@practice.example']);
    expect(at('2026-12-20T02:00:00Z', 'America/New_York')).toEqual(['therapist:primary:lee@practice.example']);
  });

  it('falls back to the therapist when the covering clinician is not registered, and says so by id only', () => {
    const result = chooseRecipients({ therapist: covered, covering: undefined, kind: 'rupture', now: new Date('2026-12-24T12:00:00Z'), timeZone: 'UTC' });
    expect(to(result)).toEqual(['therapist:primary:lee@practice.example']);
    expect(result.ignored).toEqual([{ role: 'covering', therapistId: 't-5', reason: 'not-registered' }]);
    expect(JSON.stringify(result.ignored)).not.toContain('@');
  });

  it('copies the supervisor on the chosen kinds only, in a slot of their own', () => {
    const supervised: RoutingEntry = { ...lee, supervisorId: 't-9', superviseKinds: ['client-asked', 'rupture'] };
    const now = new Date('2026-12-01T12:00:00Z');
    expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'rupture', now }))).toEqual(['therapist:primary:lee@practice.example', 'supervisor:supervisor:sam@practice.example']);
    expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'client-asked', now }))).toHaveLength(2);
    expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'going-quiet', now }))).toEqual(['therapist:primary:lee@practice.example']);
  });

  it('copies the supervisor on the default kinds when none are chosen: unrepaired and steady decline', () => {
    expect(DEFAULT_SUPERVISE_KINDS).toEqual(['unrepaired', 'sustained-decline']);
    const supervised: RoutingEntry = { ...lee, supervisorId: 't-9' };
    const now = new Date('2026-12-01T12:00:00Z');
    expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'unrepaired', now, unrepairedEmailsTherapist: true }))).toHaveLength(2);
    expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'sustained-decline', now }))).toHaveLength(2);
    expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'rupture', now }))).toHaveLength(1);
    expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'client-asked', now }))).toHaveLength(1);
  });

  it('ignores an unregistered supervisor (by id only) and a self-reference', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const unregistered = chooseRecipients({ therapist: { ...lee, supervisorId: 't-9' }, supervisor: undefined, kind: 'unrepaired', now, unrepairedEmailsTherapist: true });
    expect(to(unregistered)).toEqual(['therapist:primary:lee@practice.example']);
    expect(unregistered.ignored).toEqual([{ role: 'supervisor', therapistId: 't-9', reason: 'not-registered' }]);
    const self = chooseRecipients({ therapist: { ...lee, supervisorId: 't-7', covering: { therapistId: 't-7', from: '2026-01-01', until: '2026-12-31' } }, supervisor: lee, covering: lee, kind: 'unrepaired', now, unrepairedEmailsTherapist: true });
    expect(to(self)).toEqual(['therapist:primary:lee@practice.example']);
    expect(self.ignored.map((ignored) => `${ignored.role}:${ignored.reason}`)).toEqual(['covering:self', 'supervisor:self']);
  });

  it('covers and supervises together, and a supervisor who covers gets one email', () => {
    const both: RoutingEntry = { ...covered, supervisorId: 't-9', superviseKinds: ['rupture'] };
    const now = new Date('2026-12-24T12:00:00Z');
    expect(to(chooseRecipients({ therapist: both, covering: kim, supervisor: sam, kind: 'rupture', now, timeZone: 'UTC' }))).toEqual(['covering:primary:kim@practice.example', 'supervisor:supervisor:sam@practice.example']);
    const supervisorCovers: RoutingEntry = { ...both, covering: { therapistId: 't-9', from: '2026-12-20', until: '2027-01-03' } };
    expect(to(chooseRecipients({ therapist: supervisorCovers, covering: sam, supervisor: sam, kind: 'rupture', now, timeZone: 'UTC' }))).toEqual(['covering:primary:sam@practice.example']);
  });

  describe('the unrepaired escalation', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const supervised: RoutingEntry = { ...lee, supervisorId: 't-9' };

    it('does not email the therapist again by default: their weekly digest shows it, and the supervisor is still copied', () => {
      expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'unrepaired', now }))).toEqual(['supervisor:supervisor:sam@practice.example']);
      expect(to(chooseRecipients({ therapist: lee, kind: 'unrepaired', now }))).toEqual([]);
      // What the trend page says: the therapist reads it in their digest, with or without a supervisor's copy.
      expect(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'unrepaired', now }).digestOnly).toBe(true);
      expect(chooseRecipients({ therapist: lee, kind: 'unrepaired', now }).digestOnly).toBe(true);
      expect(chooseRecipients({ therapist: { ...lee, digest: 'off' }, kind: 'unrepaired', now }).digestOnly).toBe(false);
      expect(chooseRecipients({ therapist: lee, kind: 'unrepaired', now, unrepairedEmailsTherapist: true }).digestOnly).toBe(false);
      expect(chooseRecipients({ therapist: lee, kind: 'rupture', now }).digestOnly).toBe(false);
    });

    it('still emails a therapist whose digest is off, who would otherwise never hear of it', () => {
      expect(to(chooseRecipients({ therapist: { ...lee, digest: 'off' }, kind: 'unrepaired', now }))).toEqual(['therapist:primary:lee@practice.example']);
    });

    it('still emails the covering clinician, who gets no digest of this client', () => {
      expect(to(chooseRecipients({ therapist: covered, covering: kim, kind: 'unrepaired', now: new Date('2026-12-24T12:00:00Z'), timeZone: 'UTC' }))).toEqual([
        'covering:primary:kim@practice.example',
      ]);
    });

    it('emails the therapist too when the practice turns unrepairedEmailsTherapist on', () => {
      expect(to(chooseRecipients({ therapist: lee, kind: 'unrepaired', now, unrepairedEmailsTherapist: true }))).toEqual(['therapist:primary:lee@practice.example']);
    });

    it('changes nothing for the other kinds', () => {
      expect(to(chooseRecipients({ therapist: lee, kind: 'rupture', now }))).toEqual(['therapist:primary:lee@practice.example']);
      expect(to(chooseRecipients({ therapist: supervised, supervisor: sam, kind: 'sustained-decline', now }))).toHaveLength(2);
    });
  });
});
