/**
 * `session-completed-to-request` → `SessionCompletedToRequest`: letters and digits only, as
 * CloudFormation construct ids and IAM statement ids require.
 */
export function pascalCase(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
