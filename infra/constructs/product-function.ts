/**
 * One Lambda function of the product with every default in one place: runtime, architecture,
 * bundling, logging, tracing and its own narrowly scoped role. The stack only adds what a function
 * uses (its policy statements and environment, both derived from infra/function-access.ts), so two
 * functions can never drift apart in their defaults. What the platform needs to run the function
 * (writing its own log group, X-Ray) is granted here.
 */
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionDefinition } from '../routes.ts';
import { FunctionRole } from './function-role.ts';

/** The repository root: entries in the FUNCTIONS registry are relative to it. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * ESM bundles that inline CommonJS code (parts of the AWS SDK's dependency tree still call
 * `require`) need a real `require`: ESM has none, so esbuild's shim would throw at run time.
 */
const CREATE_REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * How every function is bundled. Exported so the cold-start benchmark (bench/) bundles with exactly
 * these options instead of a copy that could drift.
 */
export const PRODUCT_BUNDLING: BundlingOptions = {
  // ESM lets esbuild tree-shake the SDK's ES module build; the handlers are ESM anyway.
  format: OutputFormat.ESM,
  // Prefer each package's ES module entry: the SDK's CommonJS build is ~60 % larger.
  mainFields: ['module', 'main'],
  banner: CREATE_REQUIRE_BANNER,
  // Smaller bundles load faster at cold start; the source map keeps traces readable.
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  // The map needs line mappings, not a second copy of every source file.
  sourcesContent: false,
  target: 'node24',
  // Bundle the SDK instead of using the runtime's copy: the version we tested is the one that
  // runs, and tree-shaking drops what the handler does not import.
  bundleAwsSDK: true,
};

export interface ProductFunctionProps {
  definition: FunctionDefinition;
  /** Encrypts the function's log group. */
  logKey: IKey;
  logRetention: RetentionDays;
  environment?: Record<string, string>;
}

export class ProductFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: FunctionRole;
  readonly logGroup: LogGroup;
  readonly definition: FunctionDefinition;
  private readonly environmentNames = new Set<string>();

  constructor(scope: Construct, id: string, props: ProductFunctionProps) {
    super(scope, id);
    this.definition = props.definition;

    // Its own log group, so retention and encryption are ours to set (Lambda's implicit group never
    // expires and is unencrypted), and so the role can be scoped to exactly this group.
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, encryptionKey: props.logKey });

    // An explicit role instead of AWSLambdaBasicExecutionRole: the managed policy lets a function
    // write to every log group in the account; this one may write to its own group only.
    // IAM descriptions accept Latin-1 only, so the role names its function instead of quoting it.
    this.role = new FunctionRole(this, 'Role', { description: `Alliance Feedback ${props.definition.id} function` });
    this.logGroup.grantWrite(this.role);

    const environment: Record<string, string> = {
      // Stack traces point at the TypeScript sources instead of minified line 1.
      NODE_OPTIONS: '--enable-source-maps',
      ...props.environment,
    };
    for (const name of Object.keys(environment)) this.environmentNames.add(name);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}${props.definition.entry}`,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      handler: 'handler',
      description: props.definition.description,
      // Pinned, not NODEJS_LATEST: a runtime change must be a reviewed commit, not a CDK upgrade.
      runtime: Runtime.NODEJS_24_X,
      // Graviton: about 20 % cheaper per GB-second than x86 and no native modules to worry about.
      architecture: Architecture.ARM_64,
      // Init (SDK clients, zod schemas) is CPU-bound and Lambda's CPU scales with memory; 256 MB
      // roughly halves cold starts compared with 128 MB for a few hundredths of a cent.
      memorySize: 256,
      timeout: Duration.seconds(props.definition.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      // Traces show where a slow email or a retry loop spends its time; X-Ray's free tier covers
      // a practice's volume many times over.
      tracing: Tracing.ACTIVE,
      environment,
      bundling: PRODUCT_BUNDLING,
    });
    // Lambda makes the function DependsOn its role and everything under it (the role and its
    // managed policy). Both are already ordered by references: the function names the role's ARN,
    // and the role lists the policy in ManagedPolicyArns, so the function is created only after
    // every permission exists. The repeated DependsOn is what cfn-lint reports as W3005.
    this.function.node.defaultChild?.node.removeDependency(this.role);
  }

  /** Adds an environment variable, refusing to overwrite one (two routes claiming one function). */
  addEnvironment(name: string, value: string): void {
    if (this.environmentNames.has(name)) throw new Error(`${this.node.path}: environment variable ${name} is already set`);
    this.environmentNames.add(name);
    this.function.addEnvironment(name, value);
  }
}
