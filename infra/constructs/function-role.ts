/**
 * A Lambda execution role whose permissions live in one customer-managed policy instead of CDK's
 * inline default policy. HIPAA.Security-IAMNoInlinePolicy asks for managed policies (they are
 * versioned and can be reviewed on their own); every CDK grant still works, because grants go
 * through `addToPrincipalPolicy`, which this role redirects to its managed policy.
 */
import { type AddToPrincipalPolicyResult, type IPrincipal, ManagedPolicy, type PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export class FunctionRole extends Role {
  readonly policy: ManagedPolicy;

  /** `assumedBy` defaults to Lambda; the scheduler's role uses the same shape. */
  constructor(scope: Construct, id: string, props: { description: string; assumedBy?: IPrincipal }) {
    super(scope, id, { assumedBy: props.assumedBy ?? new ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    this.policy = new ManagedPolicy(this, 'Policy', { description: props.description });
    // Attached through the role's ManagedPolicyArns, so the role (and the function, and its event
    // source mapping) is created only after every permission exists.
    this.addManagedPolicy(this.policy);
  }

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
