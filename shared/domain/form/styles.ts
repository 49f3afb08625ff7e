/**
 * The one stylesheet of every client-facing page, inline so the page makes no other request, and
 * allowed by its hash so the Content-Security-Policy can still refuse every other style.
 *
 * Colours meet WCAG 2.2 AA on white: text #1f2328 (15.8:1), secondary #414a52 (9.0:1), brand
 * #1d5c4d (7.8:1, also behind white button text), error #a4231b (7.4:1); borders of controls
 * #5b636b (6.1:1, above the 3:1 for non-text contrast); a chosen value's #e6f2ee keeps text at
 * 13.8:1. Touch targets are at least 44 × 44 px.
 */
import { createHash } from 'node:crypto';

export const PAGE_CSS = [
  '*{box-sizing:border-box}',
  'body{margin:0;background:#f4f4f2;color:#1f2328;font:1.0625rem/1.5 system-ui,sans-serif;-webkit-text-size-adjust:100%}',
  'main{max-width:40rem;min-height:100vh;margin:0 auto;padding:1.5rem 1rem 2.5rem;background:#fff}',
  'h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}',
  'h2{font-size:1.125rem;margin:0 0 .5rem}',
  'p{margin:0 0 1rem}',
  '.from,.hint,legend span{color:#414a52}',
  '.from{font-weight:600;margin:0 0 .25rem}',
  '.hint{font-size:.9375rem;margin:0 0 .5rem}',
  'fieldset{border:0;margin:0 0 1.75rem;padding:0;min-width:0}',
  'legend{padding:0;margin:0 0 .25rem;font-weight:600}',
  'legend span{display:block;font-weight:400;font-size:.9375rem}',
  // Six columns fit 320 px (two rows: 0–5, 6–10); eleven from 36rem up.
  '.scale{display:grid;grid-template-columns:repeat(6,minmax(2.75rem,1fr));gap:.25rem}',
  '@media (min-width:36rem){.scale{grid-template-columns:repeat(11,minmax(2.75rem,1fr))}}',
  '.scale label{display:flex;flex-direction:column;align-items:center;min-height:3.25rem;padding:.25rem 0;border:1px solid #5b636b;border-radius:.375rem}',
  '.scale input{width:1.25rem;height:1.25rem;margin:0 0 .125rem}',
  'input{accent-color:#1d5c4d}',
  '.scale label:has(:checked){border:2px solid #1d5c4d;background:#e6f2ee;font-weight:700}',
  ':focus-visible,label:has(:focus-visible){outline:3px solid #1d5c4d;outline-offset:2px}',
  '.vh{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
  'label.block{display:block;font-weight:600;margin:0 0 .25rem}',
  'textarea{display:block;width:100%;min-height:8rem;font:inherit;padding:.5rem;border:1px solid #5b636b;border-radius:.375rem}',
  '.field{margin:0 0 1.5rem}',
  '.check{display:flex;gap:.75rem;min-height:2.75rem;padding:.5rem;margin:0 -.5rem .25rem;font-weight:600}',
  '.check input{flex:none;width:1.5rem;height:1.5rem;margin:0}',
  'button{width:100%;min-height:2.75rem;margin:1.5rem 0 0;padding:.75rem;font:inherit;font-weight:700;color:#fff;background:#1d5c4d;border:0;border-radius:.375rem}',
  'a{color:#1d5c4d}',
  '.bad{border-left:4px solid #a4231b;padding-left:.75rem}',
  '.err,.summary a{color:#a4231b;font-weight:700}',
  '.err{margin:0 0 .5rem}',
  '.bad .scale label,[aria-invalid=true]{border-color:#a4231b}',
  '.summary{border:3px solid #a4231b;padding:1rem;margin:0 0 1.5rem}',
  '.summary:focus{outline:3px solid #1f2328}',
  '.summary ul{margin:0;padding-left:1.25rem}',
  '@media (forced-colors:active){.scale label:has(:checked){outline:3px solid CanvasText}}',
].join('');

/** The CSP source that allows exactly this stylesheet and nothing else. */
export const PAGE_CSS_HASH = `'sha256-${createHash('sha256').update(PAGE_CSS, 'utf8').digest('base64')}'`;
