/**
 * us-east-1 on-demand prices the cost model uses. From /work/shared/docs/ECOSYSTEM.md ("Prices"),
 * except the two marked otherwise, which that list lacks (from the services' pricing pages).
 */
export interface Prices {
  lambdaPerMillionRequests: number;
  /** arm64 (Graviton), per GB-second. */
  lambdaPerGbSecond: number;
  dynamoDbPerMillionWriteUnits: number;
  dynamoDbPerMillionReadUnits: number;
  eventBridgePerMillionEvents: number;
  sqsPerMillionRequests: number;
  httpApiPerMillionRequests: number;
  sesPerThousandEmails: number;
  cloudWatchLogsPerGb: number;
  /** Not in ECOSYSTEM.md: EventBridge Scheduler, $1.00 per million invocations (us-east-1, after 14 M free a month). */
  schedulerPerMillionInvocations: number;
  /** Not in ECOSYSTEM.md: X-Ray, $5.00 per million traces recorded (after 100,000 free a month). */
  xRayPerMillionTraces: number;
}

export const US_EAST_1: Prices = {
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecond: 0.0000133334,
  dynamoDbPerMillionWriteUnits: 0.625,
  dynamoDbPerMillionReadUnits: 0.125,
  eventBridgePerMillionEvents: 1,
  sqsPerMillionRequests: 0.4,
  httpApiPerMillionRequests: 1,
  sesPerThousandEmails: 0.1,
  cloudWatchLogsPerGb: 0.5,
  schedulerPerMillionInvocations: 1,
  xRayPerMillionTraces: 5,
};
