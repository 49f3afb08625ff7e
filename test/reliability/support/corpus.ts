/**
 * Text that has broken other systems: markup and script, `javascript:` links, header injection,
 * template syntax, very long and non-BMP text, bidirectional overrides and invisible characters.
 * Used for every field the product can render, and mixed into the random inputs.
 */
export const INJECTION_CORPUS: readonly string[] = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg/onload=alert(1)>",
  '<a href="javascript:alert(1)">click me</a>',
  'javascript:alert(document.cookie)',
  'JaVaScRiPt:alert(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  '<style>body{display:none}</style>',
  '<!-- a comment --> <![CDATA[ x ]]>',
  '<iframe src="https://evil.example"></iframe>',
  '{{7*7}} ${7*7} <%= 7*7 %> #{7*7}',
  '&lt;b&gt;already escaped&lt;/b&gt; &amp; &#60;',
  "O'Brien \"the\" <best> & co",
  '`backtick` \\backslash\\',
  'Ana\r\nBcc: victim@example.com',
  'Ana\nSubject: you won',
  'Ana\r\n\r\n<h1>body</h1>',
  'Ana%0d%0aBcc:%20victim@example.com',
  '=?utf-8?q?Bcc=3A_victim=40example.com?=',
  'Ana\u0000Nul',
  '\u202Egnp.exe',
  'Ana \u2066isolate\u2069 \u202Boverride\u202C \u200Fmark',
  'Zoë 😀 𝒜𝕏 𠜎 👩🏽‍⚕️',
  '\u200B\u200D\uFEFF zero-width',
  'line\u2028separator\u2029paragraph',
  'مرحبا بالعالم',
  'x'.repeat(100),
  '😀'.repeat(50),
  'é'.repeat(100),
];

/** Corpus entries a name field accepts (1–100 characters after trimming, no control or line-separator characters). */
export function isAcceptableName(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length >= 1 && trimmed.length <= 100 && /^[^\p{Cc}\p{Zl}\p{Zp}]*$/u.test(trimmed);
}
