import { describe, expect, it } from 'vitest';
import { ALERT_SETTINGS, ConfigurationError, readSettingsFromEnv, REQUEST_SETTINGS } from '../../shared/config.ts';

/** The practice's zone has no default: every read names one. */
const ZONE = { PRACTICE_TIME_ZONE: 'America/New_York' };

describe('request settings', () => {
  it('applies the documented defaults', () => {
    const settings = readSettingsFromEnv(REQUEST_SETTINGS, { ...ZONE, FORM_BASE_URL: 'https://forms.example' });

    expect(settings).toEqual({
      senderAddress: 'feedback@practice.example',
      practiceName: 'Your practice',
      practiceTimeZone: 'America/New_York',
      formBaseUrl: 'https://forms.example',
      throttleHours: 12,
      tokenExpiryHours: 72,
      reminderHours: 48,
      maxSessionAgeHours: 168,
      maxSessionLeadMinutes: 60,
      practiceDomains: 'none',
    });
  });

  it('takes "none" or a comma list of mail domains as practiceDomains, and refuses anything else', () => {
    const read = (value: string) => () => readSettingsFromEnv(REQUEST_SETTINGS, { ...ZONE, FORM_BASE_URL: 'https://forms.example', PRACTICE_DOMAINS: value });

    expect(read('practice.org, Clinic.Practice.org')().practiceDomains).toBe('practice.org, Clinic.Practice.org');
    expect(read('none')().practiceDomains).toBe('none');
    expect(read('@practice.org')).toThrow(/PRACTICE_DOMAINS must be "none" or a comma-separated list of mail domains/);
    expect(read('localhost')).toThrow(/PRACTICE_DOMAINS/);
  });

  it('reads numbers from their variables', () => {
    const settings = readSettingsFromEnv(REQUEST_SETTINGS, { ...ZONE, FORM_BASE_URL: 'https://forms.example', THROTTLE_HOURS: '6', TOKEN_EXPIRY_HOURS: '48' });

    expect(settings.throttleHours).toBe(6);
    expect(settings.tokenExpiryHours).toBe(48);
  });

  it('lists every problem at once, naming the variable to fix', () => {
    const read = () =>
      readSettingsFromEnv(REQUEST_SETTINGS, { SENDER_ADDRESS: 'not-an-address', THROTTLE_HOURS: '-1', FORM_BASE_URL: 'ftp://x' });

    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(/SENDER_ADDRESS must be an email address[\s\S]*FORM_BASE_URL must be an https URL[\s\S]*THROTTLE_HOURS/);
  });

  it('requires the practice time zone, an IANA name', () => {
    expect(() => readSettingsFromEnv(REQUEST_SETTINGS, { FORM_BASE_URL: 'https://forms.example' })).toThrow(/PRACTICE_TIME_ZONE is required/);
    for (const zone of ['EST5EDT ', 'Mars/Olympus_Mons', '+02:00']) {
      expect(() => readSettingsFromEnv(REQUEST_SETTINGS, { FORM_BASE_URL: 'https://forms.example', PRACTICE_TIME_ZONE: zone })).toThrow(/PRACTICE_TIME_ZONE must be an IANA time zone/);
    }
    expect(readSettingsFromEnv(REQUEST_SETTINGS, { FORM_BASE_URL: 'https://forms.example', PRACTICE_TIME_ZONE: 'Europe/Berlin' }).practiceTimeZone).toBe('Europe/Berlin');
  });

  it('requires the form base URL', () => {
    expect(() => readSettingsFromEnv(REQUEST_SETTINGS, {})).toThrow(/FORM_BASE_URL is required/);
  });

  it.each(['http://forms.practice.example', 'http://forms.practice.example:443/feedback', 'http://localhost.practice.example', 'http://127.0.0.2:3000', 'ftp://forms.example', 'forms.example'])(
    'refuses a form base URL that is not https (%s): every link carries a personal token',
    (url) => {
      expect(() => readSettingsFromEnv(REQUEST_SETTINGS, { FORM_BASE_URL: url })).toThrow(/FORM_BASE_URL must be an https URL \(http only for localhost, 127\.0\.0\.1 or \[::1\]\)/);
    },
  );

  it.each(['https://forms.practice.example', 'https://practice.example/feedback', 'http://localhost:3000', 'http://127.0.0.1:41234', 'http://[::1]:3000'])(
    'accepts https, and http on the developer’s own machine (%s)',
    (url) => {
      expect(readSettingsFromEnv(REQUEST_SETTINGS, { ...ZONE, FORM_BASE_URL: url }).formBaseUrl).toBe(url);
    },
  );
});

describe('alert settings', () => {
  it('lets an acknowledge link work 30 days by default', () => {
    expect(readSettingsFromEnv(ALERT_SETTINGS, {}).acknowledgeLinkDays).toBe(30);
  });

  it('names the client in alert subjects by a pseudonym unless the practice chooses the id or the first name', () => {
    expect(readSettingsFromEnv(ALERT_SETTINGS, {}).alertClientLabel).toBe('pseudonym');
    expect(readSettingsFromEnv(ALERT_SETTINGS, { ALERT_CLIENT_LABEL: 'clientId' }).alertClientLabel).toBe('clientId');
    expect(readSettingsFromEnv(ALERT_SETTINGS, { ALERT_CLIENT_LABEL: 'firstName' }).alertClientLabel).toBe('firstName');
    expect(() => readSettingsFromEnv(ALERT_SETTINGS, { ALERT_CLIENT_LABEL: 'email' })).toThrow(/ALERT_CLIENT_LABEL must be pseudonym, clientId or firstName/);
  });

  it.each(['0', '1.5', '366', 'soon'])('refuses %s days for the acknowledge link', (days) => {
    expect(() => readSettingsFromEnv(ALERT_SETTINGS, { ACKNOWLEDGE_LINK_DAYS: days })).toThrow(/ACKNOWLEDGE_LINK_DAYS must be a whole number from 1 to 365/);
  });
});
