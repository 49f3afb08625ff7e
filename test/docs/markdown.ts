/**
 * Reading the docs the way the docs tests need: the files, their fenced code blocks (with the
 * heading they sit under), their links and headings.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './render.ts';

/** The docs a reader follows, relative to the repository root. */
export const DOC_FILES = ['README.md', 'docs/deploy.md', 'docs/integrate.md', 'docs/clinicians.md', 'docs/cdk-nag.md', 'infra/local/README.md'] as const;

export function readDoc(file: string): string {
  return readFileSync(resolve(ROOT, file), 'utf8');
}

export interface CodeBlock {
  lang: string;
  code: string;
  /** The nearest heading above the block. */
  heading: string;
}

/** Every fenced code block of a Markdown text. */
export function codeBlocks(text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let heading = '';
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    const fence = /^\s*```(\S*)\s*$/.exec(line);
    if (open) {
      if (fence && fence[1] === '') {
        blocks.push({ lang: open.lang, code: open.lines.join('\n'), heading });
        open = undefined;
      } else open.lines.push(line);
    } else if (fence) open = { lang: fence[1]!, lines: [] };
    else if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '').trim();
  }
  return blocks;
}

/** The one code block of a language under a heading; fails the test when there is not exactly one. */
export function codeBlock(text: string, heading: string, lang: string): string {
  const found = codeBlocks(text).filter((block) => block.heading === heading && block.lang === lang);
  if (found.length !== 1) throw new Error(`expected one \`\`\`${lang} block under "${heading}", found ${found.length}`);
  return found[0]!.code;
}

/** The text without its fenced code blocks (for prose checks). */
export function prose(text: string): string {
  return text.replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

export function headings(text: string): string[] {
  return prose(text)
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => line.replace(/^#+ /, '').trim());
}

/** Relative links `[text](target)` of a Markdown text (no URLs with a scheme). */
export function relativeLinks(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^[a-z]+:/i.test(target));
}
