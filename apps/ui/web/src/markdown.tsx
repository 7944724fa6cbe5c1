import type { ReactNode } from 'react';

/*
 * A small markdown renderer for what the model writes: headings, paragraphs, lists, quotes, code,
 * tables, emphasis and links, turned into React elements — never into an HTML string, so markup in
 * the text stays text. Links open only http(s) and mailto addresses, in a new tab with no opener;
 * images are never loaded: they show as their description and address. Every scan moves forward
 * (a search that found nothing is not repeated), so hostile input costs time in proportion to its
 * length, and nesting stops at a fixed depth.
 */

const MAX_DEPTH = 8;

type Align = 'left' | 'center' | 'right' | undefined;

type Block =
  | { readonly type: 'heading'; readonly level: number; readonly text: string }
  | { readonly type: 'paragraph'; readonly text: string }
  | { readonly type: 'code'; readonly text: string; readonly info: string }
  | { readonly type: 'rule' }
  | { readonly type: 'quote'; readonly blocks: readonly Block[] }
  | {
      readonly type: 'list';
      readonly ordered: boolean;
      readonly start: number;
      readonly loose: boolean;
      readonly items: readonly (readonly Block[])[];
    }
  | {
      readonly type: 'table';
      readonly align: readonly Align[];
      readonly head: readonly string[];
      readonly rows: readonly (readonly string[])[];
    };

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(?:([ \t]+)(.*))?$/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

const isBlank = (line: string): boolean => line.trim() === '';
const indentOf = (line: string): number => line.length - line.trimStart().length;

/** Leading tabs count as four spaces, as in CommonMark. */
const expandIndent = (line: string): string =>
  line.replace(/^[ \t]+/, (space) => space.replace(/\t/g, '    '));

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < row.length; i += 1) {
    const char = row[i];
    if (char === '\\' && row[i + 1] === '|') {
      cell += '|';
      i += 1;
    } else if (char === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell.trim());
  return cells;
}

function alignOf(cell: string): Align {
  const left = cell.startsWith(':');
  const right = cell.endsWith(':');
  return left && right ? 'center' : right ? 'right' : left ? 'left' : undefined;
}

function isTableStart(lines: readonly string[], i: number): boolean {
  const line = lines[i] ?? '';
  const next = lines[i + 1];
  return (
    line.includes('|') &&
    next !== undefined &&
    TABLE_DELIMITER.test(next) &&
    next.includes('-') &&
    splitRow(line).length === splitRow(next).length
  );
}

/** Whether a line starts a block other than a paragraph (so it ends the paragraph above it). */
function startsBlock(lines: readonly string[], i: number): boolean {
  const line = lines[i] ?? '';
  if (FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line)) return true;
  // A list interrupts a paragraph only when it clearly is one: "1990. was a year" stays text.
  const item = markerOf(line);
  if (item !== undefined && item.content.trim() !== '' && (!item.ordered || item.number === 1)) return true;
  return isTableStart(lines, i);
}

function parseBlocks(lines: readonly string[], depth: number): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (isBlank(line)) {
      i += 1;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence !== null && !(fence[1]?.startsWith('`') === true && fence[2]?.includes('`') === true)) {
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      i += 1;
      while (i < lines.length) {
        const inner = lines[i] ?? '';
        const trimmed = inner.trim();
        if (trimmed.startsWith(marker) && trimmed.replaceAll(marker[0] ?? '`', '') === '') break;
        body.push(inner);
        i += 1;
      }
      i += 1;
      blocks.push({
        type: 'code',
        text: body.join('\n'),
        info: (fence[2] ?? '').trim().split(/\s+/)[0] ?? '',
      });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading !== null) {
      blocks.push({ type: 'heading', level: heading[1]?.length ?? 1, text: heading[2] ?? '' });
      i += 1;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ type: 'rule' });
      i += 1;
      continue;
    }
    if (QUOTE.test(line) && depth < MAX_DEPTH) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i] ?? '')) {
        inner.push((lines[i] ?? '').replace(QUOTE, ''));
        i += 1;
      }
      blocks.push({ type: 'quote', blocks: parseBlocks(inner, depth + 1) });
      continue;
    }
    if (LIST_ITEM.test(line) && depth < MAX_DEPTH) {
      const parsed = parseList(lines, i, depth);
      if (parsed !== undefined) {
        blocks.push(parsed.list);
        i = parsed.next;
        continue;
      }
    }
    if (isTableStart(lines, i)) {
      const head = splitRow(line);
      const align = splitRow(lines[i + 1] ?? '').map(alignOf);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && !isBlank(lines[i] ?? '') && (lines[i] ?? '').includes('|')) {
        const cells = splitRow(lines[i] ?? '');
        rows.push(head.map((_, column) => cells[column] ?? ''));
        i += 1;
      }
      blocks.push({ type: 'table', align, head, rows });
      continue;
    }
    const paragraph = [line.trim()];
    i += 1;
    while (i < lines.length && !isBlank(lines[i] ?? '') && !startsBlock(lines, i)) {
      paragraph.push((lines[i] ?? '').trim());
      i += 1;
    }
    blocks.push({ type: 'paragraph', text: paragraph.join('\n') });
  }
  return blocks;
}

