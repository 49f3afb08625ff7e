import { describe, expect, it } from 'vitest';
import type { ClientRoster, RegisteredTherapist, RosterClient, TherapistDirectory } from '../../shared/use-cases/ports.ts';
import { completeSession, type FinishedAppointment } from '../../shared/use-cases/complete-session.ts';

const roster = (entries: RosterClient[]): ClientRoster => ({ find: async (id) => entries.find((entry) => entry.clientId === id) });
const directory = (entries: RegisteredTherapist[]): TherapistDirectory => ({ find: async (id) => entries.find((entry) => entry.therapistId === id) });

const ALEX: RosterClient = { clientId: 'c-1', email: 'alex@client.example', firstName: 'Alex', locale: 'es', therapistId: 't-1', active: true };
const DANA: RegisteredTherapist = { therapistId: 't-1', email: 'dana@practice.example', name: 'Dana' };
const deps = { roster: roster([ALEX, { ...ALEX, clientId: 'c-2', active: false }]), therapists: directory([DANA]) };
const appointment: FinishedAppointment = { sessionId: 'a-1', clientId: 'c-1', endedAt: '2026-12-01T17:00:00-05:00' };

describe('completeSession', () => {
  it('completes an appointment that names only the client from the roster and the directory', async () => {
    await expect(completeSession(appointment, deps)).resolves.toEqual({
      completed: true,
      detail: {
        sessionId: 'a-1', clientId: 'c-1', therapistId: 't-1', endedAt: '2026-12-01T17:00:00-05:00',
        client: { email: 'alex@client.example', firstName: 'Alex', locale: 'es' },
        therapist: { email: 'dana@practice.example', name: 'Dana' },
      },
    });
  });

  it('prefers what the appointment carries over the roster', async () => {
    const result = await completeSession({ ...appointment, therapistId: 't-1', client: { email: 'new@client.example', locale: 'fr' } }, deps);
    expect(result).toMatchObject({ completed: true, detail: { client: { email: 'new@client.example', locale: 'en' } } });
  });

  it('skips unknown and inactive clients and unknown therapists, with a reason', async () => {
    await expect(completeSession({ ...appointment, clientId: 'c-9' }, deps)).resolves.toEqual({ completed: false, reason: 'client-not-on-roster' });
    await expect(completeSession({ ...appointment, clientId: 'c-2' }, deps)).resolves.toEqual({ completed: false, reason: 'client-inactive' });
    await expect(completeSession({ ...appointment, therapistId: 't-9' }, deps)).resolves.toEqual({ completed: false, reason: 'therapist-unknown' });
  });

  it('names the invalid fields without their values', async () => {
    const result = await completeSession({ ...appointment, endedAt: 'yesterday' }, deps);
    expect(result).toEqual({ completed: false, reason: 'invalid-details', issues: ['endedAt: must be an ISO-8601 timestamp with an offset'] });
  });
});
