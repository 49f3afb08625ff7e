/**
 * The practice's calendar feeds, as the secret (AWS) or ICS_FEEDS (locally) lists them. Feed URLs
 * are secrets: an anonymous feed's URL is all anyone needs to read the practice's calendar. So a
 * URL is never logged, reported or put in an error; the feed id names the feed everywhere.
 */
import * as z from 'zod/mini';
import { DEFAULT_REFERENCE_PATTERN, patternProblem } from './client-reference.ts';

/** A feed's id: short, readable, part of every session id from it (never change it once used). */
export const FeedIdSchema = z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1–40 characters of a-z 0-9 -, starting with a letter or digit'));

/** One feed, as configured. */
export const CalendarFeedSchema = z.object({
  id: FeedIdSchema,
  /** https:// (or webcal://) on AWS; locally also a file path. */
  url: z.string().check(z.minLength(1, 'must not be empty')),
  /** Regular expression whose first group is the client reference (default: the first `[...]`). */
  pattern: z.optional(z.string().check(z.refine((pattern) => patternProblem(pattern) === undefined, 'must be a valid regular expression'))),
  /** Look for the reference in the description too. */
  searchDescription: z.optional(z.boolean()),
  /** The therapist of every session in this feed (a therapist's own calendar); otherwise the roster's. */
  therapistId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 characters of A-Z a-z 0-9 . _ : -'))),
});
export type CalendarFeed = z.infer<typeof CalendarFeedSchema>;

/** The secret's JSON: `{ "feeds": [ … ] }`, ids unique. */
export const CalendarFeedListSchema = z.object({
  feeds: z.array(CalendarFeedSchema).check(
    z.refine((feeds) => new Set(feeds.map((feed) => feed.id)).size === feeds.length, 'feed ids must be unique'),
  ),
});
export type CalendarFeedList = z.infer<typeof CalendarFeedListSchema>;

/** The reference rule of a feed, with the defaults filled in. */
export function referenceRuleOf(feed: CalendarFeed): { pattern: string; searchDescription: boolean } {
  return { pattern: feed.pattern ?? DEFAULT_REFERENCE_PATTERN, searchDescription: feed.searchDescription ?? false };
}

/**
 * Reads the secret's text. Errors name fields only: the text holds the URLs.
 */
export function parseCalendarFeedList(text: string): CalendarFeedList {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('the calendar feed list is not JSON');
  }
  const parsed = CalendarFeedListSchema.safeParse(json);
  if (!parsed.success) throw new Error(`the calendar feed list is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}
