/**
 * Finds the client reference in a calendar event. Anonymous practice feeds (Owl Practice and the
 * like) carry no names, only a client code the practice puts in the title, e.g. `Session [C-1042]`.
 * The pattern is the practice's: its first capture group (or the whole match, without one) is the
 * client id; by default the text inside the first `[...]` of the summary.
 */

/** The default pattern: the first `[...]` (its content, trimmed). */
export const DEFAULT_REFERENCE_PATTERN = String.raw`\[\s*([^\]]+?)\s*\]`;

export interface ReferenceRule {
  /** A JavaScript regular expression (source text, no slashes). */
  pattern: string;
  /** Also look in the event's description when the summary has no match. */
  searchDescription: boolean;
}

/** The compiled rule: the pattern once, so thousands of events do not recompile it. */
export function referenceFinder(rule: ReferenceRule): (event: { summary: string; description: string }) => string | undefined {
  const expression = new RegExp(rule.pattern, 'u');
  const find = (text: string): string | undefined => {
    const match = expression.exec(text);
    if (match === null) return undefined;
    const found = (match[1] ?? match[0]).trim();
    return found === '' ? undefined : found;
  };
  return (event) => find(event.summary) ?? (rule.searchDescription ? find(event.description) : undefined);
}

/** Why a pattern is unusable, or undefined when it compiles. */
export function patternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