interface Marker {
  readonly indent: number;
  /** `-`, `*`, `+`, `.` or `)`: items of one list share it. */
  readonly kind: string;
  readonly ordered: boolean;
  readonly number: number;
  readonly contentIndent: number;
  readonly content: string;
}

function markerOf(line: string): Marker | undefined {
  const match = LIST_ITEM.exec(line);
  if (match === null) return undefined;
  const indent = match[1]?.length ?? 0;
  const marker = match[2] ?? '-';
  const space = match[3] ?? '';
  const rest = match[4] ?? '';
  if (space === '' && rest !== '') return undefined;
  const ordered = /\d/.test(marker);
  // Five or more spaces after the marker: the content starts after one, the rest is its indent.
  const gap = space.length >= 1 && space.length <= 4 && rest !== '' ? space.length : 1;
  return {
    indent,
    kind: ordered ? marker.slice(-1) : marker,
    ordered,
    number: ordered ? Number.parseInt(marker, 10) : 1,
    contentIndent: indent + marker.length + gap,
    content: gap === space.length ? rest : `${space.slice(1)}${rest}`,
  };
}

function parseList(
  lines: readonly string[],
  from: number,
  depth: number,
): { list: Block; next: number } | undefined {
  const first = markerOf(lines[from] ?? '');
  if (first === undefined) return undefined;
  const items: Block[][] = [];
  let loose = false;
  let i = from;
  let marker: Marker | undefined = first;
  while (marker !== undefined) {
    const body: string[] = [marker.content];
    const contentIndent = marker.contentIndent;
    i += 1;
    let blankBefore = false;
    let next: Marker | undefined;
    while (i < lines.length) {
      const line = lines[i] ?? '';
      if (isBlank(line)) {
        blankBefore = true;
        body.push('');
        i += 1;
        continue;
      }
      if (indentOf(line) >= contentIndent) {
        if (blankBefore) loose = true;
        blankBefore = false;
        body.push(line.slice(contentIndent));
        i += 1;
        continue;
      }
      const sibling = markerOf(line);
      if (sibling !== undefined && sibling.kind === first.kind && sibling.indent < contentIndent) {
        if (blankBefore) loose = true;
        next = sibling;
        break;
      }
      // A line that is not indented continues the item's paragraph, unless it starts a block.
      if (blankBefore || startsBlock(lines, i)) break;
      body.push(line.trim());
      i += 1;
    }
    while (body.length > 0 && isBlank(body.at(-1) ?? '')) body.pop();
    items.push(parseBlocks(body, depth + 1));
    marker = next;
  }
  return { list: { type: 'list', ordered: first.ordered, start: first.number, loose, items }, next: i };
}

/* Inline text. */

