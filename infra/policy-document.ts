/**
 * An IAM policy document as JSON, the shape CloudFormation templates carry: what the CDK stack
 * attaches to a function's role, and what the local stack enforces on the same function's calls.
 */

/** A condition block: operator (`StringEquals`, `ForAllValues:StringLike`…) → context key → value(s). */
export type PolicyConditionJson = Record<string, Record<string, string | boolean | readonly (string | boolean)[]>>;

export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | readonly string[];
  NotAction?: string | readonly string[];
  Resource?: string | readonly string[];
  NotResource?: string | readonly string[];
  Condition?: PolicyConditionJson;
}

export interface PolicyDocumentJson {
  Version: '2012-10-17';
  Statement: readonly PolicyStatementJson[];
}
