/**
 * Checks an email's HTML as real mail clients and validators see it: html-validate for markup and
 * accessibility rules, and caniemail's support data (@jsx-email/doiuse-email) for Gmail, Outlook
 * and Apple Mail.
 */
import { doIUseEmail } from '@jsx-email/doiuse-email';
import { HtmlValidate } from 'html-validate';

/**
 * Findings every client reports for any email and that clients handle harmlessly, each with why
 * it is allowed: anything else fails the check.
 */
const ALLOWED_CLIENT_FINDINGS: { pattern: RegExp; why: string }[] = [
  { pattern: /`<body> element`/, why: 'clients replace <body> with a <div>; the layout does not rely on it' },
  { pattern: /`role attribute`/, why: 'role="presentation" on layout tables is an accessibility must; clients that strip it lose nothing' },
  { pattern: /`aria-\w+` attribute|`aria-\w+ attribute`|`aria-\*`/i, why: 'ARIA attributes only add meaning; stripping them loses nothing visual' },
  { pattern: /`<title>` element|title element/i, why: 'the title is only used by viewers that show the message standalone' },
  { pattern: /`lang` attribute/, why: 'lang helps screen readers where supported; stripping it is harmless' },
  { pattern: /`border-radius`/, why: 'decorative only: Outlook for Windows draws square corners instead' },
  { pattern: /`<meta>`|meta element/i, why: 'viewport/charset meta are ignored by clients that manage their own viewport' },
];

export function emailClientErrors(html: string): string[] {
  const result = doIUseEmail(html, { emailClients: ['gmail.*', 'outlook.*', 'apple-mail.*'] });
  return result.success ? [] : result.errors.filter((error) => !ALLOWED_CLIENT_FINDINGS.some((allowed) => allowed.pattern.test(error)));
}

const validator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  rules: {
    // Email HTML needs presentational attributes (width, bgcolor, cellpadding) and inline styles:
    // many clients ignore <style> blocks and CSS widths on tables.
    'no-inline-style': 'off',
    'no-deprecated-attr': 'off',
    'attribute-allowed-values': 'off',
    'element-permitted-content': 'off',
    'prefer-native-element': 'off',
    'wcag/h63': 'off',
    'no-redundant-role': 'off',
    // role="presentation" is the synonym older screen readers and mail clients know best.
    'presentation-role-style': 'off',
    // Mail clients build <tbody> themselves; the explicit one only costs bytes.
    'prefer-tbody': 'off',
  },
});

export async function markupErrors(html: string): Promise<string[]> {
  const report = await validator.validateString(html);
  return report.results.flatMap((result) => result.messages.map((message) => `${message.ruleId}: ${message.message} (line ${message.line})`));
}
