/**
 * Mailer on Amazon SES v2. `SendEmail` with simple content accepts custom headers, which the
 * RFC 8058 one-click unsubscribe needs, so SES builds the MIME (and encodes non-ASCII subjects).
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { RESOURCE_ENV } from '../config.ts';
import type { Mailer, OutgoingEmail } from '../use-cases/ports.ts';

let sharedSesClient: SESv2Client | undefined;

/**
 * The container-wide SES client (endpoint from `AWS_ENDPOINT_URL_SESV2` when set). Adaptive retries:
 * SES refuses sends beyond the account's rate (14/s when production access starts), which a backlog
 * flushed by an EHR reaches at once. After the first TooManyRequestsException the client paces its
 * own sends instead of spending its three attempts and failing the record back to its queue.
 * Against a 10/s quota locally (`sendingQuota` in infra/local/faults.ts), 300 sessions at once met
 * 13–16 refusals and no failed record; the standard mode met 291 refusals and 22 failed records.
 */
export function getSesClient(): SESv2Client {
  sharedSesClient ??= new SESv2Client({ retryMode: 'adaptive' });
  return sharedSesClient;
}

export class SesMailer implements Mailer {
  constructor(
    private readonly fromAddress: string,
    private readonly fromName: string,
    private readonly configurationSetName: string | undefined,
    private readonly client: SESv2Client = getSesClient(),
  ) {}

  async send(email: OutgoingEmail): Promise<void> {
    await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: formatAddress(this.fromName, this.fromAddress),
        Destination: { ToAddresses: [email.to] },
        ConfigurationSetName: this.configurationSetName,
        ...(email.tags ? { EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })) } : {}),
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
            Headers: Object.entries(email.headers ?? {}).map(([Name, Value]) => ({ Name, Value })),
          },
        },
      }),
    );
  }
}

/**
 * The mailer the functions send with: the practice's sender, and the configuration set from the
 * environment (unset or empty, as in the local stack, means none).
 */
export function sesMailerFromSettings(settings: { senderAddress: string; practiceName: string }): SesMailer {
  return new SesMailer(settings.senderAddress, settings.practiceName, process.env[RESOURCE_ENV.sesConfigurationSet] || undefined);
}

/**
 * `"Display Name" <address>` with the name quoted and stripped of characters that could end the
 * quoted string or the header line; SES encodes non-ASCII names itself.
 */
export function formatAddress(name: string, address: string): string {
  const safeName = name.replace(/[\r\n"\\<>]/g, '').trim();
  return safeName ? `"${safeName}" <${address}>` : address;
}
