import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getDocument, GlobalWorkerOptions, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { Refusal, shortReason, type Extraction } from './extract-protocol.js';
import type { TextSink } from './text-sink.js';

/** A run of text on a page, where pdf.js placed it (PDF units, y growing upwards). */
export interface PlacedText {
  readonly str: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** pdf.js saw a line break after this run. */
  readonly hasEOL: boolean;
}

const PDFJS_ROOT = dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

/**
 * The page's lines in content order: a run starts a new line when pdf.js marked a break or when
 * it sits at another height than the run before; runs on one line are spaced by their gaps.
 */
export function pageLines(runs: Iterable<PlacedText>): string[] {
  const lines: string[] = [];
  let line = '';
  let previous: PlacedText | undefined;
  const flush = () => {
    const text = line.trimEnd();
    if (text.trim() !== '') lines.push(text);
    line = '';
    previous = undefined;
  };
  for (const run of runs) {
    if (run.str !== '') {
      if (previous !== undefined) {
        const size = Math.max(run.height, previous.height, 1);
        if (Math.abs(run.y - previous.y) > size / 2) {
          flush();
        } else if (
          run.x - (previous.x + previous.width) > size * 0.15 &&
          !/\s$/.test(line) &&
          !/^\s/.test(run.str)
        ) {
          line += ' ';
        }
      }
      line += run.str;
      previous = run;
    }
    if (run.hasEOL) flush();
  }
  flush();
  return lines;
}

export async function pdfText(bytes: Uint8Array, sink: TextSink): Promise<Extraction> {
  // pdf.js runs its own "worker" in this thread when it finds no Worker; we are already one.
  GlobalWorkerOptions.workerSrc = pathToFileURL(join(PDFJS_ROOT, 'legacy/build/pdf.worker.mjs')).href;
  const task = getDocument({
    data: bytes,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    enableXfa: false,
    useWasm: false,
    isOffscreenCanvasSupported: false,
    isImageDecoderSupported: false,
    // Fonts and character maps come from the installed package, never from the network.
    standardFontDataUrl: `${join(PDFJS_ROOT, 'standard_fonts')}/`,
    cMapUrl: `${join(PDFJS_ROOT, 'cmaps')}/`,
    cMapPacked: true,
    verbosity: 0,
  });
  try {
    let document: PDFDocumentProxy;
    try {
      document = await task.promise;
    } catch (error) {
      throw openRefusal(error);
    }
    const warnings: string[] = [];
    let anyText = false;
    for (let number = 1; number <= document.numPages; number++) {
      if (!sink.line(`--- page ${number} ---`)) break;
      try {
        const page = await document.getPage(number);
        const content = await page.getTextContent();
        const lines = pageLines(placedRuns(content.items));
        page.cleanup();
        anyText ||= lines.length > 0;
        if (!lines.every((line) => sink.line(line))) break;
      } catch (error) {
        warnings.push(`page ${number} could not be read: ${shortReason(error)}`);
      }
    }
    if (!anyText && !sink.truncated) {
      warnings.push('no text found: the PDF may hold only scanned images');
    }
    return { text: sink.text(), truncated: sink.truncated, parts: document.numPages, warnings };
  } finally {
    await task.destroy();
  }
}

function* placedRuns(items: readonly object[]): Generator<PlacedText> {
  for (const item of items) {
    if (!('str' in item) || !('transform' in item)) continue;
    const { str, transform, width, height, hasEOL } = item as {
      str: string;
      transform: number[];
      width: number;
      height: number;
      hasEOL: boolean;
    };
    yield { str, x: transform[4] ?? 0, y: transform[5] ?? 0, width, height, hasEOL };
  }
}

function openRefusal(error: unknown): unknown {
  const name = error instanceof Error ? error.name : '';
  if (name === 'PasswordException') return new Refusal('NOT_TEXT', 'it is password-protected');
  if (name === 'InvalidPDFException') {
    return new Refusal('NOT_TEXT', `it is not a valid PDF (${shortReason(error)})`);
  }
  return error;
}
