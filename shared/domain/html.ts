/**
 * Escaping for everything the product renders: names, practice names, ids and comments come from
 * other systems and from people, and must never become markup.
 */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for use in HTML element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * Tagged template that escapes every interpolated value unless it is already `SafeHtml`, so that
 * forgetting to escape is impossible rather than merely unlikely.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type HtmlValue = string | number | SafeHtml | readonly HtmlValue[] | null | undefined | false;

function renderValue(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  return escapeHtml(String(value));
}

/** Builds HTML, escaping every interpolation. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/**
 * Removes bidirectional-override and other invisible formatting characters from text shown to
 * people, so a name cannot visually reorder the surrounding sentence.
 */
export function stripBidiControls(value: string): string {
  return value.replace(/[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g, '');
}
