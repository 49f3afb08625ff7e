/**
 * Mailer on Amazon SES v2. `SendEmail` with simple content accepts custom headers, which the
 * RFC 8058 one-click unsubscribe needs, so SES builds the MIME (and encodes non-ASCII subjects).
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { RESOURCE_ENV } from '../config.ts';
import type { Mailer, OutgoingEmail } from '../use-cases/ports.ts';

let sharedSesClient: SESv2Client | undefined;

/**
 * The container-wide SES client (endpoint from `AWS_ENDPOINT_URL_SESV2` when set), with six attempts
 * instead of the SDK's three. SES refuses sends beyond the account's rate (14/s when production
 * access starts), which a backlog flushed by an EHR reaches at once; the SDK backs off throttled
 * calls (from 0.5 s, doubling), so six attempts ride out a second or more of refusals before the
 * record fails back to its queue (3 minutes of visibility timeout on AWS; five failures park it).
 * Against a 10/s quota locally (`sendingQuota` in infra/local/faults.ts), 100 sessions at once
 * failed 7 records back to the queue with three attempts and none with six. (The adaptive retry
 * mode failed none too, but it also slows down for throttles that are not about rate, and the
 * fault tests' random throttles then held a 16-session scenario past two minutes.)
 */
export function getSesClient(): SESv2Client {
  sharedSesClient ??= new SESv2Client({ maxAttempts: 6 });
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
