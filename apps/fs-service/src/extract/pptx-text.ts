import JSZip from 'jszip';
import { Refusal, type Extraction } from './extract-protocol.js';
import { attribute, attributeEntries, scanMarkup } from './markup-scan.js';
import { relationships, relsPath } from './opc-package.js';
import { sinkAll, type TextSink } from './text-sink.js';

const OFFICE_DOCUMENT = /\/officeDocument$/;
const SLIDE = /\/slide$/;
const NOTES_SLIDE = /\/notesSlide$/;

/** Slide placeholders whose text is chrome, not content. */
const SLIDE_CHROME = new Set(['sldNum']);

export async function pptxText(bytes: Uint8Array, sink: TextSink): Promise<Extraction> {
  const zip = await JSZip.loadAsync(bytes);
  const read = (path: string) => zip.file(path)?.async('string');
  const packageRels = relationships((await read('_rels/.rels')) ?? '', '');
  const main =
    [...packageRels.values()].find((rel) => OFFICE_DOCUMENT.test(rel.type))?.path ?? 'ppt/presentation.xml';
  const presentation = await read(main);
  if (presentation === undefined) {
    throw new Refusal('NOT_TEXT', `it has no presentation part (${main})`);
  }
  const presentationRels = relationships((await read(relsPath(main))) ?? '', main);
  const slides = slideOrder(presentation).flatMap((id) => {
    const rel = presentationRels.get(id);
    return rel !== undefined && SLIDE.test(rel.type) ? [rel.path] : [];
  });
  const warnings: string[] = [];
  for (const [index, path] of slides.entries()) {
    const xml = await read(path);
    if (xml === undefined) {
      warnings.push(`slide ${index + 1} is missing from the file (${path})`);
      continue;
    }
    const hidden = isHiddenSlide(xml) ? ' (hidden)' : '';
    if (!sink.line(`--- slide ${index + 1}${hidden} ---`)) break;
    const slideLines = drawingLines(xml, (placeholder) => !SLIDE_CHROME.has(placeholder ?? ''));
    if (!sinkAll(sink, slideLines)) break;
    const notesPath = [...relationships((await read(relsPath(path))) ?? '', path).values()].find((rel) =>
      NOTES_SLIDE.test(rel.type),
    )?.path;
    const notes = notesPath === undefined ? undefined : await read(notesPath);
    if (notes === undefined) continue;
    // A notes page also holds the slide image, its number and header: only its body is notes.
    const noteLines = drawingLines(notes, (placeholder) => placeholder === 'body');
    if (!sinkAll(sink, noteLines, 'notes: ')) break;
  }
  return { text: sink.text(), truncated: sink.truncated, parts: slides.length, warnings };
}

/** The relationship ids of the slides, in presentation order. */
export function slideOrder(presentationXml: string): string[] {
  const ids: string[] = [];
  for (const token of scanMarkup(presentationXml)) {
    if (token.type !== 'open' || token.name !== 'sldId') continue;
    for (const [name, value] of attributeEntries(token.attributes)) {
      if (name.endsWith(':id')) ids.push(value);
    }
  }
  return ids;
}

function isHiddenSlide(xml: string): boolean {
  for (const token of scanMarkup(xml)) {
    if (token.type === 'open' && token.name === 'sld') {
      return attribute(token.attributes, 'show') === '0';
    }
  }
  return false;
}

interface Table {
  row: string[];
  cell: string[] | undefined;
}

/**
 * The text of a slide or notes page: one line per paragraph (`<a:p>`, with `<a:br/>` breaking
 * it), table rows as tab-separated cells, shapes in document order. A shape's text is kept when
 * `keep` accepts its placeholder type (undefined for shapes that are no placeholder); a shape
 * names its placeholder before its text, so nothing is held back. Lazy: a reader that stops
 * early stops the scan.
 */
export function* drawingLines(
  xml: string,
  keep: (placeholder: string | undefined) => boolean,
): Generator<string> {
  /** Per open shape (`<p:sp>`), whether its text is kept. */
  const shapes: boolean[] = [];
  const tables: Table[] = [];
  let paragraph: string | undefined;
  let inText = false;

  /** The line to yield, if any; inside a table cell text joins the cell instead. */
  const line = (text: string): string | undefined => {
    if (text.trim() === '' || shapes.at(-1) === false) return undefined;
    const cell = tables.at(-1)?.cell;
    if (cell === undefined) return text.trimEnd();
    cell.push(text.trim());
    return undefined;
  };

  for (const token of scanMarkup(xml)) {
    if (token.type === 'text') {
      if (inText && paragraph !== undefined) paragraph += token.text;
      continue;
    }
    let ready: string | undefined;
    if (token.type === 'open') {
      switch (token.name) {
        case 'sp':
          if (!token.selfClosing) shapes.push(keep(undefined));
          break;
        case 'ph':
          if (shapes.length > 0) {
            shapes[shapes.length - 1] = keep(attribute(token.attributes, 'type') ?? 'obj');
          }
          break;
        case 'p':
          paragraph = '';
          break;
        case 't':
          inText = !token.selfClosing;
          break;
        case 'br':
          if (paragraph !== undefined) {
            ready = line(paragraph);
            paragraph = '';
          }
          break;
        case 'tbl':
          tables.push({ row: [], cell: undefined });
          break;
        case 'tr': {
          const table = tables.at(-1);
          if (table !== undefined) table.row = [];
          break;
        }
        case 'tc': {
          const table = tables.at(-1);
          if (table !== undefined) table.cell = [];
          break;
        }
      }
    } else {
      switch (token.name) {
        case 't':
          inText = false;
          break;
        case 'p':
          if (paragraph !== undefined) ready = line(paragraph);
          paragraph = undefined;
          break;
        case 'tc': {
          const table = tables.at(-1);
          if (table?.cell !== undefined) table.row.push(table.cell.join(' '));
          if (table !== undefined) table.cell = undefined;
          break;
        }
        case 'tr': {
          // A table inside a cell folds into the outer cell, its rows joined by ` | `.
          const table = tables.pop();
          if (table !== undefined && table.row.some((cell) => cell !== '')) {
            ready = line(table.row.join(tables.length > 0 ? ' | ' : '\t'));
          }
          if (table !== undefined) tables.push(table);
          break;
        }
        case 'tbl':
          tables.pop();
          break;
        case 'sp':
          shapes.pop();
          break;
      }
    }
    if (ready !== undefined) yield ready;
  }
}
