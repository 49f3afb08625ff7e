import { describe, expect, it } from 'vitest';
import { ConfigurationError, readSettingsFromEnv, REQUEST_SETTINGS } from '../../shared/config.ts';

describe('request settings', () => {
  it('applies the documented defaults', () => {
    const settings = readSettingsFromEnv(REQUEST_SETTINGS, { FORM_BASE_URL: 'https://forms.example' });

    expect(settings).toEqual({
      senderAddress: 'feedback@practice.example',
      practiceName: 'Your practice',
      formBaseUrl: 'https://forms.example',
      throttleHours: 12,
      tokenExpiryHours: 72,
      reminderHours: 48,
      maxSessionAgeHours: 168,
      maxSessionLeadMinutes: 60,
    });
  });

  it('reads numbers from their variables', () => {
    const settings = readSettingsFromEnv(REQUEST_SETTINGS, { FORM_BASE_URL: 'https://forms.example', THROTTLE_HOURS: '6', TOKEN_EXPIRY_HOURS: '48' });

    expect(settings.throttleHours).toBe(6);
    expect(settings.tokenExpiryHours).toBe(48);
  });

  it('lists every problem at once, naming the variable to fix', () => {
    const read = () =>
      readSettingsFromEnv(REQUEST_SETTINGS, { SENDER_ADDRESS: 'not-an-address', THROTTLE_HOURS: '-1', FORM_BASE_URL: 'ftp://x' });

    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/SENDER_ADDRESS must be an email address[\s\S]*FORM_BASE_URL must be an http\(s\) URL[\s\S]*THROTTLE_HOURS/);
  });

  it('requires the form base URL', () => {
    expect(() => readSettingsFromEnv(REQUEST_SETTINGS, {})).toThrow(/FORM_BASE_URL is required/);
  });
});
