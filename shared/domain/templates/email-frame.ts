/**
 * The HTML document the feedback request and the alert are set in: a grey page with one centred
 * white card, built from nested presentation tables and inline styles because that is what Outlook
 * and Gmail render alike. Each email keeps its own card width, padding, type size and corners.
 */
import { html, type SafeHtml } from '../html.ts';

export interface EmailFrame {
  /** The document language, for screen readers and translation prompts. */
  lang: string;
  /** The document title; mail clients show it in some previews, so the subject goes here. */
  title: string;
  /** Card width in CSS pixels; it shrinks to the screen below that. */
  maxWidth: number;
  /** CSS padding inside the card. */
  padding: string;
  /** Body type size in CSS pixels. */
  fontSize: number;
  /** Rounded card corners in CSS pixels; clients that ignore `border-radius` show square ones. */
  cornerRadius?: number | undefined;
}

/** Wraps already-rendered content in the product's email document and card. */
export function emailFrame(frame: EmailFrame, content: SafeHtml): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="${frame.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f4f2;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f2;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:${frame.maxWidth}px;background-color:#ffffff;${frame.cornerRadius ? `border-radius:${frame.cornerRadius}px;` : ''}">
<tr><td style="padding:${frame.padding};font-family:Arial,Helvetica,sans-serif;font-size:${frame.fontSize}px;line-height:1.5;color:#1f2328;">
${content}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>`;
}
