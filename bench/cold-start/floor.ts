/**
 * The floor of a function: a bundle with only the AWS SDK clients the function uses, each
 * constructed once at module scope as the product's adapters do, and a handler that keeps them.
 * Everything a function's bundle weighs or costs above it is ours to earn back.
 */

/** Client classes of one SDK package: the exported `…Client` classes that can `send`. */
export async function clientClassesOf(sdkPackage: string): Promise<string[]> {
  const module = (await import(sdkPackage)) as Record<string, unknown>;
  return Object.keys(module)
    .filter((name) => name.endsWith('Client') && name !== '__Client')
    .filter((name) => {
      const value = module[name];
      return typeof value === 'function' && typeof (value.prototype as { send?: unknown } | undefined)?.send === 'function';
    })
    .sort();
}

/**
 * Source of the floor entry for these SDK packages. lib-dynamodb's document client wraps a
 * DynamoDBClient, as the product's `getDocumentClient()` does.
 */
export async function floorSource(sdkPackages: readonly string[]): Promise<string> {
  const imports: string[] = [];
  const clients: string[] = [];
  const packages = new Set(sdkPackages);
  if (packages.has('@aws-sdk/lib-dynamodb')) packages.add('@aws-sdk/client-dynamodb');
  for (const sdkPackage of [...packages].sort()) {
    if (sdkPackage === '@aws-sdk/lib-dynamodb') {
      imports.push(`import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';`);
      continue;
    }
    const classes = (await clientClassesOf(sdkPackage)).filter((name) => !name.includes('Document'));
    const client = classes[0];
    if (!client) throw new Error(`no client class found in ${sdkPackage}`);
    imports.push(`import { ${client} } from '${sdkPackage}';`);
    if (sdkPackage === '@aws-sdk/client-dynamodb' && packages.has('@aws-sdk/lib-dynamodb')) {
      clients.push(`DynamoDBDocumentClient.from(new ${client}({}), { marshallOptions: { removeUndefinedValues: true } })`);
    } else {
      clients.push(`new ${client}({})`);
    }
  }
  return [
    '// The floor: only the AWS SDK clients the function uses.',
    ...imports,
    `const clients = [${clients.join(', ')}];`,
    'export const handler = async () => clients.length;',
    '',
  ].join('\n');
}
