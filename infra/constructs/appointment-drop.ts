/**
 * The optional appointment drop bucket (context `appointmentDropDays`): a practice, or a scheduled
 * export of its EHR, puts an appointment CSV under `incoming/`, and the appointment-import function
 * imports it as `npx alliance import` does and writes its report under `reports/`.
 *
 * The files hold client references and appointment times (health information), so the bucket is
 * encrypted with the stack's key (an S3 bucket key keeps KMS calls to a few per file), blocks every
 * kind of public access, refuses requests without TLS, and deletes files and reports after the
 * configured days (old versions a day later). Versioning lets the function read exactly the
 * version that triggered it, twice, even if the file is replaced meanwhile.
 */
import { Aws, CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ProductFunction } from './product-function.ts';

/** Where files are dropped, and where their reports go (the function's grants name these prefixes). */
export const DROP_PREFIXES = { incoming: 'incoming/', reports: 'reports/' } as const;

export interface AppointmentDropProps {
  key: IKey;
  /** Days before a file and its report are deleted. */
  expiryDays: number;
  /** A second copy's name (config.instance): bucket names are global. */
  instance: string | undefined;
}

export class AppointmentDrop extends Construct {
  readonly bucket: Bucket;
  readonly bucketName: string;
  /** The copy's instance name, which the bucket's name carries. */
  readonly instance: string | undefined;
  /**
   * The bucket's ARN built from its name, not a reference to the bucket: the function's policy names
   * it, and the bucket waits for the function's invoke permission, so a reference would be a cycle.
   */
  readonly bucketArn: string;

  constructor(scope: Construct, id: string, props: AppointmentDropProps) {
    super(scope, id);
    // Named, so the function's invoke permission can name the bucket before the bucket exists (S3
    // checks that permission when the notification is created): the alternative, CDK's notification
    // custom resource, is a Lambda function with an AWS-managed role and an inline policy.
    this.bucketName = `alliance-drop-${Aws.ACCOUNT_ID}-${Aws.REGION}${props.instance ? `-${props.instance}` : ''}`;
    this.instance = props.instance;
    this.bucketArn = `arn:${Aws.PARTITION}:s3:::${this.bucketName}`;
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: this.bucketName,
      encryption: BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          id: 'ExpireDroppedFilesAndReports',
          expiration: Duration.days(props.expiryDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          expiredObjectDeleteMarker: false,
        },
      ],
      // The files are copies of the EHR's export, kept days at most: nothing to retain.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    new CfnOutput(scope, 'AppointmentDropBucketName', {
      value: this.bucket.bucketName,
      description: `Put appointment CSVs under ${DROP_PREFIXES.incoming}; each report appears under ${DROP_PREFIXES.reports}`,
    });
  }

  /** Invokes the import function for every CSV created under `incoming/`. */
  connect(fn: ProductFunction): void {
    // Only this bucket of this account may invoke the function.
    const permission = new CfnPermission(this, 'InvokeImport', {
      action: 'lambda:InvokeFunction',
      functionName: fn.function.functionArn,
      principal: 's3.amazonaws.com',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: this.bucketArn,
    });
    const bucket = this.bucket.node.defaultChild as CfnBucket;
    bucket.notificationConfiguration = {
      lambdaConfigurations: [
        {
          event: 's3:ObjectCreated:*',
          function: fn.function.functionArn,
          filter: { s3Key: { rules: [{ name: 'prefix', value: DROP_PREFIXES.incoming }, { name: 'suffix', value: '.csv' }] } },
        },
      ],
    };
    bucket.node.addDependency(permission);
  }
}