const PUNCTUATION = /[!-/:-@[-`{-~]/;
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** The address a link may open, or undefined: only absolute http(s) and mailto addresses. */
export function safeHref(raw: string): string | undefined {
  const address = raw.trim();
  if (address === '' || /[\s<>"]/.test(address)) return undefined;
  try {
    const url = new URL(address);
    return SAFE_PROTOCOLS.has(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

const isWordChar = (char: string | undefined): boolean => char !== undefined && /[\p{L}\p{N}]/u.test(char);
const isSpace = (char: string | undefined): boolean => char === undefined || /\s/.test(char);

type Search = (name: string, from: number, find: (from: number) => number) => number;

/**
 * Remembers each kind of search in one text: every search asks for the first match at or after a
 * position, and positions only grow, so an answer (or a miss) found once answers the next asks
 * until the scan passes it. Without this, `[[[[…` or `**a **a **a…` would cost the square of
 * their length.
 */
function searcher(): Search {
  const last = new Map<string, { from: number; found: number }>();
  return (name, from, find) => {
    const known = last.get(name);
    if (known !== undefined && from >= known.from && (known.found < 0 || from <= known.found)) {
      return known.found;
    }
    const found = find(from);
    last.set(name, { from, found });
    return found;
  };
}

class InlineParser {
  private key = 0;

  constructor(private readonly prefix: string) {}

  parse(text: string, depth: number, links: boolean): ReactNode[] {
    const out: ReactNode[] = [];
    let plain = '';
    const flush = (): void => {
      if (plain !== '') out.push(plain);
      plain = '';
    };
    const push = (node: ReactNode): void => {
      flush();
      out.push(node);
    };
    const search = searcher();

    let i = 0;
    while (i < text.length) {
      const char = text[i] ?? '';
      if (char === '\\' && PUNCTUATION.test(text[i + 1] ?? '')) {
        plain += text[i + 1];
        i += 2;
        continue;
      }
      if (char === '\\' && text[i + 1] === '\n') {
        push(<br key={this.next()} />);
        i += 2;
        continue;
      }
      if (char === '`') {
        let run = 1;
        while (text[i + run] === '`') run += 1;
        const fence = '`'.repeat(run);
        const close = search(`code${run}`, i + run, (from) => {
          let at = text.indexOf(fence, from);
          while (at >= 0 && (text[at + run] === '`' || text[at - 1] === '`')) {
            let end = at;
            while (text[end] === '`') end += 1;
            at = text.indexOf(fence, end);
          }
          return at;
        });
        if (close < 0) {
          plain += fence;
          i += run;
          continue;
        }
        let code = text.slice(i + run, close).replace(/\n/g, ' ');
        if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '')
          code = code.slice(1, -1);
        push(<code key={this.next()}>{code}</code>);
        i = close + run;
        continue;
      }
      if ((char === '[' || (char === '!' && text[i + 1] === '[')) && depth < MAX_DEPTH) {
        const image = char === '!';
        const link = this.link(text, image ? i + 1 : i, search);
        if (link !== undefined) {
          const label = text.slice((image ? i + 1 : i) + 1, link.labelEnd);
          if (image) {
            // Never loaded: a remote image would tell its server who reads this, and when.
            push(
              <span key={this.next()} className="md-image">
                {`${label === '' ? 'image' : label} (${link.href})`}
              </span>,
            );
          } else {
            const href = links ? safeHref(link.href) : undefined;
            const children = this.parse(label, depth + 1, false);
            push(
              href === undefined ? (
                <span key={this.next()}>{children}</span>
              ) : (
                <a key={this.next()} href={href} target="_blank" rel="noopener noreferrer">
                  {children}
                </a>
              ),
            );
          }
          i = link.end;
          continue;
        }
      }
      if (char === '<' && links) {
        const close = search('angle', i + 1, (from) => text.indexOf('>', from));
        const href = close < 0 ? undefined : safeHref(text.slice(i + 1, close));
        if (href !== undefined && close >= 0) {
          push(
            <a key={this.next()} href={href} target="_blank" rel="noopener noreferrer">
              {text.slice(i + 1, close)}
            </a>,
          );
          i = close + 1;
          continue;
        }
      }
      if (
        links &&
        (char === 'h' || char === 'H') &&
        !isWordChar(text[i - 1]) &&
        /^https?:\/\/[^\s<]/i.test(text.slice(i, i + 9))
      ) {
        let end = i;
        while (end < text.length && !/[\s<]/.test(text[end] ?? ' ')) end += 1;
        while (end > i && /[.,;:!?'")\]*_~]/.test(text[end - 1] ?? '')) end -= 1;
        const address = text.slice(i, end);
        const href = safeHref(address);
        if (href !== undefined) {
          push(
            <a key={this.next()} href={href} target="_blank" rel="noopener noreferrer">
              {address}
            </a>,
          );
          i = end;
          continue;
        }
      }
      if ((char === '*' || char === '_' || char === '~') && depth < MAX_DEPTH) {
        let run = 1;
        while (text[i + run] === char) run += 1;
        const emphasis = this.emphasis(text, i, char, run, search);
        if (emphasis !== undefined) {
          const inner = this.parse(text.slice(i + emphasis.size, emphasis.close), depth + 1, links);
          const node =
            char === '~' ? (
              <del key={this.next()}>{inner}</del>
            ) : emphasis.size === 3 ? (
              <strong key={this.next()}>
                <em>{inner}</em>
              </strong>
            ) : emphasis.size === 2 ? (
              <strong key={this.next()}>{inner}</strong>
            ) : (
              <em key={this.next()}>{inner}</em>
            );
          push(node);
          i = emphasis.close + emphasis.size;
          continue;
        }
        plain += char.repeat(run);
        i += run;
        continue;
      }
      plain += char;
      i += 1;
    }
    flush();
    return out;
  }

  /** `[label](address "title")` from the `[` at `open`, or undefined when it is not a link. */
  private link(
    text: string,
    open: number,
    search: Search,
  ): { labelEnd: number; href: string; end: number } | undefined {
    const labelEnd = search('bracket', open + 1, (from) => {
      let at = text.indexOf(']', from);
      while (at > 0 && text[at - 1] === '\\') at = text.indexOf(']', at + 1);
      return at;
    });
    if (labelEnd < 0 || text[labelEnd + 1] !== '(') return undefined;
    const nested = text.indexOf('[', open + 1);
    if (nested >= 0 && nested < labelEnd) return undefined;
    const close = search('paren', labelEnd + 2, (from) => text.indexOf(')', from));
    if (close < 0) return undefined;
    const target = text.slice(labelEnd + 2, close).trim();
    const address = /^<([^>]*)>/.exec(target)?.[1] ?? target.split(/\s+/)[0] ?? '';
    return { labelEnd, href: address, end: close + 1 };
  }

  /** The closing run for a run of `*`, `_` or `~` at `open`, or undefined when there is none. */
  private emphasis(
    text: string,
    open: number,
    char: string,
    run: number,
    search: Search,
  ): { size: number; close: number } | undefined {
    const size = char === '~' ? 2 : run;
    if (size > 3 || (char === '~' && run !== 2)) return undefined;
    if (isSpace(text[open + run])) return undefined;
    if (char === '_' && isWordChar(text[open - 1])) return undefined;
    const fence = char.repeat(size);
    const close = search(`${char}${size}`, open + size + 1, (from) => {
      let at = text.indexOf(fence, from);
      while (at >= 0) {
        const exact = text[at - 1] !== char && text[at + size] !== char;
        const flanking = !isSpace(text[at - 1]) && !(char === '_' && isWordChar(text[at + size]));
        if (exact && flanking) return at;
        at = text.indexOf(fence, at + 1);
      }
      return -1;
    });
    return close < 0 ? undefined : { size, close };
  }

  next(): string {
    this.key += 1;
    return `${this.prefix}${this.key}`;
  }
}

function renderBlocks(blocks: readonly Block[], inline: InlineParser, tight = false): ReactNode[] {
  return blocks.map((block) => {
    const key = inline.next();
    switch (block.type) {
      case 'heading': {
        const children = inline.parse(block.text, 0, true);
        // The page's own headings come first: an answer's start at level 3.
        const level = Math.min(6, block.level + 2);
        if (level === 3) return <h3 key={key}>{children}</h3>;
        if (level === 4) return <h4 key={key}>{children}</h4>;
        if (level === 5) return <h5 key={key}>{children}</h5>;
        return <h6 key={key}>{children}</h6>;
      }
      case 'paragraph':
        return tight ? (
          <span key={key} className="md-line">
            {inline.parse(block.text, 0, true)}
          </span>
        ) : (
          <p key={key}>{inline.parse(block.text, 0, true)}</p>
        );
      case 'code':
        return (
          <pre key={key} className="md-code">
            <code>{block.text}</code>
          </pre>
        );
      case 'rule':
        return <hr key={key} />;
      case 'quote':
        return <blockquote key={key}>{renderBlocks(block.blocks, inline)}</blockquote>;
      case 'list': {
        const items = block.items.map((item) => (
          <li key={inline.next()}>{renderBlocks(item, inline, !block.loose)}</li>
        ));
        return block.ordered ? (
          <ol key={key} start={block.start === 1 ? undefined : block.start}>
            {items}
          </ol>
        ) : (
          <ul key={key}>{items}</ul>
        );
      }
      case 'table':
        return (
          <div key={key} className="md-table">
            <table>
              <thead>
                <tr>
                  {block.head.map((cell, column) => (
                    <th key={column} className={alignClass(block.align[column])}>
                      {inline.parse(cell, 0, true)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {block.rows.map((row, index) => (
                  <tr key={index}>
                    {row.map((cell, column) => (
                      <td key={column} className={alignClass(block.align[column])}>
                        {inline.parse(cell, 0, true)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
    }
  });
}

const alignClass = (align: Align): string | undefined => (align === undefined ? undefined : `md-${align}`);

/** The elements of `text` read as markdown. */
export function renderMarkdown(text: string): ReactNode[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map(expandIndent);
  return renderBlocks(parseBlocks(lines, 0), new InlineParser('m'));
}

export function Markdown(props: { readonly text: string; readonly className?: string }) {
  return (
    <div className={props.className === undefined ? 'md' : `md ${props.className}`}>
      {renderMarkdown(props.text)}
    </div>
  );
}
