// A small tokenizer for the XML inside Office files and the HTML mammoth writes. It only needs
// tags, attributes and text, and it must stay linear on hostile input: every character is looked
// at once, and an unterminated tag ends the scan instead of being searched for again.

export type MarkupToken =
  | {
      readonly type: 'open';
      /** The name without its namespace prefix (`a:t` → `t`). */
      readonly name: string;
      readonly attributes: string;
      readonly selfClosing: boolean;
    }
  | { readonly type: 'close'; readonly name: string }
  | { readonly type: 'text'; readonly text: string };

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function* scanMarkup(source: string): Generator<MarkupToken> {
  let index = 0;
  while (index < source.length) {
    const start = source.indexOf('<', index);
    if (start === -1) {
      yield { type: 'text', text: decodeEntities(source.slice(index)) };
      return;
    }
    if (start > index) yield { type: 'text', text: decodeEntities(source.slice(index, start)) };
    if (source.startsWith('<![CDATA[', start)) {
      const end = source.indexOf(']]>', start + 9);
      if (end === -1) return;
      yield { type: 'text', text: source.slice(start + 9, end) };
      index = end + 3;
      continue;
    }
    const skipped = skipUntil(source, start);
    if (skipped !== undefined) {
      if (skipped === -1) return;
      index = skipped;
      continue;
    }
    const end = tagEnd(source, start + 1);
    if (end === -1) return;
    const body = source.slice(start + 1, end);
    index = end + 1;
    if (body.startsWith('/')) {
      yield { type: 'close', name: localName(body.slice(1).trim()) };
      continue;
    }
    const selfClosing = body.endsWith('/');
    const inner = selfClosing ? body.slice(0, -1) : body;
    const nameLength = inner.search(/[\s/]|$/);
    const name = inner.slice(0, nameLength);
    if (name === '') continue;
    yield { type: 'open', name: localName(name), attributes: inner.slice(nameLength), selfClosing };
  }
}

/** Where a comment, processing instruction or declaration ends; undefined for other tags. */
function skipUntil(source: string, start: number): number | undefined {
  const close = source.startsWith('<!--', start)
    ? '-->'
    : source.startsWith('<?', start)
      ? '?>'
      : source.startsWith('<!', start)
        ? '>'
        : undefined;
  if (close === undefined) return undefined;
  const end = source.indexOf(close, start + 2);
  return end === -1 ? -1 : end + close.length;
}

/** The index of the `>` closing a tag, skipping quoted attribute values (which may hold `>`). */
function tagEnd(source: string, from: number): number {
  let quote = '';
  for (let index = from; index < source.length; index++) {
    const char = source[index];
    if (quote !== '') {
      if (char === quote) quote = '';
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '>') {
      return index;
    }
  }
  return -1;
}

function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

/** A tag's attributes as [name, value] pairs, names as written (with their prefix). */
export function* attributeEntries(attributes: string): Generator<[string, string]> {
  for (const match of attributes.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    yield [match[1] ?? '', decodeEntities(match[2] ?? match[3] ?? '')];
  }
}

/** The value of one attribute, matched on its full (prefixed) name. */
export function attribute(attributes: string, name: string): string | undefined {
  for (const [key, value] of attributeEntries(attributes)) if (key === name) return value;
  return undefined;
}

export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,6});/g, (whole, entity: string) => {
    if (entity.startsWith('#')) {
      const code = entity[1] === 'x' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : '\ufffd';
    }
    return NAMED_ENTITIES[entity] ?? whole;
  });
}
