/**
 * Just enough Markdown for the docs tests: the fenced code blocks of a page with the HTML comments right
 * above them (the examples' directives), its headings as GitHub anchors them, and its links.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The pages whose examples are run: the README and every page of docs/. */
export const EXAMPLE_PAGES = ['README.md', ...readdirSync(`${ROOT}docs`).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];

/** Every page a reader follows links through. */
export const LINKED_PAGES = [...EXAMPLE_PAGES, 'bench/README.md'];

export function readPage(page: string): string {
  return readFileSync(`${ROOT}${page}`, 'utf8');
}

/** `<!-- name: value -->` (or `<!-- name -->`) on the lines right above a fence. */
export interface Directive {
  readonly name: string;
  readonly value: string;
}

export interface CodeBlock {
  readonly page: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The fence's info string: `sh`, `ts`, `text`, `json`, `sql`, or `` when it has none. */
  readonly lang: string;
  readonly text: string;
  /** The heading the block stands under, as written (`` before the first one). */
  readonly heading: string;
  readonly directives: readonly Directive[];
}

const FENCE = /^```(\S*)\s*$/;
const COMMENT = /^<!--\s*(.*?)\s*-->$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;

/** The page's lines, each marked with whether it lies inside a fenced code block (fences included). */
function linesOf(markdown: string): { text: string; fenced: boolean }[] {
  let inside = false;
  return markdown.split('\n').map((text) => {
    if (FENCE.test(text)) {
      inside = !inside;
      return { text, fenced: true };
    }
    return { text, fenced: inside };
  });
}

export function codeBlocks(page: string): CodeBlock[] {
  const lines = readPage(page).split('\n');
  const blocks: CodeBlock[] = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const title = HEADING.exec(line);
    if (title) heading = title[2]!;
    const fence = FENCE.exec(line);
    if (!fence) continue;
    const end = lines.findIndex((candidate, j) => j > i && candidate.startsWith('```'));
    if (end < 0) throw new Error(`${page}:${i + 1}: a code block that is never closed`);
    const directives: Directive[] = [];
    for (let j = i - 1; j >= 0 && COMMENT.test(lines[j]!); j--) {
      const body = COMMENT.exec(lines[j]!)![1]!;
      const colon = body.indexOf(':');
      directives.unshift(colon < 0 ? { name: body, value: '' } : { name: body.slice(0, colon).trim(), value: body.slice(colon + 1).trim() });
    }
    blocks.push({ page, line: i + 1, lang: fence[1]!, text: lines.slice(i + 1, end).join('\n') + '\n', heading, directives });
    i = end;
  }
  return blocks;
}

/** The anchor GitHub gives a heading: its text lowercased, punctuation dropped, spaces turned into `-`. */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link reads as its text
    .replace(/<[^>]+>/g, '') // inline HTML
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '') // code marks and emphasis go with the rest of the punctuation
    .replace(/ /g, '-');
}

/** Every anchor of a page: each heading's slug, a repeated one numbered `-1`, `-2`… as GitHub does. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text, fenced } of linesOf(markdown)) {
    const title = fenced ? null : HEADING.exec(text);
    if (!title) continue;
    const base = slug(title[2]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

export interface Link {
  readonly target: string;
  readonly line: number;
}

/** Inline links (`[text](target)`) outside code blocks and code spans. */
export function links(markdown: string): Link[] {
  const found: Link[] = [];
  linesOf(markdown).forEach(({ text, fenced }, index) => {
    if (fenced) return;
    const prose = text.replace(/`[^`]*`/g, '');
    for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) found.push({ target: match[1]!, line: index + 1 });
  });
  return found;
}
