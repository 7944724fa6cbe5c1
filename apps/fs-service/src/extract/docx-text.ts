import mammoth from 'mammoth';
import type { Extraction } from './extract-protocol.js';
import { attribute, scanMarkup } from './markup-scan.js';
import { sinkAll, type TextSink } from './text-sink.js';

export async function docxText(bytes: Uint8Array, sink: TextSink): Promise<Extraction> {
  const result = await mammoth.convertToHtml(
    { buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) },
    {
      // Images are never read: only their alt text is kept.
      convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })),
      // A document may link files by path; reading them would leak files the caller never named.
      externalFileAccess: false,
    },
  );
  sinkAll(sink, htmlLines(result.value));
  return { text: sink.text(), truncated: sink.truncated, parts: 1, warnings: [] };
}

const HEADINGS: Readonly<Record<string, string>> = {
  h1: '# ',
  h2: '## ',
  h3: '### ',
  h4: '#### ',
  h5: '##### ',
  h6: '###### ',
};

interface TableState {
  row: string[];
  /** The current cell's paragraphs, while inside one. */
  cell: string[] | undefined;
}

/**
 * The lines (lazily) of the HTML mammoth writes for a document: one per paragraph, headings marked with
 * `#`, list items with `-` or their number, table rows as tab-separated cells (a table inside a
 * cell is folded into that cell, its rows joined by ` | `).
 */
export function* htmlLines(html: string): Generator<string> {
  /** Lines finished by the current token, yielded before the next one is read. */
  const lines: string[] = [];
  const tables: TableState[] = [];
  const lists: { ordered: boolean; count: number }[] = [];
  let line = '';
  let prefix = '';

  const emit = (text: string, depth = tables.length) => {
    const cell = tables[depth - 1]?.cell;
    if (text.trim() === '') return;
    if (cell !== undefined) cell.push(text.replace(/\t/g, ' ').trim());
    else lines.push(text);
  };
  /** Ends the current line; a paragraph opening inside a list item keeps the item's marker. */
  const flush = (keepPrefix = false) => {
    if (line.trim() !== '') {
      emit(prefix + line.trim());
      prefix = '';
    }
    line = '';
    if (!keepPrefix) prefix = '';
  };

  for (const token of scanMarkup(html)) {
    yield* lines.splice(0);
    if (token.type === 'text') {
      line += token.text;
      continue;
    }
    const name = token.name.toLowerCase();
    if (token.type === 'open') {
      switch (name) {
        case 'p':
          flush(true);
          break;
        case 'br':
          flush();
          break;
        case 'ul':
        case 'ol':
          flush();
          lists.push({ ordered: name === 'ol', count: 0 });
          break;
        case 'li': {
          flush();
          const list = lists.at(-1);
          if (list !== undefined) list.count++;
          prefix =
            '  '.repeat(Math.max(0, lists.length - 1)) + (list?.ordered === true ? `${list.count}. ` : '- ');
          break;
        }
        case 'table':
          flush();
          tables.push({ row: [], cell: undefined });
          break;
        case 'tr': {
          const table = tables.at(-1);
          if (table !== undefined) table.row = [];
          break;
        }
        case 'td':
        case 'th': {
          flush();
          const table = tables.at(-1);
          if (table !== undefined) table.cell = [];
          break;
        }
        case 'img': {
          const alt = attribute(token.attributes, 'alt')?.trim();
          if (alt) line += `[image: ${alt}]`;
          break;
        }
        default:
          if (HEADINGS[name] !== undefined) {
            flush();
            prefix = HEADINGS[name];
          }
      }
      continue;
    }
    switch (name) {
      case 'ul':
      case 'ol':
        flush();
        lists.pop();
        break;
      case 'td':
      case 'th': {
        flush();
        const table = tables.at(-1);
        if (table?.cell !== undefined) table.row.push(table.cell.join(' '));
        if (table !== undefined) table.cell = undefined;
        break;
      }
      case 'tr': {
        flush();
        const table = tables.at(-1);
        if (table !== undefined && table.row.some((cell) => cell !== '')) {
          emit(table.row.join(tables.length > 1 ? ' | ' : '\t'), tables.length - 1);
        }
        break;
      }
      case 'table':
        flush();
        tables.pop();
        break;
      default:
        if (name === 'p' || name === 'li' || HEADINGS[name] !== undefined) flush();
    }
  }
  flush();
  yield* lines;
}
