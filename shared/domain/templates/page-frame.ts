/**
 * The HTML document every web page is set in (the client's form pages, the therapist's trend
 * page): the headers that keep a page out of search engines and its link out of other sites'
 * logs, one inline stylesheet (each page allows its own by hash in its Content-Security-Policy),
 * and the byline above the content that says who the page is from.
 */
import { html, stripBidiControls, type SafeHtml } from '../html.ts';

export interface PageFrame {
  /** The document language, for screen readers and translation prompts. */
  lang: string;
  /** The document title (the browser tab), plain text. */
  title: string;
  /** The page's one stylesheet; its hash must be the one the page's CSP allows. */
  stylesheet: string;
  /** Who the page is from (the practice's name, from configuration), plain text; it loses bidi controls. */
  byline: string;
  /** The already-rendered content of `<main>`, after the byline. */
  content: SafeHtml;
}

/** Wraps already-rendered content in the product's web page document. */
export function pageFrame({ lang, title, stylesheet, byline, content }: PageFrame): string {
  return html`<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${stylesheet}</style>
</head>
<body>
<main>
<p class="from">${stripBidiControls(byline)}</p>
${content}
</main>
</body>
</html>
`.value;
}
