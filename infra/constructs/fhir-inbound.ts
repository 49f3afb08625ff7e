/**
 * FHIR R4 inbound's AWS side (on with the `fhirBaseUrl` context key, with fhirTokenUrl and
 * fhirClientId): the secret that holds the product's SMART backend app's private signing key
 * (RS384 or ES384; the EHR holds only its public key), encrypted with the stack's key, and an
 * EventBridge Scheduler schedule that invokes the fhir function every N minutes. The function and
 * its policy come from FUNCTIONS and FUNCTION_ACCESS like every other; its GetSecretValue
 * statement names this secret.
 *
 * Idle cost: the secret is $0.40/month; the schedule's 2,880 invocations a month (every 15 min) are
 * within Scheduler's and Lambda's free tiers.
 */
import { SecretValue } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ProductFunction } from './product-function.ts';
import { FunctionRole } from './function-role.ts';

export interface FhirInboundProps {
  /** The fhir function (FUNCTIONS.fhir). */
  poller: ProductFunction;
  key: IKey;
  intervalMinutes: number;
  account: string;
}

export class FhirInbound extends Construct {
  /** The backend app's private key: a PKCS#8 PEM, `{"privateKeyPem","alg","kid"}`, or a private JWK. */
  readonly clientKeySecret: Secret;
  readonly schedule: CfnSchedule;
  /** The role EventBridge Scheduler assumes to invoke the poller: lambda:InvokeFunction on it, nothing else. */
  readonly schedulerRole: FunctionRole;

  constructor(scope: Construct, id: string, props: FhirInboundProps) {
    super(scope, id);
    this.clientKeySecret = new Secret(this, 'ClientKey', {
      description: 'Alliance Feedback: the private key (PKCS#8 PEM or private JWK, RS384/ES384) of the SMART backend app the EHR registered for FHIR inbound',
      encryptionKey: props.key,
      // A placeholder, not a secret: the practice puts its key in (docs/integrate.md). Until then
      // every poll fails with a clear error, and the function-error alarm says so.
      secretStringValue: SecretValue.unsafePlainText('replace with the backend app private key'),
    });

    this.schedulerRole = new FunctionRole(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': props.account } } }),
      description: 'Alliance Feedback scheduler: invokes the FHIR poller',
    });
    this.schedulerRole.addToPrincipalPolicy(new PolicyStatement({ sid: 'InvokePoller', actions: ['lambda:InvokeFunction'], resources: [props.poller.function.functionArn] }));

    this.schedule = new CfnSchedule(this, 'Schedule', {
      description: `Alliance Feedback: poll the FHIR server every ${props.intervalMinutes} minutes`,
      scheduleExpression: `rate(${props.intervalMinutes} minute${props.intervalMinutes === 1 ? '' : 's'})`,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: props.poller.function.functionArn,
        roleArn: this.schedulerRole.roleArn,
        input: '{}',
        // No retries: the next poll covers everything since the last successful one.
        retryPolicy: { maximumRetryAttempts: 0 },
      },
    });
  }
}
